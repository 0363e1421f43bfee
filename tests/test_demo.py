"""The Gradio demo: safety helpers, pictures, the `kvideo demo` command, and every api_name through gradio_client
against an app launched in-process on a free loopback port."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
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
from kvideo.utils.formats import is_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED.exists():
    SHARED = Path("/work/shared/data")

# ------------------------------------------------------------------------------------------ safety (no gradio)


def _zip(path, entries, symlink=None):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    "bad",
    ["../evil.mp4", "a/../../evil.mp4", "/abs/evil.mp4", "C:/win/evil.mp4"],
)
def test_zip_entries_cannot_escape(tmp_path, bad):
    z = _zip(tmp_path / "bad.zip", {"left/ok.mp4": b"x", bad: b"y"})
    out = tmp_path / "out"
    with pytest.raises(UnsafeInputError, match="Received: entry="):
        safe_extract_zip(z, out)
    assert not (tmp_path / "evil.mp4").exists()
    assert not any(out.rglob("*.mp4")), "nothing is extracted from a rejected zip"


def test_zip_symlink_rejected(tmp_path):
    z = _zip(tmp_path / "link.zip", {"left/a.mp4": b"x"}, symlink="left/passwd.mp4")
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        safe_extract_zip(z, tmp_path / "out")


def test_zip_limits_and_filtering(tmp_path):
    entries = {f"lab/{i}.mp4": b"0" * 100 for i in range(5)}
    z = _zip(tmp_path / "many.zip", entries)
    with pytest.raises(UnsafeInputError, match="too many entries"):
        safe_extract_zip(z, tmp_path / "o1", max_entries=4)
    with pytest.raises(UnsafeInputError, match="too large"):
        safe_extract_zip(z, tmp_path / "o2", max_total_bytes=250)
    z2 = _zip(
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


# ------------------------------------------------------------------------------------------ the launched app

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny c3d trained for 1 epoch on 2 labels: enough for the demo's plumbing (not for accuracy)."""
    from kvideo.datasets import make_sample_videos
    from kvideo.tasks import VideoClassifier

    root = tmp_path_factory.mktemp("demo_model")
    data = make_sample_videos(root / "clips", classes=("left", "right"), per_class=3, num_frames=12, size=(32, 32))
    clf = VideoClassifier("c3d", class_names=["left", "right"], num_frames=8, image_size=(32, 32))
    clf.fit(str(data), epochs=1, batch_size=4, validation_split=None, verbose=0)
    path = clf.save(root / "tiny.keras")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from kvideo.datasets import make_sample_videos
    from kvideo.io import read_clip, write_video

    root = tmp_path_factory.mktemp("demo_clips")
    data = make_sample_videos(root / "train", classes=("up", "down"), per_class=3, num_frames=12, size=(32, 32), seed=5)
    one = make_sample_videos(root / "one", classes=("left",), per_class=1, num_frames=24, size=(64, 64), seed=9)
    short = one / "left" / "left_0.mp4"
    frames = read_clip(short, size=None, sampling="all")
    long10 = write_video(root / "long10.mp4", np.concatenate([frames] * 5, axis=0), fps=12.0)  # 120 frames = 10 s
    return {"train": Path(data), "short": Path(short), "long": Path(long10), "root": root}


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
    label, timeline, strip, info = client.predict(handle_file(str(clips["short"])), api_name="/classify")
    assert label["label"] in ("left", "right")
    scores = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(scores) == {"left", "right"} and abs(sum(scores.values()) - 1) < 1e-3
    assert timeline is None  # a 2 s clip gets no timeline
    assert Path(strip).is_file() and "model saw 8 frames" in info
    label, timeline, strip, info = client.predict(handle_file(str(clips["long"])), api_name="/classify")
    assert timeline is not None and Path(timeline).is_file() and "10.0 s" in info


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
    label, *_ = client.predict(handle_file(str(clips["short"])), api_name="/classify")
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


def _faces_ready():
    try:
        import kvideo.faces as kf
    except Exception as e:  # noqa: BLE001
        return f"kvideo.faces is not importable: {e}"
    try:
        doc = kf.doctor()
    except Exception as e:  # noqa: BLE001
        return f"kvideo.faces.doctor() failed: {e}"
    if not (doc.get("defaults") or {}).get("usable"):
        return f"face models unavailable: {doc}"
    return None


def _photos():
    faces = SHARED / "faces"
    if not faces.exists():
        return None
    kit = sorted(p for p in (faces / "kit_harington").iterdir() if is_image(p))
    rose = sorted(p for p in (faces / "rose_leslie").iterdir() if is_image(p))
    if len(kit) < 2 or not rose:
        return None
    return {"kit": kit, "rose": rose}


@pytest.fixture(scope="module")
def faces_ok():
    reason = _faces_ready()
    if reason:
        pytest.skip(reason)
    photos = _photos()
    if photos is None:
        pytest.skip("no real face photos (../shared/data/faces) on this machine")
    return photos


def test_verify(demo, faces_ok):
    from gradio_client import handle_file

    app, url, client = demo
    kit = faces_ok["kit"]
    md, a, b = client.predict(handle_file(str(kit[0])), handle_file(str(kit[1])), api_name="/verify")
    assert "distance" in md and "threshold" in md and Path(a).is_file() and Path(b).is_file()
    md2, *_ = client.predict(handle_file(str(kit[0])), handle_file(str(faces_ok["rose"][0])), api_name="/verify")
    assert ("Same person" in md) != ("Same person" in md2) or "Different" in md2


def test_enroll_and_identify(demo, faces_ok, tmp_path):
    from gradio_client import handle_file

    from kvideo.io import write_video

    app, url, client = demo
    kit, rose = faces_ok["kit"], faces_ok["rose"]
    msg = client.predict("kit", [handle_file(str(p)) for p in kit[:-1]], api_name="/enroll")
    assert "kit" in msg
    client.predict("rose", [handle_file(str(p)) for p in rose[:1]], api_name="/enroll")
    md, table, chart, image, video = client.predict(handle_file(str(kit[-1])), api_name="/identify")
    names = [row[0] for row in table["data"]]
    assert "kit" in names and image and Path(image).is_file()
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
    assert {"kit", "rose"} & {r[0] for r in rows}, rows
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
