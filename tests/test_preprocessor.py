"""VideoPreprocessor: the one path from a video (file or array) to a model input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kvideo
from kvideo.tasks import VideoPreprocessor
from kvideo.tasks.preprocessor import resize_clip


def test_array_path_equals_file_path(write_test_video, tmp_path):
    """All frames of a file, sampled and resized by the preprocessor == the file read by kvideo.io at that shape."""
    video = write_test_video(tmp_path / "v.mp4", n_frames=30, size=(48, 64))
    pre = VideoPreprocessor(num_frames=6, image_size=(24, 32))
    every = kvideo.read_clip(video, num_frames=30, size=None)   # (30, 48, 64, 3) as decoded
    np.testing.assert_array_equal(pre.conform(every)[0], pre.read(video))
    np.testing.assert_array_equal(pre.read(video), kvideo.read_clip(video, num_frames=6, size=(24, 32)))


def test_conform_picks_frames_with_kvideo_io_sampler(frame_index, write_test_video, tmp_path):
    video = write_test_video(tmp_path / "v.mp4", n_frames=20, size=(48, 64))
    clip = kvideo.read_clip(video, num_frames=20, size=None)
    got = [frame_index(f) for f in VideoPreprocessor(num_frames=4, image_size=(48, 64)).conform(clip)[0]]
    assert got == kvideo.io.sample_indices(0, 20, 4).tolist() == [2, 7, 12, 17]


def test_call_maps_range_color_and_normalization():
    clip = np.zeros((1, 2, 4, 4, 3), np.uint8)
    clip[..., 0] = 255  # pure red
    plain = VideoPreprocessor(num_frames=2, image_size=4)
    np.testing.assert_array_equal(plain(clip), clip.astype("float32"))
    unit = VideoPreprocessor(num_frames=2, image_size=4, input_range=(-1, 1), color="bgr")
    np.testing.assert_allclose(unit(clip)[0, 0, 0, 0], [-1.0, -1.0, 1.0])
    norm = VideoPreprocessor(num_frames=2, image_size=4, input_range=(0, 1),
                             normalization={"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.5, 0.5]})
    np.testing.assert_allclose(norm(clip)[0, 0, 0, 0], [2.0, -1.0, -1.0])
    assert plain.is_plain and not unit.is_plain and not norm.is_plain


def test_call_scales_unit_floats_with_a_warning():
    pre = VideoPreprocessor(num_frames=2, image_size=4)
    with pytest.warns(UserWarning, match="0..1"):
        out = pre(np.full((2, 4, 4, 3), 0.5, np.float32))
    assert out.shape == (1, 2, 4, 4, 3) and float(out.max()) == 127.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pre(np.full((2, 4, 4, 3), 2.0, np.float32))  # 0..255 floats: no warning


def test_center_crop_keeps_aspect():
    clip = np.zeros((1, 8, 40, 3), np.uint8)
    clip[:, :, 16:24] = 255  # a white band in the middle third of the width
    out = VideoPreprocessor(num_frames=1, image_size=(8, 8), crop="center").conform(clip)
    assert out.shape == (1, 1, 8, 8, 3) and int(out.min()) == 255  # only the centre 8x8 kept, nothing stretched


def test_resize_rule_matches_the_reader():
    import cv2

    clip = np.random.default_rng(0).integers(0, 256, (2, 20, 30, 3), dtype=np.uint8)
    np.testing.assert_array_equal(resize_clip(clip, (10, 15))[0], cv2.resize(clip[0], (15, 10),
                                                                             interpolation=cv2.INTER_AREA))
    np.testing.assert_array_equal(resize_clip(clip, (40, 30))[1], cv2.resize(clip[1], (30, 40),
                                                                             interpolation=cv2.INTER_LINEAR))


def test_config_round_trip():
    pre = VideoPreprocessor(num_frames=8, image_size="48x64", sampling="random", color="BGR", input_range=(-1, 1),
                            normalization={"mean": [0.1, 0.2, 0.3], "std": [1, 2, 3]}, crop="center")
    config = pre.get_config()
    assert config == {"num_frames": 8, "image_size": [48, 64], "sampling": "random", "color": "bgr",
                      "input_range": [-1.0, 1.0], "crop": "center",
                      "normalization": {"mean": [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3)],
                                        "std": [1.0, 2.0, 3.0]}}
    assert VideoPreprocessor.from_config(config) == pre and VideoPreprocessor() != pre


@pytest.mark.parametrize(
    "kwargs, error, tail",
    [({"num_frames": 0}, ValueError, "num_frames=0"),
     ({"num_frames": 2.5}, TypeError, "num_frames=2.5"),
     ({"image_size": "tiny"}, ValueError, "image_size='tiny'"),
     ({"sampling": "all"}, ValueError, "sampling='all'"),
     ({"color": "hsv"}, ValueError, "color='hsv'"),
     ({"input_range": (1, 0)}, ValueError, "input_range=(1, 0)"),
     ({"input_range": "0..1"}, ValueError, "input_range='0..1'"),
     ({"normalization": {"mean": [0.5]}}, ValueError, "normalization={'mean': [0.5]}"),
     ({"normalization": {"mean": [0], "std": [0]}}, ValueError, "normalization={'mean': [0], 'std': [0]}"),
     ({"crop": "left"}, ValueError, "crop='left'")],
)
def test_bad_arguments(kwargs, error, tail):
    with pytest.raises(error) as e:
        VideoPreprocessor(**kwargs)
    assert type(e.value) is error and str(e.value).endswith(f"Received: {tail}")


@pytest.mark.parametrize("shape", [(4, 4, 3), (1, 2, 4, 4, 4), (2, 0, 4, 4, 3)])
def test_bad_clip_shapes(shape):
    with pytest.raises(ValueError, match=r"Received: shape="):
        VideoPreprocessor(num_frames=2, image_size=4).conform(np.zeros(shape, np.uint8))
