"""Reading videos with OpenCV's FFmpeg backend: ``read_clip``, ``iter_clips``, ``iter_frames``, ``video_info``.

How frames are reached (measured in benchmarks/io_data.md): OpenCV's ``grab()`` decodes every frame it
passes, so reading 16 frames spread over a long file by grabbing costs a full decode. A seek jumps to
the keyframe before the target and decodes forward from there, so it costs at most one GOP (keyframe
interval) of decoding plus a fixed overhead. The reader plans every read on its own:

* the GOP of a file is probed once (packet flags only, no decoding) and only when some gap is long
  enough for it to matter, so short clips and dense sampling never pay for it;
* dense sampling (gaps <= 16 frames) is decoded sequentially with OpenCV ``grab()``;
* with PyAV installed (the ``[demo]``/``[face]`` extras) sparse reads go through PyAV: it scans the
  keyframe index once (packets only, files up to 512 MiB), seeks whenever a keyframe lies between
  the current position and the next target, lands on that keyframe directly and skips every
  non-reference frame that is not a target (single-threaded decoder: cheapest in CPU time);
* without PyAV, gaps longer than GOP + 24 frames are seeked through OpenCV's ``CAP_PROP_POS_FRAMES``
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
import math
import os
import warnings
from pathlib import Path

import numpy as np

from kvideo.errors import VideoReadError

# Quiet FFmpeg's own chatter (e.g. "tag VP80 is not supported ..."); errors still become VideoReadError.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402

VideoWindow = collections.namedtuple("VideoWindow", ["frames", "start", "end", "start_frame", "end_frame"])
VideoWindow.__doc__ = """One window of ``iter_clips``: ``frames`` (T, H, W, 3) uint8 RGB; ``start``/``end`` in seconds;
``start_frame`` (inclusive) and ``end_frame`` (exclusive) source frame indices."""

SAMPLING_MODES = ("uniform", "random", "all")
DEFAULT_FPS = 25.0  # used when a container reports no (or a nonsense) frame rate
_MIN_SEEK_GAP = 16  # never seek over fewer frames than this: grabbing them is cheaper than any seek
_GOP_PROBE_PACKETS = 600
PREFER_PYAV_SEEK = True  # sparse reads through PyAV when it is installed (faster seeks, see below)
SPARSE_DECODE_THREADS = 1  # decoder threads of the PyAV sparse path; 0 = FFmpeg's choice (see _PyAVSeeker)
_warned_short = set()


# ----------------------------------------------------------------------------------------------
# opening and validation
# ----------------------------------------------------------------------------------------------
def _fail(path, problem, hint=""):
    hint = f" {hint}" if hint else ""
    return VideoReadError(f"Cannot read video '{path}': {problem}.{hint} Received: path={str(path)!r}")


def _check_path(path) -> Path:
    if isinstance(path, (bytes, bytearray)):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise VideoReadError(
            f"Expected a video file path (str or pathlib.Path). Received: path={path!r} of type {type(path).__name__}"
        )
    p = Path(path).expanduser()
    if not p.exists():
        raise _fail(p, "file not found", "Check the path.")
    if p.is_dir():
        raise _fail(p, "it is a directory, not a video file", "Pass one video file (or use video_dataset_from_directory).")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise _fail(p, f"cannot stat the file ({e.strerror})") from None
    if size == 0:
        raise _fail(p, "the file is empty (0 bytes)", "Re-download or re-export it.")
    if not os.access(p, os.R_OK):
        raise _fail(p, "permission denied")
    return p


def _open(p: Path, raw=False):
    params = [cv2.CAP_PROP_FORMAT, -1] if raw else []
    try:
        cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG, params)
    except cv2.error as e:  # pragma: no cover - cv2 raises only on odd builds
        raise _fail(p, f"OpenCV failed to open it ({' '.join(str(e).split())[:120]})") from None
    if not cap.isOpened():
        cap.release()
        raise _fail(
            p,
            "not a video, an unsupported codec, or a truncated file whose index is missing",
            "Check that it plays in a video player.",
        )
    return cap


class _Meta:
    __slots__ = ("frames", "fps", "fps_known", "width", "height", "fourcc", "rotation")

    def __init__(self, cap):
        n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frames = int(n) if math.isfinite(n) and 0 < n < 2**40 else 0  # 0 = unknown
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps_known = bool(math.isfinite(fps) and 0 < fps <= 1000)
        self.fps = float(fps) if self.fps_known else DEFAULT_FPS
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        rot = cap.get(getattr(cv2, "CAP_PROP_ORIENTATION_META", 48))
        self.rotation = int(rot) if math.isfinite(rot) else 0  # OpenCV auto-rotates; PyAV would not
        code = int(cap.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
        chars = code.to_bytes(4, "little").decode("latin-1")
        self.fourcc = chars.strip("\x00 ") if chars.strip("\x00 ").isprintable() and code else ""


def _normalize_size(size, name="size"):
    if size is None:
        return None
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be (height, width), an int or None. Received: {name}={size!r}") from None
    if h <= 0 or w <= 0:
        raise ValueError(f"`{name}` must be positive. Received: {name}={size!r}")
    return (h, w)


def _to_rgb(frame, size):
    if size is not None and frame.shape[:2] != size:
        h, w = size
        interp = cv2.INTER_AREA if (h <= frame.shape[0] and w <= frame.shape[1]) else cv2.INTER_LINEAR
        frame = cv2.resize(frame, (w, h), interpolation=interp)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


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
        >>> kvideo.io.keyframe_interval("clip.mp4")   # doctest: +SKIP
        12
    """
    p = _check_path(path)
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
    return max(_MIN_SEEK_GAP, gop + (24 if backend == "cv2" else 2))


class _EndOfStream(Exception):
    def __init__(self, position):
        super().__init__(position)
        self.position = position  # frames known to decode (exact when reading sequentially), or None


class _Reader:
    """Reads frames at increasing indices, grabbing over short gaps and seeking over long ones."""

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
            raise ValueError("indices must not decrease")
        if gap > _MIN_SEEK_GAP and self.threshold() is not None and gap > self.threshold():
            if self.cap.set(cv2.CAP_PROP_POS_FRAMES, idx) and int(self.cap.get(cv2.CAP_PROP_POS_FRAMES)) == idx:
                self.pos = idx
                self.seeks += 1
                return
            # The seek did not land where asked: reopen and go sequentially (always exact).
            self.cap.release()
            self.cap = _open(self.p)
            self.pos = 0
            self.allow_seek, self._threshold = False, None
            gap = idx
        for _ in range(gap):
            if not self.cap.grab():
                raise _EndOfStream(self.pos)
            self.pos += 1
            self.grabs += 1

    def read(self, idx):
        self.skip_to(idx)
        ok, frame = self.cap.read()
        if not ok or frame is None:
            raise _EndOfStream(self.pos if self.seeks == 0 else None)
        self.pos += 1
        return _to_rgb(frame, self.size)

    def close(self):
        self.cap.release()


_KEYFRAME_SCAN_MAX_BYTES = 512 << 20


@functools.lru_cache(maxsize=1024)
def _keyframes_cached(path_str, size, mtime_ns):
    """Frame indices of all keyframes (PyAV demux: reads packets, decodes nothing), or None."""
    if size > _KEYFRAME_SCAN_MAX_BYTES:
        return None  # a scan would read too much: plan with the GOP estimate instead
    try:
        import av

        with av.open(path_str) as c:
            s = c.streams.video[0]
            rate = s.average_rate or s.guessed_rate
            tb, start = s.time_base, s.start_time or 0
            keys = []
            for pkt in c.demux(s):
                if pkt.is_keyframe:
                    if pkt.pts is None:
                        return None
                    keys.append(int(round(float((pkt.pts - start) * tb * rate))))
    except Exception:  # noqa: BLE001 - no PyAV or an odd file: no keyframe index
        return None
    return tuple(sorted(keys)) if keys else None


class _Mismatch(Exception):
    """PyAV timestamps do not map cleanly to frame indices: use the OpenCV path instead."""


class _PyAVSeeker:
    """Sparse reads with PyAV.

    With the file's keyframe index (a demux-only scan, cached per file) it seeks exactly when a
    keyframe lies between the current position and the target, landing on that keyframe (no OpenCV
    16-frame back-off); without it, when the gap exceeds the GOP estimate. Every packet that is not a
    wanted frame is sent with ``skip_frame="NONREF"``: the decoder drops frames nothing references
    (about half of x264's B-frames) and decodes only the reference chain up to each target; a wanted
    frame is always decoded in full. Frames are bit-identical to OpenCV's sequential decode (same
    FFmpeg decoder and swscale conversion; checked in tests); irregular timestamps raise _Mismatch
    and the OpenCV path takes over. (Skipping the deblocking filter or the IDCT of the reference
    frames decoded only to reach a target would be faster, but every later frame is predicted from
    them, so the target would no longer be exact: not done.)

    Threading: ``SPARSE_DECODE_THREADS`` (default 1: no threading). Frame threading (OpenCV's and
    PyAV's "AUTO" default) pipelines whole frames, which a seek every few hundred frames keeps
    flushing and refilling; on the 3,000-frame x264 file of benchmarks/io_data.md "AUTO" and 2
    frame threads cost 15-30% more CPU time than one thread (slice threads ~5-10%), with no
    wall-clock gain on the shared, loaded 2-core machine (on an idle
    multi-core machine frame threads can lower wall time: set it to 0 for FFmpeg's automatic
    choice). Seeks and per-packet ``skip_frame`` stay exact with any setting (tested)."""

    def __init__(self, p: Path, size, threshold, wanted=()):
        import av  # noqa: F401 - ImportError means: no PyAV path

        self.av = av
        self.c = av.open(str(p))
        try:
            self.s = self.c.streams.video[0]
        except IndexError:
            self.c.close()
            raise _Mismatch() from None
        threads = int(SPARSE_DECODE_THREADS)
        if threads != 1:
            self.s.thread_type = "AUTO"
        self.s.codec_context.thread_count = threads
        rate = self.s.average_rate or self.s.guessed_rate
        if not rate or self.s.time_base is None:
            self.c.close()
            raise _Mismatch()
        self.cc = self.s.codec_context
        self.tb, self.rate = self.s.time_base, rate
        self.start = self.s.start_time or 0
        self._k = float(self.tb * self.rate)  # pts -> frame index without Fraction arithmetic per packet
        self.size = size
        self.threshold = threshold if threshold is not None else float("inf")
        self.wanted = frozenset(int(i) for i in wanted)
        self.gen = None
        self.last = -(10**9)
        self.seeks = 0
        self.decoded = 0  # frames the decoder produced (tests/benchmarks)
        st = p.stat()
        keys = _keyframes_cached(str(p), st.st_size, st.st_mtime_ns)
        self.keys = np.asarray(keys) if keys else None

    def _pts(self, i):
        return self.start + int(round(i / self.rate / self.tb))

    def _index(self, pts):
        return int(round((pts - self.start) * self._k))

    def _decode(self):
        cc = self.cc
        for packet in self.c.demux(self.s):
            # Decode a wanted frame (and any packet without a timestamp) in full; skip the rest of
            # what nothing references. Packets come in decode order, so a frame's references are
            # always sent before it; skipping is decided per packet, never for a wanted one.
            want = packet.pts is None or self._index(packet.pts) in self.wanted
            mode = "DEFAULT" if want else "NONREF"
            if cc.skip_frame != mode:
                cc.skip_frame = mode
            for frame in packet.decode():
                if frame.pts is None:
                    raise _Mismatch()
                self.decoded += 1
                yield self._index(frame.pts), frame

    def _should_seek(self, idx):
        if self.gen is None:
            return True
        if self.keys is not None:  # seek when a keyframe lies between here and the target
            k = self.keys[max(0, np.searchsorted(self.keys, idx, side="right") - 1)]
            return k > self.last + _MIN_SEEK_GAP // 2
        return idx - self.last > self.threshold

    def read(self, idx):
        if not self.wanted:
            self.wanted = frozenset([idx])
        if idx not in self.wanted:
            self.wanted = self.wanted | {idx}
        if self._should_seek(idx):
            self.c.seek(self._pts(idx), stream=self.s, backward=True, any_frame=False)
            self.gen = self._decode()
            self.seeks += 1
        for j, frame in self.gen:
            self.last = j
            if j < idx:
                continue
            if j > idx:
                raise _Mismatch()  # overshoot: timestamps are not regular
            return _to_rgb(frame.to_ndarray(format="bgr24"), self.size)
        raise _EndOfStream(None)

    def close(self):
        self.c.close()


def _read_with_pyav(p, size, idx, threshold):
    """Read sorted indices with PyAV; None when PyAV is missing or the file's timestamps do not fit."""
    try:
        seeker = _PyAVSeeker(p, size, threshold, wanted=np.unique(idx))
    except (ImportError, _Mismatch):
        return None
    except Exception:  # noqa: BLE001 - any PyAV trouble: the OpenCV path decides
        return None
    try:
        frames = {}
        for i in np.unique(idx):
            frames[int(i)] = seeker.read(int(i))
        return np.stack([frames[int(i)] for i in idx])
    except _EndOfStream:
        raise
    except Exception:  # noqa: BLE001 - _Mismatch or a decoder error: fall back to OpenCV
        return None
    finally:
        seeker.close()


def _count_frames(p: Path) -> int:
    """Frames that really decode (sequential grab; used when the container's count is missing or wrong)."""
    cap = _open(p)
    n = 0
    try:
        while cap.grab():
            n += 1
    finally:
        cap.release()
    return n


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def video_info(path):
    """Metadata of a video file as a dict ``{path, frames, fps, duration, width, height, codec}``.

    ``frames`` comes from the container; when it reports none (some streamed/WebM/MKV files) the
    frames are counted by decoding. ``codec`` is the FourCC as a string (e.g. ``"FMP4"`` for mp4v,
    ``"h264"``, ``"VP80"``, ``"MJPG"``). A container without a frame rate gets ``fps=25.0``.

    Example:
        >>> info = kvideo.io.video_info("clip.mp4")    # doctest: +SKIP
        >>> info["frames"], info["fps"], info["codec"]  # doctest: +SKIP
        (24, 12.0, 'FMP4')
    """
    p = _check_path(path)
    cap = _open(p)
    try:
        meta = _Meta(cap)
        ok, frame = cap.read()
        if not ok or frame is None:
            raise _fail(p, "no frame can be decoded (corrupt or truncated file)")
        if meta.width <= 0 or meta.height <= 0:
            meta.height, meta.width = frame.shape[:2]
    finally:
        cap.release()
    frames = meta.frames or _count_frames(p)
    codec = meta.fourcc or _codec_name_pyav(p) or "unknown"
    return {
        "path": str(p),
        "frames": int(frames),
        "fps": float(meta.fps),
        "duration": float(frames / meta.fps),
        "width": int(meta.width),
        "height": int(meta.height),
        "codec": codec,
    }


def _codec_name_pyav(p):
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(p)) as c:
            return c.streams.video[0].codec_context.name
    except Exception:  # noqa: BLE001 - best effort only
        return None


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
        raise ValueError(f"empty frame range. Received: start={start}, end={end}")
    if sampling == "all":
        return np.arange(start, end)
    k = np.arange(num_frames, dtype=np.float64)
    if sampling == "uniform":
        offs = k + 0.5
    elif sampling == "random":
        rng = rng if rng is not None else np.random.default_rng()
        offs = k + rng.random(num_frames)
    else:
        raise ValueError(f"`sampling` must be one of {SAMPLING_MODES}. Received: sampling={sampling!r}")
    idx = start + np.floor(offs * length / num_frames).astype(np.int64)
    return np.clip(idx, start, end - 1)


def _frame_range(meta, n, start, end, p):
    fps = meta.fps
    s = 0 if start is None else int(round(float(start) * fps))
    e = n if end is None else min(n, int(round(float(end) * fps)))
    if s >= n:
        raise _fail(
            p, f"start={start}s is past the end of the video ({n} frames, {n / fps:.2f}s)", "Use a smaller start."
        )
    return s, max(e, s + 1)


SEEK_MODES = ("exact", "keyframe")


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
        >>> clip = kvideo.io.read_clip("clip.mp4", num_frames=16, size=(112, 112))   # doctest: +SKIP
        >>> clip.shape, clip.dtype                                                    # doctest: +SKIP
        ((16, 112, 112, 3), dtype('uint8'))
    """
    if sampling not in SAMPLING_MODES:
        raise ValueError(f"`sampling` must be one of {SAMPLING_MODES}. Received: sampling={sampling!r}")
    if seek not in SEEK_MODES:
        raise ValueError(f"`seek` must be one of {SEEK_MODES}. Received: seek={seek!r}")
    if sampling != "all" and (not isinstance(num_frames, (int, np.integer)) or num_frames < 1):
        raise ValueError(f"`num_frames` must be a positive int. Received: num_frames={num_frames!r}")
    for name, v in (("start", start), ("end", end)):
        if v is not None and (not isinstance(v, (int, float, np.number)) or not math.isfinite(v) or v < 0):
            raise ValueError(f"`{name}` must be a non-negative number of seconds or None. Received: {name}={v!r}")
    if start is not None and end is not None and end <= start:
        raise ValueError(f"`end` must be after `start`. Received: start={start}, end={end}")
    size = _normalize_size(size)
    p = _check_path(path)
    rng = np.random.default_rng(seed) if sampling == "random" else None

    make = lambda s, e: sample_indices(s, e, num_frames, sampling, rng)  # noqa: E731
    if seek == "keyframe" and sampling != "all":
        make = _snapping(p, make)
    return _read_sampled(p, size, start, end, make)


def _snapping(p: Path, make_indices):
    """Wrap ``make_indices(s, e)`` so that each index moves to the nearest keyframe in [s, e)."""

    def make(s, e):
        idx = make_indices(s, e)
        st = p.stat()
        keys = _keyframes_cached(str(p), st.st_size, st.st_mtime_ns)
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


def read_frame_pool(path, max_frames=64, size=(112, 112)):
    """All frames of a video when it has at most ``max_frames``, else ``max_frames`` uniformly spread ones.

    Used by the dataset cache for ``sampling="random"``: the pool is cached once and each epoch draws
    a fresh random subset from it. Returns uint8 RGB (N, H, W, 3) with N <= ``max_frames``.

    Example:
        >>> pool = kvideo.io.read_frame_pool("clip.mp4", max_frames=64, size=(64, 64))   # doctest: +SKIP
    """
    size = _normalize_size(size)
    p = _check_path(path)
    return _read_sampled(
        p, size, None, None, lambda s, e: np.arange(s, e) if e - s <= max_frames else sample_indices(s, e, max_frames)
    )


def _read_sampled(p, size, start, end, make_indices):
    cap = _open(p)
    meta = _Meta(cap)
    n = meta.frames
    if n <= 0:
        cap.release()
        n = _count_frames(p)
        if n == 0:
            raise _fail(p, "no frame can be decoded (corrupt or truncated file)")
        cap = _open(p)
    for attempt in range(2):
        s, e = _frame_range(meta, n, start, end, p)
        idx = make_indices(s, e)
        if attempt == 0 and PREFER_PYAV_SEEK and meta.rotation % 360 == 0:
            gaps = np.diff(np.concatenate([[0], np.unique(idx)]))
            if len(gaps) and gaps.max() > _MIN_SEEK_GAP:
                # sparse: PyAV seeks over gaps longer than a GOP and skips non-reference frames
                # while decoding towards a far target
                threshold = _seek_threshold(p, "pyav")
                try:
                    out = _read_with_pyav(p, size, idx, threshold)
                except _EndOfStream:
                    out = None  # let the OpenCV path find the real length
                if out is not None:
                    cap.release()
                    return out
        reader = _Reader(p, cap, size, allow_seek=attempt == 0)
        try:
            frames = {}
            for i in np.unique(idx):
                frames[int(i)] = reader.read(int(i))
            return np.stack([frames[int(i)] for i in idx])
        except _EndOfStream as eos:
            # The container promised more frames than decode (truncated file, estimated count).
            known = eos.position
            reader.close()
            real = _count_frames(p)
            if real == 0:
                raise _fail(p, "no frame can be decoded (corrupt or truncated file)") from None
            if attempt == 1:
                raise _fail(p, f"decoding stopped at frame {known} of {n}") from None
            key = str(p)
            if real < n and key not in _warned_short:
                _warned_short.add(key)
                warnings.warn(
                    f"Video '{p}' says it has {n} frames but only {real} decode (truncated?); "
                    f"sampling from the {real} readable frames.",
                    stacklevel=3,
                )
            n = min(n, real)
            cap = _open(p)
        finally:
            reader.close()
    raise AssertionError("unreachable")  # pragma: no cover


def iter_frames(path, every_n_frames=1, size=None):
    """Yield ``(frame_index, seconds, frame)`` for every ``every_n_frames``-th frame, one at a time.

    ``frame`` is uint8 RGB (H, W, 3), resized to ``size=(height, width)`` when given. Memory stays
    constant whatever the length of the file. Large steps seek instead of decoding every frame.

    Example:
        >>> for i, t, frame in kvideo.io.iter_frames("clip.mp4", every_n_frames=10):   # doctest: +SKIP
        ...     print(i, round(t, 2), frame.shape)
    """
    if not isinstance(every_n_frames, (int, np.integer)) or every_n_frames < 1:
        raise ValueError(f"`every_n_frames` must be a positive int. Received: every_n_frames={every_n_frames!r}")
    size = _normalize_size(size)
    p = _check_path(path)
    cap = _open(p)  # fail now, not at the first next()
    return _iter_frames(p, cap, int(every_n_frames), size)


def _iter_frames(p, cap, step, size):
    meta = _Meta(cap)
    reader = _Reader(p, cap, size)
    i = 0
    try:
        while True:
            try:
                frame = reader.read(i)
            except _EndOfStream:
                if i == 0:
                    raise _fail(p, "no frame can be decoded (corrupt or truncated file)") from None
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
        >>> for w in kvideo.io.iter_clips("long.mp4", clip_frames=16, stride=8, size=(112, 112)):  # doctest: +SKIP
        ...     print(f"{w.start:.2f}-{w.end:.2f}s", w.frames.shape)
    """
    if not isinstance(clip_frames, (int, np.integer)) or clip_frames < 1:
        raise ValueError(f"`clip_frames` must be a positive int. Received: clip_frames={clip_frames!r}")
    stride = clip_frames if stride is None else stride
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"`stride` must be a positive int or None. Received: stride={stride!r}")
    if num_frames is not None and (not isinstance(num_frames, (int, np.integer)) or num_frames < 1):
        raise ValueError(f"`num_frames` must be a positive int or None. Received: num_frames={num_frames!r}")
    size = _normalize_size(size)
    p = _check_path(path)
    cap = _open(p)
    return _iter_clips(p, cap, int(clip_frames), int(stride), size, num_frames)


def _iter_clips(p, cap, clip_frames, stride, size, num_frames):
    meta = _Meta(cap)
    fps = meta.fps
    reader = _Reader(p, cap, size)
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
            except _EndOfStream:
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
                raise _fail(p, "no frame can be decoded (corrupt or truncated file)")
            n = len(buf)
            frames = np.stack(buf)[sample_indices(0, n, num_frames or clip_frames)]
            yield VideoWindow(frames, 0.0, n / fps, 0, n)
    finally:
        reader.close()
