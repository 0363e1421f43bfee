"""``td_lstm`` / ``td_gru``: a per-frame encoder followed by a recurrent layer over time."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, frame_features, video_input


def _build_td_rnn(cell, name, num_classes, *, num_frames, image_size, backbone, weights, units, dropout, frame_diff,
                  grid, filters, bidirectional, motion, spatial_pool, bottleneck):
    inputs = video_input(num_frames, image_size)
    x = frame_features(inputs, backbone=backbone, weights=weights, grid=grid, filters=filters, motion=motion,
                       spatial_pool=spatial_pool, bottleneck=bottleneck, frame_diff=frame_diff, dropout=dropout)
    rnn = cell(int(units), name=f"temporal_{cell.__name__.lower()}")
    if bidirectional:
        rnn = keras.layers.Bidirectional(rnn, name=f"temporal_bi{cell.__name__.lower()}")
    x = rnn(x)
    outputs = classification_head(x, num_classes, dropout=dropout)
    return keras.Model(inputs, outputs, name=name)


def _td_builder(cell, name, summary):
    """One builder per recurrent cell, with the same keyword-only signature (read by ``arch_options``)."""

    def build(num_classes, *, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
              units=64, dropout=0.3, frame_diff=False, grid=4, filters=(16, 32, 64), bidirectional=False,
              motion="flow", spatial_pool=None, bottleneck=0):
        return _build_td_rnn(
            cell, name, num_classes, num_frames=num_frames, image_size=image_size, backbone=backbone,
            weights=weights, units=units, dropout=dropout, frame_diff=frame_diff, grid=grid, filters=filters,
            bidirectional=bidirectional, motion=motion, spatial_pool=spatial_pool, bottleneck=bottleneck,
        )

    build.__name__ = build.__qualname__ = f"build_{name}"
    build.__doc__ = f"""{summary}

    ``motion``: "flow" (default: -frame difference x spatial gradient, 2 channels that point along
    the motion whatever the colours, see ``NormalFlow``), "flow_stack" (that + the difference),
    "diff" (pixel differences), "stack" (frames + differences) or False (raw frames; use it when
    labels depend on appearance). ``spatial_pool``: how each frame's feature map becomes a vector:
    None (default: "avg" for small_cnn, "grid" for keras.applications backbones), "avg", "grid"
    (``grid`` x ``grid`` cells, flattened: keeps position), or "keypoints" (expected x, y per
    channel, see ``SpatialSoftmax``). ``bottleneck``: > 0 adds a 1x1 conv to that many channels
    before a grid is flattened. ``frame_diff`` appends feature differences f[t] - f[t-1].
    ``bidirectional`` runs the {cell.__name__} both ways. On order-only classes (benchmarks/models.md)
    flow + average pool took held-out accuracy from 0.64 (pixel differences + 4x4 grid: overfits)
    to > 0.95.

    Example:
        >>> m = build_{name}(3, num_frames=8, image_size=(32, 32))
        >>> m.name, m.output_shape
        ('{name}', (None, 3))
    """
    return build


build_td_gru = _td_builder(keras.layers.GRU, "td_gru", "Normal-flow motion cue -> per-frame CNN -> global average pool -> GRU -> softmax.")
build_td_lstm = _td_builder(keras.layers.LSTM, "td_lstm", "Normal-flow motion cue -> per-frame CNN -> global average pool -> LSTM -> softmax.")
