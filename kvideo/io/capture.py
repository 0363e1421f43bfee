"""Opening a video and reading its container metadata: ``probe``, ``video_info``, ``check_path``, ``open_capture``.

Every reader in :mod:`kvideo.io` starts here: :func:`check_path` turns a path into a readable file
or a :class:`kvideo.VideoReadError`, :func:`open_capture` opens it with OpenCV's FFmpeg backend and
:class:`VideoMeta` reads what the container says (frame count, frame rate, size, FourCC, rotation).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from kvideo.errors import VideoReadError
from kvideo.utils.validation import argument_type_error
from kvideo.utils.formats import sniff_image

# Quiet FFmpeg's own chatter (e.g. "tag VP80 is not supported ..."); errors still become VideoReadError.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT_FPS = 25.0  # used when a container reports no (or a nonsense) frame rate
DECODE_TIMEOUT_S = 30  # every open and every frame read gives up after this (FFmpeg's interrupt): never a hang
_CV_BOUNDS = [getattr(cv2, "CAP_PROP_OPEN_TIMEOUT_MSEC", 53), DECODE_TIMEOUT_S * 1000,
              getattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC", 54), DECODE_TIMEOUT_S * 1000]
UNDECODABLE = "no frame can be decoded (corrupt or truncated file)"


def check_path(path) -> Path:
    """``path`` as a :class:`~pathlib.Path` to an existing, non-empty, readable file.

    Raises ``TypeError`` for something that is not a path and :class:`kvideo.VideoReadError` (with
    ``.path`` and ``.reason``) for a missing file, a folder, an empty or unreadable file.
    """
    if isinstance(path, (bytes, bytearray)):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise argument_type_error("path", path, "a video file path (str or pathlib.Path)")
    p = Path(path).expanduser()
    if not p.exists():
        raise VideoReadError(p, "file not found", "Check the path.")
    if p.is_dir():
        raise VideoReadError(
            p, "it is a directory, not a video file", "Pass one video file (or use video_dataset_from_directory)."
        )
    try:
        size = p.stat().st_size
    except OSError as e:
        raise VideoReadError(p, f"cannot stat the file ({e.strerror})") from None
    if size == 0:
        raise VideoReadError(p, "the file is empty (0 bytes)", "Re-download or re-export it.")
    if not os.access(p, os.R_OK):
        raise VideoReadError(p, "permission denied")
    image = sniff_image(p)
    if image is not None:
        raise VideoReadError(p, f"it is a {image} image, not a video", "Pass a video file (photos go to kvideo faces).")
    return p


def open_capture(p: Path):
    """An opened ``cv2.VideoCapture`` on ``p`` (FFmpeg backend; opening and each read bounded by
    :data:`DECODE_TIMEOUT_S`), or a VideoReadError."""
    try:
        cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG, _CV_BOUNDS)
    except cv2.error as e:  # pragma: no cover - cv2 raises only on odd builds
        raise VideoReadError(p, f"OpenCV failed to open it ({' '.join(str(e).split())[:120]})") from None
    if not cap.isOpened():
        cap.release()
        raise VideoReadError(
            p,
            "not a video, an unsupported codec, or a truncated file whose index is missing",
            "Check that it plays in a video player.",
        )
    return cap


class VideoMeta:
    """What the container of an opened capture says; ``frames`` is 0 when it does not know."""

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


class EndOfStream(Exception):
    """Decoding stopped before the frame asked for (the container promised more frames than decode)."""

    def __init__(self, position):
        super().__init__(position)
        self.position = position  # frames known to decode (exact when reading sequentially), or None


def resize_frame(frame, size):
    """``frame`` resized to ``size=(h, w)``: ``cv2.INTER_AREA`` when both sides shrink (no aliasing),
    ``cv2.INTER_LINEAR`` otherwise; the aspect ratio is not kept. The one resize rule of kvideo.

    >>> resize_frame(np.zeros((8, 8, 3), np.uint8), (4, 6)).shape
    (4, 6, 3)
    """
    if size is None or tuple(frame.shape[:2]) == tuple(size):
        return frame
    h, w = size
    interp = cv2.INTER_AREA if (h <= frame.shape[0] and w <= frame.shape[1]) else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(frame), (w, h), interpolation=interp)


def to_rgb(frame, size):
    """A decoded BGR (or grey) frame as RGB uint8, resized to ``size=(h, w)`` when given (``resize_frame``)."""
    frame = resize_frame(frame, size)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def count_frames(p: Path) -> int:
    """Frames that really decode (sequential grab; used when the container's count is missing or wrong)."""
    cap = open_capture(p)
    n = 0
    try:
        while cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def probe(path) -> dict:
    """Open a video and decode its first frame: a fast readability check with the container's metadata.

    Returns ``{"path", "frames", "fps", "width", "height", "fourcc"}``; ``frames`` is the
    container's count (0 when it gives none: nothing is counted here, see :func:`video_info`).
    Raises :class:`kvideo.VideoReadError` whose ``.reason`` says what is wrong (``"file not
    found"``, ``"the file is empty (0 bytes)"``, ...).

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_probe.avi", np.zeros((5, 32, 48, 3), np.uint8), fps=10)
        >>> info = kvideo.io.probe(path)
        >>> info["frames"], info["fps"], (info["height"], info["width"])
        (5, 10.0, (32, 48))
        >>> try:
        ...     kvideo.io.probe("/tmp/no_such_video.mp4")
        ... except kvideo.VideoReadError as e:
        ...     print(e.reason)
        file not found
    """
    p = check_path(path)
    cap = open_capture(p)
    try:
        meta = VideoMeta(cap)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise VideoReadError(p, UNDECODABLE)
    if meta.width <= 0 or meta.height <= 0:
        meta.height, meta.width = frame.shape[:2]
    return {
        "path": str(p),
        "frames": int(meta.frames),
        "fps": float(meta.fps),
        "width": int(meta.width),
        "height": int(meta.height),
        "fourcc": meta.fourcc,
    }


def video_info(path) -> dict:
    """Metadata of a video file as a dict ``{path, frames, fps, duration, width, height, codec}``.

    ``frames`` comes from the container; when it reports none (some streamed/WebM/MKV files), or a count
    that the timestamps contradict (a container that lies), the frames are counted by decoding. ``duration`` runs from the first frame's timestamp to the end of the last
    one (read from the last packets, with PyAV), so a variable-frame-rate phone video gets its real length;
    without PyAV (or timestamps) it is ``frames / fps``. ``codec`` is the FourCC as a string (e.g. ``"FMP4"`` for mp4v,
    ``"h264"``, ``"VP80"``, ``"MJPG"``). A container without a frame rate gets ``fps=25.0``.

    Example:
        >>> import numpy as np, kvideo.io
        >>> path = kvideo.io.write_video("/tmp/kvideo_info.avi", np.zeros((6, 32, 48, 3), np.uint8), fps=12)
        >>> info = kvideo.io.video_info(path)
        >>> info["frames"], info["fps"], info["duration"], info["codec"]
        (6, 12.0, 0.5, 'MJPG')
    """
    info = probe(path)
    p = Path(info["path"])
    frames = info["frames"]
    codec = info["fourcc"] or _codec_name_pyav(p) or "unknown"
    duration = _duration_pyav(p)  # from the frames' timestamps: right for variable frame rate videos too
    if not frames or (duration is not None and abs(frames - duration * info["fps"]) > max(2, 0.1 * frames)):
        frames = count_frames(p)  # none given, or a count the timestamps contradict (a lying container): count
    return {
        "path": info["path"],
        "frames": int(frames),
        "fps": info["fps"],
        "duration": float(frames / info["fps"]) if duration is None else duration,
        "width": info["width"],
        "height": info["height"],
        "codec": codec,
    }


def _codec_name_pyav(p):
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(p), timeout=DECODE_TIMEOUT_S) as c:
            return c.streams.video[0].codec_context.name
    except Exception:  # noqa: BLE001 - best effort only
        return None


def _duration_pyav(p, tail_packets=4096):
    """Seconds from the first frame's timestamp to the end of the last frame, from packet timestamps only (no
    decoding: a seek near the end, then at most ``tail_packets`` packets); None when PyAV or timestamps lack."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(p), timeout=DECODE_TIMEOUT_S) as c:
            s = c.streams.video[0]
            start = s.start_time or 0
            if s.duration:  # jump near the end: only the last GOP's packets are read
                c.seek(start + int(s.duration), stream=s, backward=True, any_frame=False)
            read = list(zip(range(tail_packets + 1), c.demux(s)))
            packets = {pkt.pts: pkt.duration or 0 for _, pkt in read if pkt.pts is not None}
            if not packets or s.time_base is None or len(read) > tail_packets:
                return None  # no timestamps, or the end was not reached (no duration to seek by): unknown
            last = max(packets)
            rate = s.average_rate or s.guessed_rate
            step = (int(np.median(np.diff(sorted(packets)))) if len(packets) > 1 else 0) or packets[last] or \
                (1 / (rate * s.time_base) if rate else 0)  # the last frame lasts a typical step
            seconds = float((last - start) * s.time_base + step * s.time_base)
            return seconds if math.isfinite(seconds) and seconds > 0 else None
    except Exception:  # noqa: BLE001 - best effort: the caller falls back to frames / fps
        return None
