"""Training throughput (clips/s): cached video files vs in-memory arrays, fp32 vs mixed precision.

For each architecture and precision it builds one model and times ``model.fit`` for one epoch of
``--batches`` batches, alternately from

* **files**: ``kvideo.data.video_dataset_from_directory`` with its clip cache (filled by a warm epoch that
  also compiles the model), i.e. what ``kvideo train`` reads;
* **memory**: a float32 array of the very same clips (``model.fit(x, y, batch_size=...)``);

``--repeats`` times each (interleaved, so a load change on the machine hits both alike), and reports the
median clips/s and the ratio files / memory (the issue's target: >= 0.8). Mixed precision is
``kvideo.utils.devices.set_mixed_precision``: bfloat16 on CPU, float16 on GPU. ``--all-devices`` adds rows
trained data parallel over every local device (``kvideo.utils.devices.data_parallel``).

CPU (the table in BENCHMARKS.md):

    python benchmarks/bench_throughput.py

GPU (16x112x112, one device vs all):

    KERAS_BACKEND=jax python benchmarks/bench_throughput.py --size 112 --frames 16 --all-devices \\
        --batch-size 32 --batches 8 --out benchmarks/results/throughput_gpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ARCHS = "frame_cnn,td_gru,c3d,convlstm"


def _args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--archs", default=ARCHS)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--batches", type=int, default=4, help="batches per timed epoch")
    p.add_argument("--repeats", type=int, default=3, help="timed epochs per source (median reported)")
    p.add_argument("--workers", type=int, default=1, help="PyDataset workers of the files source")
    p.add_argument("--precisions", default="fp32,mixed")
    p.add_argument("--all-devices", action="store_true", help="also train data parallel over every local device")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "throughput.json"))
    return p.parse_args(argv)


def _clips(a, root):
    """The cached-files dataset, and the same clips as in-memory arrays."""
    import numpy as np

    from kvideo.data import video_dataset_from_directory
    from kvideo.datasets import make_sample_videos

    n = a.batch_size * a.batches
    data = make_sample_videos(root / "clips", classes=("left", "right"), per_class=(n + 1) // 2,
                              num_frames=2 * a.frames, size=(a.size, a.size), seed=1)
    ds = video_dataset_from_directory(data, num_frames=a.frames, image_size=(a.size, a.size), batch_size=a.batch_size,
                                      seed=0, cache=root / "cache", workers=a.workers, verbose=False)
    t0 = time.perf_counter()
    batches = [ds[i] for i in range(len(ds))]  # decodes every clip once: fills the cache
    decode_s = time.perf_counter() - t0
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    t0 = time.perf_counter()
    for i in range(len(ds)):
        ds[i]
    cached_s = time.perf_counter() - t0
    return ds, x, y, {"clips": int(len(x)), "decode_clips_per_s": round(len(x) / decode_s, 1),
                      "cache_read_clips_per_s": round(len(x) / cached_s, 1)}


def _measure(arch, precision, parallel, ds, x, y, a):
    import keras

    from kvideo.models import build
    from kvideo.tasks.training import compile_classifier
    from kvideo.utils.devices import data_parallel, describe, set_mixed_precision

    policy = set_mixed_precision(precision == "mixed")
    keras.utils.set_random_seed(0)
    with data_parallel(parallel):
        model = build(arch, num_classes=2, num_frames=a.frames, image_size=(a.size, a.size))
        compile_classifier(model, 1e-3)
        model.fit(ds, epochs=1, verbose=0)  # compiles; the cache is already warm
        model.fit(x, y, batch_size=a.batch_size, epochs=1, verbose=0)
        times = {"files": [], "memory": []}
        for _ in range(a.repeats):
            for source in ("files", "memory"):
                t0 = time.perf_counter()
                if source == "files":
                    model.fit(ds, epochs=1, verbose=0)
                else:
                    model.fit(x, y, batch_size=a.batch_size, epochs=1, shuffle=True, verbose=0)
                times[source].append(time.perf_counter() - t0)
        line = describe(parallel)
    row = {"arch": arch, "precision": policy, "devices": line.split("devices ")[1].split(";")[0]}
    for source, ts in times.items():
        row[f"{source}_clips_per_s"] = round(len(x) / statistics.median(ts), 1)
        row[f"{source}_seconds"] = [round(t, 3) for t in ts]
    row["files_over_memory"] = round(row["files_clips_per_s"] / row["memory_clips_per_s"], 3)
    return row


def main(argv=None):
    a = _args(argv)
    root = Path(tempfile.mkdtemp(prefix="kvideo_throughput_"))
    ds, x, y, data = _clips(a, root)
    print(json.dumps(data), file=sys.stderr, flush=True)
    rows = []
    for arch in a.archs.split(","):
        for precision in a.precisions.split(","):
            for parallel in ([False, True] if a.all_devices else [False]):
                row = _measure(arch, precision, parallel, ds, x, y, a)
                print(json.dumps({k: v for k, v in row.items() if not k.endswith("_seconds")}), file=sys.stderr,
                      flush=True)
                rows.append(row)
                _write(a, argv, data, rows)  # after every row: a run stopped early keeps what it measured
    print(f"wrote {a.out}", file=sys.stderr)


def _write(a, argv, data, rows):
    import keras

    from kvideo.utils.devices import local_devices

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    result = {"backend": keras.backend.backend(), "keras": keras.__version__, "devices": local_devices(),
              "cpu_count": os.cpu_count(), "load_average_at_end": load, "frames": a.frames, "size": a.size,
              "batch_size": a.batch_size, "batches": a.batches, "repeats": a.repeats, "workers": a.workers,
              "data": data, "rows": rows,
              "command": "python benchmarks/bench_throughput.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
