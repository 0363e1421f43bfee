"""Shared pieces of the architecture builders."""

from __future__ import annotations

import keras


def video_input(num_frames, image_size):
    """The model input: (num_frames, H, W, 3) float in 0..255."""
    if int(num_frames) < 2:
        raise ValueError(f"num_frames must be >= 2 for a video model. Received: num_frames={num_frames!r}")
    h, w = _size(image_size)
    return keras.Input((int(num_frames), h, w, 3), name="video")


def _size(image_size):
    from kvideo.io.reader import _normalize_size

    if image_size is None:
        raise ValueError("image_size must be (height, width). Received: image_size=None")
    h, w = _normalize_size(image_size, "image_size")
    if h < 16 or w < 16:
        raise ValueError(f"image_size must be at least 16x16. Received: image_size={image_size!r}")
    return h, w


def classification_head(x, num_classes, dropout=0.3, hidden=0):
    """Dropout (+ optional hidden Dense) + the softmax Dense named "predictions"."""
    if int(num_classes) < 1:
        raise ValueError(f"num_classes must be >= 1. Received: num_classes={num_classes!r}")
    L = keras.layers
    if hidden:
        x = L.Dense(int(hidden), activation="relu", name="head_dense")(x)
    if dropout:
        x = L.Dropout(float(dropout), name="head_dropout")(x)
    return L.Dense(int(num_classes), activation="softmax", name="predictions")(x)


def motion_stem(inputs, backbone, weights, stem_filters, stem_size, motion):
    """Front end of the 3D models (convlstm, c3d): a per-frame feature map per time step.

    ``small_cnn``: the strided conv stem on the motion input (see ``conv_stem``); otherwise the
    keras.applications backbone's unpooled feature map.
    """
    from kvideo.models.encoders import conv_stem, frame_encoder

    if backbone == "small_cnn":
        return conv_stem(inputs, filters=stem_filters, max_size=stem_size, motion=motion)
    return frame_encoder(inputs, backbone, weights=weights, pool="none")


def frame_features(inputs, backbone, weights, grid, filters, motion, pool, bottleneck, frame_diff, dropout):
    """Front end of the sequence models (td_lstm, td_gru, transformer): one vector per frame.

    The frame encoder (``encoder*`` layers), optional feature differences f[t] - f[t-1], then dropout.
    """
    from kvideo.models.encoders import frame_encoder
    from kvideo.models.layers import TemporalDifference

    x = frame_encoder(inputs, backbone, weights=weights, grid=grid, filters=filters, motion=motion, pool=pool,
                      bottleneck=bottleneck)
    if frame_diff:
        x = TemporalDifference(name="temporal_diff")(x)
    return keras.layers.Dropout(float(dropout), name="temporal_dropout")(x)
