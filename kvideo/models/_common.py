"""Shared pieces of the architecture builders."""

from __future__ import annotations

import keras

from kvideo.utils.validation import check_choice, check_int, parse_size

# How the last spatial map of a 3D model (convlstm, c3d) becomes one vector before the head.
HEAD_SPATIAL_POOLS = ("avg", "grid")


def video_input(num_frames, image_size):
    """The model input: (num_frames, H, W, 3) float in 0..255 (frames at least 16x16 pixels)."""
    num_frames = check_int("num_frames", num_frames, low=2)
    h, w = parse_size(image_size, name="image_size", minimum=16)
    return keras.Input((num_frames, h, w, 3), name="video")


def classification_head(x, num_classes, dropout=0.3, hidden=0):
    """Dropout (+ optional hidden Dense) + the softmax Dense named "predictions"."""
    num_classes = check_int("num_classes", num_classes, low=1)
    L = keras.layers
    if hidden:
        x = L.Dense(int(hidden), activation="relu", name="head_dense")(x)
    if dropout:
        x = L.Dropout(float(dropout), name="head_dropout")(x)
    return L.Dense(num_classes, activation="softmax", name="predictions", dtype="float32")(x)


def pool_spatial_map(x, spatial_pool, grid, ndim):
    """The head of the 3D models: global average (``"avg"``) or a coarse ``grid`` flattened (``"grid"``).

    ``x`` is (B, H, W, C) (``ndim=2``, after a ConvLSTM) or (B, T, H, W, C) (``ndim=3``, after Conv3D).
    """
    L = keras.layers
    check_choice("spatial_pool", spatial_pool, HEAD_SPATIAL_POOLS)
    if spatial_pool == "avg":
        return (L.GlobalAveragePooling2D if ndim == 2 else L.GlobalAveragePooling3D)(name="head_gap")(x)
    p = max(1, int(x.shape[-3]) // int(grid))
    if p > 1:
        x = (L.AveragePooling2D(p, name="head_gridpool") if ndim == 2
             else L.AveragePooling3D((1, p, p), name="head_gridpool"))(x)
    return L.Flatten(name="head_flatten")(x)


def motion_stem(num_frames, image_size, *, backbone, weights, stem_filters, stem_size, motion):
    """Input and front end of the 3D models (convlstm, c3d): ``(inputs, a feature map per time step)``.

    ``small_cnn``: the strided conv stem on the motion input (see ``conv_stem``); otherwise the
    keras.applications backbone's unpooled feature map.
    """
    from kvideo.models.encoders import conv_stem, frame_encoder

    inputs = video_input(num_frames, image_size)
    if backbone == "small_cnn":
        return inputs, conv_stem(inputs, filters=stem_filters, max_size=stem_size, motion=motion)
    return inputs, frame_encoder(inputs, backbone, weights=weights, spatial_pool="none")


def frame_features(inputs, *, backbone, weights, grid, filters, motion, spatial_pool, bottleneck, frame_diff, dropout):
    """Front end of the sequence models (td_lstm, td_gru, transformer): one vector per frame.

    The frame encoder (``encoder*`` layers), optional feature differences f[t] - f[t-1], then dropout.
    """
    from kvideo.models.encoders import frame_encoder
    from kvideo.models.layers import TemporalDifference

    x = frame_encoder(inputs, backbone, weights=weights, grid=grid, filters=filters, motion=motion,
                      spatial_pool=spatial_pool, bottleneck=bottleneck)
    if frame_diff:
        x = TemporalDifference(name="temporal_diff")(x)
    return keras.layers.Dropout(float(dropout), name="temporal_dropout")(x)


