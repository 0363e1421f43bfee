"""Input streams of the pretrained-encoder classifiers, computed from a clip before the model.

A person filmed by a still phone is small in the frame and wears clothes no training clip had.
Besides the frame itself (``rgb``), two streams show the *movement* of the body, whatever its
colours, and zoom in on it:

* ``diff``: the absolute difference of consecutive sampled frames (grey, amplified), in a square
  crop that follows the moving subject;
* ``mask``: the pixels that differ from the clip's median frame (the still background), in the
  same crop: a silhouette of what moves.

The crop: with a still camera the median of the sampled frames is the background; the centre of the
pixels that differ from it, smoothed over time, is where the subject is; the crop is a square of
``crop_fraction`` of the frame height around it. When almost nothing moves, or almost everything
does (a moving camera), the crop is the centre square: the streams then fall back to the whole frame.

``make_streams`` returns uint8 ``(N, T, H, W, C)``: 3 channels for ``rgb`` and 1 for each of
``diff`` and ``mask``, in the order of :data:`STREAMS`.
"""

from __future__ import annotations

import numpy as np

from kvideo.utils.validation import argument_error

STREAMS = ("rgb", "diff", "mask")
CHANNELS = {"rgb": 3, "diff": 1, "mask": 1}
DIFF_GAIN = 4.0  # frame differences are small: x4 puts a moving edge near the top of 0..255


def check_streams(streams) -> tuple:
    """Validate a streams tuple (a non-empty subset of STREAMS, in STREAMS order)."""
    if isinstance(streams, str):
        streams = (streams,)
    streams = tuple(streams)
    if not streams or any(s not in STREAMS for s in streams) or len(set(streams)) != len(streams):
        raise argument_error("streams", list(streams), f"a non-empty subset of {list(STREAMS)}")
    return tuple(s for s in STREAMS if s in streams)


def num_channels(streams) -> int:
    return sum(CHANNELS[s] for s in check_streams(streams))


def foreground(grey):
    """Per-pixel "moving" mask (T, H, W) bool of a grey clip against its median frame."""
    e = np.abs(grey - np.median(grey, axis=0))
    thr = max(12.0, 0.5 * float(np.percentile(e, 95)))
    return e > thr


def subject_centres(mask, min_pixels=None):
    """Smoothed per-frame centre (cx, cy) of the moving pixels, or None when the crop should not move."""
    t, h, w = mask.shape
    area = mask.sum(axis=(1, 2)).astype(np.float64)
    min_pixels = max(8, h * w // 2000) if min_pixels is None else min_pixels
    if area.max() < min_pixels or np.median(area) > 0.5 * h * w:
        return None  # nothing moves, or the camera does
    ys, xs = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)
    ok = area >= min_pixels
    cx = np.where(ok, (mask.sum(axis=1) * xs).sum(axis=1) / np.maximum(area, 1), np.nan)
    cy = np.where(ok, (mask.sum(axis=2) * ys).sum(axis=1) / np.maximum(area, 1), np.nan)
    idx = np.arange(t)
    cx = np.interp(idx, idx[ok], cx[ok])
    cy = np.interp(idx, idx[ok], cy[ok])
    k = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
    smooth = lambda a: np.convolve(np.pad(a, 2, mode="edge"), k, mode="valid")  # noqa: E731
    return smooth(cx), smooth(cy)


def crop_boxes(mask, crop_fraction=0.75):
    """Per-frame square boxes (x0, y0, side) that follow the moving subject (see module doc)."""
    t, h, w = mask.shape
    side = int(max(8, min(h, w, round(crop_fraction * h))))
    centres = subject_centres(mask)
    if centres is None:
        side = min(h, w)
        return [((w - side) // 2, (h - side) // 2, side)] * t
    boxes = []
    for cx, cy in zip(*centres):
        x0 = int(np.clip(round(cx - side / 2), 0, w - side))
        y0 = int(np.clip(round(cy - side / 2), 0, h - side))
        boxes.append((x0, y0, side))
    return boxes


def _crop(frames, boxes, size):
    import cv2

    out = []
    for f, (x0, y0, s) in zip(frames, boxes):
        out.append(cv2.resize(np.ascontiguousarray(f[y0:y0 + s, x0:x0 + s]), (size[1], size[0]),
                              interpolation=cv2.INTER_LINEAR))
    return np.stack(out)


def clip_streams(clip, streams=STREAMS, crop_fraction=0.75):
    """One clip (T, H, W, 3) uint8 RGB -> (T, H, W, C) uint8 streams (see module doc).

    Example:
        >>> clip = np.zeros((6, 40, 40, 3), np.uint8)
        >>> for t in range(6):
        ...     clip[t, 10:30, 5 + 3 * t:12 + 3 * t] = 200          # a bar moving right
        >>> s = clip_streams(clip)
        >>> s.shape, s.dtype
        ((6, 40, 40, 5), dtype('uint8'))
        >>> bool(s[2, ..., 3].max() > 0), bool(s[2, ..., 4].max() == 255)   # diff and mask see it
        (True, True)
    """
    streams = check_streams(streams)
    clip = np.asarray(clip)
    t, h, w = clip.shape[:3]
    parts = []
    if "rgb" in streams:
        parts.append(clip.astype(np.uint8))
    if "diff" in streams or "mask" in streams:
        grey = clip.astype(np.float32).mean(axis=-1)
        mask = foreground(grey)
        boxes = crop_boxes(mask, crop_fraction)
        if "diff" in streams:
            crops = _crop(grey, boxes, (h, w))
            d = np.abs(np.diff(crops, axis=0))
            d = np.concatenate([d[:1], d]) if len(d) else np.zeros_like(crops)
            parts.append(np.clip(d * DIFF_GAIN, 0, 255).astype(np.uint8)[..., None])
        if "mask" in streams:
            m = (mask * 255).astype(np.uint8)
            parts.append(_crop(m, boxes, (h, w))[..., None])
    return np.concatenate(parts, axis=-1)


def make_streams(clips, streams=STREAMS, crop_fraction=0.75):
    """A batch (N, T, H, W, 3) -> (N, T, H, W, C) uint8 streams (``clip_streams`` per clip)."""
    clips = np.asarray(clips)
    if clips.ndim == 4:
        clips = clips[None]
    return np.stack([clip_streams(c, streams, crop_fraction) for c in clips])
