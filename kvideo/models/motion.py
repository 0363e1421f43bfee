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
        shape = ops.shape(x)
        frames = ops.reshape(x, (-1, x.shape[2], x.shape[3], x.shape[4]))
        frames = ops.image.resize(frames, (self.size, self.size), interpolation="bilinear", antialias=True)
        grey = ops.mean(frames, axis=-1) / 255.0
        return ops.reshape(grey, (shape[0], shape[1], self.size, self.size))

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
        ata = ops.stack([ops.stack([ops.sum(w * rows[i] * rows[j], axis=(2, 3)) for j in range(k)], axis=-1)
                         for i in range(k)], axis=-2)
        atb = ops.stack([ops.sum(w * rows[i] * (-it), axis=(2, 3)) for i in range(k)], axis=-1)
        # ridge, scaled to the gradient energy, keeps textureless steps (no motion) at zero
        ridge = 1e-3 * (ops.trace(ata, axis1=-2, axis2=-1) / k + 1e-6)[..., None, None]
        eye = ops.eye(k, dtype=ata.dtype)
        sol = ops.linalg.solve(ata + ridge * eye, atb[..., None])[..., 0]
        return ops.clip(sol * (2.0 / ops.cast(ops.shape(it)[-1], sol.dtype)), -1.0, 1.0)  # pixels -> -1..1 units

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], len(MOTION_FEATURES))

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config
