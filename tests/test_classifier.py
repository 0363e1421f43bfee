"""kvideo.VideoClassifier: fit / evaluate / predict / timeline / save+load / fine_tune / plots, on tiny clips."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

pytest.importorskip("keras")

import kvideo  # noqa: E402
from kvideo.tasks import VideoClassifier  # noqa: E402
from kvideo.tasks.metrics import class_weights  # noqa: E402

T, S = 4, 32


@pytest.fixture(scope="module")
def new_label_videos(tmp_path_factory):
    return kvideo.make_sample_videos(tmp_path_factory.mktemp("newlabels"), classes=("cw", "ccw"), per_class=4,
                                     num_frames=12, size=(S, S), seed=5)


@pytest.fixture(scope="module")
def trained(sample_videos, tmp_path_factory):
    clf = VideoClassifier("frame_cnn", num_frames=T, image_size=(S, S), temporal_pool="max")
    history = clf.fit(sample_videos, epochs=2, batch_size=4, verbose=0)
    path = clf.save(tmp_path_factory.mktemp("model") / "motion.keras")
    return clf, history, path


def test_fit_infers_labels_and_returns_history(trained, sample_videos):
    clf, history, _ = trained
    assert clf.class_names == sorted(p.name for p in sample_videos.iterdir() if p.is_dir())
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))  # patience 5 > 2 epochs
    assert clf.history == history
    info = clf.train_info
    assert set(info) == {"monitor", "best_epoch", "epochs_run", "stopped_early", "class_weight", "num_train_videos",
                         "num_val_videos", "skipped_videos", "median_video_frames", "learning_rate", "batch_size", "epochs"}
    assert (info["monitor"], info["epochs_run"], info["stopped_early"], info["class_weight"]) == ("val_loss", 2, False, None)
    assert (info["num_train_videos"], info["num_val_videos"], info["median_video_frames"]) == (20, 4, 16)
    best = int(np.argmin(history["val_loss"])) + 1
    assert info["best_epoch"] == best


def test_evaluate_metrics_are_consistent(trained, sample_videos):
    clf = trained[0]
    r = clf.evaluate(sample_videos, verbose=0)
    n = len(clf.class_names)
    cm = np.array(r["confusion_matrix"])
    assert cm.shape == (n, n) and cm.sum() == r["num_clips"] == r["num_videos"] == 24
    assert r["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    # the same numbers from predict_proba on the files (labels are the folder names)
    files = sorted(p for p in sample_videos.rglob("*.mp4"))
    y = np.array([clf.class_names.index(p.parent.name) for p in files])
    probs = clf.predict_proba(files)
    assert r["accuracy"] == pytest.approx(np.mean(probs.argmax(1) == y))
    top3 = np.argsort(-probs, axis=1)[:, :3]
    assert r["top_k"] == 3 and r["top_k_accuracy"] == pytest.approx(np.mean([t in row for t, row in zip(y, top3)]))
    assert r["class_names"] == clf.class_names
    for i, name in enumerate(clf.class_names):
        m = r["per_class"][name]
        assert m["support"] == cm[i].sum() == 6
        assert m["recall"] == pytest.approx(cm[i, i] / cm[i].sum())
    assert r["macro_f1"] == pytest.approx(np.mean([m["f1"] for m in r["per_class"].values()]))
    assert "video_level" not in r


def test_evaluate_several_clips_per_video_adds_video_level(trained, sample_videos):
    clf = trained[0]
    r = clf.evaluate(sample_videos, clips_per_video=2, verbose=0)
    assert r["num_clips"] == 48 and r["num_videos"] == 24
    v = r["video_level"]
    assert np.array(v["confusion_matrix"]).sum() == 24
    assert set(v) == {"accuracy", "top_k_accuracy", "top_k", "macro_f1", "per_class", "confusion_matrix", "class_names"}
    assert set(r) == set(v) | {"num_clips", "num_videos", "clips_per_video", "video_level"}


def test_predict_path_array_and_batch(trained, sample_videos):
    clf = trained[0]
    video = sorted((sample_videos / "left").iterdir())[0]
    top = clf.predict(video, top_k=2)
    assert [set(p) for p in top] == [{"label", "score"}] * 2
    assert top[0]["score"] >= top[1]["score"] and top[0]["label"] in clf.class_names
    clip = kvideo.read_clip(video, num_frames=T, size=(S, S))
    np.testing.assert_allclose(clf.predict_proba(clip), clf.predict_proba(video), atol=1e-6)  # one reading path
    assert clf.predict(clip, top_k=2) == clf.predict(video, top_k=2)
    pair = clf.predict([video, video], top_k=2)  # a batch of two: same labels, scores to float32 rounding
    assert [[p["label"] for p in ps] for ps in pair] == [[p["label"] for p in top]] * 2
    np.testing.assert_allclose([[p["score"] for p in ps] for ps in pair], [[p["score"] for p in top]] * 2, atol=1e-5)
    # other lengths and sizes are resampled / resized; batches give one list per clip
    batch = clf.predict(np.zeros((3, 7, 40, 48, 3), np.uint8), top_k=len(clf.class_names) + 5)
    assert len(batch) == 3 and len(batch[0]) == len(clf.class_names)
    assert sum(p["score"] for p in batch[0]) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError, match="Received: shape=\\(32, 32, 3\\)"):
        clf.predict(np.zeros((32, 32, 3)))
    with pytest.raises(kvideo.VideoReadError):
        clf.predict(sample_videos / "missing.mp4")


def test_predict_timeline(trained, write_test_video, tmp_path):
    clf = trained[0]
    video = write_test_video(tmp_path / "long.mp4", n_frames=40, size=(S, S), fps=10.0)
    segs = clf.predict_timeline(video, window_frames=8, stride=8)
    assert len(segs) == 5
    assert [s["start"] for s in segs] == pytest.approx([0.0, 0.8, 1.6, 2.4, 3.2])
    assert all(s["end"] > s["start"] and s["label"] in clf.class_names and 0 <= s["score"] <= 1 for s in segs)
    default = clf.predict_timeline(video)  # default window: median training video (16 frames), stride 8
    assert [(s["start"], s["end"]) for s in default] == [(0.0, 1.6), (0.8, 2.4), (1.6, 3.2), (2.4, 4.0)]


def test_save_contains_metadata_and_loads_in_fresh_process(trained, tmp_path):
    clf, _, path = trained
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("kvideo.json"))
        assert not any(n.endswith((".pkl", ".pickle")) for n in zf.namelist())
    config = clf.get_config()
    assert config == {"arch": "frame_cnn", "class_names": ["grow", "left", "right", "shrink"], "num_frames": T,
                      "image_size": [S, S], "backbone": "small_cnn", "temporal_pool": "max"}
    assert set(meta) == {*config, "format", "task", "kvideo_version", "preprocessing", "history", "train_info"}
    assert {k: meta[k] for k in config} == config
    assert (meta["format"], meta["task"]) == ("kvideo.task/2", "VideoClassifier")
    assert meta["preprocessing"] == clf.preprocessing and meta["preprocessing"]["num_frames"] == T
    assert meta["history"] == clf.history and meta["train_info"]["epochs_run"] == clf.train_info["epochs_run"]
    x = (np.random.default_rng(0).random((2, T, S, S, 3)) * 255).astype("float32")
    np.save(tmp_path / "x.npy", x)
    expected = clf.predict_proba(x)
    code = textwrap.dedent(f"""
        import numpy as np, kvideo
        clf = kvideo.VideoClassifier.load(r"{path}")
        print(clf.class_names)
        np.save(r"{tmp_path}/p.npy", clf.predict_proba(np.load(r"{tmp_path}/x.npy")))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert str(clf.class_names) in r.stdout
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, atol=1e-5)


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: path="):
        VideoClassifier.load(tmp_path / "none.keras")
    bad = tmp_path / "bad.keras"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="not a .keras model file"):
        VideoClassifier.load(bad)


def test_fine_tune_new_labels_freezes_encoder(trained, new_label_videos):
    _, _, path = trained
    clf = VideoClassifier.load(path)
    enc_before = [w.copy() for w in clf.model.get_layer("encoder_conv2").get_weights()]
    gru_before = [w.copy() for w in clf.model.get_layer("head_dense").get_weights()]
    hist = clf.fine_tune(new_label_videos, epochs=1, batch_size=4, verbose=0)
    assert clf.class_names == ["ccw", "cw"] and clf.model.output_shape == (None, 2)
    assert len(hist["loss"]) == 1
    for a, b in zip(enc_before, clf.model.get_layer("encoder_conv2").get_weights()):
        np.testing.assert_array_equal(a, b)  # frozen
    assert any(not np.allclose(a, b) for a, b in zip(gru_before, clf.model.get_layer("head_dense").get_weights()))
    assert clf.train_info["fine_tuned_from"] == ["grow", "left", "right", "shrink"]
    assert all(l.trainable for l in clf.model.layers)  # unfrozen again afterwards
    r = clf.evaluate(new_label_videos, verbose=0)
    assert r["class_names"] == ["ccw", "cw"]
    # unfreeze_after: the encoder then changes too
    clf.fine_tune(new_label_videos, epochs=2, unfreeze_after=1, batch_size=4, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(enc_before, clf.model.get_layer("encoder_conv2").get_weights()))


def test_fit_rejects_other_labels(trained, new_label_videos, tmp_path):
    clf = VideoClassifier("frame_cnn", class_names=["left", "right"], num_frames=T, image_size=(S, S))
    with pytest.raises(ValueError, match=r"classes \['ccw', 'cw'\] differ .* use fine_tune\(\)"):
        clf.fit(new_label_videos, epochs=1, verbose=0)
    with pytest.raises(FileNotFoundError, match="Received: directory="):
        VideoClassifier("frame_cnn").fit(tmp_path / "nowhere", verbose=0)
    with pytest.raises(ValueError, match=r"labels \['ccw', 'cw'\] this model does not know"):
        trained[0].evaluate(new_label_videos)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"units": 3}, ValueError, r"a valid option for architecture 'frame_cnn'.* Received: units=3$"),
     ({"num_frames": 1}, ValueError, r"Received: num_frames=1$"),
     ({"num_frames": "many"}, TypeError, r"Received: num_frames='many'$"),
     ({"image_size": "big"}, ValueError, r"Received: image_size='big'$"),
     ({"class_names": ["a", "a"]}, ValueError, r"unique and non-empty\. Received: class_names=\['a', 'a'\]$"),
     ({"class_names": "ab"}, TypeError, r"Received: class_names='ab'$"),
     ({"class_names": ["a", "b"], "num_classes": 3}, ValueError, r"Received: num_classes=3$"),
     ({"arch": "resnet9000"}, ValueError, r"Received: arch='resnet9000'$"),
     ({"backbone": "nope"}, ValueError, r"Received: backbone='nope'$")],
)
def test_constructor_rejects_bad_arguments(kwargs, error, message):
    kwargs = {"arch": "frame_cnn", "num_frames": T, "image_size": (S, S), **kwargs}
    with pytest.raises(error, match=message):
        VideoClassifier(**kwargs)


@pytest.mark.parametrize(
    "call, error, message",
    [(lambda c: c.fit(None, epochs=0), ValueError, r"Received: epochs=0$"),
     (lambda c: c.fit(None, batch_size=0), ValueError, r"Received: batch_size=0$"),
     (lambda c: c.fit(42), TypeError, r"Received: data=42$"),
     (lambda c: c.fit((np.zeros((2, T, S, S, 3)), [0, 1]), class_weight="most"), ValueError,
      r"Received: class_weight='most'$"),
     (lambda c: c.predict(np.zeros((2, 2, 2, 2, 3)), top_k=0), ValueError, r"Received: top_k=0$"),
     (lambda c: c.predict(np.zeros((S, S, 3))), ValueError, r"Received: shape=\(32, 32, 3\)$"),
     (lambda c: c.evaluate((np.zeros((1, T, S, S, 3)), [0]), clips_per_video=0), ValueError,
      r"Received: clips_per_video=0$"),
     (lambda c: c.evaluate(3.5), TypeError, r"Received: data=3\.5$"),
     (lambda c: c.predict_timeline("x.mp4", window_frames=0), ValueError, r"Received: window_frames=0$"),
     (lambda c: c.save("model.h5"), ValueError, r"Received: path='model.h5'$"),
     (lambda c: c.fine_tune(None, epochs=0), ValueError, r"Received: epochs=0$")],
)
def test_methods_reject_bad_arguments(call, error, message):
    clf = VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=T, image_size=(S, S))
    with pytest.raises(error, match=message):
        call(clf)


def test_old_option_names_are_mapped():
    clf = VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=T, image_size=(S, S), pooling="max")
    assert clf.arch_options == {"temporal_pool": "max"} and clf.get_config()["temporal_pool"] == "max"


def test_get_config_round_trip_and_load_dispatch(trained, tmp_path):
    clf, _, path = trained
    again = VideoClassifier.from_config(clf.get_config())
    assert again.get_config() == clf.get_config() and again.model.output_shape == clf.model.output_shape
    from kvideo.tasks import Task, load_task

    loaded = load_task(path)
    assert type(loaded) is VideoClassifier and loaded.get_config() == clf.get_config()
    assert loaded.history == clf.history and loaded.train_info == json.loads(json.dumps(clf.train_info))
    assert isinstance(Task.load(path), VideoClassifier)


def test_preprocessing_describes_the_reader(trained):
    clf = trained[0]
    assert clf.preprocessing == {
        "num_frames": T, "image_size": [S, S], "sampling": "uniform (kvideo.io.sample_indices over the video or window)",
        "color": "RGB", "input_range": [0.0, 255.0], "normalization": None,
        "resize": f"cv2.resize to {S}x{S}: INTER_AREA when shrinking, INTER_LINEAR when enlarging; aspect ratio not kept"}


def test_fit_on_arrays_and_class_weights():
    clf = VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=T, image_size=(S, S))
    x = np.random.default_rng(1).random((6, T, S, S, 3)) * 255
    y = np.array([0, 0, 0, 0, 0, 1])
    h = clf.fit((x, y), epochs=1, verbose=0)
    assert len(h["loss"]) == 1
    assert clf.train_info["class_weight"] == {0: pytest.approx(0.6), 1: pytest.approx(3.0)}
    assert class_weights(np.array([0, 1, 0, 1]), "auto") is None
    assert class_weights(np.array([0, 1, 0, 1]), "balanced") == {0: 1.0, 1: 1.0}


def test_plots_write_png(trained, sample_videos, tmp_path):
    clf = trained[0]
    p1 = clf.plot_history(tmp_path / "h.png")
    p2 = clf.plot_confusion_matrix(tmp_path / "cm.png", clf.evaluate(sample_videos, verbose=0))
    for p in (p1, p2):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    fresh = VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=T, image_size=(S, S))
    with pytest.raises(ValueError, match="fit"):
        fresh.plot_history(tmp_path / "x.png")


@pytest.mark.slow
def test_convlstm_learns_frame_order(tmp_path):
    """Trained on left/right/grow/shrink (order-only classes) it beats chance by far on held-out clips."""
    train = kvideo.make_sample_videos(tmp_path / "train", per_class=24, num_frames=16, size=(48, 48), seed=1)
    test = kvideo.make_sample_videos(tmp_path / "test", per_class=10, num_frames=16, size=(48, 48), seed=2)
    clf = VideoClassifier("convlstm", num_frames=8, image_size=(48, 48))
    clf.fit(train, epochs=20, verbose=0)
    assert clf.evaluate(test, verbose=0)["accuracy"] >= 0.85
