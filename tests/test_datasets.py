"""kvideo.datasets: synthetic motion clips whose classes differ only in frame order."""

from __future__ import annotations

import numpy as np
import pytest

import kvideo
from kvideo.datasets import SAMPLE_CLASSES, make_sample_clip, make_sample_videos
from kvideo.datasets.synthetic import MOTIONS
from kvideo.io import read_clip, video_info

PAIRS = [("left", "right"), ("up", "down"), ("cw", "ccw"), ("grow", "shrink")]


def test_layout_counts_and_metadata(sample_videos):
    assert sorted(p.name for p in sample_videos.iterdir()) == ["grow", "left", "right", "shrink"]
    for cls in ("grow", "left", "right", "shrink"):
        files = sorted(p.name for p in (sample_videos / cls).iterdir())
        assert files == sorted(f"{cls}_{i}.mp4" for i in range(6))
    info = video_info(sample_videos / "left" / "left_0.mp4")
    assert (info["frames"], info["width"], info["height"], info["fps"]) == (16, 32, 32, 12.0)
    assert kvideo.make_sample_videos is make_sample_videos
    assert set(SAMPLE_CLASSES) == set(MOTIONS) and len(SAMPLE_CLASSES) == 8


def test_deterministic_with_seed(tmp_path):
    a = make_sample_videos(tmp_path / "a", classes=("up",), per_class=2, num_frames=8, size=(32, 32), seed=5)
    b = make_sample_videos(tmp_path / "b", classes=("down", "up"), per_class=2, num_frames=8, size=(32, 32), seed=5)
    c = make_sample_videos(tmp_path / "c", classes=("up",), per_class=2, num_frames=8, size=(32, 32), seed=6)
    for i in range(2):
        fa = read_clip(a / "up" / f"up_{i}.mp4", sampling="all", size=None)
        fb = read_clip(b / "up" / f"up_{i}.mp4", sampling="all", size=None)
        fc = read_clip(c / "up" / f"up_{i}.mp4", sampling="all", size=None)
        np.testing.assert_array_equal(fa, fb)  # same seed: same pixels, whatever other classes are asked for
        assert np.abs(fa.astype(int) - fc).mean() > 5
    clip0 = read_clip(a / "up" / "up_0.mp4", sampling="all", size=None)
    clip1 = read_clip(a / "up" / "up_1.mp4", sampling="all", size=None)
    assert np.abs(clip0.astype(int) - clip1).mean() > 5  # clips of a class differ


@pytest.mark.parametrize("fwd,back", PAIRS)
def test_pairs_differ_only_in_frame_order(fwd, back):
    """A clip of one class is exactly a clip of its partner played backwards (same frame set)."""
    for seed in range(3):
        a = make_sample_clip(fwd, num_frames=12, size=(32, 32), seed=seed)
        b = make_sample_clip(back, num_frames=12, size=(32, 32), seed=seed)
        np.testing.assert_array_equal(a, b[::-1])
        assert not np.array_equal(a, b)


def _object_track(clip):
    """Per-frame centroid and area of the pixels that differ from the clip's temporal median."""
    bg = np.median(clip.astype(np.float32), axis=0)
    out = []
    for f in clip.astype(np.float32):
        mask = np.abs(f - bg).sum(-1) > 60
        ys, xs = np.nonzero(mask)
        out.append((xs.mean() if len(xs) else np.nan, ys.mean() if len(ys) else np.nan, mask.sum()))
    return np.array(out)


@pytest.mark.parametrize("cls,col,sign", [("right", 0, 1), ("left", 0, -1), ("down", 1, 1), ("up", 1, -1), ("grow", 2, 1), ("shrink", 2, -1)])
def test_motion_direction(cls, col, sign):
    ok = 0
    for seed in range(6):
        track = _object_track(make_sample_clip(cls, num_frames=16, size=(64, 64), seed=seed))
        first, last = np.nanmean(track[:4, col]), np.nanmean(track[-4:, col])
        ok += sign * (last - first) > 0
    assert ok >= 5


def test_rotation_is_visible_and_reversed():
    for seed in range(4):
        cw = make_sample_clip("cw", num_frames=12, size=(48, 48), seed=seed).astype(np.int16)
        assert np.abs(cw[-1] - cw[0]).mean() > 2  # the shape turned


def _ridge_cv_accuracy(x, y, folds=5, lam=1e-2):
    """5-fold accuracy of a (kernel) ridge classifier on +-1 targets: NumPy only, fast."""
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    x = np.hstack([x, np.ones((len(x), 1))])
    t = 2.0 * y - 1
    idx = np.arange(len(y))
    accs = []
    for k in range(folds):
        te = idx % folds == k
        xtr, ttr = x[~te], t[~te]
        alpha = np.linalg.solve(xtr @ xtr.T + lam * len(xtr) * np.eye(len(xtr)), ttr)
        pred = np.sign(x[te] @ (xtr.T @ alpha))
        accs.append(np.mean(pred == t[te]))
    return float(np.mean(accs))


def test_order_blind_features_are_at_chance_order_aware_are_not():
    """Temporal-mean pixels cannot tell left from right; the object's displacement (needs order) can."""
    xs_mean, xs_order, ys = [], [], []
    for i in range(30):
        for label, cls in enumerate(("left", "right")):
            clip = make_sample_clip(cls, num_frames=12, size=(24, 24), seed=1000 + 2 * i + label).astype(np.float32)
            xs_mean.append(clip.mean(axis=0).ravel())
            track = _object_track(clip)
            xs_order.append([np.nanmean(track[-3:, 0]) - np.nanmean(track[:3, 0])])
            ys.append(label)
    ys = np.array(ys)
    blind = _ridge_cv_accuracy(np.array(xs_mean) / 255, ys)
    aware = _ridge_cv_accuracy(np.nan_to_num(np.array(xs_order)), ys)
    assert blind < 0.75, blind
    assert aware > 0.85, aware


@pytest.mark.parametrize("ext,fourcc", [(".avi", "MJPG"), (".webm", "VP80"), (".mkv", "FMP4")])
def test_other_containers(tmp_path, ext, fourcc):
    root = make_sample_videos(tmp_path, classes=("cw", "ccw"), per_class=1, num_frames=8, size=(32, 48), ext=ext)
    info = video_info(root / "cw" / f"cw_0{ext}")
    assert (info["frames"], info["width"], info["height"], info["codec"]) == (8, 48, 32, fourcc)
    assert read_clip(root / "ccw" / f"ccw_0{ext}", 4, size=(16, 16)).shape == (4, 16, 16, 3)


def test_h264_codec(tmp_path):
    root = make_sample_videos(tmp_path, classes=("grow",), per_class=1, num_frames=8, size=(32, 32), codec="h264")
    assert video_info(root / "grow" / "grow_0.mp4")["codec"] == "h264"


@pytest.mark.parametrize(
    "kwargs,error,tail",
    [
        ({"classes": ("left", "sideways")}, ValueError, "Received: classes='sideways'"),
        ({"classes": ("left", "left")}, ValueError, "Received: classes=['left', 'left']"),
        ({"classes": ()}, ValueError, "Received: classes=[]"),
        ({"per_class": 0}, ValueError, "Received: per_class=0"),
        ({"per_class": 1.5}, TypeError, "Received: per_class=1.5"),
        ({"num_frames": 1}, ValueError, "Received: num_frames=1"),
        ({"size": (4, 4)}, ValueError, "Received: size=(4, 4)"),
        ({"fps": 0}, ValueError, "Received: fps=0"),
        ({"ext": ".gif"}, ValueError, "Received: ext='.gif'"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, tail):
    with pytest.raises(error) as e:
        make_sample_videos(tmp_path, **kwargs)
    assert type(e.value) is error and str(e.value).endswith(tail)
    assert not any(tmp_path.iterdir())  # checked before anything is written


def test_sample_clip_and_motion_bad_names():
    with pytest.raises(ValueError, match="Received: cls='diagonal'$"):
        make_sample_clip("diagonal")
    from kvideo.datasets import render_motion

    with pytest.raises(ValueError, match="Received: kind='spin'$"):
        render_motion("spin", 4, (16, 16), np.random.default_rng(0))
