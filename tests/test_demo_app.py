"""The demo launched in-process on a free loopback port: every api_name through gradio_client, the safety
settings, errors as messages. (The handlers themselves are tested without Gradio in test_demo.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _demo_support import clips, faces_ok, tiny_model  # noqa: F401 - fixtures

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def demo(tiny_model, tmp_path_factory):
    from kvideo.demo.app import build_app, launch

    workdir = tmp_path_factory.mktemp("demo_work")
    app = build_app(model=str(tiny_model), workdir=workdir, max_file_size="5mb")
    app, url = launch(app, port=0, block=False, quiet=True)
    assert url.startswith("http://127.0.0.1:")
    client = gradio_client.Client(url, verbose=False)
    yield app, url, client
    app.close()


def test_safety_settings(demo):
    app, url, client = demo
    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"
    assert app.analytics_enabled is False
    assert app.delete_cache and app.delete_cache[0] > 0
    assert app.max_file_size == 5 * 1024 * 1024
    assert app._queue.default_concurrency_limit >= 1 and app._queue.max_size
    assert app.share is False or app.share is None
    assert app.run_history is False
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/classify", "/verify", "/identify", "/train", "/enroll"} <= endpoints


def test_upload_limit(demo, tmp_path):
    import httpx

    app, url, client = demo
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * (6 * 1024 * 1024))
    r = httpx.post(url + "gradio_api/upload", files={"files": ("big.mp4", big.open("rb"), "video/mp4")}, timeout=60)
    assert r.status_code == 413, r.text[:200]


def test_classify(demo, clips):
    from gradio_client import handle_file

    app, url, client = demo
    label, timeline, strip, info = client.predict(handle_file(str(clips["short"])), "built-in", api_name="/classify")
    assert label["label"] in ("left", "right")
    scores = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(scores) == {"left", "right"} and abs(sum(scores.values()) - 1) < 1e-3
    assert timeline is None  # a 2 s clip gets no timeline
    assert Path(strip).is_file() and "model saw 8 frames" in info
    label, timeline, strip, info = client.predict(handle_file(str(clips["long"])), "built-in", api_name="/classify")
    assert timeline is not None and Path(timeline).is_file() and "10.0 s" in info
    # the page's default model is the ImageNet labeler: 1000 real-world labels, not the motion ones
    label, *_ = client.predict(handle_file(str(clips["short"])), api_name="/classify")
    assert label["label"] not in ("left", "right", "grow", "shrink") and len(label["confidences"]) == 5


def test_errors_are_messages_and_server_survives(demo, clips, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    app, url, client = demo
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(AppError, match="not accepted"):
        client.predict(handle_file(str(txt)), api_name="/classify")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0not a video" * 100)
    with pytest.raises(AppError, match="broken.mp4"):
        client.predict(handle_file(str(broken)), api_name="/classify")
    with pytest.raises(AppError, match="train one in the Train tab"):
        gradio_client.Client(url, verbose=False).predict(
            handle_file(str(clips["short"])), "trained in the Train tab", api_name="/classify"
        )
    label, *_ = client.predict(handle_file(str(clips["short"])), "built-in", api_name="/classify")
    assert label["label"] in ("left", "right")


def _train_args(zip_file=None, labels=(), start="new model", base=None, epochs=1):
    from gradio_client import handle_file

    args = {"zip_file": handle_file(str(zip_file)) if zip_file else None}
    for i in range(4):
        name, files = labels[i] if i < len(labels) else ("", [])
        args[f"label_{i + 1}"] = name
        args[f"clips_{i + 1}"] = [handle_file(str(f)) for f in files] if files else None
    args.update(arch="c3d", epochs=epochs, start_from=start, base_model=handle_file(str(base)) if base else None,
                num_frames=8, image_size=32)
    return args


def test_train_then_classify_and_download(demo, clips):
    from gradio_client import handle_file

    from kvideo.tasks import VideoClassifier

    app, url, client = demo
    c = gradio_client.Client(url, verbose=False)  # its own session: the trained model lives in it
    up = sorted((clips["train"] / "up").glob("*.mp4"))
    down = sorted((clips["train"] / "down").glob("*.mp4"))
    job = c.submit(**_train_args(labels=[("up", up), ("down", down)]), api_name="/train")
    result = job.result(timeout=300)
    md, curve, model_file = result
    assert md.startswith("Done") and "down: 3, up: 3" in md
    assert curve and Path(curve).is_file()
    updates = job.outputs()
    assert len(updates) >= 3, "training yields progress updates (preparing, epoch, done)"
    assert any("epoch 1/1" in str(u[0]) for u in updates)
    clf = VideoClassifier.load(model_file)
    assert clf.class_names == ["down", "up"] and clf.num_frames == 8
    label, *_ = c.predict(handle_file(str(clips["short"])), "trained in the Train tab", api_name="/classify")
    assert label["label"] in ("up", "down")


def test_train_from_zip_fine_tune_and_bad_zip(demo, clips, tmp_path):
    from gradio_client.exceptions import AppError

    from kvideo.tasks import VideoClassifier

    app, url, client = demo
    good = tmp_path / "clips.zip"
    with zipfile.ZipFile(good, "w") as zf:
        for lab in ("up", "down"):
            for f in sorted((clips["train"] / lab).glob("*.mp4")):
                zf.write(f, f"my_clips/{lab}/{f.name}")
        zf.writestr("my_clips/README.txt", "ignored")
    md, curve, model_file = client.predict(
        **_train_args(zip_file=good, start="fine-tune the built-in model"), api_name="/train"
    )
    assert "fine-tuning" in md and VideoClassifier.load(model_file).class_names == ["down", "up"]
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("up/a.mp4", b"x")
        zf.writestr("../../escape.mp4", b"y")
    with pytest.raises(AppError, match="'..'"):
        client.predict(**_train_args(zip_file=bad), api_name="/train")
    with pytest.raises(AppError, match="at least 2 labels"):
        client.predict(**_train_args(labels=[("up", sorted((clips["train"] / "up").glob("*.mp4")))]), api_name="/train")
    with pytest.raises(AppError, match="Received: label="):
        client.predict(**_train_args(labels=[("../x", [clips["short"]]), ("ok", [clips["short"]])]), api_name="/train")


# ------------------------------------------------------------------------------------------ faces


def test_verify(demo, faces_ok):
    from gradio_client import handle_file

    app, url, client = demo
    kit = faces_ok["kit"]
    md, a, b = client.predict(handle_file(str(kit[0])), handle_file(str(kit[1])), api_name="/verify")
    assert md.startswith("### Same person\n\ndistance **") and "threshold" in md
    assert Path(a).is_file() and Path(b).is_file()
    md2, *_ = client.predict(handle_file(str(kit[0])), handle_file(str(faces_ok["rose"][0])), api_name="/verify")
    assert md2.startswith("### Different people\n\ndistance **")


def test_enroll_and_identify(demo, faces_ok, tmp_path):
    from gradio_client import handle_file

    from kvideo.io import write_video

    app, url, client = demo
    kit, rose = faces_ok["kit"], faces_ok["rose"]
    msg = client.predict("kit", [handle_file(str(p)) for p in kit[:-1]], api_name="/enroll")
    assert msg.startswith(f"Enrolled {len(kit) - 1} photo(s) of **kit**. Gallery: ") and "kit" in msg.split("Gallery: ")[1]
    msg = client.predict("rose", [handle_file(str(p)) for p in rose[:1]], api_name="/enroll")
    assert msg.startswith("Enrolled 1 photo(s) of **rose**. Gallery: ")
    md, table, chart, image, video = client.predict(handle_file(str(kit[-1])), api_name="/identify")
    assert table["headers"] == ["identity", "start (s)", "end (s)", "frames", "best distance"]
    assert table["data"][0][0] == "kit" and image and Path(image).is_file()  # the largest face first
    # a short video: 1 s of a photo of rose, then 1 s of kit
    import cv2

    def frames_of(p):
        img = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, (320, int(320 * img.shape[0] / img.shape[1])) if img.shape[1] > 320 else img.shape[1::-1])
        img = img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]
        return [img] * 10

    a, b = frames_of(rose[0]), frames_of(kit[-1])
    size = (min(a[0].shape[0], b[0].shape[0]), min(a[0].shape[1], b[0].shape[1]))
    seq = [f[: size[0], : size[1]] for f in a + b]
    vid = write_video(tmp_path / "two.mp4", seq, fps=10.0)
    md, table, chart, image, video = client.predict(handle_file(str(vid)), api_name="/identify")
    rows = table["data"]
    assert [r[0] for r in rows if r[0] != "unknown"] == ["rose", "kit"], rows  # rose first, then kit
    assert chart and Path(chart).is_file() and video and Path(video["video"] if isinstance(video, dict) else video).is_file()


def test_faces_db_is_used(tiny_model, faces_ok, tmp_path):
    from kvideo.demo.app import build_app
    from kvideo.faces import FaceGallery

    db = tmp_path / "people.db"
    FaceGallery.create(db).add("kit", str(faces_ok["kit"][0]))
    app = build_app(model=str(tiny_model), faces_db=str(db), samples=False, workdir=tmp_path / "work")
    assert app.kvideo_state.gallery.identities() == ["kit"]
    r = subprocess.run(
        [sys.executable, "-m", "kvideo", "demo", "--faces-db", str(tmp_path / "nope.db")],
        capture_output=True, text=True, timeout=180,
    )
    assert r.returncode == 1 and "nope.db" in r.stderr.strip().splitlines()[-1]
