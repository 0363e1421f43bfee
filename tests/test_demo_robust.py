"""The demo's handlers under hostile or unlucky use: oversized and mislabelled uploads, zip bombs, uploads that
never fully arrived, 20 classify requests at once, two people training at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from _demo_support import clips, tiny_model  # noqa: F401 - fixtures
from _robust_support import hostile
from kvideo.demo import handlers, safety
from kvideo.demo.handlers import ModelChoice, TrainRequest
from kvideo.demo.safety import UnsafeInputError, check_upload, safe_extract_zip
from kvideo.demo.state import DemoState
from kvideo.demo.uploads import assemble_training_folder
from kvideo.utils.formats import VIDEO_EXTENSIONS


@pytest.fixture(scope="module")
def state(tiny_model, tmp_path_factory):  # noqa: F811
    return DemoState(model=str(tiny_model), workdir=tmp_path_factory.mktemp("robust"), samples=False)


def _one_line(e):
    return "\n" not in str(e.value) and "Received: path=" in str(e.value)


def test_wrong_types_by_content(tmp_path):
    for name, (path, allowed, words) in hostile.wrong_type_uploads(tmp_path).items():
        with pytest.raises(UnsafeInputError, match=words) as e:
            check_upload(path, allowed)
        assert _one_line(e), name
    (tmp_path / "ok.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(100))
    assert check_upload(tmp_path / "ok.mp4", VIDEO_EXTENSIONS) == str(tmp_path / "ok.mp4")
    (tmp_path / "folder.mp4").mkdir()
    with pytest.raises(UnsafeInputError, match="is a folder, not a file"):
        check_upload(tmp_path / "folder.mp4", VIDEO_EXTENSIONS)


def test_oversized_and_missing_uploads(state, clips, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setitem(safety.MAX_UPLOAD_BYTES, "video", 1000)
    with pytest.raises(UnsafeInputError, match=r"This video is too large \(0 MB; at most 0 MB\)") as e:
        handlers.classify(state, str(clips["short"]))
    assert _one_line(e)
    with pytest.raises(UnsafeInputError, match="did not arrive"):  # the browser went away mid-upload
        handlers.classify(state, str(tmp_path / "gone.mp4"))


def test_upload_cut_off_midway_is_a_clean_error(state, clips, tmp_path):  # noqa: F811
    from kvideo.errors import VideoReadError

    data = clips["long"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 4])  # what a dropped connection leaves
    try:
        result = handlers.classify(state, str(cut))
        assert set(result.scores) == {"left", "right"}  # the readable part was classified
    except VideoReadError as e:
        assert "cut.mp4" in str(e) and "\n" not in str(e)


def test_zip_bomb_is_refused_before_extraction(tmp_path):
    bomb = hostile.zip_bomb(tmp_path / "bomb.zip")  # 64 MB of zeros in ~64 KB
    assert bomb.stat().st_size < 1024**2
    with pytest.raises(UnsafeInputError, match="suspicious compression ratio"):
        safe_extract_zip(bomb, tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.mp4"))
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(UnsafeInputError, match="suspicious compression ratio"):
        assemble_training_folder(data, zip_file=str(bomb), scratch_dir=tmp_path)


def test_twenty_classify_requests_at_once(state, clips):  # noqa: F811
    alone = handlers.classify(state, str(clips["short"])).scores
    with ThreadPoolExecutor(20) as ex:
        results = list(ex.map(lambda _: handlers.classify(state, str(clips["short"])).scores, range(20)))
    assert len(results) == 20
    for r in results:
        assert r.keys() == alone.keys() and all(abs(r[k] - alone[k]) < 1e-5 for k in r)


def test_two_people_training_at_once_get_their_own_models(state, clips):  # noqa: F811
    from kvideo.tasks import VideoClassifier

    up, down = sorted((clips["train"] / "up").glob("*.mp4")), sorted((clips["train"] / "down").glob("*.mp4"))
    requests = {"a": TrainRequest(labels=[("up", up), ("down", down)], arch="c3d", epochs=1, num_frames=8,
                                  image_size=32),
                "b": TrainRequest(labels=[("rise", up), ("fall", down), ("both", up[:1] + down[:1])], arch="c3d",
                                  epochs=1, num_frames=4, image_size=32)}
    out, errors = {}, []

    def person(key):
        try:
            out[key] = list(handlers.train(state, requests[key]))[-1].model_path
        except Exception as e:  # noqa: BLE001
            errors.append((key, e))

    threads = [threading.Thread(target=person, args=(k,)) for k in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors and out["a"] != out["b"]
    a, b = VideoClassifier.load(out["a"]), VideoClassifier.load(out["b"])
    assert a.class_names == ["down", "up"] and a.num_frames == 8
    assert b.class_names == ["both", "fall", "rise"] and b.num_frames == 4
    assert set(handlers.classify(state, str(clips["short"]), ModelChoice.TRAINED, out["b"]).scores) == \
        {"both", "fall", "rise"}
    assert state.classifier.class_names == ["left", "right"]  # the shared built-in model is untouched
    assert not list(Path(state.workdir).glob("train-data-*"))
