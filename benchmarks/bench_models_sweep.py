"""Hyper-parameter sweep for td_gru / td_lstm / transformer on the order-only benchmark of models.md.

Runs ``bench_models.py accuracy`` (same data, seeds and protocol: 30 clips/class train with the default
20% validation split, 20/class held-out test, ``VideoClassifier.fit(epochs=20)`` defaults) once per
(arch, options, seed) configuration, ``--jobs`` at a time in parallel (meant for a GPU machine with
many cores, e.g. under JAX), and merges every result into one JSON::

    KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false python benchmarks/bench_models_sweep.py \
        --set broad --jobs 8 --out benchmarks/results/models_sweep_gpu.json

``--set`` picks a named list of configurations (see ``SETS``); ``--configs`` takes a JSON list of
``[arch, options, seed]`` instead. The numbers that go into the models.md table are CPU runs of
``bench_models.py accuracy``; this sweep only picks which ones to confirm.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

KP = {"pool": "keypoints"}
F = {"motion": "flow", "pool": "avg"}
SETS = {
    "broad": [
        ["td_gru", {}, 0],
        ["td_gru", KP, 0],
        ["td_gru", {"bottleneck": 8}, 0],
        ["td_gru", {"motion": "flow", "bottleneck": 8}, 0],
        ["td_gru", {"motion": "flow", "pool": "avg"}, 0],
        ["td_gru", {"motion": "flow", "pool": "avg"}, 1],
        ["td_gru", {"motion": "flow", "pool": "avg", "frame_diff": False}, 0],
        ["td_gru", {"motion": "flow_stack", "pool": "avg"}, 0],
        ["td_gru", {"motion": "flow", "pool": "avg", "units": 32}, 0],
        ["td_gru", {"motion": "flow", "pool": "avg", "filters": [32, 64, 64]}, 0],
        ["td_gru", {"motion": "flow", "grid": 2, "bottleneck": 8}, 0],
        ["td_gru", {"motion": "diff", "pool": "avg"}, 0],
        ["td_gru", {"motion": "flow", **KP}, 0],
        ["td_lstm", {"motion": "flow", "pool": "avg"}, 0],
        ["transformer", {}, 0],
        ["transformer", {"bottleneck": 8}, 0],
        ["transformer", {"motion": "flow", "bottleneck": 8}, 0],
        ["transformer", {"motion": "flow", "pool": "avg"}, 0],
        ["transformer", {"motion": "flow", "pool": "avg"}, 1],
        ["transformer", {"motion": "flow", "pool": "avg", "frame_diff": False}, 0],
        ["transformer", {"motion": "flow_stack", "pool": "avg"}, 0],
        ["transformer", {"motion": "flow", "pool": "avg", "embed_dim": 32, "ff_dim": 64}, 0],
        ["transformer", {"motion": "flow", "grid": 2, "bottleneck": 8}, 0],
        ["transformer", {"motion": "flow", **KP}, 0],
    ],
    # second round: the best of "broad" over more seeds (models.md section 1b)
    "confirm": [
        *[["td_gru", {**F, "frame_diff": False}, s] for s in (1, 2)],
        *[["td_gru", {**F, "frame_diff": False, "units": 32}, s] for s in (0, 1, 2)],
        *[["td_lstm", {**F, "frame_diff": False}, s] for s in (0, 1, 2)],
        *[["transformer", {**F, "frame_diff": False}, s] for s in (1, 2)],
        *[["transformer", {**F, "frame_diff": False, "embed_dim": 32, "ff_dim": 64}, s] for s in (0, 1, 2)],
        *[["transformer", {**F, "embed_dim": 32, "ff_dim": 64}, s] for s in (1, 2)],
    ],
}


def _run_one(i, arch, opts, seed, args, tmp):
    out = tmp / f"r{i}.json"
    cmd = [sys.executable, str(HERE / "bench_models.py"), "accuracy", "--archs", arch, "--options", json.dumps(opts),
           "--per-class", str(args.per_class), "--test-per-class", str(args.test_per_class), "--epochs",
           str(args.epochs), "--seed", str(seed), "--data", args.data, "--out", str(out)]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    row = {"arch": arch, "options": opts, "seed": seed, "wall_s": round(time.time() - t0, 1), "rc": p.returncode}
    if out.is_file():
        row.update(json.loads(out.read_text())["archs"][arch])
    else:
        row["error"] = p.stderr[-1500:]
    print(json.dumps({k: row.get(k) for k in ("arch", "options", "seed", "test_accuracy", "order_accuracy",
                                              "epochs_run", "best_epoch", "params", "wall_s", "rc")}), flush=True)
    return row


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", default="broad", choices=sorted(SETS))
    p.add_argument("--configs", default=None, help="JSON list of [arch, options, seed]")
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--per-class", type=int, default=30)
    p.add_argument("--test-per-class", type=int, default=20)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--data", default="/tmp/kvideo_bench_models")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    configs = json.loads(args.configs) if args.configs else SETS[args.set]

    import kvideo

    root = Path(args.data)  # generate the clips once, before the parallel runs (same seeds as bench_models.py)
    for sub, n, seed in ((f"train_{args.per_class}", args.per_class, 1), (f"test_{args.test_per_class}",
                                                                         args.test_per_class, 2)):
        if not (root / sub).is_dir():
            kvideo.make_sample_videos(root / sub, classes=("left", "right", "cw", "ccw", "grow", "shrink"),
                                      per_class=n, num_frames=24, size=(64, 64), seed=seed)
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="kvideo_sweep_"))
    with ThreadPoolExecutor(args.jobs) as ex:
        rows = list(ex.map(lambda a: _run_one(a[0], *a[1], args, tmp), enumerate(configs)))
    from kvideo.utils.files import atomic_write

    atomic_write(args.out, json.dumps({"setup": vars(args), "backend": os.environ.get("KERAS_BACKEND"),
                                       "rows": rows}, indent=1), mode="w")


if __name__ == "__main__":
    main()
