"""``transformer``: per-frame encoder + learned positional embedding + self-attention blocks."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, frame_features, video_input
from kvideo.models.layers import PositionalEmbedding


def build_transformer(num_classes, *, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
                      embed_dim=64, num_heads=4, num_layers=2, ff_dim=128, dropout=0.3, attention_dropout=0.1,
                      frame_diff=False, grid=4, filters=(16, 32, 64), motion="flow", spatial_pool=None, bottleneck=0):
    """Normal-flow cue -> per-frame CNN (average-pooled) -> Dense(embed_dim) + position embedding -> encoder blocks.

    Each block is pre-norm multi-head self-attention + a feed-forward MLP with residuals; the
    sequence is mean-pooled and classified. ``motion`` (default "flow"), ``spatial_pool`` (default None:
    "avg" for small_cnn, "grid" for keras.applications backbones), ``bottleneck`` and
    ``frame_diff`` configure the frame encoder as in ``build_td_gru``.

    Example:
        >>> build_transformer(2, num_frames=8, image_size=(32, 32)).output_shape
        (None, 2)
    """
    L = keras.layers
    inputs = video_input(num_frames, image_size)
    x = frame_features(inputs, backbone=backbone, weights=weights, grid=grid, filters=filters, motion=motion,
                       spatial_pool=spatial_pool, bottleneck=bottleneck, frame_diff=frame_diff, dropout=dropout)
    x = L.Dense(int(embed_dim), name="temporal_embed")(x)
    x = PositionalEmbedding(int(num_frames), name="temporal_position")(x)
    for i in range(1, int(num_layers) + 1):
        h = L.LayerNormalization(epsilon=1e-6, name=f"temporal_block{i}_ln1")(x)
        h = L.MultiHeadAttention(int(num_heads), max(1, int(embed_dim) // int(num_heads)),
                                 dropout=float(attention_dropout), name=f"temporal_block{i}_attention")(h, h)
        x = L.Add(name=f"temporal_block{i}_add1")([x, h])
        h = L.LayerNormalization(epsilon=1e-6, name=f"temporal_block{i}_ln2")(x)
        h = L.Dense(int(ff_dim), activation="gelu", name=f"temporal_block{i}_ff1")(h)
        h = L.Dense(int(embed_dim), name=f"temporal_block{i}_ff2")(h)
        x = L.Add(name=f"temporal_block{i}_add2")([x, h])
    x = L.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    x = L.GlobalAveragePooling1D(name="head_pool")(x)
    outputs = classification_head(x, num_classes, dropout=dropout)
    return keras.Model(inputs, outputs, name="transformer")
