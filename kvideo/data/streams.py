"""Input streams of the pretrained-encoder classifiers, computed from a clip before the model.

A person filmed by a still phone wears clothes no training clip had. Besides the frame itself
(``rgb``), two streams show the *movement* of the body, whatever its colours:

* ``diff``: the absolute difference of consecutive sampled frames (grey, amplified x4);
* ``mask``: the pixels that differ from the clip's median frame (with a still camera, the
  background): a silhouette of what moves.

Measured on unseen actors (BENCHMARKS.md), these two streams carry most of what generalises from
one person to another; a crop that follows the subject was tried and did worse than whole frames.

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


def clip_streams(clip, streams=STREAMS):
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
    parts = []
    if "rgb" in streams:
        parts.append(clip.astype(np.uint8))
    grey = clip.astype(np.float32).mean(axis=-1)
    if "diff" in streams:
        d = np.abs(np.diff(grey, axis=0))
        d = np.concatenate([d[:1], d]) if len(d) else np.zeros_like(grey)
        parts.append(np.clip(d * DIFF_GAIN, 0, 255).astype(np.uint8)[..., None])
    if "mask" in streams:
        import cv2

        mask = (foreground(grey) * 255).astype(np.uint8)
        kernel = np.ones((3, 3), np.uint8)  # close one-pixel gaps in the silhouette
        parts.append(np.stack([cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel) for m in mask])[..., None])
    return np.concatenate(parts, axis=-1)


def make_streams(clips, streams=STREAMS):
    """A batch (N, T, H, W, 3) -> (N, T, H, W, C) uint8 streams (``clip_streams`` per clip)."""
    clips = np.asarray(clips)
    if clips.ndim == 4:
        clips = clips[None]
    return np.stack([clip_streams(c, streams) for c in clips])
