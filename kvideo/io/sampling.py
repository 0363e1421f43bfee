"""Which frames to read: sampling modes, frame ranges from seconds, snapping to keyframes."""

from __future__ import annotations

import numpy as np

from kvideo.errors import VideoReadError
from kvideo.io.pyav_seek import keyframes_cached
from kvideo.utils.validation import argument_error, check_choice

SAMPLING_MODES = ("uniform", "random", "all")
SEEK_MODES = ("exact", "keyframe")


def sample_indices(start, end, num_frames, sampling="uniform", rng=None):
    """Frame indices in ``[start, end)`` for a sampling mode (sorted; repeats when the range is short).

    ``"uniform"`` takes the centre of ``num_frames`` equal segments; ``"random"`` one random frame per
    segment (TSN-style: random but still spread over the whole range and in temporal order);
    ``"all"`` every frame. When the range has fewer frames than ``num_frames`` frames repeat in order
    (e.g. 4 frames -> 0,0,1,1,2,2,3,3 for 8).

    Example:
        >>> sample_indices(0, 100, 4).tolist()
        [12, 37, 62, 87]
    """
    length = end - start
    if length <= 0:
        raise argument_error("end", end, f"greater than start={start} (an empty frame range)")
    if sampling == "all":
        return np.arange(start, end)
    k = np.arange(num_frames, dtype=np.float64)
    if sampling == "uniform":
        offs = k + 0.5
    elif sampling == "random":
        rng = rng if rng is not None else np.random.default_rng()
        offs = k + rng.random(num_frames)
    else:
        check_choice("sampling", sampling, SAMPLING_MODES)
    idx = start + np.floor(offs * length / num_frames).astype(np.int64)
    return np.clip(idx, start, end - 1)


def frame_range(fps, n, start, end, p):
    """Frame range ``[s, e)`` of ``n`` frames for optional ``start``/``end`` seconds (at least one frame)."""
    s = 0 if start is None else int(round(float(start) * fps))
    e = n if end is None else min(n, int(round(float(end) * fps)))
    if s >= n:
        raise VideoReadError(
            p, f"start={start}s is past the end of the video ({n} frames, {n / fps:.2f}s)", "Use a smaller start."
        )
    return s, max(e, s + 1)


def snap_to_keyframes(p, make_indices):
    """Wrap ``make_indices(s, e)`` so that each index moves to the nearest keyframe in [s, e)."""

    def make(s, e):
        idx = make_indices(s, e)
        st = p.stat()
        keys = keyframes_cached(str(p), st.st_size, st.st_mtime_ns)
        if not keys:
            return idx  # no PyAV or no index: exact frames
        keys = np.asarray(keys)
        keys = keys[(keys >= s) & (keys < e)]
        if not len(keys):
            return idx
        pos = np.clip(np.searchsorted(keys, idx), 1, max(1, len(keys) - 1))
        lo, hi = keys[pos - 1], keys[np.minimum(pos, len(keys) - 1)]
        return np.where(np.abs(idx - lo) <= np.abs(hi - idx), lo, hi)

    return make
