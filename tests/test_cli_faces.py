"""CLI tests of `kvideo faces enroll|identify|verify|doctor` (the --json / error-line contract)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from test_faces import ROOT, _write_video, needs_dlib, needs_photos, photo


@pytest.fixture(autouse=True)
def deepface_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.getbasetemp() / "cli_deepface_home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("DEEPFACE_HOME", str(home))
    return home


def run_cli(argv, capsys):
    from kvideo.cli.main import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_doctor_json_subprocess(tmp_path):
    env = {**os.environ, "DEEPFACE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "kvideo", "faces", "doctor", "--json"], capture_output=True, text=True,
                       env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    assert d["weights_dir"] == str(tmp_path / ".deepface" / "weights")
    assert set(d["models"]) >= {"Dlib", "VGG-Face", "ArcFace"} and "dlib" in d["detectors"]
    if d["models"]["Dlib"]["usable"]:
        assert d["defaults"]["usable"] and "Dlib" in d["usable_models"]
    # human format
    r = subprocess.run([sys.executable, "-m", "kvideo", "faces", "doctor"], capture_output=True, text=True, env=env,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0 and "usable models:" in r.stdout and "weights folder:" in r.stdout


def test_errors_are_one_line(tmp_path, capsys):
    code, out, err = run_cli(["faces", "verify", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), "--json"], capsys)
    assert code == 1 and out == ""
    last = err.strip().splitlines()[-1]
    assert last == f"error: Cannot read image '{tmp_path / 'a.jpg'}': file not found. Check the path. Received: path='{tmp_path / 'a.jpg'}'"
    code, out, err = run_cli(["faces", "identify", str(tmp_path / "none.db"), "x.jpg", "--json"], capsys)
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].startswith(f"error: Face gallery '{tmp_path / 'none.db'}': no face gallery there.")
    code, out, err = run_cli(["faces", "enroll", str(tmp_path / "nope"), "--db", str(tmp_path / "g.db"), "--detector", "bogus"], capsys)
    assert code == 1 and err.strip().splitlines()[-1].endswith("Received: detector='bogus'")


@needs_dlib
def test_enroll_folder_without_photos(tmp_path, capsys):
    (tmp_path / "people" / "alice").mkdir(parents=True)
    code, out, err = run_cli(["faces", "enroll", str(tmp_path / "people"), "--db", str(tmp_path / "g.db"), "--json"], capsys)
    assert code == 1 and out == "" and "(no photos found). Received: folder=" in err


@needs_dlib
@needs_photos
def test_enroll_identify_verify_json(tmp_path, capsys):
    import cv2

    people = tmp_path / "people"
    for ident, name in (("rose_leslie", "img1.jpg"), ("kit_harington", "john2.jpeg")):
        (people / ident).mkdir(parents=True)
        img = cv2.imread(str(photo(ident, name)))
        s = 480 / max(img.shape[:2])
        cv2.imwrite(str(people / ident / name), cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA))
    db = tmp_path / "g.db"
    code, out, err = run_cli(["faces", "enroll", str(people), "--db", str(db), "--json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    assert r["counts"]["added"] == 2 and r["identities"] == {"kit_harington": 1, "rose_leslie": 1}
    assert all(p["status"] == "added" and p["how"] == "detected" for p in r["photos"])
    # a different model for an existing gallery is a clear error
    code, out, err = run_cli(["faces", "enroll", str(people), "--db", str(db), "--model", "ArcFace", "--json"], capsys)
    assert code == 1 and out == "" and "made with model 'Dlib'" in err

    query = tmp_path / "q.jpg"
    img = cv2.imread(str(photo("rose_leslie", "img2.jpg")))
    s = 480 / max(img.shape[:2])
    small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(query), small)
    code, out, err = run_cli(["faces", "identify", str(db), str(query), "--json"], capsys)
    assert code == 0, err
    faces = json.loads(out)["faces"]
    assert faces[0]["identity"] == "rose_leslie" and len(faces[0]["box"]) == 4

    # a video: the same photo held still for 12 frames
    video = _write_video(tmp_path / "v.mp4", [small[:, :, ::-1].copy()] * 12, fps=6.0)
    out_video = tmp_path / "ann.webm"
    code, out, err = run_cli(["faces", "identify", str(db), str(video), "--every-n-frames", "4", "--annotate",
                              str(out_video), "--json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    assert [s["identity"] for s in r["segments"]] == ["rose_leslie"] and r["frames_processed"] == 3
    assert r["segments"][0]["start"] == 0.0 and r["segments"][0]["end"] == pytest.approx(2.0, abs=0.01)
    assert out_video.stat().st_size > 0 and r["annotated"] == str(out_video)

    code, out, err = run_cli(["faces", "verify", str(photo("rose_leslie", "img1.jpg")), str(query), "--json"], capsys)
    assert code == 0, err
    v = json.loads(out)
    assert v["verified"] is True and set(v) >= {"verified", "distance", "threshold", "model", "detector", "faces"}
    code, out, err = run_cli(["faces", "verify", str(photo("kit_harington", "john2.jpeg")), str(query)], capsys)
    assert code == 0 and out.startswith("different people")
