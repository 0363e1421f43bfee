"""Benchmarks of kvideo.models / VideoClassifier: order-only accuracy and CPU throughput.

Accuracy (classes that differ ONLY in frame order: left/right, cw/ccw, grow/shrink)::

    python benchmarks/bench_models.py accuracy --archs frame_cnn td_gru convlstm c3d transformer \
        --per-class 30 --test-per-class 20 --epochs 15 --out benchmarks/results/models_accuracy.json

Throughput (clips/s, batch 8, training step and inference)::

    python benchmarks/bench_models.py throughput --sizes 64 112 --frames 16 \
        --out benchmarks/results/models_throughput.json

Each architecture is trained with the VideoClassifier defaults (Adam 1e-3, batch 8, 20% validation
split, early stopping with best-weight restore) on ``make_sample_videos`` clips (24 frames, 64x64,
read as 16 frames) and scored on a held-out set generated with another seed. ``order_accuracy`` is
the fraction of test clips whose true class gets a higher probability than its time-reversed
partner: 0.5 is chance for an order-blind model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLASSES = ("left", "right", "cw", "ccw", "grow", "shrink")
PARTNER = {"left": "right", "right": "left", "cw": "ccw", "ccw": "cw", "grow": "shrink", "shrink": "grow",
           "up": "down", "down": "up"}


def _save(out, payload):
    if out:
        from kvideo.utils.files import atomic_write

        atomic_write(out, json.dumps(payload, indent=1), mode="w")


def accuracy(args):
    import keras

    import kvideo
    from kvideo.tasks import VideoClassifier

    root = Path(args.data)
    train_dir = root / f"train_{args.per_class}"
    test_dir = root / f"test_{args.test_per_class}"
    if not train_dir.is_dir():
        kvideo.make_sample_videos(train_dir, classes=CLASSES, per_class=args.per_class, num_frames=24,
                                  size=(args.size, args.size), seed=1)
    if not test_dir.is_dir():
        kvideo.make_sample_videos(test_dir, classes=CLASSES, per_class=args.test_per_class, num_frames=24,
                                  size=(args.size, args.size), seed=2)
    results = {"setup": vars(args), "cpu_count": os.cpu_count(), "archs": {}}
    if args.out and Path(args.out).is_file():
        results["archs"] = json.loads(Path(args.out).read_text()).get("archs", {})
    for arch in args.archs:
        keras.utils.set_random_seed(args.seed)
        opts = json.loads(args.options) if args.options else {}
        clf = VideoClassifier(arch, num_frames=args.frames, image_size=(args.size, args.size), **opts)
        t0 = time.time()
        clf.fit(train_dir, epochs=args.epochs, patience=args.patience, verbose=2,
                augment=True if args.augment else None)
        train_s = time.time() - t0
        r = clf.evaluate(test_dir, verbose=0)
        probs = clf.predict_proba(sorted(str(p) for p in test_dir.glob("*/*.mp4")))
        truth = [p.parent.name for p in sorted(test_dir.glob("*/*.mp4"))]
        idx = {c: i for i, c in enumerate(clf.class_names)}
        order = np.mean([probs[k, idx[t]] > probs[k, idx[PARTNER[t]]] for k, t in enumerate(truth)])
        pair_of = {c: tuple(sorted((c, PARTNER[c]))) for c in CLASSES}
        pred = [clf.class_names[i] for i in probs.argmax(1)]
        kind = np.mean([pair_of[p] == pair_of[t] for p, t in zip(pred, truth)])
        results["archs"][arch] = {
            "test_accuracy": r["accuracy"], "macro_f1": r["macro_f1"], "order_accuracy": float(order),
            "motion_kind_accuracy": float(kind), "epochs_run": clf.train_info["epochs_run"],
            "best_epoch": clf.train_info["best_epoch"], "train_seconds": round(train_s, 1),
            "params": int(clf.model.count_params()), "options": opts, "augment": bool(args.augment),
            "val_accuracy_best": max(clf.history.get("val_accuracy", [float("nan")])),
        }
        print(json.dumps({arch: results["archs"][arch]}), flush=True)
        _save(args.out, results)
    return results


def throughput(args):
    import keras

    import kvideo.models as km

    results = {"setup": vars(args), "cpu_count": os.cpu_count(), "rows": []}
    for size in args.sizes:
        x = (np.random.default_rng(0).random((args.batch, args.frames, size, size, 3)) * 255).astype("float32")
        y = np.arange(args.batch) % 6
        for arch in args.archs:
            model = km.build(arch, 6, num_frames=args.frames, image_size=(size, size))
            model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
            model.train_on_batch(x, y)  # compile / warm up
            n, t0 = 0, time.time()
            while n < args.steps or time.time() - t0 < args.min_seconds:
                model.train_on_batch(x, y)
                n += 1
                if time.time() - t0 > args.max_seconds:
                    break
            train = n * args.batch / (time.time() - t0)
            model.predict_on_batch(x)
            n, t0 = 0, time.time()
            while n < args.steps or time.time() - t0 < args.min_seconds:
                model.predict_on_batch(x)
                n += 1
                if time.time() - t0 > args.max_seconds:
                    break
            infer = n * args.batch / (time.time() - t0)
            row = {"arch": arch, "input": f"{args.frames}x{size}x{size}", "params": int(model.count_params()),
                   "train_clips_per_s": round(train, 2), "infer_clips_per_s": round(infer, 2)}
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
            _save(args.out, results)
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("accuracy")
    a.add_argument("--archs", nargs="+", default=["frame_cnn", "td_gru", "convlstm", "c3d", "transformer"])
    a.add_argument("--per-class", type=int, default=30)
    a.add_argument("--test-per-class", type=int, default=20)
    a.add_argument("--frames", type=int, default=16)
    a.add_argument("--size", type=int, default=64)
    a.add_argument("--epochs", type=int, default=15)
    a.add_argument("--patience", type=int, default=5)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--options", default=None, help="JSON dict of architecture options")
    a.add_argument("--augment", action="store_true", help="fit(augment=True): random crop + brightness")
    a.add_argument("--data", default="/tmp/kvideo_bench_models")
    a.add_argument("--out", default=None)
    t = sub.add_parser("throughput")
    t.add_argument("--archs", nargs="+", default=["frame_cnn", "td_lstm", "td_gru", "convlstm", "c3d", "transformer"])
    t.add_argument("--sizes", nargs="+", type=int, default=[64, 112])
    t.add_argument("--frames", type=int, default=16)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--steps", type=int, default=3)
    t.add_argument("--min-seconds", type=float, default=5.0)
    t.add_argument("--max-seconds", type=float, default=30.0)
    t.add_argument("--out", default=None)
    args = p.parse_args(argv)
    return accuracy(args) if args.mode == "accuracy" else throughput(args)


if __name__ == "__main__":
    main()
