"""Writing videos: ``write_video``. The container follows the file extension."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np

from kvideo.utils.files import atomic_path
from kvideo.utils.native import muted_native_stderr
from kvideo.utils.validation import argument_error, check_float, received

# extension -> (default codec, fallback codec). "h264" means PyAV/libx264; the others are cv2 FourCCs.
_DEFAULT_CODECS = {
    ".mp4": "h264",
    ".m4v": "h264",
    ".mov": "mp4v",
    ".mkv": "mp4v",
    ".webm": "VP80",
    ".avi": "MJPG",
}
_PYAV_ENCODERS = ("libx264", "h264", "libopenh264")


def _as_rgb_uint8(frame, index):
    a = np.asarray(frame)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[-1] not in (1, 3, 4):
        raise argument_error(f"frames[{index}]", f"<shape {a.shape}>", "an RGB frame (H, W, 3), or grey (H, W) / (H, W, 1)")
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    elif a.shape[-1] == 4:
        a = a[..., :3]
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(a)


def pyav_h264_encoder():
    """Name of the H.264 encoder PyAV can use here (``"libx264"`` on the PyPI wheels), or None."""
    try:
        import av  # noqa: F401
    except ImportError:
        return None
    for name in _PYAV_ENCODERS:
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:  # noqa: BLE001 - encoder missing from this build
            continue
    return None


def _checked_frames(frames):
    """Return ``(first_frame, iterator over all frames as RGB uint8)``; every frame must match the first's size."""
    it = iter(frames)
    try:
        first = _as_rgb_uint8(next(it), 0)
    except StopIteration:
        raise argument_error("frames", "<empty>", "at least one frame") from None

    def gen():
        for i, f in enumerate(itertools.chain([first], it)):
            f = _as_rgb_uint8(f, i)
            if f.shape[:2] != first.shape[:2]:
                raise argument_error(f"frames[{i}]", f"<shape {f.shape}>", f"the size of the first frame {first.shape}")
            yield f

    return first, gen()


def _write_pyav(tmp, frames, fps, encoder, crf=23, preset="veryfast"):
    import av
    from fractions import Fraction

    first, checked = _checked_frames(frames)
    h, w = first.shape[:2]
    # yuv420p needs even sizes: pad odd sizes by one replicated row/column.
    ph, pw = h + (h % 2), w + (w % 2)
    rate = Fraction(fps).limit_denominator(1001)
    # faststart: the index goes first, so browsers start playing early and a cut file still opens
    with av.open(str(tmp), mode="w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream(encoder, rate=rate)
        stream.width, stream.height = pw, ph
        stream.pix_fmt = "yuv420p"
        if encoder == "libx264":
            stream.options = {"crf": str(crf), "preset": preset}
        n = 0
        for f in checked:
            if (ph, pw) != (h, w):
                f = np.pad(f, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
            n += 1
        for packet in stream.encode():
            container.mux(packet)
    return n


def _write_cv2(tmp, frames, fps, fourcc):
    import cv2

    first, checked = _checked_frames(frames)
    h, w = first.shape[:2]
    # OpenCV's FFmpeg prints a harmless "tag 'VP80' is not supported" line for webm from C; mute it.
    with muted_native_stderr():
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {fourcc} video to {tmp.suffix!r} files here. {received('codec', fourcc)}")
    n = 0
    try:
        for f in checked:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            n += 1
    finally:
        writer.release()
    return n


def write_video(path, frames, fps=25.0, codec=None):
    """Write RGB uint8 frames to a video file, atomically; returns the path.

    The container follows the extension: ``.mp4``/``.m4v`` -> H.264 via PyAV (libx264, yuv420p,
    "faststart" so browsers can play it while it loads) when PyAV is installed, else MPEG-4 part 2 (``mp4v``) via OpenCV; ``.webm`` -> VP8 via OpenCV (plays in browsers and
    Gradio); ``.avi`` -> Motion-JPEG via OpenCV; ``.mkv``/``.mov`` -> ``mp4v``. ``codec`` overrides the
    choice: ``"h264"`` (PyAV) or an OpenCV FourCC such as ``"mp4v"``, ``"XVID"``, ``"MJPG"``, ``"VP80"``.

    Args:
        path: output file; its folder is created.
        frames: an iterable (list, array or generator) of (H, W, 3) RGB frames, uint8 (other dtypes are
            clipped to 0..255). All frames must have the same size.
        fps: frames per second.
        codec: optional codec override (see above).

    Example:
        >>> import numpy as np, kvideo.io
        >>> frames = np.zeros((10, 48, 64, 3), np.uint8)
        >>> kvideo.io.write_video("/tmp/kvideo_doc.webm", frames, fps=10).name
        'kvideo_doc.webm'
    """
    path = Path(os.fspath(path))
    ext = path.suffix.lower()
    if ext not in _DEFAULT_CODECS and codec is None:
        raise argument_error("path", str(path), f"a file ending in one of {sorted(_DEFAULT_CODECS)} (or pass codec=)")
    check_float("fps", fps, low=0, low_open=True)
    codec = codec or _DEFAULT_CODECS[ext]
    if isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[-1] not in (1, 3, 4):
        frames = frames[..., None]  # (T, H, W) grey
    if codec.lower() in ("h264", "avc1", "libx264", "x264"):
        encoder = pyav_h264_encoder()
        if encoder is not None:
            with atomic_path(path) as tmp:
                _write_pyav(tmp, frames, fps, encoder)
            return path
        codec = "mp4v"  # no PyAV: MPEG-4 part 2 still plays in most players
    if len(codec) != 4:
        raise argument_error("codec", codec, "'h264' or a 4-letter OpenCV FourCC")
    with atomic_path(path) as tmp:
        _write_cv2(tmp, frames, fps, codec)
    return path
