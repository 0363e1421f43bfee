"""``frame_cnn``: per-frame CNN + temporal pooling. The order-blind baseline."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, video_input
from kvideo.models.encoders import frame_encoder


def build_frame_cnn(num_classes, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
                    pooling="mean", dropout=0.3, grid=4, filters=(16, 32, 64)):
    """Per-frame encoder, then the mean (or max) over time, then a softmax.

    Shuffling the frames does not change its output: it cannot tell "left" from "right" and
    is the baseline that proves the temporal architectures see time.

    Example:
        >>> m = build_frame_cnn(4, num_frames=8, image_size=(64, 64))
        >>> m.output_shape
        (None, 4)
    """
    inputs = video_input(num_frames, image_size)
    x = frame_encoder(inputs, backbone, weights=weights, grid=grid, filters=filters)
    if pooling == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="temporal_mean")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling1D(name="temporal_max")(x)
    else:
        raise ValueError(f"pooling must be 'mean' or 'max'. Received: pooling={pooling!r}")
    outputs = classification_head(x, num_classes, dropout=dropout, hidden=64)
    return keras.Model(inputs, outputs, name="frame_cnn")
