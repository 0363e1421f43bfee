"""The Faces tab's live section (kvideo.demo.faces_live, app_faces) and the demo's background start-up
(kvideo.demo.startup, DemoState(background=True), the /status line): fast and deterministic where a fake
gallery or a gated model load stands in; the real face models on ../shared/data/faces (skipped when absent)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from _demo_support import faces_ok, tiny_model  # noqa: F401 - fixtures

from kvideo.demo.faces_live import EMPTY_GALLERY, NO_FACE, WAITING, FaceSessions, LiveFaces, live_faces_for
from kvideo.demo.startup import BackgroundLoader
from kvideo.demo.state import DemoState


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def fake_gallery(matches, people=("ada",)):
    calls = []

    def identify(frame):
        calls.append(frame.shape)
        return [dict(m) for m in matches]

    return identify, (lambda: list(people)), calls


FRAME = np.zeros((48, 64, 3), np.uint8)


# ------------------------------------------------------------------------------------ LiveFaces, no models
def test_throttle_looks_at_most_once_per_interval():
    identify, people, calls = fake_gallery([{"box": [1, 2, 3, 4], "identity": "ada", "distance": 0.25}])
    clock = Clock()
    live = LiveFaces(identify, people, threshold=0.6, min_interval=0.5, clock=clock)
    fresh = []
    for i in range(20):  # 20 frames at 10 fps = 2 s of camera
        clock.t = i * 0.1
        r = live.step(FRAME)
        fresh.append(r.fresh)
        assert r.names == ["ada"] and r.faces[0]["distance"] == 0.25
    assert sum(fresh) == len(calls) == 4 and fresh[:6] == [True, False, False, False, False, True]
    assert r.message == "# ada\ndistance **0.25** (threshold 0.60)" and r.looks == 4


def test_busy_session_or_engine_drops_frames_instead_of_queueing():
    started, release = threading.Event(), threading.Event()

    def slow(frame):
        started.set()
        release.wait(10)
        return [{"box": [0, 0, 4, 4], "identity": None, "distance": 0.9}]

    engine = threading.Lock()
    live = LiveFaces(slow, lambda: ["ada"], threshold=0.6, min_interval=0.0, busy=engine)
    first = threading.Thread(target=live.step, args=(FRAME,))
    first.start()
    assert started.wait(10)
    t0 = time.perf_counter()
    r = live.step(FRAME)  # the session's look is still running: dropped, at once
    assert time.perf_counter() - t0 < 1 and (r.fresh, r.dropped, r.message) == (False, 1, WAITING)
    release.set()
    first.join(10)
    with engine:  # the face engine is busy elsewhere (enrolling): dropped too
        assert live.step(FRAME).dropped == 2
    r = live.step(FRAME)
    assert r.fresh and r.names == ["unknown"] and r.looks == 2
    assert r.message == "# unknown\ndistance **0.90** > threshold 0.60: nobody in the gallery is that close"


def test_empty_gallery_no_face_none_frame_and_bad_frames():
    identify, _, calls = fake_gallery([])
    people = []
    live = LiveFaces(identify, lambda: people, threshold=0.6, min_interval=0.0)
    assert live.step(None).message == WAITING and live.looks == 0
    assert live.step(FRAME).message == EMPTY_GALLERY and calls == []  # no look at all on an empty gallery
    people.append("ada")
    r = live.step(np.zeros((48, 64, 4), np.float32))  # RGBA float frames are conformed
    assert (r.message, r.faces, calls) == (NO_FACE, [], [(48, 64, 3)])
    assert live.step(None).message == NO_FACE  # no new frame: the last answer
    with pytest.raises(ValueError, match=r"\(H, W, 3\) image. Received: frame.shape=\(48, 64\)"):
        live.step(np.zeros((48, 64)))
    with pytest.raises(ValueError, match="Received: min_interval=-1"):
        LiveFaces(identify, lambda: people, threshold=0.6, min_interval=-1)


def test_big_frames_are_shrunk_and_faces_listed_left_to_right():
    matches = [{"box": [200, 10, 50, 50], "identity": "bob", "distance": 0.3},
               {"box": [20, 10, 50, 50], "identity": None, "distance": 0.8}]
    identify, people, calls = fake_gallery(matches, people=("bob",))
    r = LiveFaces(identify, people, threshold=0.6, min_interval=0.0).step(np.zeros((960, 1280, 3), np.uint8))
    assert calls == [(480, 640, 3)]
    assert r.names == ["unknown", "bob"] and r.faces[1]["box"] == [400, 20, 100, 100]  # back in frame pixels
    assert r.message.splitlines()[0] == "# unknown &nbsp;·&nbsp; bob" and "bob: distance **0.30**" in r.message


def test_sessions_are_forgotten_on_end_and_beyond_the_limit():
    made = []
    sessions = FaceSessions(lambda: made.append(1) or object(), max_sessions=3)
    a = sessions.get("a")
    assert sessions.get("a") is a and len(made) == 1
    for k in "bcd":
        sessions.get(k)
    assert len(sessions) == 3 and "a" not in sessions  # the least recently used went first
    assert sessions.end("b") is True and sessions.end("b") is False and len(sessions) == 2
    with pytest.raises(ValueError, match="Received: max_sessions=0"):
        FaceSessions(object, max_sessions=0)


# ------------------------------------------------------------------------------------ real faces
def _image(path):
    from kvideo.faces import load_image

    return load_image(str(path), "photo")


def test_live_identify_real_photos_frame_by_frame(faces_ok, tiny_model, tmp_path, monkeypatch):
    pytest.importorskip("gradio")
    import cv2

    import kvideo.demo.state as state_module
    from kvideo.demo.app import build_app

    monkeypatch.setattr(state_module, "PRELOAD", ("faces",))
    kit, rose = faces_ok["kit"], faces_ok["rose"]
    app = build_app(model=str(tiny_model), samples=False, workdir=tmp_path / "work")
    state = app.kvideo_state
    fns = {getattr(d.fn, "__name__", ""): d.fn for d in app.fns.values()}

    class Request:
        session_hash = "s1"

    clock = Clock()
    live = live_faces_for(state, clock=clock)
    assert live.step(_image(kit[-1])).message == EMPTY_GALLERY
    snapshot = tmp_path / "webcam.png"  # what the page's webcam snapshot sends: a PNG file
    cv2.imwrite(str(snapshot), cv2.imread(str(kit[0])))
    assert fns["enroll"]("kit", None, str(snapshot)).startswith("Enrolled 1 photo(s) of **kit**")
    assert fns["enroll"]("kit", [str(p) for p in kit[1:-1]], None).startswith(f"Enrolled {len(kit) - 2} photo(s)")
    frame = _image(kit[-1])
    looks = []
    for i in range(4):  # the same photo as 4 camera frames, 0.3 s apart: 2 looks (0 s, 0.6 s)
        clock.t = 0.6 + i * 0.3
        r = live.step(frame)
        looks.append(r.fresh)
        assert r.names == ["kit"], r.message
    assert looks == [True, False, True, False]
    assert r.faces[0]["distance"] <= live.threshold and r.message.startswith("# kit\ndistance **")
    clock.t = 10.0
    stranger = live.step(_image(rose[0]))
    assert stranger.fresh and stranger.names == ["unknown"] and stranger.faces[0]["distance"] > live.threshold
    clock.t = 20.0
    assert live.step(np.full((240, 320, 3), 127, np.uint8)).message == NO_FACE
    names, status = fns["who"](frame, Request())  # through the page's stream handler
    assert names.startswith("# kit\n") and status == "1 looks, 0 frames dropped while busy"


# ------------------------------------------------------------------------------------ background start-up
def test_loader_reports_loading_then_ready_and_keeps_errors():
    gate = threading.Event()
    loader = BackgroundLoader([("model", lambda: gate.wait(10) and "clf"),
                               ("faces", lambda: (_ for _ in ()).throw(ImportError("pip install deepface")))],
                              optional=("faces",)).start()
    assert loader.status().startswith("Loading the motion model... (") and not loader.ready
    gate.set()
    assert loader.wait("model", timeout=10) == "clf"
    loader.wait(timeout=10)
    assert loader.ready and loader.status() == (
        f"Ready (loaded in {loader._t1 - loader._t0:.1f} s). The face models could not be loaded: pip install deepface")
    with pytest.raises(ImportError, match="deepface"):
        loader.wait("faces")
    bad = BackgroundLoader([("model", lambda: 1 / 0)]).start()
    bad.wait(timeout=10)
    assert bad.status() == "Failed to load the motion model: division by zero"
    with pytest.raises(ZeroDivisionError):
        bad.wait("model")
    with pytest.raises(ZeroDivisionError):
        BackgroundLoader([("model", lambda: 1 / 0)]).run_now()


@pytest.fixture
def gated_model(monkeypatch):
    """Make the demo's model load wait for ``gate.set()`` (it loads for real afterwards)."""
    import kvideo.demo.defaults as defaults
    import kvideo.demo.state as state_module

    gate, real = threading.Event(), defaults.load_model

    def slow_load(model=None):
        assert gate.wait(60)
        return real(model)

    monkeypatch.setattr(defaults, "load_model", slow_load)
    monkeypatch.setattr(state_module, "PRELOAD", ())  # only the model: the other steps are tested above
    return gate


def test_status_and_a_classify_issued_while_loading(gated_model, tiny_model, tmp_path):
    pytest.importorskip("gradio")
    from kvideo.demo.app import build_app
    from kvideo.datasets import make_sample_videos

    clip = make_sample_videos(tmp_path / "clips", classes=("left",), per_class=1, num_frames=12, size=(32, 32))
    clip = next((clip / "left").iterdir())
    app = build_app(model=str(tiny_model), samples=False, workdir=tmp_path / "work")
    fns = {getattr(d.fn, "__name__", ""): d.fn for d in app.fns.values()}
    assert fns["status"]().startswith("Loading the motion model... (")
    answer = {}
    request = threading.Thread(target=lambda: answer.update(r=fns["classify"](str(clip), "built-in", None)))
    request.start()
    request.join(1.0)
    assert request.is_alive() and not answer  # waiting for the model, not failing
    gated_model.set()
    request.join(120)
    scores = answer["r"][0]
    assert set(scores) == {"left", "right"}
    text = fns["status"]()
    assert text.startswith("Ready (loaded in ") and "Built-in motion model: **left, right**" in text


def test_app_live_faces_section_frees_its_session(tiny_model, tmp_path, monkeypatch):
    pytest.importorskip("gradio")
    import kvideo.demo.state as state_module
    from kvideo.demo.app import build_app

    monkeypatch.setattr(state_module, "PRELOAD", ())
    app = build_app(model=str(tiny_model), samples=False, workdir=tmp_path / "work")
    fns = {getattr(d.fn, "__name__", ""): d.fn for d in app.fns.values()}

    class Request:
        session_hash = "s1"

    sessions = fns["end_session"].sessions
    try:
        names, status = fns["who"](None, Request())
    except Exception as e:  # noqa: BLE001 - no face package here: the guard turns it into a page error
        pytest.skip(f"face models unavailable: {e}")
    assert names == WAITING and "looks" in status and len(sessions) == 1
    fns["end_session"](Request())
    assert len(sessions) == 0


def test_a_model_that_cannot_be_loaded_is_reported_in_the_status(tmp_path, monkeypatch):
    import kvideo.demo.state as state_module
    from kvideo.demo import handlers

    monkeypatch.setattr(state_module, "PRELOAD", ())
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip")
    state = DemoState(model=str(bad), workdir=tmp_path / "work", samples=False, background=True)
    with pytest.raises(Exception) as raised:
        handlers.classify(state, str(bad), "built-in")  # waits for the load, then gets its error
    assert state.loader.ready and state.loader.error("model") is raised.value
    assert state.status().startswith("Failed to load the motion model: " + handlers.one_line(raised.value)[:100])
