"""``td_lstm`` / ``td_gru``: a per-frame encoder followed by a recurrent layer over time."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, video_input
from kvideo.models.encoders import frame_encoder
from kvideo.models.layers import TemporalDifference


def _build_td_rnn(cell, num_classes, num_frames, image_size, backbone, weights, units, dropout,
                  frame_diff, grid, filters, bidirectional, name, motion=True, pool="grid", bottleneck=0):
    L = keras.layers
    inputs = video_input(num_frames, image_size)
    x = frame_encoder(inputs, backbone, weights=weights, grid=grid, filters=filters, motion=motion, pool=pool,
                      bottleneck=bottleneck)
    if frame_diff:
        x = TemporalDifference(name="temporal_diff")(x)
    x = L.Dropout(float(dropout), name="temporal_dropout")(x)
    rnn = cell(int(units), name=f"temporal_{cell.__name__.lower()}")
    if bidirectional:
        rnn = L.Bidirectional(rnn, name=f"temporal_bi{cell.__name__.lower()}")
    x = rnn(x)
    outputs = classification_head(x, num_classes, dropout=dropout)
    return keras.Model(inputs, outputs, name=name)


def build_td_gru(num_classes, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
                 units=64, dropout=0.3, frame_diff=True, grid=4, filters=(16, 32, 64), bidirectional=False,
                 motion="diff", pool="grid", bottleneck=0):
    """Pixel differences -> per-frame CNN (keeping a 4x4 spatial grid) -> feature differences -> GRU -> softmax.

    ``pool``: how each frame's feature map becomes a vector: "grid" (``grid`` x ``grid`` cells,
    flattened), "keypoints" (expected x, y per channel, see ``SpatialSoftmax``) or "avg".
    ``bottleneck``: > 0 adds a 1x1 conv to that many channels before the grid is flattened.
    ``motion``: "diff" (pixel differences), "stack" (frames + differences) or False (raw frames).

    Example:
        >>> build_td_gru(3, num_frames=8, image_size=(64, 64)).output_shape
        (None, 3)
    """
    return _build_td_rnn(keras.layers.GRU, num_classes, num_frames, image_size, backbone, weights, units,
                         dropout, frame_diff, grid, filters, bidirectional, "td_gru", motion, pool, bottleneck)


def build_td_lstm(num_classes, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
                  units=64, dropout=0.3, frame_diff=True, grid=4, filters=(16, 32, 64), bidirectional=False,
                  motion="diff", pool="grid", bottleneck=0):
    """Pixel differences -> per-frame CNN (keeping a 4x4 spatial grid) -> feature differences -> LSTM -> softmax.

    ``pool``: how each frame's feature map becomes a vector: "grid" (``grid`` x ``grid`` cells,
    flattened), "keypoints" (expected x, y per channel, see ``SpatialSoftmax``) or "avg".
    ``bottleneck``: > 0 adds a 1x1 conv to that many channels before the grid is flattened.
    ``motion``: "diff" (pixel differences), "stack" (frames + differences) or False (raw frames).

    Example:
        >>> build_td_lstm(3, num_frames=8, image_size=(64, 64)).output_shape
        (None, 3)
    """
    return _build_td_rnn(keras.layers.LSTM, num_classes, num_frames, image_size, backbone, weights, units,
                         dropout, frame_diff, grid, filters, bidirectional, "td_lstm", motion, pool, bottleneck)
