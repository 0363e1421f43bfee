"""``kvideo faces enroll|identify|verify|doctor``: face recognition from the command line.

Examples:
    kvideo faces doctor
    kvideo faces enroll photos/ --db people.db          # photos/<name>/*.jpg
    kvideo faces identify people.db group.jpg --json
    kvideo faces identify people.db talk.mp4 --every-n-frames 5 --annotate talk_faces.webm
    kvideo faces identify people.db archive/ --out faces.jsonl --workers 2 --json    # batch job, resumable
    kvideo faces verify a.jpg b.jpg
"""

from __future__ import annotations

from pathlib import Path

from kvideo.cli import batch as batch_cli
from kvideo.cli._common import add_common, default_of
from kvideo.utils.formats import is_video
from kvideo.utils.validation import argument_error


def _enroll(args):
    from kvideo.faces import FaceGallery

    db = Path(args.db)
    if db.exists():
        g = FaceGallery.open(db, model=args.model, detector=args.detector)
    else:
        g = FaceGallery.create(db, model=args.model, detector=args.detector, threshold=args.threshold)
    return g.enroll(args.folder, progress=True)


def _fmt_enroll(r):
    c = r["counts"]
    lines = [
        f"{r['db']}: {len(r['identities'])} people, {sum(r['identities'].values())} photos "
        f"(model {r['model']}, detector {r['detector']}, threshold {r['threshold']})",
        f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, removed {c['removed']}, "
        f"skipped {c['skipped']} (used: {c['used_detected']} detected, {c['used_whole_image']} whole-image crops)",
    ]
    for p in r["photos"]:
        if p["status"] in ("skipped", "removed") or p.get("how") == "whole-image":
            lines.append(f"  {p['status']:9s} {p['path']}: {p.get('reason') or p.get('how')}")
    return "\n".join(lines)


def _identify(args):
    from kvideo.faces import FaceGallery, scan_video

    if batch_cli.is_batch(args.input, args.out):
        args.format = batch_cli.fmt_batch
        return batch_cli.cmd_identify_batch(args)

    g = FaceGallery.open(args.db)
    target = Path(args.input)
    if is_video(target):
        return scan_video(target, g, every_n_frames=args.every_n_frames, annotate_to=args.annotate, threshold=args.threshold)
    if args.annotate:
        raise argument_error("annotate", args.annotate, f"left out for a photo ({str(target)!r}): --annotate is for videos")
    return {"image": str(target), "faces": g.identify(target, threshold=args.threshold)}


def _fmt_identify(r):
    if "faces" in r:
        if not r["faces"]:
            return f"{r['image']}: no face found"
        return "\n".join(
            f"{f['identity'] or 'unknown'}\tbox={f['box']}\tdistance={f['distance']}\tconfidence={f['confidence']}"
            for f in r["faces"]
        )
    lines = [f"{r['video']}: {r['frames_processed']} frames scanned in {r['seconds']}s; people: {', '.join(r['people']) or 'none known'}"]
    for s in r["segments"]:
        lines.append(f"  {s['start']:8.2f}s - {s['end']:8.2f}s  {s['identity'] or 'unknown'}  (best distance {s['best_distance']})")
    if r.get("annotated"):
        lines.append(f"annotated video: {r['annotated']}")
    return "\n".join(lines)


def _verify(args):
    from kvideo.faces import verify

    return verify(args.img1, args.img2, model=args.model, detector=args.detector, threshold=args.threshold)


def _fmt_verify(r):
    word = "same person" if r["verified"] else "different people"
    return f"{word}: distance {r['distance']} (threshold {r['threshold']}, {r['model']}/{r['detector']})"


def _doctor(args):
    from kvideo.faces import doctor

    return doctor()


def _fmt_doctor(r):
    lines = [
        f"weights folder: {r['weights_dir']}",
        f"usable models: {', '.join(r['usable_models']) or 'none'}",
        f"usable detectors: {', '.join(r['usable_detectors']) or 'none'}",
        f"defaults: model {r['defaults']['model']}, detector {r['defaults']['detector']} "
        f"({'usable' if r['defaults']['usable'] else 'NOT usable'})",
    ]
    placed = {k: v for k, v in r["placed"].items() if v in ("linked", "copied")}
    if placed:
        lines.append("placed: " + ", ".join(f"{k} ({v})" for k, v in placed.items()))
    lines.append("missing:")
    lines += [f"  {p}" for p in r["problems"]]
    return "\n".join(lines)


def register(subparsers):
    from kvideo.faces.video import scan_video  # cheap: DeepFace loads on first use, not on import

    faces = subparsers.add_parser("faces", help="face recognition: enroll, identify, verify, doctor")
    sub = faces.add_subparsers(dest="faces_command", metavar="ACTION")

    p = sub.add_parser("enroll", help="enroll FOLDER/<name>/*.jpg into a gallery (incremental)")
    p.add_argument("folder")
    p.add_argument("--db", required=True, help="gallery file (SQLite), created when absent")
    p.add_argument("--model", default=None, help="DeepFace model (default Dlib)")
    p.add_argument("--detector", default=None, help="DeepFace detector (default dlib)")
    p.add_argument("--threshold", type=float, default=None, help="match threshold stored in a new gallery")
    add_common(p)
    p.set_defaults(func=_enroll, format=_fmt_enroll)

    p = sub.add_parser("identify", help="who is in an image or a video (or every one of a folder: --out)",
                       description="Who is in a photo, or who appears when in a video; with --out (or a folder or "
                                   "list file as input) a resumable batch job, one JSON line per file.")
    p.add_argument("db")
    p.add_argument("input", metavar="IMAGE_OR_VIDEO", help="a photo or a video, or a folder / list file of them")
    batch_cli.add_identify_flags(p)
    p.add_argument("--every-n-frames", type=int, default=default_of(scan_video, "every_n_frames"),
                   help="videos: detect on every n-th frame (default %(default)s)")
    p.add_argument("--annotate", default=None, metavar="OUT.webm", help="videos: write a copy with boxes and names")
    p.add_argument("--threshold", type=float, default=None, help="override the gallery's threshold")
    add_common(p)
    p.set_defaults(func=_identify, format=_fmt_identify)

    p = sub.add_parser("verify", help="are two photos the same person")
    p.add_argument("img1")
    p.add_argument("img2")
    p.add_argument("--model", default=None)
    p.add_argument("--detector", default=None)
    p.add_argument("--threshold", type=float, default=None)
    add_common(p)
    p.set_defaults(func=_verify, format=_fmt_verify)

    p = sub.add_parser("doctor", help="which face models/detectors work offline; put shipped weights in place")
    add_common(p)
    p.set_defaults(func=_doctor, format=_fmt_doctor)
