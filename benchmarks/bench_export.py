"""Export parity, file size and per-clip latency of each arch x format vs Keras (CPU).

    PYTHONPATH=$PWD python3 benchmarks/bench_export.py [--archs frame_cnn td_gru c3d convlstm pretrained]
    PYTHONPATH=$PWD python3 benchmarks/bench_export.py --table     # the README table from the JSON

Writes benchmarks/results/export.json: per arch and format, "works" with max |p - p_keras|, top-label
agreement, file size and ms/clip, or "refused" with the one-line reason. The clips are the real videos of
$KVIDEO_SHARED_DATA/videos (default /work/shared/data) when present, plus synthetic sample clips.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kvideo.tasks.export import EXPORT_FORMATS, load_exported

REAL_VIDEOS = Path(os.environ.get("KVIDEO_SHARED_DATA", "/work/shared/data")) / "videos"


def timed(f, x, reps=5):
    f(x)
    t = time.perf_counter()
    for _ in range(reps):
        f(x)
    return (time.perf_counter() - t) / reps / len(x) * 1000


def size_of(p):
    p = Path(p)
    return p.stat().st_size if p.is_file() else sum(q.stat().st_size for q in p.rglob("*") if q.is_file())


def real_clips(num_frames, size, out_dir):
    """The shared real videos (when present) and synthetic sample clips, decoded by kvideo's reader."""
    from kvideo.datasets.synthetic import make_sample_videos
    from kvideo.tasks.preprocessor import VideoPreprocessor

    make_sample_videos(Path(out_dir) / "sample", classes=("left", "grow"), per_class=1, num_frames=12,
                       size=(size, size), progress=False)
    real = sorted(REAL_VIDEOS.glob("*.mp4")) if REAL_VIDEOS.is_dir() else []
    paths = real + sorted((Path(out_dir) / "sample").rglob("*.mp4"))
    pre = VideoPreprocessor(num_frames=num_frames, image_size=(size, size))
    return np.stack([pre.read(p) for p in paths]), [Path(p).name for p in paths]


def bench_arch(arch, out_dir, clips):
    from kvideo import VideoClassifier

    num_frames, size = clips.shape[1], clips.shape[2]
    task = VideoClassifier(arch, class_names=["a", "b", "c"], num_frames=num_frames, image_size=(size, size))
    if hasattr(task, "streams"):  # the pretrained classifiers take streams made from the clips
        from kvideo.data.streams import make_streams

        x = make_streams(clips, task.streams).astype("float32")
    else:
        x = task.preprocessor(clips)
    want = task.predict_proba(clips)
    res = {"keras_ms_per_clip": timed(lambda a: task.model.predict_on_batch(a), x)}
    for fmt in EXPORT_FORMATS:
        path = Path(out_dir) / f"{arch}.{fmt}"
        try:
            task.export(path, format=fmt)
        except ValueError as e:
            res[fmt] = {"status": "refused", "reason": str(e)}
            continue
        except Exception as e:  # noqa: BLE001 - recorded, the table says it fails
            res[fmt] = {"status": "failed", "reason": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
            continue
        try:
            f = load_exported(path, fmt)
            got = np.asarray(f(x))
            res[fmt] = {"status": "works", "max_abs_diff": float(np.abs(got - want).max()),
                        "same_top": bool((got.argmax(1) == want.argmax(1)).all()),
                        "bytes": size_of(path), "ms_per_clip": timed(f, x)}
        except Exception as e:  # noqa: BLE001
            res[fmt] = {"status": "failed_in_runtime", "reason": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
    return res


def _cell(r):
    if r["status"] != "works":
        why = r["reason"].split("(arch")[0].replace("`format` must be a format that runs ", "")
        return f"refused: {why.strip()}" if r["status"] == "refused" else f"fails: {r['reason'][:80]}"
    ok = "works" if r["same_top"] and r["max_abs_diff"] < 1e-4 else "MISMATCH"
    return f"{ok} ({r['bytes'] / 1e6:.2f} MB, {r['ms_per_clip']:.1f} ms/clip, max diff {r['max_abs_diff']:.0e})"


def table(results) -> str:
    """The README / BENCHMARKS.md table (arch x format) from a results JSON."""
    rows = ["| arch | Keras ms/clip | " + " | ".join(EXPORT_FORMATS) + " |", "|---" * (2 + len(EXPORT_FORMATS)) + "|"]
    for arch, r in results["archs"].items():
        rows.append(f"| `{arch}` | {r['keras_ms_per_clip']:.1f} | " + " | ".join(_cell(r[f]) for f in EXPORT_FORMATS) + " |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", nargs="+",
                    default=["frame_cnn", "td_gru", "td_lstm", "c3d", "convlstm", "transformer", "pretrained"])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--out", default="benchmarks/results/export.json")
    ap.add_argument("--table", action="store_true", help="print the markdown table of --out and exit")
    a = ap.parse_args()
    if a.table:
        print(table(json.loads(Path(a.out).read_text())))
        return
    out = {"machine": {"uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
                       "cpus": os.cpu_count(), "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow")},
           "clip": [a.frames, a.size, a.size, 3], "command": " ".join(["python3"] + sys.argv), "archs": {}}
    with tempfile.TemporaryDirectory() as d:
        clips, out["videos"] = real_clips(a.frames, a.size, d)
        for arch in a.archs:
            out["archs"][arch] = bench_arch(arch, d, clips)
            print(arch, json.dumps(out["archs"][arch]), flush=True)
    Path(a.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
