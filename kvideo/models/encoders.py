"""Frame encoders: the small built-in CNN (default) and keras.applications backbones.

An encoder turns a (batch, time, H, W, 3) float tensor in 0..255 into a (batch, time, features)
sequence. All its layers have names starting with ``"encoder"`` so that fine-tuning can freeze
them. The small CNN keeps a coarse spatial grid (default 4x4) instead of global pooling: where
an object is, frame after frame, is what tells "left" from "right".

Example:
    >>> import keras
    >>> from kvideo.models.encoders import frame_encoder
    >>> x = keras.Input((8, 64, 64, 3))
    >>> frame_encoder(x, "small_cnn").shape
    (None, 8, 1024)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import keras

from kvideo.errors import MissingWeightsError
from kvideo.presets import APPLICATION_BACKBONES, BACKBONES
from kvideo.models.layers import FrameWise, NormalFlow, SpatialSoftmax, TemporalDifference
from kvideo.utils.validation import argument_error, check_choice, received

# Batch-norm moving statistics must converge within the few hundred steps of a small CPU run:
# with the Keras default 0.99 the inference-time statistics lag far behind (measured: test at chance).
BN_MOMENTUM = 0.9

# How a frame's feature map becomes a vector (``spatial_pool``); "none" keeps the map (3D models).
SPATIAL_POOLS = ("grid", "avg", "keypoints", "none")
MOTIONS = ("diff", "stack", "flow", "flow_stack")  # plus True (= "stack") and False/None (raw frames)

# The backbone table lives in kvideo.presets (read by `kvideo models` without Keras).
_APPLICATIONS = APPLICATION_BACKBONES


def _canonical(name):
    return re.sub(r"[^a-z0-9_]", "", str(name).lower())


def check_backbone(backbone):
    """Return the canonical backbone name or raise a one-line ValueError."""
    key = _canonical(backbone)
    if key not in BACKBONES:
        raise argument_error("backbone", backbone, f"one of {sorted(BACKBONES)} (case and '-' ignored)")
    return key


def small_cnn(x, *, filters=(16, 32, 64), grid=4, spatial_pool="grid", motion=False, bottleneck=0, name="encoder"):
    """Apply the built-in small CNN to every frame of ``x`` (B, T, H, W, 3) in 0..255.

    ``spatial_pool="grid"`` average-pools the last feature map down to about ``grid x grid`` cells and
    flattens it (keeps position, the default); ``"avg"`` global-average-pools (order- and
    position-blind features); ``"keypoints"`` gives the expected (x, y) of every channel under a
    spatial softmax (``SpatialSoftmax``: 2 numbers per channel, computed on the map before the last
    pooling); ``"none"`` returns the (B, T, h, w, C) map. ``bottleneck=N`` (> 0) adds a 1x1 conv to
    N channels (``encoder_bottleneck``) before the grid is flattened: far fewer features (and
    weights in the temporal layer after it). ``motion="diff"`` replaces
    each frame by its pixel difference with the previous frame (static background cancels out, the
    moving edges stand out: an RGB-difference stream as in TSN); ``motion="stack"`` (or True) stacks
    frame and difference (6 channels); ``motion="flow"`` feeds a 2-channel normal-flow cue
    (``NormalFlow``: -difference x spatial gradient, which points along the motion whatever the
    colours), ``"flow_stack"`` that plus the difference; False keeps raw frames.
    """
    L = keras.layers
    x = FrameWise(L.Rescaling(1.0 / 255.0), name=f"{name}_rescale")(x)
    x = _motion(x, motion, name)
    for i, f in enumerate(filters, start=1):
        # the first conv has stride 2: cheap on a CPU, and 2-pixel precision is plenty for motion
        x = FrameWise(L.Conv2D(int(f), 3, strides=2 if i == 1 else 1, padding="same", use_bias=False),
                      name=f"{name}_conv{i}")(x)
        x = FrameWise(L.BatchNormalization(momentum=BN_MOMENTUM), name=f"{name}_bn{i}")(x)
        x = FrameWise(L.Activation("relu"), name=f"{name}_relu{i}")(x)
        if int(x.shape[2]) >= 4 and (i < len(filters) or spatial_pool not in ("none", "keypoints")):
            x = FrameWise(L.MaxPooling2D(2), name=f"{name}_pool{i}")(x)
    if bottleneck and int(bottleneck) > 0 and spatial_pool in ("grid", "keypoints"):
        x = FrameWise(L.Conv2D(int(bottleneck), 1, use_bias=False), name=f"{name}_bottleneck")(x)
        x = FrameWise(L.BatchNormalization(momentum=BN_MOMENTUM), name=f"{name}_bottleneck_bn")(x)
        x = FrameWise(L.Activation("relu"), name=f"{name}_bottleneck_relu")(x)
    return _pool_map(x, grid, spatial_pool, name)


def _motion(x, motion, name):
    if motion in (False, None, "none"):
        return x
    if motion is True:
        motion = "stack"
    if motion in ("flow", "flow_stack"):
        return NormalFlow(mode="flow" if motion == "flow" else "stack", name=f"{name}_motion")(x)
    if motion not in ("stack", "diff"):
        raise argument_error("motion", motion, "'diff', 'stack' (or True), 'flow', 'flow_stack' or False")
    return TemporalDifference(mode=motion, name=f"{name}_motion")(x)


def conv_stem(x, filters=16, max_size=16, motion=False, name="encoder"):
    """Rescale (+ frame differences, see ``small_cnn``) + a strided conv, then max-pool until the
    frames are at most ``max_size`` pixels high."""
    L = keras.layers
    x = FrameWise(L.Rescaling(1.0 / 255.0), name=f"{name}_rescale")(x)
    x = _motion(x, motion, name)
    x = FrameWise(L.Conv2D(int(filters), 3, strides=2, padding="same", use_bias=False), name=f"{name}_conv1")(x)
    x = FrameWise(L.BatchNormalization(momentum=BN_MOMENTUM), name=f"{name}_bn1")(x)
    x = FrameWise(L.Activation("relu"), name=f"{name}_relu1")(x)
    i = 1
    while int(x.shape[2]) > int(max_size):
        x = FrameWise(L.MaxPooling2D(2, padding="same"), name=f"{name}_pool{i}")(x)
        i += 1
    return x


def _pool_map(x, grid, spatial_pool, name):
    L = keras.layers
    check_choice("spatial_pool", spatial_pool, SPATIAL_POOLS)
    if spatial_pool == "none":
        return x
    if spatial_pool == "avg":
        return FrameWise(L.GlobalAveragePooling2D(), name=f"{name}_gap")(x)
    if spatial_pool == "keypoints":
        return FrameWise(SpatialSoftmax(), name=f"{name}_keypoints")(x)
    h, w = int(x.shape[2]), int(x.shape[3])
    ph, pw = max(1, -(-h // int(grid))), max(1, -(-w // int(grid)))
    if ph > 1 or pw > 1:
        x = FrameWise(L.AveragePooling2D((ph, pw), padding="same"), name=f"{name}_gridpool")(x)
    return FrameWise(L.Flatten(), name=f"{name}_flatten")(x)


def _application(key, image_size, weights):
    ctor_name, extra, _ = _APPLICATIONS[key]
    ctor = getattr(keras.applications, ctor_name)
    kwargs = dict(include_top=False, input_shape=(int(image_size[0]), int(image_size[1]), 3), **extra)
    if weights in (None, "imagenet"):
        return _load_imagenet(ctor, ctor_name, weights, kwargs)
    path = Path(os.path.expanduser(str(weights)))
    if not path.is_file():
        raise MissingWeightsError(
            f"Weights file for {ctor_name} not found: pass weights=None, 'imagenet' or an existing "
            f".h5/.weights.h5 file. {received('weights', str(weights))}", path=path
        )
    model = ctor(weights=None, **kwargs)
    model.load_weights(str(path))
    return model


def _load_imagenet(ctor, ctor_name, weights, kwargs):
    """Build with keras.applications' own weight loading; offline -> one-line MissingWeightsError."""
    if weights is None:
        return ctor(weights=None, **kwargs)
    requested = []
    try:  # record which file keras asks for, to name it in the error
        from keras.src.utils import file_utils

        original = file_utils.get_file

        def spy(fname=None, origin=None, *args, **kw):
            requested.append(fname or os.path.basename(str(origin)))
            return original(fname, origin, *args, **kw)

        file_utils.get_file = spy
    except Exception:  # pragma: no cover - private API moved
        file_utils = original = None
    try:
        return ctor(weights="imagenet", **kwargs)
    except Exception as e:
        text = str(e)
        match = re.search(r"https?://\S+?/([^/\s]+\.h5)", text)
        fname = requested[-1] if requested else (match.group(1) if match else None)
        if fname is None and "fetch" not in text.lower():
            raise
        cache = os.path.join(os.environ.get("KERAS_HOME", "~/.keras"), "models")
        raise MissingWeightsError(
            f"Cannot download ImageNet weights for {ctor_name} (offline?): put '{fname}' in {cache}/ "
            f"or pass weights=None or a path to the file. {received('weights', 'imagenet')}",
            path=os.path.join(os.path.expanduser(cache), fname or ""),
        ) from None
    finally:
        if file_utils is not None:
            file_utils.get_file = original


def frame_encoder(x, backbone="small_cnn", *, weights=None, filters=(16, 32, 64), grid=4, spatial_pool="grid",
                  reduce_channels=32, motion=False, bottleneck=0):
    """Encode every frame of ``x`` (B, T, H, W, 3) in 0..255 into a (B, T, features) sequence.

    ``backbone`` is "small_cnn" (default) or a keras.applications name (see ``BACKBONES``);
    for those, ``weights`` is None (random init), "imagenet" or a path, and a 1x1 conv
    (``"neck_reduce"``, trainable when the backbone is frozen) shrinks the channels to
    ``reduce_channels`` before the spatial grid is flattened. ``motion`` (small_cnn only:
    pretrained backbones expect RGB images) and ``bottleneck`` (small_cnn only) are described in
    ``small_cnn``. ``spatial_pool=None`` (or "auto") means "avg" for small_cnn and "grid" for a
    keras.applications backbone (RGB features need the grid to keep where things are).
    """
    key = check_backbone(backbone)
    if spatial_pool in (None, "auto"):  # small_cnn on a motion input: global average; RGB backbones: keep a grid
        spatial_pool = "avg" if key == "small_cnn" else "grid"
    if key == "small_cnn":
        if weights is not None:
            raise argument_error("weights", weights, "None for small_cnn (it has no pretrained weights)")
        return small_cnn(x, filters=filters, grid=grid, spatial_pool=spatial_pool, motion=motion, bottleneck=bottleneck)
    image_size = (int(x.shape[2]), int(x.shape[3]))
    model = _application(key, image_size, weights)
    L = keras.layers
    _, _, rescale = _APPLICATIONS[key]
    if rescale is not None:
        x = FrameWise(L.Rescaling(rescale[0], offset=rescale[1]), name="encoder_rescale")(x)
    x = FrameWise(model, name="encoder_backbone")(x)
    if spatial_pool in ("grid", "keypoints") and reduce_channels:
        x = FrameWise(L.Conv2D(int(reduce_channels), 1, activation="relu"), name="neck_reduce")(x)
    return _pool_map(x, grid, spatial_pool, "neck")
