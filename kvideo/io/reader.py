"""Reading frames: ``read_clip``, ``read_frame_pool``, ``iter_clips``, ``iter_frames`` (OpenCV FFmpeg + PyAV).

How frames are reached (measured in benchmarks/io_data.md): OpenCV's ``grab()`` decodes every frame it
passes, so reading 16 frames spread over a long file by grabbing costs a full decode. A seek jumps to
the keyframe before the target and decodes forward from there, so it costs at most one GOP (keyframe
interval) of decoding plus a fixed overhead. The reader plans every read on its own:

* the GOP of a file is probed once (packet flags only, no decoding) and only when some gap is long
  enough for it to matter, so short clips and dense sampling never pay for it;
* dense sampling (gaps <= 16 frames) is decoded sequentially with OpenCV ``grab()``;
* sparse reads go through PyAV (a core dependency; see :mod:`kvideo.io.pyav_seek`): it scans the
  keyframe index once (packets only, files up to 512 MiB), seeks whenever a keyframe lies between
  the current position and the next target, lands on that keyframe directly and skips every
  non-reference frame that is not a target (single-threaded decoder: cheapest in CPU time);
* when PyAV cannot be used (not importable, odd timestamps), gaps longer than GOP + 24 frames are seeked through OpenCV's ``CAP_PROP_POS_FRAMES``
  (which first steps 16 frames further back, hence the margin), shorter ones grabbed.

Both paths give frames bit-identical to a sequential decode (tested on mp4v, H.264 with B-frames,
XVID, MJPG, VP8); irregular timestamps or rotation metadata send a read to the OpenCV path. For
variable-frame-rate files a seek's frame index is derived from timestamps (as OpenCV's is).
The frame count comes from the container (``CAP_PROP_FRAME_COUNT``); when it is missing the frames
are counted, and when it is too high (estimated counts, truncated files) reads fall back to the
frames that really decode.

Broken files: a missing path, a directory, an empty (0-byte) file, a non-video file and a file no
frame of which can be decoded raise :class:`kvideo.VideoReadError`, whose message names the file and
the problem. A truncated file whose container still opens (AVI, WebM, MKV, MP4 with the index at the
front) is read as far as it decodes: sampling then spreads over the frames that really decode (a
``UserWarning`` says so). A typical MP4 cut short has lost its index (``moov`` at the end) and cannot
be opened at all: that is a ``VideoReadError``.
"""

from __future__ import annotations

import collections
import functools
import warnings
from pathlib import Path

import numpy as np

from kvideo.errors import VideoReadError
from kvideo.io.capture import UNDECODABLE, EndOfStream, VideoMeta, check_path, count_frames, open_capture, to_rgb
from kvideo.io.pyav_seek import MIN_SEEK_GAP, read_with_pyav
from kvideo.io.sampling import SAMPLING_MODES, SEEK_MODES, frame_range, sample_indices, snap_to_keyframes
from kvideo.utils.validation import argument_error, check_choice, check_float, check_int, parse_size

import cv2  # noqa: E402  (after kvideo.io.capture, which quiets FFmpeg's logging first)

VideoWindow = collections.namedtuple("VideoWindow", ["frames", "start", "end", "start_frame", "end_frame"])
VideoWindow.__doc__ = """One window of ``iter_clips``: ``frames`` (T, H, W, 3) uint8 RGB; ``start``/``end`` in seconds;
``start_frame`` (inclusive) and ``end_frame`` (exclusive) source frame indices."""

_GOP_PROBE_PACKETS = 600
PREFER_PYAV_SEEK = True  # sparse reads through PyAV when it is installed (faster seeks, see kvideo.io.pyav_seek)
_warned_short = set()


def _size_or_none(size, name="size"):
    """``size`` as (height, width), or None to keep the native size."""
    return None if size is None else parse_size(size, name=name)


# ----------------------------------------------------------------------------------------------
# grab-vs-seek planning
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _gop_cached(path_str, size, mtime_ns):
    """Keyframe interval of a file from packet flags (cv2 raw mode: demux only, no decoding)."""
    try:
        cap = cv2.VideoCapture(path_str, cv2.CAP_FFMPEG, [cv2.CAP_PROP_FORMAT, -1])
    except cv2.error:
        return None
    if not cap.isOpened():
        return None
    keys = []
    i = 0
    try:
        while i < _GOP_PROBE_PACKETS and len(keys) < 4:
            if not cap.grab():
                break
            if cap.get(cv2.CAP_PROP_LRF_HAS_KEY_FRAME):
                keys.append(i)
            i += 1
    finally:
        cap.release()
    if len(keys) >= 2:
        return int(max(np.diff(keys)))
    if i >= _GOP_PROBE_PACKETS:  # one keyframe in the first 600 packets: very long GOP
        return _GOP_PROBE_PACKETS
    return None  # short file: whole file is one GOP, never worth seeking


def keyframe_interval(path):
    """Largest keyframe spacing among the first keyframes of ``path`` (frames), or None if unknown.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_doc.avi", np.zeros((24, 32, 48, 3), np.uint8), fps=12)
        >>> kvideo.io.keyframe_interval(path)   # Motion-JPEG: every frame is a keyframe
        1
    """
    p = check_path(path)
    st = p.stat()
    return _gop_cached(str(p), st.st_size, st.st_mtime_ns)


def _seek_threshold(p: Path, backend="cv2"):
    """Shortest gap (frames) worth a seek in ``p``, or None when seeking never pays (one GOP).

    A PyAV seek lands on the keyframe before the target and decodes at most one GOP; OpenCV's seek
    first steps 16 frames further back (``cap_ffmpeg_impl``), so it needs 16 more frames of gap.
    """
    gop = keyframe_interval(p)
    if gop is None:
        return None  # never seek
    return max(MIN_SEEK_GAP, gop + (24 if backend == "cv2" else 2))


class FrameReader:
    """Reads frames of an opened capture at increasing indices, grabbing over short gaps and seeking over
    long ones (``seeks`` and ``grabs`` count what it did). Used by every reader of this module."""

    def __init__(self, p: Path, cap, size, allow_seek=True):
        self.p, self.cap, self.size = p, cap, size
        self.pos = 0  # index of the next frame grab() would return
        self.allow_seek = allow_seek
        self._threshold = "unset"
        self.seeks = 0
        self.grabs = 0

    def threshold(self):
        if self._threshold == "unset":
            self._threshold = _seek_threshold(self.p) if self.allow_seek else None
        return self._threshold

    def skip_to(self, idx):
        gap = idx - self.pos
        if gap < 0:
            raise argument_error("idx", idx, f">= {self.pos}: a FrameReader only moves forward")
        if gap > MIN_SEEK_GAP and self.threshold() is not None and gap > self.threshold():
            if self.cap.set(cv2.CAP_PROP_POS_FRAMES, idx) and int(self.cap.get(cv2.CAP_PROP_POS_FRAMES)) == idx:
                self.pos = idx
                self.seeks += 1
                return
            # The seek did not land where asked: reopen and go sequentially (always exact).
            self.cap.release()
            self.cap = open_capture(self.p)
            self.pos = 0
            self.allow_seek, self._threshold = False, None
            gap = idx
        for _ in range(gap):
            if not self.cap.grab():
                raise EndOfStream(self.pos)
            self.pos += 1
            self.grabs += 1

    def read(self, idx):
        self.skip_to(idx)
        ok, frame = self.cap.read()
        if not ok or frame is None:
            raise EndOfStream(self.pos if self.seeks == 0 else None)
        self.pos += 1
        return to_rgb(frame, self.size)

    def close(self):
        self.cap.release()


def read_clip(path, num_frames=16, size=(112, 112), sampling="uniform", start=None, end=None, seed=None, seek="exact"):
    """Read ``num_frames`` frames of a video as a uint8 RGB array of shape (T, H, W, 3).

    Args:
        path: a video file (anything FFmpeg reads: mp4/H.264, mp4v, avi/XVID/MJPG, webm/VP8, mkv, mov ...).
        num_frames: frames to return (ignored with ``sampling="all"``). A file with fewer frames
            repeats frames in temporal order (e.g. 8 frames read as 16: each frame twice).
        size: ``(height, width)`` to resize to (``cv2.INTER_AREA``), an int for a square, or None to
            keep the native size. The aspect ratio is not kept (like Keras' ``image_size``).
        sampling: ``"uniform"`` (centres of equal segments: deterministic), ``"random"`` (one random
            frame per segment, for training) or ``"all"`` (every frame in the range).
        start, end: optional range in seconds.
        seed: seed for ``sampling="random"``.
        seek: ``"exact"`` (default) returns exactly the sampled frames. ``"keyframe"`` trades
            exactness for speed: each sampled index is moved to the nearest keyframe inside
            ``[start, end)``, so every frame costs one keyframe decode instead of decoding from the
            keyframe before it (much faster on files with long keyframe intervals, e.g. x264's 250;
            see benchmarks/io_data.md). Frames may then repeat and are no longer evenly spaced; the
            mode needs PyAV's keyframe index (files up to 512 MiB) and reads exact frames without
            it, or when the range holds no keyframe.

    Only the frames needed are decoded: gaps longer than the file's keyframe interval are seeked
    over, shorter ones grabbed through (see the module docstring).

    Raises:
        kvideo.VideoReadError: missing, empty, non-video or undecodable file; the message names it.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_doc.avi", np.zeros((24, 32, 48, 3), np.uint8), fps=12)
        >>> clip = kvideo.io.read_clip(path, num_frames=8, size=(16, 16))
        >>> clip.shape, clip.dtype
        ((8, 16, 16, 3), dtype('uint8'))
    """
    check_choice("sampling", sampling, SAMPLING_MODES)
    check_choice("seek", seek, SEEK_MODES)
    if sampling != "all":
        num_frames = check_int("num_frames", num_frames, low=1)
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            check_float(name, value, low=0)
    if start is not None and end is not None and end <= start:
        raise argument_error("end", end, f"after start={start}")
    size = _size_or_none(size)
    p = check_path(path)
    rng = np.random.default_rng(seed) if sampling == "random" else None

    make = lambda s, e: sample_indices(s, e, num_frames, sampling, rng)  # noqa: E731
    if seek == "keyframe" and sampling != "all":
        make = snap_to_keyframes(p, make)
    return _read_sampled(p, size, start, end, make)


def read_frame_pool(path, max_frames=64, size=(112, 112)):
    """All frames of a video when it has at most ``max_frames``, else ``max_frames`` uniformly spread ones.

    Used by the dataset cache for ``sampling="random"``: the pool is cached once and each epoch draws
    a fresh random subset from it. Returns uint8 RGB (N, H, W, 3) with N <= ``max_frames``.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_doc.avi", np.zeros((24, 32, 48, 3), np.uint8), fps=12)
        >>> kvideo.io.read_frame_pool(path, max_frames=64, size=(16, 16)).shape  # 24 frames: all of them
        (24, 16, 16, 3)
    """
    max_frames = check_int("max_frames", max_frames, low=1)
    size = _size_or_none(size)
    p = check_path(path)
    return _read_sampled(
        p, size, None, None, lambda s, e: np.arange(s, e) if e - s <= max_frames else sample_indices(s, e, max_frames)
    )


def _read_sampled(p, size, start, end, make_indices):
    cap = open_capture(p)
    meta = VideoMeta(cap)
    n = meta.frames
    if n <= 0:
        cap.release()
        n = count_frames(p)
        if n == 0:
            raise VideoReadError(p, UNDECODABLE)
        cap = open_capture(p)
    for attempt in range(2):
        s, e = frame_range(meta.fps, n, start, end, p)
        idx = make_indices(s, e)
        if attempt == 0 and PREFER_PYAV_SEEK and meta.rotation % 360 == 0:
            gaps = np.diff(np.concatenate([[0], np.unique(idx)]))
            if len(gaps) and gaps.max() > MIN_SEEK_GAP:
                # sparse: PyAV seeks over gaps longer than a GOP and skips non-reference frames
                # while decoding towards a far target
                threshold = _seek_threshold(p, "pyav")
                try:
                    out = read_with_pyav(p, size, idx, threshold)
                except EndOfStream:
                    out = None  # let the OpenCV path find the real length
                if out is not None:
                    cap.release()
                    return out
        reader = FrameReader(p, cap, size, allow_seek=attempt == 0)
        try:
            frames = {}
            for i in np.unique(idx):
                frames[int(i)] = reader.read(int(i))
            return np.stack([frames[int(i)] for i in idx])
        except EndOfStream as eos:
            # The container promised more frames than decode (truncated file, estimated count).
            known = eos.position
            reader.close()
            real = count_frames(p)
            if real == 0:
                raise VideoReadError(p, UNDECODABLE) from None
            if attempt == 1:
                raise VideoReadError(p, f"decoding stopped at frame {known} of {n}") from None
            key = str(p)
            if real < n and key not in _warned_short:
                _warned_short.add(key)
                warnings.warn(
                    f"Video '{p}' says it has {n} frames but only {real} decode (truncated?); "
                    f"sampling from the {real} readable frames.",
                    stacklevel=3,
                )
            n = min(n, real)
            cap = open_capture(p)
        finally:
            reader.close()
    raise AssertionError("unreachable")  # pragma: no cover


def iter_frames(path, every_n_frames=1, size=None):
    """Yield ``(frame_index, seconds, frame)`` for every ``every_n_frames``-th frame, one at a time.

    ``frame`` is uint8 RGB (H, W, 3), resized to ``size=(height, width)`` when given. Memory stays
    constant whatever the length of the file. Large steps seek instead of decoding every frame.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_doc.avi", np.zeros((24, 32, 48, 3), np.uint8), fps=12)
        >>> for i, t, frame in kvideo.io.iter_frames(path, every_n_frames=10):
        ...     print(i, round(t, 2), frame.shape)
        0 0.0 (32, 48, 3)
        10 0.83 (32, 48, 3)
        20 1.67 (32, 48, 3)
    """
    every_n_frames = check_int("every_n_frames", every_n_frames, low=1)
    size = _size_or_none(size)
    p = check_path(path)
    cap = open_capture(p)  # fail now, not at the first next()
    return _iter_frames(p, cap, int(every_n_frames), size)


def _iter_frames(p, cap, step, size):
    meta = VideoMeta(cap)
    reader = FrameReader(p, cap, size)
    i = 0
    try:
        while True:
            try:
                frame = reader.read(i)
            except EndOfStream:
                if i == 0:
                    raise VideoReadError(p, UNDECODABLE) from None
                return
            yield i, i / meta.fps, frame
            i += step
    finally:
        reader.close()


def iter_clips(path, clip_frames=16, stride=None, size=(112, 112), num_frames=None):
    """Yield windows of ``clip_frames`` consecutive frames every ``stride`` frames, in bounded memory.

    Each item is a :class:`VideoWindow` ``(frames, start, end, start_frame, end_frame)``: ``frames`` is
    uint8 RGB (T, H, W, 3) with T = ``clip_frames`` (or ``num_frames`` when given: the window is then
    uniformly subsampled), ``start``/``end`` are seconds and ``end_frame`` is exclusive. Only
    ``clip_frames`` frames are held at a time, so a 1-hour file streams in constant memory. A trailing
    part shorter than a window is not yielded; a file shorter than one window gives one window with
    repeated frames. Strides much longer than the window seek over the gap.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_doc.avi", np.zeros((24, 32, 48, 3), np.uint8), fps=12)
        >>> for w in kvideo.io.iter_clips(path, clip_frames=12, stride=6, size=(16, 16)):
        ...     print(f"{w.start:.2f}-{w.end:.2f}s", w.frames.shape)
        0.00-1.00s (12, 16, 16, 3)
        0.50-1.50s (12, 16, 16, 3)
        1.00-2.00s (12, 16, 16, 3)
    """
    clip_frames = check_int("clip_frames", clip_frames, low=1)
    stride = clip_frames if stride is None else check_int("stride", stride, low=1)
    num_frames = None if num_frames is None else check_int("num_frames", num_frames, low=1)
    size = _size_or_none(size)
    p = check_path(path)
    cap = open_capture(p)
    return _iter_clips(p, cap, int(clip_frames), int(stride), size, num_frames)


def _iter_clips(p, cap, clip_frames, stride, size, num_frames):
    meta = VideoMeta(cap)
    fps = meta.fps
    reader = FrameReader(p, cap, size)
    buf = collections.deque(maxlen=clip_frames)
    pick = None if num_frames is None else sample_indices(0, clip_frames, num_frames)
    win_start = 0
    i = 0  # next frame index to read
    yielded = False
    try:
        while True:
            if i < win_start:  # stride > clip_frames: jump over frames no window uses
                buf.clear()
                i = win_start
            try:
                frame = reader.read(i)
            except EndOfStream:
                break
            buf.append(frame)
            i += 1
            if i == win_start + clip_frames:
                frames = np.stack(buf)
                if pick is not None:
                    frames = frames[pick]
                yield VideoWindow(frames, win_start / fps, i / fps, win_start, i)
                yielded = True
                win_start += stride
        if not yielded:
            if not buf:
                raise VideoReadError(p, UNDECODABLE)
            n = len(buf)
            frames = np.stack(buf)[sample_indices(0, n, num_frames or clip_frames)]
            yield VideoWindow(frames, 0.0, n / fps, 0, n)
    finally:
        reader.close()
