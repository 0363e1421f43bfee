"""Odd videos that must decode right: phone rotation upright, grayscale, 10/16-bit, VFR, a lying frame count,
and a long video streamed in flat memory."""

from __future__ import annotations

import shutil
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import kvideo

from _robust_support import cases as rt

av = pytest.importorskip("av")
VALUES = rt.GREY_LEVELS


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    return dict(rt.build_odd_videos(tmp_path_factory.mktemp("odd")))


def _pyav_frames(path):
    """PyAV's raw first frame and the rotation it reports for it."""
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        return frame.to_ndarray(format="rgb24"), int(getattr(frame, "rotation", 0) or 0)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_phone_rotation_comes_out_upright(odd, tmp_path, degrees):
    path = rt.rotate_mp4(_landscape(odd), tmp_path / f"r{degrees}.mp4", degrees)
    raw, rotation = _pyav_frames(path)
    assert rotation % 360 != 0  # PyAV sees the tag
    upright = np.rot90(raw, k=rotation // 90)  # PyAV's rotation, applied
    for seek in ("exact", "keyframe"):
        clip = kvideo.read_clip(path, num_frames=8, size=None, seek=seek)
        assert clip.shape[1:3] == upright.shape[:2], (degrees, seek)
        assert np.abs(clip[0].astype(int) - upright.astype(int)).mean() < 6, (degrees, seek)
    info = kvideo.video_info(path)
    assert (info["height"], info["width"]) == upright.shape[:2]


def _landscape(odd):
    return Path(odd["portrait phone video (rotation 90)"]).with_name("landscape.mp4")


@pytest.mark.parametrize("name", ["grayscale (gray)", "16-bit grayscale (gray16le)", "10-bit (yuv420p10le)"])
def test_gray_and_deep_videos_read_as_8bit_rgb(odd, name):
    clip = kvideo.read_clip(odd[name], num_frames=8, size=None)
    assert clip.shape == (8, 48, 64, 3) and clip.dtype == np.uint8
    grey = clip[:, 30:, 30:].reshape(8, -1).mean(1)  # away from the white block
    assert np.abs(grey - VALUES).max() < 4, grey  # the levels survive (not wrapped, not saturated)
    assert np.abs(clip[..., 0].astype(int) - clip[..., 2]).max() <= 3  # grey stays grey


def test_variable_frame_rate_keeps_every_frame_in_order(odd):
    clip = kvideo.read_clip(odd["variable frame rate"], num_frames=8, size=None)
    assert np.abs(clip[:, 30:, 30:].reshape(8, -1).mean(1) - VALUES).max() < 4
    info = kvideo.video_info(odd["variable frame rate"])  # the timestamps run to 2.0 s (8 frames / 12 fps = 0.67 s)
    assert info["frames"] == 8 and 2.0 <= info["duration"] < 2.2, info


def test_variable_frame_rate_video_cut_into_segments(odd, tmp_path):
    pytest.importorskip("keras")
    for label in ("a", "b"):  # evaluate's segments (seconds as read_clip counts them) stay inside the video
        (tmp_path / label).mkdir()
        shutil.copy(odd["variable frame rate"], tmp_path / label / "v.mp4")
    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=4, image_size=16)
    assert clf.evaluate(tmp_path, clips_per_video=3, verbose=0)["num_clips"] == 6


def test_container_lying_about_its_frame_count(odd):
    with pytest.warns(UserWarning, match="says it has 1000 frames but only 8 decode"):
        clip = kvideo.read_clip(odd["container says 1000 frames, holds 8"], num_frames=4, size=(32, 32))
    assert clip.shape == (4, 32, 32, 3)
    assert kvideo.video_info(odd["container says 1000 frames, holds 8"])["frames"] == 8  # counted, not believed


def _peak_while_streaming(path):
    tracemalloc.start()
    n = 0
    for w in kvideo.iter_clips(path, clip_frames=16, stride=16, size=(32, 32)):
        n += len(w.frames)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return n, peak


def test_long_video_streams_in_flat_memory(tmp_path):
    short, long = rt.long_avi(tmp_path / "short.avi", 320), rt.long_avi(tmp_path / "long.avi", 3200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n_short, peak_short = _peak_while_streaming(short)
        n_long, peak_long = _peak_while_streaming(long)
    assert n_long == 10 * n_short == 3200
    assert peak_long < 1.5 * peak_short + 256 * 1024, (peak_short, peak_long)  # 10x the frames, same memory
