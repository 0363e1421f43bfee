"""Odd training folders and model files: hidden and tool folders, symlink loops, non-ASCII labels, a label with
no readable clip, arrays of other shapes, fine-tuning on clips of another size and length."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("keras")

import kvideo  # noqa: E402
from _robust_support import cases  # noqa: E402
from kvideo.errors import ModelFileError  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return cases.build_odd_folder(tmp_path_factory.mktemp("ds"))


def test_hidden_and_tool_folders_are_no_labels(folder):
    ds = kvideo.video_dataset_from_directory(folder, num_frames=4, image_size=16, cache=False, verbose=False)
    assert ds.class_names == ["left", "tourne à droite"] and len(ds.file_paths) == 4


def test_symlink_loop_is_listed_once_when_links_are_followed(folder):
    ds = kvideo.video_dataset_from_directory(folder, num_frames=4, image_size=16, cache=False, verbose=False,
                                             follow_links=True)
    assert len(ds.file_paths) <= 8  # finite: each label walks every real folder once (the loop adds the other's 2)


def test_a_label_without_a_readable_clip_is_an_error(folder, tmp_path):
    dead = tmp_path / "dead"
    shutil.copytree(folder / "left", dead / "left", symlinks=True)
    (dead / "right").mkdir()
    (dead / "right" / "a.mp4").write_bytes(b"junk")
    with pytest.warns(UserWarning, match="Skipping 1 unreadable"), pytest.raises(ValueError) as e:
        kvideo.video_dataset_from_directory(dead, num_frames=4, image_size=16, cache=False, verbose=False)
    assert "['right']" in str(e.value) and "a.mp4" in str(e.value) and "\n" not in str(e.value)


def test_arrays_of_other_shapes_are_conformed_or_refused():
    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=4, image_size=32)
    for arr in (np.zeros((7, 50, 20, 3), np.uint8), np.zeros((4, 32, 32, 1), np.uint8),
                np.zeros((2, 4, 32, 32, 3), np.float32), np.zeros((4, 32, 32, 3), np.uint16)):
        preds = clf.predict(arr, top_k=2)
        preds = preds[0] if arr.ndim == 5 else preds  # a batch gives one list per clip
        assert {p["label"] for p in preds} == {"a", "b"}, arr.shape
    with pytest.raises(ValueError, match=r"Received: shape=\(32, 32, 3\)"):
        clf.predict(np.zeros((32, 32, 3), np.uint8))


def test_fine_tune_on_clips_of_other_size_and_length(folder, tmp_path):
    clf = kvideo.VideoClassifier("frame_cnn", class_names=["left", "tourne à droite"], num_frames=4, image_size=32)
    other = kvideo.datasets.make_sample_videos(tmp_path / "other", classes=("up", "down"), per_class=2,
                                               num_frames=5, size=(40, 56))
    hist = clf.fine_tune(other, epochs=1, verbose=0, validation_split=None)
    assert clf.class_names == ["down", "up"] and len(hist["loss"]) == 1 and clf.num_frames == 4


def test_model_files_that_are_not_kvideo_models(tmp_path):
    import keras

    (tmp_path / "dir.keras").mkdir()
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(tmp_path / "plain.keras")
    for name, words in (("dir.keras", "directory"), ("plain.keras", "plain Keras model, not a kvideo classifier")):
        with pytest.raises(ModelFileError, match=words) as e:
            kvideo.VideoClassifier.load(tmp_path / name)
        assert e.value.path == str(tmp_path / name) and "\n" not in str(e.value)
