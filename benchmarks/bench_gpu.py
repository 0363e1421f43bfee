"""GPU training throughput and accuracy of kvideo models under Keras-on-JAX (or torch).

Run on a machine with a GPU and no TensorFlow (what kvideo's backend-agnostic code is for):

    KERAS_BACKEND=jax python benchmarks/bench_gpu.py --out gpu.json

It (1) writes a synthetic order-only clip set with ``make_sample_videos``, (2) times one cold
(decoding) pass and one cached pass of ``video_dataset_from_directory``, (3) times training per
architecture from the cached dataset (clips/s, after a warm-up epoch that compiles), and (4) trains
the default ``VideoClassifier`` end to end on the GPU and reports held-out accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=None)
    p.add_argument("--per-class", type=int, default=96)
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--sizes", default="64,112")
    p.add_argument("--archs", default="frame_cnn,convlstm,c3d,td_gru,transformer")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--accuracy-epochs", type=int, default=30)
    a = p.parse_args(argv)

    import keras

    import kvideo
    from kvideo.datasets import make_sample_videos
    from kvideo.models import build

    devices = []
    if keras.backend.backend() == "jax":
        import jax

        devices = [str(d) for d in jax.devices()]
    result = {"backend": keras.backend.backend(), "devices": devices, "keras": keras.__version__,
              "frames": a.frames, "batch_size": a.batch_size, "throughput": [], "cpu_count": os.cpu_count()}
    classes = ("left", "right", "cw", "ccw", "grow", "shrink")
    root = Path(tempfile.mkdtemp(prefix="kvideo_gpu_"))
    for size in [int(s) for s in a.sizes.split(",")]:
        t0 = time.perf_counter()
        data = make_sample_videos(root / f"clips{size}", classes=classes, per_class=a.per_class,
                                  num_frames=32, size=(size, size), seed=1, progress=False)
        gen_s = time.perf_counter() - t0
        cache = root / f"cache{size}"
        kw = dict(num_frames=a.frames, image_size=(size, size), batch_size=a.batch_size, seed=0,
                  cache=str(cache), workers=a.workers, use_multiprocessing=False, verbose=False)
        ds = kvideo.video_dataset_from_directory(data, shuffle=True, **kw)
        n = len(ds.file_paths)
        t0 = time.perf_counter()
        for i in range(len(ds)):
            ds[i]
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(len(ds)):
            ds[i]
        warm = time.perf_counter() - t0
        result[f"data_{size}"] = {"clips": n, "generate_s": round(gen_s, 2), "cold_pass_s": round(cold, 2),
                                  "cached_pass_s": round(warm, 3), "cold_clips_per_s": round(n / cold, 1),
                                  "cached_clips_per_s": round(n / warm, 1)}
        print(json.dumps(result[f"data_{size}"]), flush=True)
        for arch in a.archs.split(","):
            model = build(arch, num_classes=len(classes), num_frames=a.frames, image_size=(size, size))
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
            model.fit(ds, epochs=1, verbose=0)  # compile + warm-up
            t0 = time.perf_counter()
            model.fit(ds, epochs=a.epochs, verbose=0)
            train_s = time.perf_counter() - t0
            x, _ = ds[0]
            model.predict(x, verbose=0)
            t0 = time.perf_counter()
            reps = 10
            for _ in range(reps):
                model.predict(x, verbose=0, batch_size=a.batch_size)
            infer_s = time.perf_counter() - t0
            row = {"arch": arch, "size": size, "params": int(model.count_params()),
                   "train_clips_per_s": round(n * a.epochs / train_s, 1),
                   "infer_clips_per_s": round(len(x) * reps / infer_s, 1)}
            result["throughput"].append(row)
            print(json.dumps(row), flush=True)

    # end to end: the default classifier, trained on the GPU, scored on held-out clips
    size = min(int(s) for s in a.sizes.split(","))
    test = make_sample_videos(root / f"test{size}", classes=classes, per_class=20, num_frames=32, size=(size, size),
                              seed=99, progress=False)
    clf = kvideo.VideoClassifier(num_frames=a.frames, image_size=(size, size))
    t0 = time.perf_counter()
    clf.fit(str(root / f"clips{size}"), epochs=a.accuracy_epochs, batch_size=a.batch_size, verbose=0)
    fit_s = time.perf_counter() - t0
    ev = clf.evaluate(str(test))
    result["end_to_end"] = {"arch": clf.arch, "train_clips": len(classes) * a.per_class, "epochs_run":
                            len(clf.history.get("loss", [])), "fit_s": round(fit_s, 1),
                            "test_accuracy": round(float(ev["accuracy"]), 4), "macro_f1": round(float(ev["macro_f1"]), 4)}
    print(json.dumps(result["end_to_end"]), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
