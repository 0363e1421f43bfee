"""A second kind of classifier joins the Task layer without copying VideoClassifier."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kvideo.tasks import Task, VideoClassifier, VideoPreprocessor, load_task, register_task  # noqa: E402


@register_task
class MeanColorClassifier(Task):
    """Classifies clips by their mean colour: a Dense layer on 3 numbers (tests only)."""

    def __init__(self, class_names=None, num_frames=2, image_size=(8, 8)):
        super().__init__(class_names, VideoPreprocessor(num_frames=num_frames, image_size=image_size))

    def get_config(self):
        return {**super().get_config(), "num_frames": self.num_frames, "image_size": list(self.image_size)}

    def _build_model(self, num_classes):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(num_classes, activation="softmax")])
        eye = np.zeros((3, num_classes), "float32")
        eye[np.arange(min(3, num_classes)), np.arange(min(3, num_classes))] = 10.0
        model.layers[-1].set_weights([eye, np.zeros(num_classes, "float32")])  # class i <- channel i
        return model

    def _predict_clips(self, clips, batch_size=8):
        features = self.preprocessor(clips).mean(axis=(1, 2, 3)) / 255.0
        return np.asarray(self.model.predict(features, batch_size=batch_size, verbose=0))


def _clips(channels):
    x = np.zeros((len(channels), 3, 10, 10, 3), np.uint8)
    for i, c in enumerate(channels):
        x[i, ..., c] = 255
    return x


def test_predict_evaluate_save_load_of_another_task(tmp_path):
    task = MeanColorClassifier(["red", "green", "blue"])
    x = _clips([0, 1, 2, 2])
    assert [p[0]["label"] for p in task.predict(x, top_k=1)] == ["red", "green", "blue", "blue"]
    r = task.evaluate((x, [0, 1, 2, 0]))
    assert r["accuracy"] == 0.75 and r["confusion_matrix"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    path = task.save(tmp_path / "colors.keras")
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("kvideo.json"))
    assert meta["task"] == "MeanColorClassifier" and meta["image_size"] == [8, 8]
    loaded = load_task(path)
    assert type(loaded) is MeanColorClassifier and loaded.get_config() == task.get_config()
    np.testing.assert_allclose(loaded.predict_proba(x), task.predict_proba(x), atol=1e-6)
    assert type(MeanColorClassifier.load(path)) is MeanColorClassifier
    with pytest.raises(ValueError, match=r"holds a MeanColorClassifier, not a VideoClassifier.*Received: task="):
        VideoClassifier.load(path)


def test_timeline_of_another_task(write_test_video, tmp_path):
    video = write_test_video(tmp_path / "v.mp4", n_frames=24, size=(32, 32), fps=8.0)
    task = MeanColorClassifier(["red", "green", "blue"], num_frames=2, image_size=(16, 16))
    segs = task.predict_timeline(video, window_frames=8, stride=8, top_k=2)
    assert [(s["start"], s["end"]) for s in segs] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert all(len(s["top"]) == 2 and s["top"][0]["label"] == s["label"] for s in segs)


def test_unknown_task_and_format_are_clear(tmp_path):
    task = MeanColorClassifier(["a", "b"])
    path = task.save(tmp_path / "t.keras")
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("kvideo.json"))
    for key, value, message in (("task", "Nope", r"holds a 'Nope' task this kvideo does not know"),
                                ("format", "kvideo.task/99", r"Unknown kvideo model format 'kvideo.task/99'")):
        bad = tmp_path / f"{key}.keras"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "kvideo.json":
                    data = json.dumps({**meta, key: value})
                dst.writestr(item, data)
        with pytest.raises(ValueError, match=message):
            load_task(bad)
