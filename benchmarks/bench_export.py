"""Export parity, file size and per-clip latency of each arch x format vs Keras (CPU).

    PYTHONPATH=$PWD python3 benchmarks/bench_export.py [--archs frame_cnn td_gru c3d convlstm pretrained]

Writes benchmarks/results/export.json: per arch and format, "works" with max |p - p_keras|, top-label
agreement, file size and ms/clip, or "refused" with the one-line reason.
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

from kvideo.tasks.export import EXPORT_FORMATS


def run_exported(path, fmt, x):
    if fmt == "onnx":
        import onnxruntime as ort

        s = ort.InferenceSession(str(path))
        name = s.get_inputs()[0].name
        return lambda a: s.run(None, {name: a})[0]
    if fmt == "litert":
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(str(path))
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        it.resize_tensor_input(inp["index"], x.shape)
        it.allocate_tensors()

        def f(a):
            it.set_tensor(inp["index"], a)
            it.invoke()
            return it.get_tensor(out["index"])
        return f
    import tensorflow as tf

    m = tf.saved_model.load(str(path))
    return lambda a: np.asarray(m.serve(tf.constant(a)))


def timed(f, x, reps=5):
    f(x)
    t = time.perf_counter()
    for _ in range(reps):
        f(x)
    return (time.perf_counter() - t) / reps / len(x) * 1000


def size_of(p):
    p = Path(p)
    return p.stat().st_size if p.is_file() else sum(q.stat().st_size for q in p.rglob("*") if q.is_file())


def bench_arch(arch, out_dir, num_frames, size):
    from kvideo import VideoClassifier

    task = VideoClassifier(arch, class_names=["a", "b", "c"], num_frames=num_frames, image_size=(size, size))
    rng = np.random.RandomState(0)
    clips = rng.randint(0, 255, (4, num_frames, size, size, 3)).astype("float32")
    x = task._inputs(clips) if hasattr(task, "_inputs") and hasattr(task, "streams") else task.preprocessor(clips)
    x = np.asarray(x, "float32")
    want = np.asarray(task.model.predict(x, verbose=0))
    res = {"keras_ms_per_clip": timed(lambda a: task.model.predict(a, verbose=0), x)}
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
            f = run_exported(path, fmt, x)
            got = np.asarray(f(x))
            res[fmt] = {"status": "works", "max_abs_diff": float(np.abs(got - want).max()),
                        "same_top": bool((got.argmax(1) == want.argmax(1)).all()),
                        "bytes": size_of(path), "ms_per_clip": timed(f, x)}
        except Exception as e:  # noqa: BLE001
            res[fmt] = {"status": "failed_in_runtime", "reason": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", nargs="+", default=["frame_cnn", "td_gru", "c3d", "convlstm", "transformer", "pretrained"])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--out", default="benchmarks/results/export.json")
    a = ap.parse_args()
    out = {"machine": {"uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
                       "cpus": os.cpu_count(), "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow")},
           "clip": [a.frames, a.size, a.size, 3], "command": " ".join(["python3"] + sys.argv), "archs": {}}
    with tempfile.TemporaryDirectory() as d:
        for arch in a.archs:
            out["archs"][arch] = bench_arch(arch, d, a.frames, a.size)
            print(arch, json.dumps(out["archs"][arch]), flush=True)
    Path(a.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
