"""Shared fixtures: tiny generated videos, an isolated clip cache.

Fixtures for every test module:

* ``sample_videos`` (session): a folder made by ``kvideo.datasets.make_sample_videos`` with 4 classes
  (left, right, grow, shrink) x 6 clips of 16 frames at 32x32, mp4v ``.mp4``.
* ``write_test_video(path, n_frames=30, size=(48, 64), codec="mp4v", fps=25.0, gop=None)``: writes a
  video whose frame ``i`` carries ``i`` as a 16-bit black/white block code (robust to compression),
  with cv2.VideoWriter (``mp4v``, ``XVID``, ``MJPG``, ``VP80``) or PyAV (``h264``); returns the path.
* ``frame_index``: ``frame_index(rgb_frame) -> int`` decodes that code (works after resizing to any
  size >= 16x16 that keeps the layout).
* (the clip cache is isolated for the whole session by the repository's root ``conftest.py``, which also
  covers the docstring examples.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

_BITS = 16  # 2 rows x 8 blocks


def encode_frame(i, size=(48, 64)):
    """RGB uint8 frame showing the index ``i`` as 16 blocks in the top half, motion in the bottom."""
    h, w = size
    f = np.zeros((h, w, 3), np.uint8)
    bh, bw = h // 4, w // 8
    for b in range(_BITS):
        if (i >> b) & 1:
            r, c = divmod(b, 8)
            f[r * bh : (r + 1) * bh, c * bw : (c + 1) * bw] = 255
    # moving gradient below the code so inter-frame codecs see motion
    yy, xx = np.mgrid[h // 2 : h, 0:w]
    f[h // 2 :, :, 0] = ((xx * 4 + i * 3) % 256).astype(np.uint8)
    f[h // 2 :, :, 1] = ((yy * 5 + i * 2) % 256).astype(np.uint8)
    f[h // 2 :, :, 2] = 128
    return f


def decode_frame_index(frame):
    """Inverse of ``encode_frame`` on a (possibly resized, compressed) RGB frame."""
    frame = np.asarray(frame, np.float32)
    h, w = frame.shape[:2]
    bh, bw = h / 4, w / 8
    i = 0
    for b in range(_BITS):
        r, c = divmod(b, 8)
        y0, y1 = int(r * bh + bh * 0.25), int(r * bh + bh * 0.75)
        x0, x1 = int(c * bw + bw * 0.25), int(c * bw + bw * 0.75)
        if frame[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)].mean() > 127:
            i |= 1 << b
    return i


def _write(path, n_frames, size, codec, fps, gop):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if codec.lower() == "h264":
        import av
        from fractions import Fraction

        with av.open(str(path), "w") as c:
            s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            s.width, s.height, s.pix_fmt = size[1], size[0], "yuv420p"
            opts = {"preset": "veryfast", "crf": "20"}  # veryfast: B-frames, like most real files
            if gop:
                opts["g"] = str(gop)
                opts["keyint_min"] = str(gop)
            s.options = opts
            for i in range(n_frames):
                for pkt in s.encode(av.VideoFrame.from_ndarray(encode_frame(i, size), format="rgb24")):
                    c.mux(pkt)
            for pkt in s.encode():
                c.mux(pkt)
        return path
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), float(fps), (size[1], size[0]))
    assert w.isOpened(), f"cv2 cannot write {codec} to {path.suffix}"
    for i in range(n_frames):
        w.write(cv2.cvtColor(encode_frame(i, size), cv2.COLOR_RGB2BGR))
    w.release()
    return path


@pytest.fixture(scope="session")
def write_test_video():
    """``write_test_video(path, n_frames=30, size=(48, 64), codec="mp4v", fps=25.0, gop=None) -> Path``."""

    def write(path, n_frames=30, size=(48, 64), codec="mp4v", fps=25.0, gop=None):
        return _write(path, n_frames, tuple(size), codec, fps, gop)

    return write


@pytest.fixture(scope="session")
def frame_index():
    """``frame_index(rgb_frame) -> int``: the index written by ``write_test_video``."""
    return decode_frame_index


@pytest.fixture(scope="session")
def sample_videos(tmp_path_factory):
    """A folder of 4 classes (left, right, grow, shrink) x 6 clips, 16 frames at 32x32 (mp4v)."""
    from kvideo.datasets import make_sample_videos

    root = tmp_path_factory.mktemp("sample_videos")
    return make_sample_videos(
        root, classes=("left", "right", "grow", "shrink"), per_class=6, num_frames=16, size=(32, 32), fps=12, seed=0
    )


@pytest.fixture(scope="session")
def shared_videos():
    """Real videos in ../shared/data/videos when present (skips otherwise)."""
    root = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"
    vids = sorted(root.glob("*.mp4")) if root.is_dir() else []
    if not vids:
        pytest.skip("no ../shared/data/videos/*.mp4 here")
    return vids
