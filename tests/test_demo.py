"""The demo without Gradio: safety checks, uploads, every handler with plain values, the default model and the
`kvideo demo` command. (The background TrainingJob: test_demo_training.py; the launched app: test_demo_app.py;
a real browser: test_demo_browser.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kvideo.demo.safety import (
    UnsafeInputError,
    check_extension,
    check_label,
    labeled_folders,
    safe_extract_zip,
)
from _demo_support import clips, faces_ok, tiny_model  # noqa: F401 - fixtures
from _robust_support import hostile

from kvideo.demo import handlers
from kvideo.demo.handlers import ModelChoice, StartFrom, TrainRequest, TrainUpdate
from kvideo.demo.state import DemoState
from kvideo.demo.uploads import assemble_training_folder, file_list, file_path

# ------------------------------------------------------------------------------------------ safety (no gradio)
make_zip = hostile.make_zip


@pytest.mark.parametrize(
    "bad",
    ["../evil.mp4", "a/../../evil.mp4", "/abs/evil.mp4", "C:/win/evil.mp4"],
)
def test_zip_entries_cannot_escape(tmp_path, bad):
    z = make_zip(tmp_path / "bad.zip", {"left/ok.mp4": b"x", bad: b"y"})
    out = tmp_path / "out"
    with pytest.raises(UnsafeInputError, match="Received: entry="):
        safe_extract_zip(z, out)
    assert not (tmp_path / "evil.mp4").exists()
    assert not any(out.rglob("*.mp4")), "nothing is extracted from a rejected zip"


def test_zip_symlink_rejected(tmp_path):
    z = make_zip(tmp_path / "link.zip", {"left/a.mp4": b"x"}, symlink="left/passwd.mp4")
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        safe_extract_zip(z, tmp_path / "out")


def test_zip_limits_and_filtering(tmp_path):
    entries = {f"lab/{i}.mp4": b"0" * 100 for i in range(5)}
    z = make_zip(tmp_path / "many.zip", entries)
    with pytest.raises(UnsafeInputError, match="too many entries"):
        safe_extract_zip(z, tmp_path / "o1", max_entries=4)
    with pytest.raises(UnsafeInputError, match="too large"):
        safe_extract_zip(z, tmp_path / "o2", max_total_bytes=250)
    z2 = make_zip(
        tmp_path / "mixed.zip",
        {"clips/a/1.mp4": b"1", "clips/a/2.MP4": b"2", "clips/b/1.webm": b"3", "clips/b/notes.txt": b"t",
         "__MACOSX/clips/a/._1.mp4": b"m", "clips/.hidden/x.mp4": b"h"},
    )
    files = safe_extract_zip(z2, tmp_path / "o3")
    assert sorted(p.name for p in files) == ["1.mp4", "1.webm", "2.MP4"]
    root = labeled_folders(tmp_path / "o3")
    assert root.name == "clips" and sorted(p.name for p in root.iterdir()) == ["a", "b"]
    with pytest.raises(UnsafeInputError, match="not a readable zip"):
        safe_extract_zip(tmp_path / "o3" / "clips" / "a" / "1.mp4", tmp_path / "o4")


def test_labels_and_types():
    assert check_label("  wave hello ") == "wave hello"
    for bad in ["", "..", "a/b", "../x", ".hidden", "x" * 65, None]:
        with pytest.raises(UnsafeInputError, match="Received: label="):
            check_label(bad)
    assert check_extension("a.MP4", (".mp4",)) == "a.MP4"
    with pytest.raises(UnsafeInputError, match="not accepted"):
        check_extension("a.exe", (".mp4",), what="video")
    with pytest.raises(UnsafeInputError, match="No video"):
        check_extension(None, (".mp4",), what="video")


def test_cli_demo_parser_is_safe_by_default():
    from kvideo.cli.main import build_parser

    parser = build_parser()
    args = parser.parse_args(["demo"])
    assert args.host == "127.0.0.1" and args.port == 7860 and args.model is None and args.faces_db is None
    help_text = subprocess.run(
        [sys.executable, "-m", "kvideo", "demo", "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    assert "--model" in help_text and "--faces-db" in help_text and "--share" not in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--share"])


def test_cli_demo_bad_model_is_one_line_error(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "kvideo", "demo", "--model", str(tmp_path / "missing.keras"), "--port", "0"],
        capture_output=True, text=True, timeout=180,
    )
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "missing.keras" in last and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------------------ the default model


def test_shipped_default_model_is_small_and_knows_motion(tmp_path):
    from kvideo.datasets import make_sample_videos
    from kvideo.demo import defaults

    assert defaults.SHIPPED_MODEL.is_file(), "run `python demo/make_default_model.py`"
    assert defaults.SHIPPED_MODEL.stat().st_size < 2 * 1024 * 1024
    clf, source = defaults.load_default_model()
    assert source == "shipped" and clf.class_names == list(defaults.DEFAULT_CLASSES)
    # fresh clips (a seed the model never saw): well above chance (0.25) on motions that differ only in order
    test = make_sample_videos(tmp_path / "fresh", classes=defaults.DEFAULT_CLASSES, per_class=4, seed=4242,
                              num_frames=defaults.DEFAULT_SPEC["sample_frames"], size=defaults.DEFAULT_SPEC["sample_size"])
    files = sorted(test.rglob("*.mp4"))
    preds = [clf.predict(str(f), top_k=1)[0]["label"] for f in files]
    acc = np.mean([p == f.parent.name for p, f in zip(preds, files)])
    assert acc >= 0.6, (acc, preds)


def test_default_model_falls_back_to_training_and_caches(tmp_path, monkeypatch):
    from kvideo.demo import defaults

    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(defaults, "SHIPPED_MODEL", tmp_path / "missing.keras")
    tiny = dict(defaults.DEFAULT_SPEC, version=999, per_class=2, epochs=1, num_frames=6, image_size=(24, 24),
                sample_frames=8, sample_size=(24, 24), classes=("left", "right"), validation_split=None)
    monkeypatch.setattr(defaults, "DEFAULT_SPEC", tiny)
    clf, source = defaults.load_default_model()
    assert source == "trained" and clf.class_names == ["left", "right"]
    assert defaults.cached_model_path().is_file()
    assert str(defaults.cached_model_path()).startswith(str(tmp_path / "cache"))
    clf2, source2 = defaults.load_default_model()
    assert source2 == "cache" and clf2.num_frames == 6


# ------------------------------------------------------------------------------------------ uploads


def test_file_path_and_list_accept_what_the_page_sends():
    class Wrapped:
        name = "/up/a.mp4"

    assert file_path(None) is None
    assert file_path("/up/a.mp4") == "/up/a.mp4"
    assert file_path(Path("/up/a.mp4")) == "/up/a.mp4"
    assert file_path({"video": {"path": "/up/v.webm"}, "subtitles": None}) == "/up/v.webm"
    assert file_path({"orig_name": "a.mp4"}) is None
    assert file_path(Wrapped()) == "/up/a.mp4"
    assert file_list(None) == [] and file_list("/up/a.mp4") == ["/up/a.mp4"]
    assert file_list([None, {"path": "/up/b.mp4"}, Wrapped()]) == ["/up/b.mp4", "/up/a.mp4"]


def _fake_clips(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"\x00\x00\x00\x18ftypmp42 not decoded here")  # an mp4 header: passes the content check
    return [str(folder / n) for n in names]


def test_assemble_training_folder_from_labels_and_zip(tmp_path):
    up = _fake_clips(tmp_path / "up", ["1.mp4", "2.mp4"])
    down = _fake_clips(tmp_path / "down", ["1.webm"])
    z = make_zip(tmp_path / "clips.zip", {"my_clips/up/3.mp4": b"z", "my_clips/left/1.mp4": b"z", "my_clips/README.txt": b"t"})
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    data.mkdir()
    scratch.mkdir()
    counts = assemble_training_folder(data, zip_file={"path": str(z)}, labels=[("up", up), ("", None), (" down ", down)],
                                      scratch_dir=scratch)
    assert counts == {"left": 1, "up": 3, "down": 1}
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*.*")) == [
        "down/u0000_1.webm", "left/z0000_1.mp4", "up/u0000_1.mp4", "up/u0001_2.mp4", "up/z0000_3.mp4"]
    assert list(scratch.iterdir()) == []  # the extracted zip is gone


@pytest.mark.parametrize(
    "labels, entries, error, match",
    [
        ([("up", ["a.mp4"])], None, ValueError, r"at least 2 labels.*Received: labels=\['up'\]"),
        ([("up", ["a.mp4"]), ("down", [])], None, ValueError, "Label 'down' has no clips"),
        ([("../x", ["a.mp4"]), ("ok", ["a.mp4"])], None, UnsafeInputError, r"Received: label='\.\./x'"),
        ([("up", ["a.txt"]), ("down", ["a.mp4"])], None, UnsafeInputError, "clip type is not accepted"),
        ([], {"notes/readme.txt": b"x"}, ValueError, "holds no <label>/<clip> videos"),
        ([], {"up/a.mp4": b"x", "../../escape.mp4": b"y"}, UnsafeInputError, "'..'"),
    ],
)
def test_assemble_training_folder_rejects(tmp_path, labels, entries, error, match):
    for _, names in labels:
        _fake_clips(tmp_path, names)
    labels = [(name, [str(tmp_path / n) for n in names]) for name, names in labels]
    z = make_zip(tmp_path / "up.zip", entries) if entries else None
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(error, match=match):
        assemble_training_folder(data, zip_file=z, labels=labels, scratch_dir=tmp_path)
    assert not (tmp_path.parent / "escape.mp4").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".zip-")]


# ------------------------------------------------------------------------------------------ handlers


@pytest.fixture(scope="module")
def state(tiny_model, tmp_path_factory):
    return DemoState(model=str(tiny_model), workdir=tmp_path_factory.mktemp("handlers"), samples=False)


def test_state_loads_the_model_it_is_given(state, tiny_model, tmp_path):
    assert state.model_source == str(tiny_model) and state.classifier.class_names == ["left", "right"]
    assert state.samples == [] and state.new_dir("x").parent == state.workdir
    with pytest.raises(FileNotFoundError, match=r"Received: model='.*missing.keras'"):
        DemoState(model=str(tmp_path / "missing.keras"), workdir=tmp_path, samples=False)
    assert state.trained_model(tiny_model) is state.trained_model(str(tiny_model))  # loaded once


def test_classify_short_and_long_videos(state, clips):
    short = handlers.classify(state, str(clips["short"]))
    assert set(short.scores) == {"left", "right"} and abs(sum(short.scores.values()) - 1) < 1e-5
    top = max(short.scores, key=short.scores.get)
    assert short.info.startswith(f"**{top}** (") and "model saw 8 frames at 32x32" in short.info
    assert "video: 2.0 s, 64x64, 24 frames" in short.info
    assert short.timeline is None and short.segments == []  # a 2 s clip gets no timeline
    assert short.strip.shape == (96, 8 * 96 + 7 * 4, 3)  # 8 frames of 32x32 shown 96 high, 4-pixel gaps
    long = handlers.classify(state, {"video": {"path": str(clips["long"])}}, ModelChoice.BUILT_IN)
    # 120 frames in windows of the training clips' median length (12 frames): 10 windows
    assert [(s["start"], s["end"]) for s in long.segments] == [(i * 1.0, i * 1.0 + 1.0) for i in range(10)]
    assert long.timeline.shape == (300, 800, 3) and long.info.endswith("timeline: 10 windows")
    assert "video: 10.0 s" in long.info


@pytest.mark.parametrize(
    "model, session, error, match",
    [
        (ModelChoice.TRAINED, None, ValueError, r"train one in the Train tab first. Received: model='trained in"),
        ("best", None, ValueError, r"`model` must be one of 'ImageNet labels \(real videos\)', 'built-in', 'trained in the Train tab'. Received: model='best'"),
    ],
)
def test_classify_bad_choice(state, clips, model, session, error, match):
    with pytest.raises(error, match=match):
        handlers.classify(state, str(clips["short"]), model, session)


def test_classify_bad_file(state, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UnsafeInputError, match=r"video type is not accepted.*Received: path='notes.txt'"):
        handlers.classify(state, str(tmp_path / "notes.txt"))
    with pytest.raises(UnsafeInputError, match="No video was given"):
        handlers.classify(state, None)


def _updates(state, request):
    progress = []
    updates = list(handlers.train(state, request, on_progress=lambda f, text: progress.append((round(f, 3), text))))
    return updates, progress


def test_train_new_model_then_classify_with_it(state, clips):
    from kvideo.tasks import VideoClassifier

    up, down = sorted((clips["train"] / "up").glob("*.mp4")), sorted((clips["train"] / "down").glob("*.mp4"))
    request = TrainRequest(labels=[("up", up), ("down", down)], arch="c3d", epochs=2, num_frames=8, image_size=32)
    updates, progress = _updates(state, request)
    assert updates[0] == TrainUpdate("Preparing 6 clips (down: 3, up: 3) ...")
    assert [u.message.split(" (")[0] for u in updates[1:3]] == [
        "Training a new c3d model on down: 3, up: 3: epoch 1/2", "Training a new c3d model on down: 3, up: 3: epoch 2/2"]
    assert len(updates) == 4 and updates[3].message.startswith("Done: a new c3d model on down: 3, up: 3 in ")
    assert all(u.curves.shape == (300, 800, 3) for u in updates[1:])
    assert [u.model_path for u in updates[:3]] == [None, None, None]
    # 6 clips, no validation (fewer than 5 per label), batches of 4: 2 steps per epoch
    assert progress == [(0.0, "Training a new c3d model"), (0.25, "epoch 1/2"), (0.5, "epoch 1/2"),
                        (0.75, "epoch 2/2"), (1.0, "epoch 2/2")]
    trained = VideoClassifier.load(updates[3].model_path)
    assert trained.class_names == ["down", "up"] and trained.num_frames == 8 and tuple(trained.image_size) == (32, 32)
    assert not list(state.workdir.glob("train-data-*"))  # the assembled clips are removed
    result = handlers.classify(state, str(clips["short"]), ModelChoice.TRAINED, updates[3].model_path)
    assert set(result.scores) == {"down", "up"}


def test_fine_tune_leaves_the_builtin_model_alone(state, clips, tiny_model):
    from kvideo.tasks import VideoClassifier

    before = state.classifier.predict(str(clips["short"]), top_k=2)
    labels = [("up", sorted((clips["train"] / "up").glob("*.mp4"))[:1]),
              ("down", sorted((clips["train"] / "down").glob("*.mp4"))[:2])]
    updates, _ = _updates(state, TrainRequest(labels=labels, epochs=1, start_from=StartFrom.BUILT_IN))
    assert updates[0].warnings == ("Some labels have a single clip: upload a few per label for a model that generalises.",)
    assert updates[-1].message.startswith("Done: fine-tuning the demo's model on down: 2, up: 1 in ")
    assert VideoClassifier.load(updates[-1].model_path).class_names == ["down", "up"]
    assert state.classifier.predict(str(clips["short"]), top_k=2) == before
    updates, _ = _updates(state, TrainRequest(labels=labels, epochs=1, start_from="fine-tune an uploaded model",
                                              base_model={"path": str(tiny_model)}))
    assert updates[-1].message.startswith("Done: fine-tuning tiny.keras on down: 2, up: 1 in ")


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"epochs": 0}, ValueError, r"Received: epochs=0"),
        ({"epochs": 101}, ValueError, r"`epochs` must be an integer in \[1, 100\]"),
        ({"start_from": "scratch"}, ValueError, r"Received: start_from='scratch'"),
        ({"start_from": StartFrom.UPLOADED}, UnsafeInputError, "No model file was given"),
        ({"labels": [("up", None)]}, ValueError, "Label 'up' has no clips"),
    ],
)
def test_train_rejects_bad_requests(state, clips, changes, error, match):
    labels = [("up", sorted((clips["train"] / "up").glob("*.mp4"))), ("down", sorted((clips["train"] / "down").glob("*.mp4")))]
    request = TrainRequest(**{"labels": labels, "epochs": 1, **changes})
    with pytest.raises(error, match=match):
        for _ in handlers.train(state, request):
            pass
    assert not list(state.workdir.glob("train-data-*"))


def test_closing_the_train_updates_cancels_the_job(state, clips):
    import threading
    import time

    labels = [("up", sorted((clips["train"] / "up").glob("*.mp4"))), ("down", sorted((clips["train"] / "down").glob("*.mp4")))]
    updates = handlers.train(state, TrainRequest(labels=labels, arch="c3d", epochs=100, num_frames=8, image_size=32))
    assert next(updates).message.startswith("Preparing")
    assert next(updates).message.startswith("Training a new c3d model on down: 3, up: 3: epoch 1/100")
    before = {t.name for t in threading.enumerate()}
    assert "kvideo-demo-train" in before
    t0 = time.perf_counter()
    updates.close()  # what Gradio does when the page goes away
    assert time.perf_counter() - t0 < 30
    assert "kvideo-demo-train" not in {t.name for t in threading.enumerate()}
    assert not list(state.workdir.glob("train-data-*"))


# ------------------------------------------------------------------------------------------ faces handlers


@pytest.fixture()
def face_state(tiny_model, tmp_path):
    return DemoState(model=str(tiny_model), workdir=tmp_path / "work", samples=False)


def test_verify_handler(faces_ok):
    kit, rose = faces_ok["kit"], faces_ok["rose"]
    same = handlers.verify(str(kit[0]), {"path": str(kit[1])})
    assert same.verified is True and same.distance <= same.threshold
    assert same.message.startswith(f"### Same person\n\ndistance **{same.distance:.3f}** (threshold {same.threshold:.3f};")
    assert [a.shape[:2] for a in same.annotated] == [cv2_shape(kit[0]), cv2_shape(kit[1])]
    other = handlers.verify(str(kit[0]), str(rose[0]))
    assert other.verified is False and other.distance > other.threshold
    assert other.message.startswith("### Different people")
    with pytest.raises(UnsafeInputError, match="photo type is not accepted"):
        handlers.verify(str(kit[0]), "clip.mp4")


def cv2_shape(path):
    import cv2

    return cv2.imread(str(path)).shape[:2]


def test_enroll_and_identify_handlers(face_state, faces_ok):
    kit = faces_ok["kit"]
    with pytest.raises(ValueError, match=r"Upload a photo or a video to search. Received: file=None"):
        handlers.identify(face_state, None)
    with pytest.raises(ValueError, match=r"The face gallery is empty.*Received: gallery=\[\]"):
        handlers.identify(face_state, str(kit[-1]))
    with pytest.raises(ValueError, match=r"Upload at least one photo of kit. Received: photos=\[\]"):
        handlers.enroll(face_state, "kit", [])
    result = handlers.enroll(face_state, " kit ", [str(p) for p in kit[:-1]])
    assert (result.label, result.added, result.skipped, result.identities) == ("kit", len(kit) - 1, [], ["kit"])
    assert result.message == f"Enrolled {len(kit) - 1} photo(s) of **kit**. Gallery: kit"
    found = handlers.identify(face_state, {"path": str(kit[-1])})
    assert found.message == f"{len(found.rows)} face(s) in the photo" and found.rows[0][0] == "kit"
    assert found.image.shape[:2] == cv2_shape(kit[-1]) and found.chart is None and found.video is None
