"""Fixtures shared by the demo's test modules (import them into a module to use them there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kvideo.utils.formats import is_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny c3d trained for 1 epoch on 2 labels: enough for the demo's plumbing (not for accuracy)."""
    from kvideo.datasets import make_sample_videos
    from kvideo.tasks import VideoClassifier

    root = tmp_path_factory.mktemp("demo_model")
    data = make_sample_videos(root / "clips", classes=("left", "right"), per_class=3, num_frames=12, size=(32, 32))
    clf = VideoClassifier("c3d", class_names=["left", "right"], num_frames=8, image_size=(32, 32))
    clf.fit(str(data), epochs=1, batch_size=4, validation_split=None, verbose=0)
    path = clf.save(root / "tiny.keras")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from kvideo.datasets import make_sample_videos
    from kvideo.io import read_clip, write_video

    root = tmp_path_factory.mktemp("demo_clips")
    data = make_sample_videos(root / "train", classes=("up", "down"), per_class=3, num_frames=12, size=(32, 32), seed=5)
    one = make_sample_videos(root / "one", classes=("left",), per_class=1, num_frames=24, size=(64, 64), seed=9)
    short = one / "left" / "left_0.mp4"
    frames = read_clip(short, size=None, sampling="all")
    long10 = write_video(root / "long10.mp4", np.concatenate([frames] * 5, axis=0), fps=12.0)  # 120 frames = 10 s
    return {"train": Path(data), "short": Path(short), "long": Path(long10), "root": root}



def _faces_ready():
    try:
        import kvideo.faces as kf
    except Exception as e:  # noqa: BLE001
        return f"kvideo.faces is not importable: {e}"
    try:
        doc = kf.doctor()
    except Exception as e:  # noqa: BLE001
        return f"kvideo.faces.doctor() failed: {e}"
    if not (doc.get("defaults") or {}).get("usable"):
        return f"face models unavailable: {doc}"
    return None


def _photos():
    faces = SHARED / "faces"
    if not faces.exists():
        return None
    kit = sorted(p for p in (faces / "kit_harington").iterdir() if is_image(p))
    rose = sorted(p for p in (faces / "rose_leslie").iterdir() if is_image(p))
    if len(kit) < 2 or not rose:
        return None
    return {"kit": kit, "rose": rose}


@pytest.fixture(scope="module")
def faces_ok():
    reason = _faces_ready()
    if reason:
        pytest.skip(reason)
    photos = _photos()
    if photos is None:
        pytest.skip("no real face photos (../shared/data/faces) on this machine")
    return photos
