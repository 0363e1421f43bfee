"""``frame_cnn``: per-frame CNN + temporal pooling. The order-blind baseline."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, video_input
from kvideo.models.encoders import frame_encoder
from kvideo.utils.validation import check_choice


def build_frame_cnn(num_classes, *, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
                    temporal_pool="mean", dropout=0.3, grid=4, filters=(16, 32, 64)):
    """Per-frame encoder, then the mean (``temporal_pool="mean"``) or max over time, then a softmax.

    Shuffling the frames does not change its output: it cannot tell "left" from "right" and
    is the baseline that proves the temporal architectures see time.

    Example:
        >>> m = build_frame_cnn(4, num_frames=8, image_size=(64, 64))
        >>> m.output_shape
        (None, 4)
    """
    inputs = video_input(num_frames, image_size)
    x = frame_encoder(inputs, backbone, weights=weights, grid=grid, filters=filters)
    check_choice("temporal_pool", temporal_pool, ("mean", "max"))
    if temporal_pool == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="temporal_mean")(x)
    else:
        x = keras.layers.GlobalMaxPooling1D(name="temporal_max")(x)
    outputs = classification_head(x, num_classes, dropout=dropout, hidden=64)
    return keras.Model(inputs, outputs, name="frame_cnn")
