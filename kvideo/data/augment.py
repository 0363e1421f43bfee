"""Clip-consistent augmentation in NumPy/OpenCV (backend-agnostic: no TF/JAX/torch ops).

One random draw per clip is applied to every frame of that clip, so motion stays intact: a crop
box, a brightness shift, a contrast factor and (only when asked) a horizontal flip. Flip is off by
default because it turns "left" into "right" in motion datasets.
"""

from __future__ import annotations

import inspect

import numpy as np

from kvideo.utils.validation import argument_error, argument_type_error, check_float

AUGMENT_OPTIONS = ("crop", "aspect", "brightness", "contrast", "flip")


class ClipAugment:
    """Random, clip-consistent crop+resize, brightness, contrast and optional horizontal flip.

    Args:
        crop: ``(min_area, max_area)`` fraction of the frame kept by the random crop (then resized
            back), or None/False to disable. Default ``(0.7, 1.0)``.
        aspect: maximum log-aspect-ratio jitter of the crop box (``0.15`` ~ +-16%).
        brightness: maximum shift as a fraction of 255 (``0.15`` -> +-38 levels), or 0.
        contrast: maximum contrast change (``0.2`` -> factor in [0.8, 1.2] around the clip mean), or 0.
        flip: probability of a horizontal flip (``True`` means 0.5). Off by default.

    Call it as ``aug(clip, rng)`` on a (T, H, W, 3) clip (uint8 or float 0..255); it returns float32
    0..255 of the same shape.

    Example:
        >>> aug = ClipAugment(flip=True)
        >>> clip = np.zeros((8, 32, 32, 3), np.uint8)
        >>> aug(clip, np.random.default_rng(0)).shape
        (8, 32, 32, 3)
    """

    def __init__(self, crop=(0.7, 1.0), aspect=0.15, brightness=0.15, contrast=0.2, flip=False):
        if crop is True:
            crop = (0.7, 1.0)
        if crop:
            lo, hi = float(crop[0]), float(crop[1])
            if not 0 < lo <= hi <= 1:
                raise argument_error("crop", crop, "(min_area, max_area) with 0 < min <= max <= 1")
            crop = (lo, hi)
        self.crop = crop or None
        self.aspect = float(aspect)
        self.brightness = float(brightness or 0)
        self.contrast = float(contrast or 0)
        self.flip = 0.5 if flip is True else float(flip or 0)
        for name in ("brightness", "contrast", "flip"):
            check_float(name, getattr(self, name), low=0, high=1)

    def get_config(self):
        return {name: getattr(self, name) for name in AUGMENT_OPTIONS}

    def __repr__(self):
        return f"ClipAugment({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"

    def __call__(self, clip, rng=None):
        import cv2

        rng = rng if rng is not None else np.random.default_rng()
        clip = np.asarray(clip)
        t, h, w, c = clip.shape
        out = clip
        if self.crop is not None:
            area = rng.uniform(*self.crop) * h * w
            logr = rng.uniform(-self.aspect, self.aspect)
            ch = int(round(np.sqrt(area / np.exp(logr))))
            cw = int(round(np.sqrt(area * np.exp(logr))))
            ch, cw = max(1, min(h, ch)), max(1, min(w, cw))
            y0 = int(rng.integers(0, h - ch + 1))
            x0 = int(rng.integers(0, w - cw + 1))
            if (ch, cw) != (h, w):
                src = clip[:, y0 : y0 + ch, x0 : x0 + cw]
                out = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in src])
        out = out.astype(np.float32, copy=out is clip)
        if self.contrast:
            factor = rng.uniform(1 - self.contrast, 1 + self.contrast)
            mean = out.mean()
            out = (out - mean) * factor + mean
        if self.brightness:
            out = out + rng.uniform(-self.brightness, self.brightness) * 255.0
        if self.flip and rng.random() < self.flip:
            out = out[:, :, ::-1]
        return np.clip(out, 0, 255, out=np.ascontiguousarray(out))


class _OneArg:
    """Picklable wrapper for an augmentation callable that takes only the clip."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, clip, rng):
        return self.fn(clip)

    def __repr__(self):
        return repr(self.fn)


def resolve_augment(augment):
    """``augment`` argument -> a callable ``fn(clip, rng) -> clip`` or None.

    ``None``/``False``: off. ``True``: ``ClipAugment()`` (crop + brightness + contrast, no flip).
    A dict: ``ClipAugment(**dict)`` (e.g. ``{"flip": True}``). A callable taking ``(clip, rng)`` or
    ``(clip)``: used as is.

    Example:
        >>> resolve_augment({"flip": True})
        ClipAugment(crop=(0.7, 1.0), aspect=0.15, brightness=0.15, contrast=0.2, flip=0.5)
        >>> resolve_augment(None) is None
        True
    """
    if augment is None or augment is False:
        return None
    if augment is True:
        return ClipAugment()
    if isinstance(augment, dict):
        try:
            return ClipAugment(**augment)
        except TypeError:
            raise argument_error(
                "augment", augment, f"a dict of ClipAugment options ({', '.join(AUGMENT_OPTIONS)})"
            ) from None
    if callable(augment):
        try:
            nparams = len(inspect.signature(augment).parameters)
        except (TypeError, ValueError):
            nparams = 2
        if nparams >= 2 or isinstance(augment, ClipAugment):
            return augment
        return _OneArg(augment)
    raise argument_type_error("augment", augment, "None, True, a dict of ClipAugment options or a callable")
