"""kvideo.io: read_clip / iter_clips / iter_frames / video_info / write_video, on tiny generated files."""

from __future__ import annotations

import tracemalloc
import warnings

import cv2
import numpy as np
import pytest

import kvideo
from kvideo.io import (
    VideoWindow,
    iter_clips,
    iter_frames,
    keyframe_interval,
    read_clip,
    read_frame_pool,
    sample_indices,
    video_info,
    write_video,
)
from kvideo.io import capture
from kvideo.io import pyav_seek
from kvideo.io import reader
from kvideo.io.capture import check_path, open_capture
from kvideo.io.reader import FrameReader

CODECS = [("mp4v", ".mp4"), ("h264", ".mp4"), ("XVID", ".avi"), ("DIVX", ".avi"), ("MJPG", ".avi"), ("VP80", ".webm"), ("mp4v", ".mkv")]


def _sequential(path):
    return [f for _, _, f in iter_frames(path)]


@pytest.fixture(scope="module")
def long_videos(tmp_path_factory, write_test_video):
    """400-frame files of each codec (H.264 with a 10-frame GOP so that seeking pays for 16 frames)."""
    d = tmp_path_factory.mktemp("long")
    out = {}
    for codec, ext in CODECS:
        out[(codec, ext)] = write_test_video(d / f"v_{codec}{ext}", n_frames=400, codec=codec, gop=10)
    return out


# ------------------------------------------------------------------------------ sampling
def test_sample_indices_modes():
    assert sample_indices(0, 100, 4).tolist() == [12, 37, 62, 87]
    assert sample_indices(10, 14, 8).tolist() == [10, 10, 11, 11, 12, 12, 13, 13]  # short: repeats in order
    assert sample_indices(3, 7, 2, "all").tolist() == [3, 4, 5, 6]
    r = sample_indices(0, 100, 10, "random", np.random.default_rng(0))
    assert np.all(np.diff(r) >= 0) and r.min() >= 0 and r.max() < 100
    assert np.all(r // 10 == np.arange(10))  # one frame per segment
    r2 = sample_indices(0, 100, 10, "random", np.random.default_rng(1))
    assert not np.array_equal(r, r2)
    with pytest.raises(ValueError, match="sampling"):
        sample_indices(0, 10, 2, "middle")


# ------------------------------------------------------------------------------ read_clip
@pytest.mark.parametrize("pyav", [True, False], ids=["pyav-seek", "cv2-seek"])
@pytest.mark.parametrize("codec,ext", CODECS)
def test_read_clip_lands_on_the_right_frames(long_videos, frame_index, codec, ext, pyav, monkeypatch):
    """Uniform sampling of a long file (seeks) returns exactly the frames a sequential decode gives."""
    if pyav:
        pytest.importorskip("av")
    monkeypatch.setattr(reader, "PREFER_PYAV_SEEK", pyav)
    used = []
    orig = reader.read_with_pyav
    monkeypatch.setattr(reader, "read_with_pyav", lambda *a: used.append(1) or orig(*a))
    path = long_videos[(codec, ext)]
    clip = read_clip(path, num_frames=16, size=None)
    want = sample_indices(0, 400, 16)
    assert clip.shape == (16, 48, 64, 3) and clip.dtype == np.uint8
    assert [frame_index(f) for f in clip] == want.tolist()
    assert bool(used) == pyav  # the sparse path was taken (every file here has a GOP <= 12)
    seq = _sequential(path)
    assert len(seq) == 400
    for f, i in zip(clip, want):
        np.testing.assert_array_equal(f, seq[i])


def test_rotated_videos_stay_on_the_opencv_path(long_videos, monkeypatch, frame_index):
    """OpenCV applies rotation metadata and PyAV would not: a rotated file is never read through PyAV."""
    orig = capture.VideoMeta.__init__

    def rotated(self, cap):
        orig(self, cap)
        self.rotation = 90

    used = []
    monkeypatch.setattr(capture.VideoMeta, "__init__", rotated)
    monkeypatch.setattr(reader, "read_with_pyav", lambda *a: used.append(1))
    clip = read_clip(long_videos[("mp4v", ".mp4")], 8, size=None)
    assert used == [] and [frame_index(f) for f in clip] == sample_indices(0, 400, 8).tolist()


@pytest.fixture(scope="module")
def bframe_h264(tmp_path_factory, write_test_video):
    """x264 defaults (GOP 250, B-frames), 300 frames."""
    pytest.importorskip("av")
    return write_test_video(tmp_path_factory.mktemp("bframes") / "b.mp4", n_frames=300, codec="h264")


@pytest.mark.parametrize("threads", [1, 0, 2], ids=["1-thread", "auto-threads", "2-threads"])
def test_sparse_h264_with_bframes_long_gop_is_exact(bframe_h264, frame_index, threads, monkeypatch):
    """Sparse reads skip non-reference frames (with or without frame threading), yet stay exact."""
    import av

    monkeypatch.setattr(pyav_seek, "SPARSE_DECODE_THREADS", threads)
    path = bframe_h264
    with av.open(str(path)) as c:
        types = {int(f.pict_type) for f in c.decode(video=0)}
    assert 3 in types, types  # AV_PICTURE_TYPE_B: the file really has B-frames
    seq = _sequential(path)
    for k in (6, 16):
        clip = read_clip(path, k, size=None)
        want = sample_indices(0, 300, k)
        assert [frame_index(f) for f in clip] == want.tolist()
        for f, i in zip(clip, want):
            np.testing.assert_array_equal(f, seq[i])


def test_sparse_path_decodes_only_the_reference_chain(bframe_h264, frame_index):
    """Non-reference frames that are not targets are skipped: fewer frames are decoded than lie
    between each target and the keyframe before it, and every target is still decoded."""
    p = check_path(bframe_h264)
    want = sample_indices(0, 300, 6)
    seeker = pyav_seek.PyAVSeeker(p, None, None, wanted=want)
    try:
        got = [frame_index(seeker.read(int(i))) for i in want]
    finally:
        seeker.close()
    assert got == want.tolist()
    keys = np.asarray(seeker.keys)
    span = set()
    for i in want:
        k = keys[np.searchsorted(keys, i, side="right") - 1]
        span.update(range(int(k), int(i) + 1))
    assert len(want) <= seeker.decoded < len(span), (seeker.decoded, len(span))


def test_read_clip_seek_keyframe_snaps_to_nearest_keyframes(long_videos, frame_index):
    """seek="keyframe": each sampled index moves to the nearest keyframe (inexact, opt-in)."""
    import av

    path = long_videos[("h264", ".mp4")]
    with av.open(str(path)) as c:
        keys = [i for i, f in enumerate(c.decode(video=0)) if f.key_frame]
    assert 2 < len(keys) < 400
    want = sample_indices(0, 400, 16)
    snapped = [min(keys, key=lambda k: (abs(k - i), k)) for i in want]
    assert snapped != want.tolist()  # the mode really changes the frames on this file
    clip = read_clip(path, 16, size=None, seek="keyframe")
    assert [frame_index(f) for f in clip] == snapped
    seq = _sequential(path)
    for f, i in zip(clip, snapped):
        np.testing.assert_array_equal(f, seq[i])
    # the range is respected and the default stays exact
    sub = read_clip(path, 4, size=None, start=100 / 25, end=200 / 25, seek="keyframe")
    assert all(100 <= frame_index(f) < 200 for f in sub)
    assert [frame_index(f) for f in read_clip(path, 16, size=None)] == want.tolist()


@pytest.mark.parametrize("codec,ext,gop", [("mp4v", ".mp4", 12), ("h264", ".mp4", 10), ("MJPG", ".avi", 1)])
def test_planner_seeks_for_sparse_and_grabs_for_dense(long_videos, codec, ext, gop):
    expect_seek = True  # every GOP here is far shorter than the 100-frame gaps of 4 frames out of 400
    path = long_videos[(codec, ext)]
    p = check_path(path)
    assert keyframe_interval(path) == gop  # OpenCV's mp4v writer puts a keyframe every 12 frames
    sparse = FrameReader(p, open_capture(p), None)
    for i in sample_indices(0, 400, 4):
        sparse.read(int(i))
    sparse.close()
    assert (sparse.seeks > 0) == expect_seek
    assert sparse.grabs < 400
    dense = FrameReader(p, open_capture(p), None)
    for i in sample_indices(0, 64, 32):
        dense.read(int(i))
    dense.close()
    assert dense.seeks == 0  # gaps of 1-2 frames are grabbed through


def test_read_clip_random_and_all(long_videos, frame_index):
    path = long_videos[("mp4v", ".mp4")]
    a = read_clip(path, 8, size=(24, 32), sampling="random", seed=3)
    b = read_clip(path, 8, size=(24, 32), sampling="random", seed=3)
    c = read_clip(path, 8, size=(24, 32), sampling="random", seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    idx = [frame_index(f) for f in a]
    assert idx == sorted(idx) and all(k * 50 <= i < (k + 1) * 50 for k, i in enumerate(idx))
    allf = read_clip(path, sampling="all", size=(24, 32), start=2.0, end=3.0)  # 25 fps -> frames 50..74
    assert [frame_index(f) for f in allf] == list(range(50, 75))


def test_read_clip_start_end_and_size(long_videos, frame_index):
    path = long_videos[("MJPG", ".avi")]
    clip = read_clip(path, 4, size=(96, 128), start=4.0, end=8.0)  # frames 100..199
    assert clip.shape == (4, 96, 128, 3)
    assert [frame_index(f) for f in clip] == sample_indices(100, 200, 4).tolist()
    assert read_clip(path, 2, size=20).shape == (2, 20, 20, 3)
    with pytest.raises(kvideo.VideoReadError, match="past the end"):
        read_clip(path, 2, start=100.0)


def test_read_clip_short_file_repeats_frames(tmp_path, write_test_video, frame_index):
    path = write_test_video(tmp_path / "short.mp4", n_frames=5)
    clip = read_clip(path, num_frames=10, size=None)
    assert [frame_index(f) for f in clip] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_read_gif(tmp_path):
    from PIL import Image

    frames = [Image.fromarray(np.full((16, 24, 3), 20 * i, np.uint8)) for i in range(10)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    info = video_info(tmp_path / "a.gif")
    assert (info["frames"], info["width"], info["height"]) == (10, 24, 16)
    clip = read_clip(tmp_path / "a.gif", 5, size=None)
    assert clip[:, 0, 0, 0].tolist() == [20, 60, 100, 140, 180]


def test_read_clip_is_rgb(tmp_path):
    red = np.zeros((6, 32, 32, 3), np.uint8)
    red[..., 0] = 230
    path = write_video(tmp_path / "red.avi", red, fps=10)
    clip = read_clip(path, 3, size=(16, 16))
    assert clip[..., 0].mean() > 200 and clip[..., 2].mean() < 40


@pytest.mark.parametrize(
    "kwargs,tail",
    [
        ({"sampling": "middle"}, "Received: sampling='middle'"),
        ({"num_frames": 0}, "Received: num_frames=0"),
        ({"size": (0, 5)}, "Received: size=(0, 5)"),
        ({"size": "big"}, "Received: size='big'"),
        ({"start": -1}, "Received: start=-1"),
        ({"start": 2, "end": 1}, "Received: end=1"),
        ({"seek": "nearest"}, "Received: seek='nearest'"),
    ],
)
def test_read_clip_bad_arguments(long_videos, kwargs, tail):
    with pytest.raises(ValueError) as e:
        read_clip(long_videos[("mp4v", ".mp4")], **kwargs)
    assert str(e.value).endswith(tail) and "\n" not in str(e.value)


# ------------------------------------------------------------------------------ broken files
def _assert_read_error(exc, path, problem):
    msg = str(exc.value)
    assert isinstance(exc.value, ValueError)
    assert exc.value.path == str(path) and problem in exc.value.reason  # structured fields, no parsing
    assert str(path) in msg and exc.value.reason in msg
    assert msg.endswith(f"Received: path={str(path)!r}")
    assert "\n" not in msg


def test_missing_empty_directory_and_non_video(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(kvideo.VideoReadError) as e:
        read_clip(missing)
    _assert_read_error(e, missing, "file not found")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for fn in (read_clip, video_info, iter_frames, iter_clips):
        with pytest.raises(kvideo.VideoReadError) as e:
            fn(empty)
        _assert_read_error(e, empty, "empty (0 bytes)")
    with pytest.raises(kvideo.VideoReadError) as e:
        video_info(tmp_path)
    _assert_read_error(e, tmp_path, "directory")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 200)
    for fn in (read_clip, video_info, iter_clips):
        with pytest.raises(kvideo.VideoReadError) as e:
            fn(text)
        _assert_read_error(e, text, "not a video")
    with pytest.raises(TypeError, match="video file path"):  # not a path at all: an argument error
        read_clip(12345)


def test_truncated_mp4_raises_cleanly(tmp_path, write_test_video):
    """An mp4 cut in half lost its index (moov at the end): a clean VideoReadError, never a cv2 error."""
    for codec in ("mp4v", "h264"):
        src = write_test_video(tmp_path / f"full_{codec}.mp4", n_frames=120, codec=codec)
        cut = tmp_path / f"half_{codec}.mp4"
        data = src.read_bytes()
        cut.write_bytes(data[: len(data) // 2])
        with pytest.raises(kvideo.VideoReadError) as e:
            read_clip(cut, 8)
        _assert_read_error(e, cut, "truncated")


@pytest.mark.parametrize("codec,ext", [("MJPG", ".avi"), ("XVID", ".avi"), ("VP80", ".webm")])
def test_truncated_stream_reads_what_decodes(tmp_path, write_test_video, frame_index, codec, ext):
    """Containers that survive a cut are read as far as they decode; sampling spreads over that part."""
    src = write_test_video(tmp_path / f"full{ext}", n_frames=200, codec=codec)
    cut = tmp_path / f"half{ext}"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        clip = read_clip(cut, 8, size=None)
    idx = [frame_index(f) for f in clip]
    assert clip.shape == (8, 48, 64, 3)
    assert idx == sorted(idx) and max(idx) < 130 and len(set(idx)) == 8
    seq = _sequential(cut)
    assert 0 < len(seq) < 200
    for f, i in zip(clip, idx):
        np.testing.assert_array_equal(f, seq[i])


def test_truncated_faststart_h264_reads_what_decodes(tmp_path, frame_index):
    """An H.264 mp4 with its index at the front ("faststart") still opens when cut: the decodable part is used."""
    av = pytest.importorskip("av")
    from conftest import encode_frame

    src = tmp_path / "fs.mp4"
    with av.open(str(src), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt, s.options = 64, 48, "yuv420p", {"g": "25", "preset": "veryfast"}
        for i in range(400):
            for pkt in s.encode(av.VideoFrame.from_ndarray(encode_frame(i, (48, 64)), format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    cut = tmp_path / "half.mp4"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert video_info(cut)["frames"] == 400  # the index still promises everything
    with pytest.warns(UserWarning, match="decode"):
        clip = read_clip(cut, 8, size=None)
    real = len(_sequential(cut))
    assert 0 < real < 400
    assert [frame_index(f) for f in clip] == sample_indices(0, real, 8).tolist()
    assert sum(1 for _ in iter_clips(cut, 16, size=None)) == real // 16


def test_container_frame_count_larger_than_real(tmp_path, write_test_video, frame_index, monkeypatch):
    """When the container over-reports frames (estimated counts), sampling falls back to real frames."""
    path = write_test_video(tmp_path / "v.avi", n_frames=40, codec="MJPG")
    orig = capture.VideoMeta.__init__

    def lying_meta(self, cap):
        orig(self, cap)
        self.frames = 100

    monkeypatch.setattr(capture.VideoMeta, "__init__", lying_meta)
    reader._warned_short.discard(str(path))
    with pytest.warns(UserWarning, match="only 40 decode"):
        clip = read_clip(path, 4, size=None)
    assert [frame_index(f) for f in clip] == sample_indices(0, 40, 4).tolist()


# ------------------------------------------------------------------------------ video_info
@pytest.mark.parametrize("codec,ext,fourcc", [("mp4v", ".mp4", "FMP4"), ("h264", ".mp4", "h264"), ("MJPG", ".avi", "MJPG"), ("VP80", ".webm", "VP80")])
def test_video_info(tmp_path, write_test_video, codec, ext, fourcc):
    path = write_test_video(tmp_path / f"v{ext}", n_frames=30, size=(48, 64), codec=codec, fps=15)
    info = video_info(path)
    assert set(info) == {"path", "frames", "fps", "duration", "width", "height", "codec"}
    assert info["frames"] == 30 and info["fps"] == pytest.approx(15.0)
    assert info["duration"] == pytest.approx(2.0)
    assert (info["width"], info["height"]) == (64, 48)
    assert info["codec"].lower() == fourcc.lower()
    assert info["path"] == str(path)


def test_video_info_counts_frames_when_container_does_not(tmp_path, write_test_video, monkeypatch):
    path = write_test_video(tmp_path / "v.mkv", n_frames=33)
    orig = capture.VideoMeta.__init__

    def no_count(self, cap):
        orig(self, cap)
        self.frames = 0

    monkeypatch.setattr(capture.VideoMeta, "__init__", no_count)
    assert video_info(path)["frames"] == 33
    assert read_clip(path, 3, size=None).shape[0] == 3


# ------------------------------------------------------------------------------ iter_frames / iter_clips
def test_iter_frames(tmp_path, write_test_video, frame_index):
    path = write_test_video(tmp_path / "v.mp4", n_frames=50, fps=10)
    got = list(iter_frames(path, every_n_frames=7, size=(24, 32)))
    assert [i for i, _, _ in got] == list(range(0, 50, 7))
    assert [t for _, t, _ in got] == pytest.approx([i / 10 for i in range(0, 50, 7)])
    assert all(f.shape == (24, 32, 3) and f.dtype == np.uint8 for _, _, f in got)
    assert [frame_index(f) for _, _, f in got] == list(range(0, 50, 7))
    with pytest.raises(ValueError, match="every_n_frames"):
        iter_frames(path, every_n_frames=0)


def test_iter_frames_sparse_uses_seeks(long_videos, frame_index):
    path = long_videos[("mp4v", ".mp4")]
    got = [(i, frame_index(f)) for i, _, f in iter_frames(path, every_n_frames=100)]
    assert got == [(0, 0), (100, 100), (200, 200), (300, 300)]


def test_iter_clips_windows(tmp_path, write_test_video, frame_index):
    path = write_test_video(tmp_path / "v.mp4", n_frames=50, fps=10)
    wins = list(iter_clips(path, clip_frames=8, stride=4, size=(24, 32)))
    assert all(isinstance(w, VideoWindow) for w in wins)
    assert [w.start_frame for w in wins] == list(range(0, 43, 4))  # last full window starts at 40
    for w in wins:
        assert w.frames.shape == (8, 24, 32, 3)
        assert [frame_index(f) for f in w.frames] == list(range(w.start_frame, w.start_frame + 8))
        assert w.end_frame == w.start_frame + 8
        assert (w.start, w.end) == pytest.approx((w.start_frame / 10, w.end_frame / 10))
    # stride longer than the window: gaps are skipped
    wins = list(iter_clips(path, clip_frames=5, stride=20, size=None, num_frames=3))
    assert [w.start_frame for w in wins] == [0, 20, 40]
    assert [[frame_index(f) for f in w.frames] for w in wins] == [[0, 2, 4], [20, 22, 24], [40, 42, 44]]
    # default stride = clip_frames
    assert [w.start_frame for w in iter_clips(path, clip_frames=16, size=None)] == [0, 16, 32]


def test_iter_clips_short_file_gives_one_padded_window(tmp_path, write_test_video, frame_index):
    path = write_test_video(tmp_path / "v.mp4", n_frames=6, fps=12)
    (w,) = list(iter_clips(path, clip_frames=12, size=None))
    assert [frame_index(f) for f in w.frames] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert (w.start_frame, w.end_frame) == (0, 6) and w.end == pytest.approx(0.5)


def test_iter_clips_memory_is_bounded(tmp_path, write_test_video):
    """Python-side allocations stay at a few windows while streaming 600 frames (all would be ~22 MiB)."""
    path = write_test_video(tmp_path / "v.mp4", n_frames=600, size=(48, 64))
    tracemalloc.start()
    n = 0
    for w in iter_clips(path, clip_frames=16, stride=8, size=(112, 112)):
        n += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 74
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"clip_frames": 0}, ValueError, "`clip_frames` must be an integer >= 1. Received: clip_frames=0"),
        ({"stride": 0}, ValueError, "`stride` must be an integer >= 1. Received: stride=0"),
        ({"num_frames": -1}, ValueError, "`num_frames` must be an integer >= 1. Received: num_frames=-1"),
        ({"clip_frames": 2.5}, TypeError, "`clip_frames` must be an integer >= 1. Received: clip_frames=2.5"),
        ({"size": "big"}, ValueError, "Received: size='big'"),
    ],
)
def test_iter_clips_bad_arguments(tmp_path, write_test_video, kwargs, error, message):
    path = write_test_video(tmp_path / "v.mp4", n_frames=5)
    with pytest.raises(error) as e:
        iter_clips(path, **kwargs)
    assert str(e.value).endswith(message)


def test_read_frame_pool(tmp_path, write_test_video, frame_index):
    short = write_test_video(tmp_path / "s.mp4", n_frames=20)
    assert [frame_index(f) for f in read_frame_pool(short, 64, size=None)] == list(range(20))
    long = write_test_video(tmp_path / "l.mp4", n_frames=300)
    pool = read_frame_pool(long, 64, size=(24, 32))
    assert pool.shape == (64, 24, 32, 3)
    assert [frame_index(f) for f in read_frame_pool(long, 64, size=None)] == sample_indices(0, 300, 64).tolist()


# ------------------------------------------------------------------------------ write_video
def _frames(n, size=(48, 64)):
    from conftest import encode_frame

    return [encode_frame(i, size) for i in range(n)]


@pytest.mark.parametrize("ext,fourcc", [(".mp4", "h264"), (".webm", "VP80"), (".avi", "MJPG"), (".mkv", "FMP4"), (".mov", "FMP4")])
def test_write_video_containers(tmp_path, frame_index, ext, fourcc):
    path = write_video(tmp_path / "sub" / f"out{ext}", iter(_frames(20)), fps=10)
    assert path == tmp_path / "sub" / f"out{ext}"
    info = video_info(path)
    assert info["frames"] == 20 and info["codec"].lower() == fourcc.lower()
    assert [frame_index(f) for f in read_clip(path, sampling="all", size=None)] == list(range(20))
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # atomic: no temporaries left


def test_write_video_odd_size_h264_and_grey(tmp_path):
    grey = np.full((5, 33, 47), 128, np.uint8)
    path = write_video(tmp_path / "odd.mp4", grey, fps=5)
    info = video_info(path)
    assert (info["width"], info["height"]) in ((47, 33), (48, 34))
    assert abs(int(read_clip(path, 1, size=None)[0].mean()) - 128) < 8


def test_write_video_h264_is_faststart(tmp_path):
    pytest.importorskip("av")
    data = write_video(tmp_path / "a.mp4", _frames(10), fps=10).read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # index first: streams in browsers, survives a cut


@pytest.mark.parametrize(
    "name,frames,kwargs,error,tail",
    [
        ("x.xyz", 2, {}, ValueError, "(or pass codec=). Received: path='{tmp}/x.xyz'"),
        ("x.avi", 0, {}, ValueError, "`frames` must be at least one frame. Received: frames='<empty>'"),
        ("x.avi", "mixed", {}, ValueError, "Received: frames[1]='<shape (9, 8, 3)>'"),
        ("x.avi", "bad", {}, ValueError, "Received: frames[0]='<shape (8, 8, 5)>'"),
        ("x.avi", 2, {"fps": 0}, ValueError, "`fps` must be a number > 0. Received: fps=0"),
        ("x.avi", 2, {"fps": "fast"}, TypeError, "Received: fps='fast'"),
        ("x.avi", 2, {"codec": "H265X"}, ValueError, "Received: codec='H265X'"),
    ],
)
def test_write_video_errors(tmp_path, name, frames, kwargs, error, tail):
    if frames == "mixed":
        frames = [np.zeros((8, 8, 3), np.uint8), np.zeros((9, 8, 3), np.uint8)]
    elif frames == "bad":
        frames = [np.zeros((8, 8, 5), np.uint8)]
    else:
        frames = _frames(frames) if frames else []
    with pytest.raises(error) as e:
        write_video(tmp_path / name, frames, **kwargs)
    assert type(e.value) is error and str(e.value).endswith(tail.format(tmp=tmp_path))
    assert not any(tmp_path.iterdir())  # nothing half-written is left


def test_probe_is_fast_metadata_and_a_readability_check(tmp_path, write_test_video):
    import kvideo.io

    path = write_test_video(tmp_path / "v.avi", n_frames=12, codec="MJPG", fps=6)
    assert kvideo.io.probe(path) == {"path": str(path), "frames": 12, "fps": 6.0, "width": 64, "height": 48,
                                     "fourcc": "MJPG"}
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 50)
    with pytest.raises(kvideo.VideoReadError) as e:
        kvideo.io.probe(text)
    assert e.value.path == str(text)
    assert e.value.reason == "not a video, an unsupported codec, or a truncated file whose index is missing"


def test_write_video_mp4v_when_asked(tmp_path):
    path = write_video(tmp_path / "a.mp4", _frames(3), codec="mp4v")
    assert video_info(path)["codec"] == "FMP4"


# ------------------------------------------------------------------------------ real footage
def test_real_videos_match_sequential_decode(shared_videos):
    for path in shared_videos:
        info = video_info(path)
        assert info["frames"] > 0 and info["width"] > 0
        clip = read_clip(path, 8, size=(90, 160))
        cap = cv2.VideoCapture(str(path))
        want = set(sample_indices(0, info["frames"], 8).tolist())
        ref, i = {}, 0
        while True:
            ok, f = cap.read()
            if not ok:
                break
            if i in want:
                ref[i] = cv2.cvtColor(cv2.resize(f, (160, 90), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
            i += 1
        for f, j in zip(clip, sample_indices(0, info["frames"], 8)):
            np.testing.assert_array_equal(f, ref[int(j)])


def test_read_errors_carry_fields_through_pickling(tmp_path):
    """Worker processes send errors back pickled: the structured fields must survive."""
    import pickle

    with pytest.raises(kvideo.VideoReadError) as e:
        read_clip(tmp_path / "gone.mp4")
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is kvideo.VideoReadError and str(back) == str(e.value)
    assert (back.path, back.reason, back.hint) == (str(tmp_path / "gone.mp4"), "file not found", "Check the path.")
