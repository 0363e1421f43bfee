"""Benchmarks of kvideo.faces on the real photos and videos in ../shared/data (see benchmarks/faces.md).

  python benchmarks/bench_faces.py photos [--configs Dlib:dlib,Dlib:skip] [--out benchmarks/faces_photos.json]
  python benchmarks/bench_faces.py video  [--every-n-frames 5] [--out benchmarks/faces_video.json]

photos: every photo of shared/data/faces is embedded once per model x detector (through kvideo's
FaceEngine, the code the product runs), then
  * identification: enroll the first k (1 or 2) photos of each identity that has more than k, query
    with the rest; top-1 = the right person accepted; nearest = right person ignoring the threshold;
  * unknowns: every identity in turn is removed from the gallery and all its photos are queried:
    a false accept is any query matched to someone (leave-one-identity-out, so every person is an
    unknown once);
  * tight crops: the same queries as 150x150 crops of the detected face box (no margin);
  * verification: all same-person / different-person pairs at the threshold;
  * thresholds: the largest threshold with zero false accepts, and the same-person distances.
video: scan_video on each shared/data/videos/*.mp4 against a gallery of the named people
(lin_manuel_miranda, alex_lacamoire + the other shared identities), versus DeepFace.represent +
gallery match on EVERY frame (the baseline); reports fps, speed-up and people found by each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("KVIDEO_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not DATA.is_dir():
    DATA = Path("/work/shared/data")


def photo_list():
    out = []
    for d in sorted((DATA / "faces").iterdir()):
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
                    out.append((d.name, p))
    return out


def embed_all(model, detector, photos, expand=0, align="auto"):
    import cv2

    from kvideo.faces.embed import FaceEngine

    eng = FaceEngine(model, detector, expand_percentage=expand, align=align)
    eng.warmup()
    E, C, how, t0 = [], [], [], time.perf_counter()
    for i, (_, p) in enumerate(photos):
        rgb, faces = eng.locate(p, whole_image=True, largest_only=True)
        f = faces[0]
        x, y, w, h = f["box"]
        crop = cv2.resize(rgb[y : y + h, x : x + w], (150, 150), interpolation=cv2.INTER_AREA)
        how.append(f["how"])
        E.append(eng.embed([f["face"]])[0])
        C.append(eng.faces(crop, whole_image=True, largest_only=True)[0]["embedding"])
        print(f"  {model}/{detector} {i + 1}/{len(photos)} {f['how']}", file=sys.stderr, end="\r")
    secs = time.perf_counter() - t0
    return np.stack(E), np.stack(C), how, secs


NEAREST = 2  # --nearest: photos averaged per identity (the product uses 2; 1 = plain nearest neighbour)


def evaluate(E, C, labels, thr, metric, k):
    from kvideo.faces.embed import distances, identity_distances

    labels = np.array(labels)
    ids = sorted(set(labels))
    idx = {u: np.where(labels == u)[0] for u in ids}
    enrolled = {u: idx[u][:k] for u in ids if len(idx[u]) > k}
    queries = [(u, q) for u in enrolled for q in idx[u][k:]]
    gal_idx = np.concatenate(list(enrolled.values()))
    gal_lab = labels[gal_idx]

    def best(emb, exclude=None):  # the product's rule: kvideo.faces.embed.identity_distances
        m = gal_lab != exclude if exclude is not None else np.ones(len(gal_idx), bool)
        uniq, d = identity_distances(distances(emb[None], E[gal_idx[m]], metric), gal_lab[m], nearest=NEAREST)
        j = int(np.argmin(d[0]))
        return uniq[j], float(d[0, j])

    res = {"k": k, "enrolled_identities": len(enrolled), "queries": len(queries)}
    for name, Q in (("photos", E), ("crops", C)):
        top1 = nearest = 0
        genuine = []
        for u, q in queries:
            lab, d = best(Q[q])
            nearest += lab == u
            top1 += lab == u and d <= thr
            genuine.append(d if lab == u else np.nan)
        # unknowns: each identity removed from the gallery in turn, all its photos queried
        fa, n_unk, impostor = 0, 0, []
        for u in ids:
            for q in idx[u]:
                lab, d = best(Q[q], exclude=u)
                n_unk += 1
                fa += d <= thr
                impostor.append(d)
        res[name] = {
            "top1": round(top1 / max(1, len(queries)), 4),
            "nearest_top1": round(nearest / max(1, len(queries)), 4),
            "false_accepts": int(fa),
            "unknown_queries": n_unk,
            "min_impostor_distance": round(float(np.min(impostor)), 4),
            "max_genuine_distance": round(float(np.nanmax(genuine)), 4) if np.any(~np.isnan(genuine)) else None,
        }
    return res


def verification(E, labels, thr, metric):
    from kvideo.faces.embed import distances

    labels = np.array(labels)
    D = distances(E, E, metric)
    iu = np.triu_indices(len(labels), 1)
    same = (labels[:, None] == labels[None])[iu]
    d = D[iu]
    return {
        "same_pairs": int(same.sum()),
        "diff_pairs": int((~same).sum()),
        "same_accepted": round(float((d[same] <= thr).mean()), 4),
        "diff_rejected": round(float((d[~same] > thr).mean()), 4),
        "accuracy": round(float(((d <= thr) == same).mean()), 4),
        "same_p50_p95_max": [round(float(np.percentile(d[same], q)), 4) for q in (50, 95, 100)],
        "diff_min_p5": [round(float(np.min(d[~same])), 4), round(float(np.percentile(d[~same], 5)), 4)],
    }


def cmd_photos(args):
    global NEAREST
    from kvideo.faces.embed import default_metric, default_threshold

    NEAREST = args.nearest
    photos = photo_list()
    labels = [u for u, _ in photos]
    results = []
    for cfg in args.configs.split(","):
        parts = cfg.split(":")
        model, detector = parts[0], parts[1]
        expand = int(parts[2]) if len(parts) > 2 and parts[2] else 0
        align = parts[3] if len(parts) > 3 else "auto"
        metric = default_metric(model)
        thr = args.threshold if args.threshold is not None else default_threshold(model, metric)
        cache = Path(tempfile.gettempdir()) / f"kvideo_faces_{model}_{detector}_{expand}_{align}.npz"
        try:
            if args.reuse and cache.is_file():  # embeddings of an earlier run (same code, same photos)
                z = np.load(cache)
                E, C, how, secs = z["E"], z["C"], [str(h) for h in z["how"]], float(z["secs"])
            else:
                E, C, how, secs = embed_all(model, detector, photos, expand, align)
        except Exception as e:  # noqa: BLE001 - an unusable config is reported, not fatal
            results.append({"model": model, "detector": detector, "error": " ".join(str(e).split())[:300]})
            print(f"{cfg}: {results[-1]['error']}", file=sys.stderr)
            continue
        r = {
            "model": model,
            "detector": detector,
            "expand_percentage": expand,
            "align": align if align != "auto" else ("dlib-chip" if model == "Dlib" else "deepface"),
            "metric": metric,
            "threshold": thr,
            "nearest_per_identity": NEAREST,
            "photos": len(photos),
            "seconds_per_photo": round(secs / len(photos) / 2, 3),  # each photo is embedded twice (photo + crop)
            "how": {h: how.count(h) for h in sorted(set(how))},
            "identify": [evaluate(E, C, labels, thr, metric, k) for k in (1, 2, 3)],
            "verify": verification(E, labels, thr, metric),
        }
        # the largest threshold with zero false accepts (k=1 and k=2, photos and crops)
        grid = np.round(np.arange(0.30, 0.70, 0.01), 2)
        zero = []
        for t in grid:
            ok = all(evaluate(E, C, labels, t, metric, k)[n]["false_accepts"] == 0 for k in (1, 2) for n in ("photos", "crops"))
            if ok:
                zero.append(float(t))
        r["max_zero_fa_threshold"] = max(zero) if zero else None
        r["sweep"] = {
            f"{t:.2f}": [[evaluate(E, C, labels, t, metric, k)[n][key] for n in ("photos", "crops") for key in ("top1", "false_accepts")]
                         for k in (1, 2, 3)]
            for t in (0.50, 0.52, 0.54, 0.55, 0.56, 0.58, 0.60)
        }
        results.append(r)
        print(json.dumps(r), file=sys.stderr)
        np.savez(cache, E=E, C=C, labels=np.array(labels), how=np.array(how), secs=secs)
    out = {"data": str(DATA / "faces"), "results": results}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def cmd_video(args):
    from kvideo.faces import FaceGallery, scan_video
    from kvideo.faces.embed import get_engine

    tmp = Path(tempfile.mkdtemp())
    g = FaceGallery.create(tmp / "g.db", model=args.model, detector=args.detector)
    rep = g.enroll(DATA / "faces", progress=False)
    print("gallery:", rep["counts"], file=sys.stderr)
    eng = get_engine(args.model, args.detector)
    out = {"gallery_identities": len(g.identities()), "videos": []}
    for video in sorted((DATA / "videos").glob("*.mp4")):
        res = scan_video(video, g, every_n_frames=args.every_n_frames, progress=False,
                         annotate_to=tmp / (video.stem + ".webm") if args.annotate else None)
        # baseline: DeepFace.represent (detect + align + embed) on every frame, then the same gallery match
        import cv2

        from kvideo.faces.embed import deepface_module

        DeepFace = deepface_module()
        cap = cv2.VideoCapture(str(video))
        n, t0, found, faces_total = 0, time.perf_counter(), {}, 0
        limit = args.baseline_frames
        while True:
            ok, bgr = cap.read()
            if not ok or (limit and n >= limit):
                break
            h, w = bgr.shape[:2]
            s = min(1.0, eng.max_side / max(h, w))
            if s < 1:
                bgr = cv2.resize(bgr, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            objs = DeepFace.represent(bgr, model_name=args.model, detector_backend=args.detector, enforce_detection=False)
            objs = [o for o in objs if o["face_confidence"] > 0]
            faces_total += len(objs)
            if objs:
                for m in g.match(np.stack([o["embedding"] for o in objs])):
                    if m["identity"]:
                        found[m["identity"]] = found.get(m["identity"], 0) + 1
            n += 1
        cap.release()
        base_secs = time.perf_counter() - t0
        base_fps = n / base_secs
        scan_fps = res["frames_total"] / res["seconds"]
        out["videos"].append(
            {
                "video": video.name,
                "frames": res["frames_total"],
                "every_n_frames": args.every_n_frames,
                "scan_seconds": res["seconds"],
                "scan_fps": round(scan_fps, 2),
                "scan_people": res["people"],
                "scan_tracks": res["segments"],
                "scan_embeddings": res["embeddings"],
                "baseline_frames": n,
                "baseline_seconds": round(base_secs, 2),
                "baseline_fps": round(base_fps, 2),
                "baseline_faces": faces_total,
                "baseline_people_frames": found,
                "speedup": round(scan_fps / base_fps, 2),
            }
        )
        print(json.dumps(out["videos"][-1]), file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


def main():
    os.environ.setdefault("DEEPFACE_HOME", str(Path(tempfile.gettempdir()) / "kvideo_bench_deepface"))
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("photos")
    p.add_argument("--configs", default="Dlib:dlib,Dlib:opencv,Dlib:skip,Dlib:dlib::deepface,Dlib:opencv::deepface")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--nearest", type=int, default=2, help="photos averaged per identity (1: nearest neighbour)")
    p.add_argument("--reuse", action="store_true", help="reuse embeddings cached by an earlier run in the temp dir")
    p.add_argument("--out", default=None)
    v = sub.add_parser("video")
    v.add_argument("--model", default="Dlib")
    v.add_argument("--detector", default="dlib")
    v.add_argument("--every-n-frames", type=int, default=5)
    v.add_argument("--baseline-frames", type=int, default=0, help="0: every frame")
    v.add_argument("--annotate", action="store_true")
    v.add_argument("--out", default=None)
    args = ap.parse_args()
    {"photos": cmd_photos, "video": cmd_video}[args.cmd](args)


if __name__ == "__main__":
    main()
