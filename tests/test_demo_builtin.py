"""The demo's built-in ImageNet labeler (kvideo/demo/builtin.py) and its place in the Classify choices."""

from pathlib import Path

import numpy as np
import pytest

from kvideo.demo.builtin import ImageNetLabeler
from kvideo.demo.handlers import ModelChoice

REAL_VIDEO = Path("/work/shared/data/videos/short_hamilton_clip.mp4")


def test_labeler_averages_frame_probabilities_per_clip(tmp_path):
    import kvideo

    lab = ImageNetLabeler(num_frames=2, weights=None)
    clips = np.random.default_rng(0).integers(0, 255, (3, 2, 224, 224, 3), np.uint8)
    probs = lab.predict_proba(clips)
    assert probs.shape == (3, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    frame_probs = np.asarray(lab.model.predict(clips[0].astype("float32"), verbose=0))
    np.testing.assert_allclose(probs[0], frame_probs.mean(axis=0), atol=1e-5)
    video = kvideo.io.write_video(str(tmp_path / "v.mp4"), np.zeros((16, 64, 64, 3), np.uint8), fps=8)
    segs = lab.predict_timeline(video, window_frames=8, stride=8)
    assert [(s["start"], s["end"]) for s in segs] == [(0.0, 1.0), (1.0, 2.0)]
    assert all(s["label"] in lab.class_names for s in segs)
    with pytest.raises(TypeError, match="not saved"):
        lab.save(tmp_path / "x.keras")


def test_imagenet_is_a_classify_choice():
    assert ModelChoice("ImageNet labels (real videos)") is ModelChoice.IMAGENET
    assert ModelChoice.BUILT_IN in list(ModelChoice)  # the motion model stays a choice


@pytest.mark.skipif(not REAL_VIDEO.exists(), reason="needs /work/shared/data (real footage)")
def test_imagenet_labels_mean_something_on_a_real_stage_clip():
    from kvideo.demo import handlers
    from kvideo.demo.state import DemoState

    r = handlers.classify(DemoState(samples=False), str(REAL_VIDEO), ModelChoice.IMAGENET)
    # people in costume on a stage: clothing / stage labels, not one of the motion model's labels
    assert set(r.scores) & {"suit", "Windsor tie", "academic gown", "front curtain", "stage", "military uniform"}
    assert r.timeline is not None and len(r.segments) > 3
