"""The pretrained-encoder classifier: cached embeddings, linear and Keras heads, save/load, fine-tune.

Tiny shapes and random encoder weights (``weights=None``) keep these fast; the ImageNet weights are
exercised in tests/test_efficientnet_lite.py and, end to end, in test_pretrained_default_on_clips.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kvideo
from kvideo.tasks.embedding_classifier import EmbeddingClassifier


@pytest.fixture(scope="module")
def order_clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("order")
    # one embedding cache for the module: tests that share an extractor (same weights) share entries
    kvideo.datasets.make_sample_videos(root / "train", classes=["left", "right", "grow", "shrink"], per_class=8,
                                       num_frames=16, size=(48, 48), seed=0)
    kvideo.datasets.make_sample_videos(root / "test", classes=["left", "right", "grow", "shrink"], per_class=5,
                                       num_frames=16, size=(48, 48), seed=1)
    return root


def _small(**kw):
    kw.setdefault("num_frames", 6)
    kw.setdefault("image_size", 32)
    kw.setdefault("weights", None)
    return EmbeddingClassifier(**kw)


def test_default_classifier_is_the_pretrained_one():
    clf = kvideo.VideoClassifier()
    assert type(clf) is EmbeddingClassifier
    assert isinstance(clf, kvideo.VideoClassifier)
    assert (clf.arch, clf.num_frames, clf.image_size) == ("pretrained", 16, (224, 224))
    assert type(kvideo.VideoClassifier("convlstm", num_frames=4, image_size=32)) is kvideo.VideoClassifier
    assert type(kvideo.VideoClassifier("pretrained_gru", weights=None)) is EmbeddingClassifier


def test_motion_stream_tells_order_only_clips_apart(order_clips, tmp_path, monkeypatch):
    # random encoder weights: only the motion descriptor carries the order; it must be enough
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small()
    clf.fit(order_clips / "train", verbose=0)
    result = clf.evaluate(order_clips / "test", verbose=0)
    assert result["accuracy"] >= 0.9, result["confusion_matrix"]


def test_embeddings_are_cached_and_reused(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small(streams=("rgb",))
    calls = []
    original = clf._extract
    monkeypatch.setattr(clf, "_extract", lambda clips, batch_size=8: calls.append(len(clips)) or original(clips))
    clf.fit(order_clips / "train", verbose=0)
    assert sum(calls) == 32
    cached = list((tmp_path / "cache" / "embeddings").glob("*/*.npy"))
    assert len(cached) == 32
    assert np.load(cached[0]).dtype == np.float16
    calls.clear()
    clf.fit(order_clips / "train", verbose=0)
    assert calls == []  # the second run reads every sequence from the cache
    other = _small(streams=("rgb",), motion=False)  # another extractor: other keys
    monkeypatch.setattr(other, "_extract", lambda clips, batch_size=8: calls.append(len(clips)) or
                        np.zeros((len(clips), 6, 1280), "float32"))
    other.fit(order_clips / "train", verbose=0)
    assert sum(calls) == 32


def test_save_load_predict_identically(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small(streams=("rgb", "diff"))
    clf.fit(order_clips / "train", verbose=0)
    path = clf.save(tmp_path / "m.keras")
    back = kvideo.VideoClassifier.load(path)
    assert type(back) is EmbeddingClassifier
    assert back.get_config() == clf.get_config()
    video = sorted((order_clips / "test" / "left").glob("*.mp4"))[0]
    np.testing.assert_allclose(back.predict_proba(video), clf.predict_proba(video), atol=1e-5)
    assert back.predict(video, top_k=1) == clf.predict(video, top_k=1)


def test_fine_tune_to_new_labels_reuses_the_encoder(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small()
    clf.fit(order_clips / "train", verbose=0)
    encoder = clf.features
    new = tmp_path / "new"
    kvideo.datasets.make_sample_videos(new, classes=["up", "down"], per_class=6, num_frames=16, size=(48, 48), seed=3)
    clf.fine_tune(new, verbose=0)
    assert clf.class_names == ["down", "up"]
    assert clf.features is encoder
    assert clf.train_info["fine_tuned_from"] == ["grow", "left", "right", "shrink"]
    assert clf.model.output_shape == (None, 2)
    assert clf.evaluate(new, verbose=0)["accuracy"] == 1.0


@pytest.mark.parametrize("head", ["gru", "lstm", "attention", "tcn", "transformer"])
def test_keras_heads_learn_from_sequences(head):
    from kvideo.models.temporal import build_head
    from kvideo.tasks.head_fit import fit_keras_head

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 5)).astype("float32")
    y = np.arange(40) % 2
    x[y == 1, 3:] += 1.5  # label 1: the last steps move
    model = build_head(head, num_classes=2, num_steps=6, num_features=5, units=16)
    hist = fit_keras_head(model, x, y, epochs=40, learning_rate=3e-3)
    assert len(hist["loss"]) >= 5
    assert (model.predict(x, verbose=0).argmax(1) == y).mean() >= 0.9  # no dropout at inference


def test_keras_head_through_the_classifier(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small(arch="pretrained_attention", streams=("rgb",), units=16)
    hist = clf.fit(order_clips / "train", epochs=3, verbose=0)
    assert len(hist["loss"]) == 3
    assert clf.model.output_shape == (None, 4)
    assert clf.train_info["head"] == "attention"


def test_unreadable_clip_is_skipped_and_named(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    for label in ("left", "right"):
        (data / label).mkdir(parents=True)
        for f in sorted((order_clips / "train" / label).glob("*.mp4"))[:3]:
            (data / label / f.name).write_bytes(f.read_bytes())
    (data / "left" / "broken.mp4").write_bytes(os.urandom(2000))
    clf = _small(streams=("rgb",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(data, verbose=0)
    assert clf.train_info["num_train_videos"] == 6
    assert clf.train_info["skipped_videos"] == [str(data / "left" / "broken.mp4")]
    assert any("broken.mp4" in str(w.message) for w in caught)


def test_one_clip_per_label_fits(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    x = np.stack([kvideo.datasets.make_sample_clip(c, num_frames=8, size=(48, 48), seed=5)
                  for c in ("left", "right")])
    clf = _small(class_names=["left", "right"])
    assert clf.fit((x, [0, 1]), verbose=0) == {"accuracy": [1.0]}
    assert [clf.predict(c, top_k=1)[0]["label"] for c in x] == ["left", "right"]


@pytest.mark.parametrize("kwargs, match", [
    ({"arch": "pretrained_nope"}, "arch"),
    ({"streams": ("rgb", "depth")}, "streams"),
    ({"streams": ()}, "streams"),
    ({"motion": "only"}, "motion"),
    ({"stream_weights": {"sound": 1.0}}, "stream_weights"),
    ({"C": 0}, "C"),
    ({"encoder": "resnet50"}, "encoder"),
])
def test_bad_arguments_are_one_line_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        EmbeddingClassifier(**kwargs)
    assert "\n" not in str(info.value) and "Received:" in str(info.value)


def test_unfreezing_trains_the_encoder_end_to_end(order_clips, tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    clf = _small(streams=("rgb",), num_frames=4)
    clf.fit(order_clips / "train", verbose=0)
    before = [w.copy() for w in clf.features.get_layer("frame_encoder").get_weights()]
    key = clf.extractor_id()["weights_sha1"]
    hist = clf.fine_tune(order_clips / "train", unfreeze_after=1, verbose=0)
    after = clf.features.get_layer("frame_encoder").get_weights()
    assert len(hist["end_to_end_loss"]) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))  # the encoder moved
    assert clf.extractor_id()["weights_sha1"] != key  # so the cached embeddings are not reused
    assert clf.features.get_layer("frame_encoder").trainable is False
