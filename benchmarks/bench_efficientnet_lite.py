"""Measure the EfficientNet-Lite port: top-1 on scikit-image's photos, max |logit diff| to the PyTorch
reference (when torch + efficientnet-lite-pytorch are installed), parameter counts, CPU time per batch of
16 frames, and first conversion vs cached load of the ImageNet weights.

    python benchmarks/bench_efficientnet_lite.py [--variant lite0] [--repeats 10] [--out results.json]

Conversion and cached load run in fresh subprocesses sharing a fresh KVIDEO_CACHE_DIR; each reports (seconds to
build the model, seconds to put the weights in), keras import excluded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")

_LOAD = """
import time, keras
from kvideo.models.efficientnet_lite import efficientnet_lite
from kvideo.models.efficientnet_lite_weights import load_pretrained
t = time.perf_counter()
model = efficientnet_lite({variant!r}, include_top=True, weights=None)
t1 = time.perf_counter()
load_pretrained(model, {variant!r}, "imagenet")
print(t1 - t, time.perf_counter() - t1)
"""


def _load_seconds(variant, cache):
    """(model build seconds, weights seconds) in a fresh process."""
    env = dict(os.environ, KVIDEO_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", _LOAD.format(variant=variant)], env=env, check=True,
                         capture_output=True, text=True).stdout
    build, weights = out.strip().splitlines()[-1].split()
    return float(build), float(weights)


def photos(size=224):
    """The four scikit-image sample photos, center-cropped and resized to size x size (float32, 0..255)."""
    from skimage import data
    from skimage.transform import resize

    out = []
    for name in PHOTOS:
        im = getattr(data, name)()
        h, w = im.shape[:2]
        s = min(h, w)
        im = im[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        out.append(resize(im, (size, size), preserve_range=True, anti_aliasing=True))
    return np.stack(out).astype("float32")


def _reference_logits(variant, x):
    try:
        import torch
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        return None
    from kvideo.models.efficientnet_lite_weights import find_torch_weights
    from kvideo.models.torch_weights import read_torch_state_dict

    ref = EfficientNet.from_name(f"efficientnet-{variant}")
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in read_torch_state_dict(find_torch_weights(variant)).items()})
    ref.eval()
    with torch.no_grad():
        return ref(torch.from_numpy(((x - 127.0) / 128.0).transpose(0, 3, 1, 2).copy())).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="lite0")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()

    import keras

    from kvideo.models.efficientnet_lite import PRESETS, efficientnet_lite, frame_embedder, imagenet_class_names

    res = PRESETS[args.variant]["resolution"]
    cache = tempfile.mkdtemp(prefix="kv-bench-")
    result = {"variant": args.variant, "backend": keras.backend.backend(), "cpus": os.cpu_count(),
              "load_average_1min_at_start": os.getloadavg()[0],
              "build_s_and_first_conversion_s": _load_seconds(args.variant, cache),
              "build_s_and_cached_load_s": _load_seconds(args.variant, cache)}
    os.environ["KVIDEO_CACHE_DIR"] = cache
    model = efficientnet_lite(args.variant, include_top=True, weights="imagenet", classifier_activation=None)
    result["params_trainable"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    result["params_all_incl_bn_stats"] = int(model.count_params())

    x = photos(res)
    logits = np.asarray(model.predict(x, verbose=0))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    names = imagenet_class_names()
    result["top1"] = {n: {"label": names[int(p.argmax())], "prob": round(float(p.max()), 4)}
                      for n, p in zip(PHOTOS, probs)}
    ref = _reference_logits(args.variant, x)
    result["max_abs_logit_diff_vs_reference"] = None if ref is None else float(np.abs(ref - logits).max())

    embed = frame_embedder(args.variant, image_size=res)
    batch = np.random.default_rng(0).uniform(0, 255, (16, res, res, 3)).astype("float32")
    embed.predict_on_batch(batch)  # warm-up (graph tracing)
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        embed.predict_on_batch(batch)
        times.append(time.perf_counter() - t)
    result["batch16_seconds_median"] = float(np.median(times))
    result["batch16_seconds_min"] = float(np.min(times))
    result["frames_per_second"] = 16 / float(np.median(times))
    result["load_average_1min_at_end"] = os.getloadavg()[0]
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
