"""Models saved before the tasks/ split (format kvideo.VideoClassifier/1) load and predict identically.

tests/data/legacy_v1.keras and its expected outputs were written by tests/data/make_legacy_v1.py with
the code as it was before the split; the demo default model's outputs were recorded the same way.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import kvideo
from kvideo.datasets.synthetic import make_sample_clip

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "legacy_v1_expected.json").read_text())
DEMO_MODEL = Path(kvideo.__file__).parent / "demo" / "default_model.keras"


@pytest.mark.parametrize("which, path", [("legacy_v1", DATA / "legacy_v1.keras"), ("demo_default", DEMO_MODEL)])
def test_old_saved_model_predicts_as_before(which, path):
    clf = kvideo.VideoClassifier.load(path)
    want = EXPECTED[which]
    for spec, probs, label in zip(want["clips"], want["probs"], want["top_labels"]):
        clip = make_sample_clip(spec["cls"], spec["num_frames"], tuple(spec["size"]), seed=spec["seed"])
        got = clf.predict_proba(clip)[0]
        np.testing.assert_allclose(got, probs, atol=1e-5)
        assert clf.predict(clip, top_k=1)[0]["label"] == label
