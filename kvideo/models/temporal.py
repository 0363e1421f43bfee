"""Heads that turn a sequence of per-frame features (batch, time, features) into class scores.

These run on *cached* frame embeddings (see :mod:`kvideo.data.embeddings`), so they train in seconds:
the expensive pretrained frame encoder runs once per video, not once per epoch.

* ``linear``: :class:`TemporalStats` (mean, spread and late-minus-early change over time), then
  standardisation and a softmax layer; fitted by scikit-learn's logistic regression (convex, no
  epochs, works from one clip per label).
* ``attention``, ``gru``, ``lstm``, ``tcn`` (temporal convolution), ``transformer``: small Keras heads
  trained with Adam on the cached sequences.
"""

from __future__ import annotations

import keras
from keras import layers as L
from keras import ops

from kvideo.models.layers import PositionalEmbedding

HEADS = ("linear", "attention", "gru", "lstm", "tcn", "transformer")
STATS = ("mean", "std", "delta")


@keras.saving.register_keras_serializable(package="kvideo")
class TemporalStats(keras.layers.Layer):
    """(batch, time, D) -> (batch, features): summary statistics over time.

    ``mean`` and ``std`` describe what is seen and how much it changes; ``delta`` (mean of the last
    half minus mean of the first half) keeps the *direction* of change, so "grow" and "shrink" (or
    "sit down" and "stand up") differ. ``delta_last=k`` computes the delta of the last ``k``
    features only (the motion descriptor: on appearance features it mostly adds noise).

    Example:
        >>> import numpy as np
        >>> x = np.arange(12, dtype="float32").reshape(1, 4, 3)
        >>> keras.ops.convert_to_numpy(TemporalStats(stats=("mean", "delta"))(x)).tolist()
        [[4.5, 5.5, 6.5, 6.0, 6.0, 6.0]]
        >>> keras.ops.convert_to_numpy(TemporalStats(stats=("mean", "delta"), delta_last=1)(x)).tolist()
        [[4.5, 5.5, 6.5, 6.0]]
    """

    def __init__(self, stats=STATS, delta_last=None, **kwargs):
        super().__init__(**kwargs)
        stats = tuple(stats)
        bad = [s for s in stats if s not in STATS]
        if bad or not stats:
            raise ValueError(f"stats must be a non-empty subset of {list(STATS)}. Received: stats={list(stats)!r}")
        self.stats = stats
        self.delta_last = None if delta_last is None else int(delta_last)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        t = int(x.shape[1])
        half = max(1, t // 2)
        out = []
        for s in self.stats:
            if s == "mean":
                out.append(ops.mean(x, axis=1))
            elif s == "std":
                out.append(ops.std(x, axis=1))
            else:
                part = x if self.delta_last is None else x[..., x.shape[-1] - self.delta_last:]
                out.append(ops.mean(part[:, t - half:], axis=1) - ops.mean(part[:, :half], axis=1))
        return ops.concatenate(out, axis=-1)

    def compute_output_shape(self, input_shape):
        d = int(input_shape[-1])
        delta = d if self.delta_last is None else self.delta_last
        return (input_shape[0], sum(delta if s == "delta" else d for s in self.stats))

    def get_config(self):
        config = super().get_config()
        config.update(stats=list(self.stats), delta_last=self.delta_last)
        return config


def build_head(head, num_classes, num_steps, num_features, *, stats=STATS, delta_last=None, units=128,
               dropout=0.3, name="head"):
    """A Keras model (batch, num_steps, num_features) -> (batch, num_classes) softmax "predictions".

    The ``linear`` head holds a ``Normalization`` layer ("head_norm") and a ``Dense`` softmax
    ("predictions") whose weights are set from a fitted logistic regression; the other heads start
    with a ``Normalization`` ("head_norm") to adapt on the training sequences, then train with Adam.

    Example:
        >>> m = build_head("gru", num_classes=3, num_steps=8, num_features=5)
        >>> m.output_shape
        (None, 3)
    """
    if head not in HEADS:
        raise ValueError(f"Unknown head: use one of {list(HEADS)}. Received: head={head!r}")
    inputs = keras.Input((int(num_steps), int(num_features)), name="frame_features")
    if head == "linear":
        x = TemporalStats(stats=stats, delta_last=delta_last, name="temporal_stats")(inputs)
        x = L.Normalization(name="head_norm")(x)
        outputs = L.Dense(num_classes, activation="softmax", name="predictions", dtype="float32")(x)
        return keras.Model(inputs, outputs, name=name)
    x = L.Normalization(name="head_norm")(inputs)
    x = L.Dropout(dropout / 2)(x)
    x = L.Dense(units, activation="relu", name="head_project")(x)
    if head == "attention":
        scores = ops.softmax(L.Dense(1, name="attention_score")(x), axis=1)
        x = ops.sum(scores * x, axis=1)
    elif head in ("gru", "lstm"):
        rnn = L.GRU if head == "gru" else L.LSTM
        x = L.Bidirectional(rnn(units // 2), name=f"head_{head}")(x)
    elif head == "tcn":
        for i, rate in enumerate((1, 2)):
            x = L.Conv1D(units, 3, padding="same", dilation_rate=rate, activation="relu", name=f"head_tcn{i}")(x)
        x = L.GlobalAveragePooling1D()(x)
    else:  # transformer
        x = PositionalEmbedding(int(num_steps), name="head_positions")(x)
        attn = L.MultiHeadAttention(num_heads=4, key_dim=units // 4, dropout=dropout / 2, name="head_attention")(x, x)
        x = L.LayerNormalization(name="head_ln")(x + attn)
        x = L.GlobalAveragePooling1D()(x)
    x = L.Dropout(dropout)(x)
    outputs = L.Dense(num_classes, activation="softmax", name="predictions", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)
