"""Live preview ring buffer / throttle and the demo's model export (plain modules, no Gradio)."""

import threading

import numpy as np
import pytest

from kvideo.demo.export import EXPORT_FORMATS, export_model, usage_snippet
from kvideo.demo.live import LivePreview, classifier_predict


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def frame(v, shape=(6, 8, 3)):
    return np.full(shape, v, np.uint8)


def test_ring_buffer_keeps_last_window_frames_oldest_first():
    seen = []
    live = LivePreview(lambda clip: seen.append(clip.copy()) or {"x": 1.0}, window=3, min_interval=0)
    for v in range(5):
        live.step(frame(v))
    assert [c[:, 0, 0, 0].tolist() for c in seen] == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert live.predictions == 3


def test_throttle_predicts_at_most_once_per_interval():
    clock = Clock()
    calls = []
    live = LivePreview(lambda clip: calls.append(clock.t) or {"a": clock.t}, window=2, min_interval=0.25, clock=clock)
    for i in range(20):  # 20 frames at 10 fps = 2 s
        clock.t = i * 0.1
        out = live.step(frame(i))
    assert calls == pytest.approx([0.1, 0.4, 0.7, 1.0, 1.3, 1.6, 1.9])
    assert out == {"a": pytest.approx(1.9)}


def test_busy_model_drops_frames_instead_of_queueing():
    gate, started = threading.Event(), threading.Event()

    def slow(clip):
        started.set()
        gate.wait(5)
        return {"slow": 1.0}

    live = LivePreview(slow, window=1, min_interval=0)
    t = threading.Thread(target=live.step, args=(frame(1),))
    t.start()
    assert started.wait(5)
    assert live.step(frame(2)) is None  # the model is busy: the frame only refreshes the buffer
    assert live.dropped == 1
    gate.set()
    t.join(5)
    assert live.scores == {"slow": 1.0} and live.predictions == 1


def test_resolution_change_restarts_buffer_and_reset_clears():
    live = LivePreview(lambda clip: {"n": float(len(clip))}, window=2, min_interval=0)
    live.step(frame(0))
    assert live.step(frame(0, (4, 4, 3))) is None  # new size: buffer restarted, not yet full
    assert live.step(frame(0, (4, 4, 3))) == {"n": 2.0}
    live.reset()
    assert live.scores is None and live.step(None) is None


def test_rgba_and_float_frames_are_conformed():
    got = []
    live = LivePreview(lambda clip: got.append(clip) or {}, window=1, min_interval=0)
    live.step(np.full((2, 2, 4), 300.0))
    assert got[0].dtype == np.uint8 and got[0].shape == (1, 2, 2, 3) and got[0].max() == 255


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"min_interval": -1}, {"predict": None}])
def test_bad_arguments_name_the_argument(kwargs):
    args = {"predict": lambda c: {}, **kwargs}
    with pytest.raises((ValueError, TypeError), match="Received: " + next(iter(kwargs))):
        LivePreview(**args)


def test_bad_frame_shape():
    with pytest.raises(ValueError, match="Received: frame.shape"):
        LivePreview(lambda c: {}).step(np.zeros((4, 4)))


def test_live_preview_over_a_real_classifier_and_export_roundtrip(tmp_path):
    import kvideo

    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
    live = LivePreview(classifier_predict(clf, lock=threading.Lock()), window=4, min_interval=0)
    scores = None
    for v in range(4):
        scores = live.step(frame(v * 60, (20, 24, 3)))
    assert set(scores) == {"a", "b"} and sum(scores.values()) == pytest.approx(1.0, abs=1e-4)

    result = export_model(clf, "keras", tmp_path / "out")
    assert result.path.exists() and result.path.suffix == ".keras" and result.format == "keras"
    assert result.path.name in result.snippet
    back = kvideo.VideoClassifier.load(result.path)
    assert back.class_names == ["a", "b"]
    clip = np.random.default_rng(0).integers(0, 255, (2, 16, 16, 3), np.uint8)
    np.testing.assert_allclose(back.predict_proba(clip), clf.predict_proba(clip), atol=1e-5)


def test_export_onnx_zip_runs_as_its_snippet_says(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    import kvideo

    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
    result = export_model(clf, "onnx", tmp_path / "out")
    assert result.path.name == "kvideo_model_onnx.zip" and result.path.name in result.snippet
    assert not list((tmp_path / "out").glob(".*"))  # the work folder is gone
    video = tmp_path / "clip.mp4"
    kvideo.io.write_video(video, np.random.default_rng(1).integers(0, 255, (6, 16, 16, 3), np.uint8), fps=5)
    monkeypatch.chdir(tmp_path)
    import shutil

    shutil.copy(result.path, tmp_path / result.path.name)
    printed = []
    monkeypatch.setattr("builtins.print", lambda *a: printed.append(a))
    exec(result.snippet, {})  # the snippet the page shows, as a user would paste it
    (label, score), = printed
    want = clf.predict_proba(video)[0]
    assert label == clf.class_names[int(np.argmax(want))] and score == pytest.approx(float(want.max()), abs=1e-4)


def test_export_errors():
    assert EXPORT_FORMATS == ("keras", "onnx", "litert", "saved_model")
    gru = pytest.importorskip("kvideo").VideoClassifier("td_gru", class_names=["a", "b"], num_frames=2, image_size=16)
    with pytest.raises(ValueError, match="litert exports: .*frame_cnn"):
        export_model(gru, "litert", "/tmp/kvideo-export-refused")
    with pytest.raises(ValueError, match="Received: fmt"):
        export_model(object(), "pickle", "/tmp")
    with pytest.raises(ValueError, match="train one first"):
        export_model(None, "keras", "/tmp")
    with pytest.raises(ValueError, match="Received: fmt"):
        usage_snippet("zip", "m.zip")


def test_app_live_tab_streams_and_export_needs_a_model(tmp_path):
    pytest.importorskip("gradio")
    from kvideo.demo.app import build_app

    app = build_app(samples=False, workdir=tmp_path)
    fns = {getattr(d.fn, "__name__", ""): d.fn for d in app.fns.values()}

    class Request:
        session_hash = "s1"

    frames = np.random.default_rng(1).integers(0, 255, (20, 60, 80, 3), np.uint8)
    outs = [fns["step"](f, "built-in", None, Request()) for f in frames]
    scores, status = outs[-1]
    assert set(scores) == {"left", "right", "grow", "shrink"} and "predictions" in status
    with pytest.raises(Exception, match="train one first"):
        fns["export"]("keras", None)
