"""Batch predict over many short videos: videos/s of `kvideo predict MODEL DIR --out results.jsonl`.

    python benchmarks/bench_batch.py                    # 200 videos -> benchmarks/results/batch.json
    python benchmarks/bench_batch.py --videos 20 --loop-subset 2 --out /tmp/batch.json   # a quick try

The videos are ``make_sample_videos`` clips (16 frames, 64x64, 12 fps, mp4v); the model is a td_gru at
16x64x64 (untrained weights: the speed of a prediction does not depend on them). Every line has the
whole-video top-3 and its timeline (windows of 32 source frames: one per clip here). Measured:

* ``cli``: the whole command as a user runs it (a fresh process: imports, model load, the job), with
  ``--workers 1``, ``--workers 2`` and ``--engine ray --workers 2`` (a local Ray started by the command);
* ``in_process``: ``kvideo.tasks.batch.predict_batch`` with the model already loaded (the job alone),
  1 and 2 decode workers, against the other design it replaced (2 threads that each call
  ``clf.predict`` + ``clf.predict_timeline`` on their own videos), and Ray (2 actors; Ray already up);
* ``loop``: ``kvideo predict MODEL VIDEO --timeline --json`` once per file, on ``--loop-subset`` files,
  extrapolated to all of them (marked as such);
* ``faces`` (when ../shared/data/faces exists): ``kvideo faces identify DB LIST --out`` over
  ``--faces-photos`` real photos (a gallery of 4 people) vs ``kvideo faces identify DB PHOTO`` per photo
  (``--loop-subset-faces`` measured, extrapolated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run_cli(cmd, env):
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {res.stderr[-1500:]}")
    return wall, json.loads(res.stdout)


def _lines(path):
    return sum(1 for _ in open(path))


def _threads_calling_predict(clf, paths, workers, out):
    """The design the batch job replaced: each thread runs the whole Task API on its own video."""

    def one(p):
        return {"path": p, "predictions": clf.predict(p, top_k=3), "timeline": clf.predict_timeline(p)}

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool, open(out, "w") as f:
        for rec in pool.map(one, paths):
            f.write(json.dumps(rec) + "\n")
    return time.perf_counter() - t0


FACES = ROOT.parent / "shared" / "data" / "faces"


def _bench_faces(work, env, n_photos, loop_subset):
    """`kvideo faces identify DB LIST --out` over real photos vs one `kvideo faces identify DB PHOTO` per photo."""
    people = work / "faces_people"
    photos = sorted(p for p in FACES.glob("*/*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not people.is_dir():
        for ident in ("rose_leslie", "kit_harington", "joe_biden", "alex_lacamoire"):
            (people / ident).mkdir(parents=True)
            first = sorted((FACES / ident).iterdir())[0]
            os.symlink(first, people / ident / first.name)
    db = work / "faces.db"
    db.unlink(missing_ok=True)
    kv = [sys.executable, "-m", "kvideo", "faces"]
    _run_cli(kv + ["enroll", str(people), "--db", str(db), "--json"], env)
    chosen = photos[:: max(1, len(photos) // n_photos)][:n_photos]
    lst = work / "faces_list.txt"
    lst.write_text("".join(f"{p}\n" for p in chosen))
    out = work / "faces.jsonl"
    out.unlink(missing_ok=True)
    wall, summary = _run_cli(kv + ["identify", str(db), str(lst), "--out", str(out), "--json"], env)
    res = {"photos": len(chosen), "batch_cli": {"seconds": round(wall, 2), "photos_per_s": round(len(chosen) / wall, 2),
                                                "job_seconds": summary["seconds"], "errors": summary["errors"]}}
    print(f"faces      batch, {len(chosen)} photos               {wall:8.2f}s  {len(chosen) / wall:7.2f} photos/s", flush=True)
    times = [_run_cli(kv + ["identify", str(db), str(p), "--json"], env)[0] for p in chosen[:loop_subset]]
    per = sum(times) / len(times)
    res["loop_cli"] = {"seconds_per_photo": round(per, 2), "measured_photos": len(times),
                       "extrapolated_seconds": round(per * len(chosen), 1), "photos_per_s": round(1 / per, 3),
                       "note": f"measured on {len(times)} photos, extrapolated to {len(chosen)}"}
    print(f"faces      kvideo faces identify per photo   {per:8.2f}s/photo (measured on {len(times)})", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=200)
    ap.add_argument("--loop-subset", type=int, default=10)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "kvideo_bench_batch"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "batch.json"))
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--no-faces", action="store_true")
    ap.add_argument("--faces-photos", type=int, default=20)
    ap.add_argument("--loop-subset-faces", type=int, default=2)
    args = ap.parse_args()

    import kvideo
    from kvideo.tasks.batch import predict_batch
    from kvideo.utils.results import list_inputs

    work = Path(args.workdir)
    vids = work / f"videos_{args.videos}"
    if not vids.is_dir():
        per = -(-args.videos // 4)
        kvideo.make_sample_videos(vids, classes=("left", "right", "grow", "shrink"), per_class=per, num_frames=16,
                                  size=(64, 64), fps=12, seed=0)
        for extra in list_inputs(vids)[args.videos:]:
            os.remove(extra)
    paths = list_inputs(vids)
    assert len(paths) == args.videos, len(paths)
    model = work / "td_gru_16x64.keras"
    clf = kvideo.VideoClassifier("td_gru", class_names=["left", "right", "grow", "shrink"], num_frames=16,
                                 image_size=(64, 64))
    clf.save(model)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    kv = [sys.executable, "-m", "kvideo", "predict", str(model)]
    n = len(paths)
    res = {"cli": {}, "in_process": {}, "loop": {}}

    def record(group, name, seconds, **extra):
        res[group][name] = {"seconds": round(seconds, 2), "videos_per_s": round(n / seconds, 2), **extra}
        print(f"{group:10s} {name:34s} {seconds:8.2f}s  {n / seconds:7.2f} videos/s", flush=True)

    # the whole command, as a user runs it
    for name, extra in [("workers=1", ["--workers", "1"]), ("workers=2", ["--workers", "2"])] + (
            [] if args.no_ray else [("engine=ray workers=2", ["--engine", "ray", "--workers", "2"])]):
        out = work / f"cli_{name.replace(' ', '_').replace('=', '')}.jsonl"
        out.unlink(missing_ok=True)
        wall, summary = _run_cli(kv + [str(vids), "--out", str(out), "--json", *extra], env)
        assert summary["done"] == n and _lines(out) == n, summary
        record("cli", name, wall, job_seconds=summary["seconds"], errors=summary["errors"])

    # the job alone, model loaded
    clf = kvideo.VideoClassifier.load(str(model))
    predict_batch(clf, vids, work / "warmup.jsonl", verbose=False)  # first calls build the graph
    for w in (1, 2):
        out = work / f"inproc_w{w}.jsonl"
        out.unlink(missing_ok=True)
        r = predict_batch(clf, vids, out, workers=w, verbose=False)
        record("in_process", f"decode workers={w}, one model", r["seconds"])
    t = _threads_calling_predict(clf, paths, 2, work / "threads_predict.jsonl")
    record("in_process", "2 threads each calling predict", t)
    if not args.no_ray:
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_start = time.perf_counter() - t0
        out = work / "inproc_ray.jsonl"
        out.unlink(missing_ok=True)
        r = predict_batch(clf, vids, out, workers=2, engine="ray", verbose=False)
        record("in_process", "ray, 2 actors (Ray already up)", r["seconds"], ray_init_seconds=round(ray_start, 2))
        ray.shutdown()

    # one `kvideo predict` per file
    times = []
    for p in paths[:args.loop_subset]:
        wall, _ = _run_cli(kv + [p, "--timeline", "--json"], env)
        times.append(wall)
    per_file = sum(times) / len(times)
    res["loop"]["kvideo predict per file"] = {
        "seconds_per_file": round(per_file, 2), "measured_files": len(times),
        "extrapolated_seconds": round(per_file * n, 1), "videos_per_s": round(1 / per_file, 3),
        "note": f"measured on {len(times)} files, extrapolated to {n}"}
    print(f"loop       kvideo predict per file            {per_file:8.2f}s/file  {1 / per_file:7.3f} videos/s "
          f"(measured on {len(times)} files)", flush=True)

    if not args.no_faces and FACES.is_dir():
        res["faces"] = _bench_faces(work, env, args.faces_photos, args.loop_subset_faces)

    out = {"command": "python benchmarks/bench_batch.py " + " ".join(sys.argv[1:]), "videos": n,
           "video": "make_sample_videos: 16 frames, 64x64, 12 fps, mp4v", "model": "td_gru, 16x64x64 (untrained)",
           "results": res,
           "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                       "load_avg_at_end": os.getloadavg(), "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow")}}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
