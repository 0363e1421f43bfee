"""A fixed (not learned) motion descriptor per frame step, in keras.ops: the motion stream of the
pretrained-encoder models.

For each pair of consecutive frames it fits, by least squares over the moving pixels, the affine
motion ``v(p) = v0 + A (p - c)`` that best explains the brightness change (a global Lucas-Kanade
step; Lucas & Kanade 1981, Bergen et al. 1992), and describes *where* the motion is relative to its
own centre. Nothing here is trained, so it cannot over-fit a few clips, and it works on any person,
colour or background. Per step it returns :data:`MOTION_FEATURES`:

* ``energy``: mean absolute frame difference (how much moves);
* ``cx, cy, sx, sy``: centre and spread of the moving pixels (-1..1 frame coordinates);
* ``vx, vy``: translation of the moving region (left/right, up/down), in spreads per step;
* ``speed``: ``|v0|`` over the spread (walk vs run, whatever the person's size);
* ``div, curl, shear1, shear2``: the affine part (grow/shrink, clockwise/counter-clockwise);
* ``band_0..band_3``: share of the motion in four horizontal bands around the centre (arms up
  vs legs), ``side``: share away from the vertical axis (arms out).

The first step (no previous frame) is all zeros, so the output has as many steps as the input.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

MOTION_FEATURES = ("energy", "cx", "cy", "sx", "sy", "vx", "vy", "speed", "div", "curl", "shear1", "shear2",
                   "band_0", "band_1", "band_2", "band_3", "side")


@keras.saving.register_keras_serializable(package="kvideo")
class MotionDescriptor(keras.layers.Layer):
    """(batch, time, H, W, 3) frames in 0..255 -> (batch, time, 17) motion features (see module doc).

    Frames are turned to grey and resized to ``size`` x ``size`` first, so the cost is small and the
    numbers do not depend on the input resolution.

    Example:
        >>> import numpy as np
        >>> clip = np.zeros((1, 4, 32, 32, 3), "float32")
        >>> clip[:, :, 10:20, 4:14] = 255.0
        >>> clip[:, 1:, 10:20, 6:16] = 255.0; clip[:, 1:, 10:20, 4:6] = 0.0   # moves right by 2 px
        >>> feats = MotionDescriptor(size=32)(clip)
        >>> tuple(feats.shape)
        (1, 4, 17)
        >>> bool(keras.ops.convert_to_numpy(feats)[0, 1, 5] > 0)               # vx > 0: moving right
        True
    """

    def __init__(self, size=64, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def _grey(self, x):
        # = ops.image.resize(bilinear, antialias=True) then the channel mean, written as two constant matrix
        # products so that every runtime runs it (ONNX and LiteRT have no antialiased resize).
        grey = ops.mean(x, axis=-1) / 255.0  # (B, T, H, W): the mean commutes with the linear resize
        wy = ops.convert_to_tensor(_resize_matrix(x.shape[2], self.size))
        wx = ops.convert_to_tensor(_resize_matrix(x.shape[3], self.size))
        return ops.einsum("yh,bthw,xw->btyx", wy, grey, wx)

    def call(self, inputs):
        g = self._grey(ops.cast(inputs, "float32"))
        prev, cur = g[:, :-1], g[:, 1:]
        it = cur - prev
        mean = 0.5 * (cur + prev)
        padx = ops.concatenate([mean[..., :1], mean, mean[..., -1:]], axis=-1)
        gx = 0.5 * (padx[..., 2:] - padx[..., :-2])
        pady = ops.concatenate([mean[:, :, :1], mean, mean[:, :, -1:]], axis=2)
        gy = 0.5 * (pady[:, :, 2:] - pady[:, :, :-2])
        n = self.size
        coords = ops.linspace(-1.0, 1.0, n)
        ys = ops.reshape(coords, (1, 1, n, 1))
        xs = ops.reshape(coords, (1, 1, 1, n))
        e = ops.abs(it)
        total = ops.sum(e, axis=(2, 3)) + 1e-6  # (B, T-1)
        energy = total / (n * n)
        w = e / total[..., None, None]  # where it moves: weights summing to 1 per step
        cx = ops.sum(w * xs, axis=(2, 3))
        cy = ops.sum(w * ys, axis=(2, 3))
        sx = ops.sqrt(ops.sum(w * (xs - cx[..., None, None]) ** 2, axis=(2, 3)) + 1e-6)
        sy = ops.sqrt(ops.sum(w * (ys - cy[..., None, None]) ** 2, axis=(2, 3)) + 1e-6)
        affine = self._affine(w, it, gx, gy, xs - cx[..., None, None], ys - cy[..., None, None])
        scale = ops.maximum(sy, 0.05)
        vx, vy = affine[..., 0] / scale, affine[..., 1] / scale
        speed = ops.sqrt(vx ** 2 + vy ** 2)
        div = affine[..., 2] + affine[..., 5]
        curl = affine[..., 4] - affine[..., 3]
        shear1 = affine[..., 2] - affine[..., 5]
        shear2 = affine[..., 3] + affine[..., 4]
        dy = (ys - cy[..., None, None]) / scale[..., None, None]
        bands = [ops.sum(w * ops.exp(-0.5 * ((dy - c) / 0.5) ** 2), axis=(2, 3)) for c in (-1.5, -0.5, 0.5, 1.5)]
        dx = ops.abs(xs - cx[..., None, None]) / scale[..., None, None]
        side = ops.sum(w * ops.cast(dx > 0.75, "float32"), axis=(2, 3))
        feats = ops.stack([energy * 10.0, cx, cy, sx, sy, vx, vy, speed, div, curl, shear1, shear2,
                           *bands, side], axis=-1)
        return ops.concatenate([ops.zeros_like(feats[:, :1]), feats], axis=1)

    @staticmethod
    def _affine(w, it, gx, gy, dx, dy):
        """Weighted least squares for (v0x, v0y, a11, a12, a21, a22) from it + g . v = 0."""
        # motion v = (v0x + a11 dx + a12 dy, v0y + a21 dx + a22 dy); constraint gx vx + gy vy = -it
        rows = [gx, gy, gx * dx, gx * dy, gy * dx, gy * dy]
        k = len(rows)
        ata = [[ops.sum(w * rows[i] * rows[j], axis=(2, 3)) for j in range(i + 1)] for i in range(k)]  # lower half
        atb = [ops.sum(w * rows[i] * (-it), axis=(2, 3)) for i in range(k)]
        # ridge, scaled to the gradient energy, keeps textureless steps (no motion) at zero
        ridge = 1e-3 * (sum(ata[i][i] for i in range(k)) / k + 1e-6)
        sol = _spd_solve([[ata[i][j] + ridge if i == j else ata[i][j] for j in range(i + 1)] for i in range(k)], atb)
        return ops.clip(sol * (2.0 / ops.cast(ops.shape(it)[-1], sol.dtype)), -1.0, 1.0)  # pixels -> -1..1 units

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], len(MOTION_FEATURES))

    def build(self, input_shape):
        if input_shape[2] is None or input_shape[3] is None:
            raise ValueError("MotionDescriptor needs a fixed frame height and width. "
                             f"Received: input_shape={tuple(input_shape)}")
        super().build(input_shape)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


def _resize_matrix(n_in, n_out):
    """(n_out, n_in) weights of a bilinear resize with antialiasing (a triangle kernel widened by the shrink
    factor, normalised per output pixel): the weights of ``ops.image.resize(..., antialias=True)``."""
    inv = n_in / n_out
    width = max(inv, 1.0)
    centers = (np.arange(n_out) + 0.5) * inv
    taps = np.arange(n_in) + 0.5
    w = np.maximum(0.0, 1.0 - np.abs((taps[None, :] - centers[:, None]) / width))
    return (w / w.sum(axis=1, keepdims=True)).astype("float32")


def _spd_solve(a, b):
    """Solves ``a x = b`` for a batch of small symmetric positive-definite systems given as nested lists of
    tensors (the lower half ``a[i][j]``, j <= i, and ``b[i]``, all of one shape) by an unrolled Cholesky factorisation: elementwise ops
    only, so exported models run it in every runtime (ONNX and LiteRT have no batched solve)."""
    k = len(b)
    low = [[None] * k for _ in range(k)]
    for i in range(k):
        for j in range(i + 1):
            acc = a[i][j]
            for m in range(j):
                acc = acc - low[i][m] * low[j][m]
            low[i][j] = ops.sqrt(ops.maximum(acc, 1e-12)) if i == j else acc / low[j][j]
    y = []
    for i in range(k):  # L y = b
        acc = b[i]
        for m in range(i):
            acc = acc - low[i][m] * y[m]
        y.append(acc / low[i][i])
    x = [None] * k
    for i in reversed(range(k)):  # L^T x = y
        acc = y[i]
        for m in range(i + 1, k):
            acc = acc - low[m][i] * x[m]
        x[i] = acc / low[i][i]
    return ops.stack(x, axis=-1)
