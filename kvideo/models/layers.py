"""Small custom layers used by kvideo models (all serialisable with safe_mode=True)."""

from __future__ import annotations

import keras
from keras import ops

from kvideo.utils.validation import check_choice


@keras.saving.register_keras_serializable(package="kvideo")
class PositionalEmbedding(keras.layers.Layer):
    """Adds a learned position embedding to a (batch, time, features) sequence.

    Example:
        >>> import numpy as np
        >>> layer = PositionalEmbedding(sequence_length=8)
        >>> tuple(layer(np.zeros((2, 8, 4), "float32")).shape)
        (2, 8, 4)
    """

    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)

    def build(self, input_shape):
        self.position_embedding = self.add_weight(
            name="position_embedding",
            shape=(self.sequence_length, int(input_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        return inputs + ops.expand_dims(self.position_embedding[:length], 0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["sequence_length"] = self.sequence_length
        return config


@keras.saving.register_keras_serializable(package="kvideo")
class TemporalDifference(keras.layers.Layer):
    """Frame differences x[t] - x[t-1] (0 for the first step) along axis 1.

    ``mode="stack"`` (default) appends them to the last axis; ``mode="diff"`` returns only them.
    A cheap motion cue: on raw frames the static background cancels out.

    Example:
        >>> import numpy as np
        >>> tuple(TemporalDifference()(np.ones((1, 4, 3), "float32")).shape)
        (1, 4, 6)
    """

    def __init__(self, mode="stack", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("stack", "diff"):
            check_choice("mode", mode, ("stack", "diff"))
        self.mode = mode

    def call(self, inputs):
        diff = inputs[:, 1:] - inputs[:, :-1]
        diff = ops.concatenate([ops.zeros_like(inputs[:, :1]), diff], axis=1)
        if self.mode == "diff":
            return diff
        return ops.concatenate([inputs, diff], axis=-1)

    def compute_output_shape(self, input_shape):
        if self.mode == "diff":
            return tuple(input_shape)
        return (*input_shape[:-1], None if input_shape[-1] is None else 2 * input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


@keras.saving.register_keras_serializable(package="kvideo")
class FrameWise(keras.layers.Wrapper):
    """Applies a per-image layer (or model) to every frame of a (batch, time, ...) tensor.

    Unlike ``keras.layers.TimeDistributed`` (a Python loop over time steps), this folds time
    into the batch axis, so a frame encoder runs as one batched call and batch-norm statistics
    are computed over all frames.

    Example:
        >>> import numpy as np
        >>> conv = FrameWise(keras.layers.Conv2D(4, 3, padding="same"))
        >>> tuple(conv(np.zeros((2, 5, 8, 8, 3), "float32")).shape)
        (2, 5, 8, 8, 4)
    """

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((None, *input_shape[2:]))
        self.built = True

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape((None, *input_shape[2:]))
        return (input_shape[0], input_shape[1], *child[1:])

    def call(self, inputs, training=None):
        shape = ops.shape(inputs)
        folded = ops.reshape(inputs, (-1, *inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        return ops.reshape(outputs, (shape[0], shape[1], *outputs.shape[1:]))


@keras.saving.register_keras_serializable(package="kvideo")
class SpatialSoftmax(keras.layers.Layer):
    """Keypoint features: for every channel of a (batch, H, W, C) map, the expected (x, y) position
    under a softmax over the H*W cells (coordinates in -1..1), giving (batch, 2 * C).

    Where each feature "is" in a frame, and how that changes over time, is what tells "left" from
    "right" or "grow" from "shrink", with 2 numbers per channel instead of a flattened grid (Levine
    et al. 2016, "spatial soft-argmax"). The softmax temperature is learned (log-parametrised).

    Example:
        >>> import numpy as np
        >>> tuple(SpatialSoftmax()(np.zeros((2, 8, 8, 5), "float32")).shape)
        (2, 10)
    """

    def __init__(self, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.temperature = float(temperature)

    def build(self, input_shape):
        import math

        self.log_temperature = self.add_weight(
            name="log_temperature", shape=(),
            initializer=keras.initializers.Constant(math.log(self.temperature)),
        )

    def call(self, inputs):
        h, w, c = int(inputs.shape[1]), int(inputs.shape[2]), int(inputs.shape[3])
        ys, xs = ops.meshgrid(ops.linspace(-1.0, 1.0, h), ops.linspace(-1.0, 1.0, w), indexing="ij")
        xs = ops.cast(ops.reshape(xs, (1, h * w, 1)), inputs.dtype)
        ys = ops.cast(ops.reshape(ys, (1, h * w, 1)), inputs.dtype)
        logits = ops.reshape(inputs, (-1, h * w, c)) / ops.exp(ops.cast(self.log_temperature, inputs.dtype))
        p = ops.softmax(logits, axis=1)
        return ops.concatenate([ops.sum(p * xs, axis=1), ops.sum(p * ys, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * int(input_shape[-1]))

    def get_config(self):
        config = super().get_config()
        config["temperature"] = self.temperature
        return config


@keras.saving.register_keras_serializable(package="kvideo")
class NormalFlow(keras.layers.Layer):
    """A cheap optical-flow cue for (batch, time, H, W, C) clips: ``I_t * dI/dx`` and ``I_t * dI/dy``.

    ``I_t`` is the frame difference x[t] - x[t-1] and the spatial gradients are central differences
    of the mean of the two frames, summed over colour channels (0 for the first step). By brightness
    constancy ``I_t = -grad(I) . v``, so ``-I_t * grad(I)`` points along the motion ``v`` whatever the
    contrast between object and background: an edge moving left gives a negative x component (x
    grows to the right), an edge moving right a positive one, a growing shape an outward pattern. Returns 2 channels, or
    ``2 + C`` with ``mode="stack"`` (the frame difference appended), scaled by ``scale``.

    Example:
        >>> import numpy as np
        >>> tuple(NormalFlow()(np.zeros((1, 4, 8, 8, 3), "float32")).shape)
        (1, 4, 8, 8, 2)
    """

    def __init__(self, mode="flow", scale=10.0, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("flow", "stack"):
            check_choice("mode", mode, ("flow", "stack"))
        self.mode = mode
        self.scale = float(scale)

    def call(self, inputs):
        prev, cur = inputs[:, :-1], inputs[:, 1:]
        it = cur - prev
        mean = 0.5 * (cur + prev)
        # central differences with edge replication, shapes kept
        padx = ops.concatenate([mean[:, :, :, :1], mean, mean[:, :, :, -1:]], axis=3)
        gx = 0.5 * (padx[:, :, :, 2:] - padx[:, :, :, :-2])
        pady = ops.concatenate([mean[:, :, :1], mean, mean[:, :, -1:]], axis=2)
        gy = 0.5 * (pady[:, :, 2:] - pady[:, :, :-2])
        # -I_t * grad(I): along the motion (x to the right, y downwards)
        fx = -ops.sum(it * gx, axis=-1, keepdims=True)
        fy = -ops.sum(it * gy, axis=-1, keepdims=True)
        out = ops.concatenate([fx, fy], axis=-1) * self.scale
        if self.mode == "stack":
            out = ops.concatenate([out, it], axis=-1)
        return ops.concatenate([ops.zeros_like(out[:, :1]), out], axis=1)

    def compute_output_shape(self, input_shape):
        c = 2 if self.mode == "flow" else 2 + int(input_shape[-1])
        return (*input_shape[:-1], c)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, scale=self.scale)
        return config
