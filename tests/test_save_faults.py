"""A process killed (SIGKILL) while it writes a model, `--out` or a face gallery leaves the previous file intact."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from _robust_support import faults

REPO = Path(__file__).resolve().parents[1]
HAVE_DLIB = all(importlib.util.find_spec(m) is not None for m in ("deepface", "dlib", "face_recognition_models"))


def _python(script, *args, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=REPO)


def test_out_existing_model_intact_when_killed_during_save(sample_videos, tmp_path):
    pytest.importorskip("keras")
    # the real CLI, SIGKILLed while it writes the temp model over an existing one: the old model stays, byte for
    # byte; at most a hidden temp file is left, and the next save to the same target removes it
    said = faults.kill_during_save(sample_videos, tmp_path)
    assert "intact" in said
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".ckpt.keras")) == ["model.keras"]


@pytest.mark.skipif(not HAVE_DLIB, reason="needs deepface + dlib + face-recognition-models (kvideo[face])")
def test_gallery_intact_when_killed_during_a_write_or_a_recreate(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path / "home"))
    from kvideo.faces import FaceGallery

    db = tmp_path / "people.db"
    g = FaceGallery.create(db)
    rng = np.random.default_rng(0)
    with g.connect(write=True) as conn:
        for name in ("alice", "bob"):
            g.insert(conn, name, f"{name}.jpg", "add", name * 8, "detected", [0, 0, 9, 9], rng.normal(size=128), 0.0)
    counts = g.counts()
    r = _python(faults.KILL_IN_GALLERY_WRITE, db)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert FaceGallery.open(db).counts() == counts == {"alice": 1, "bob": 1}

    r = _python(faults.KILL_IN_GALLERY_RECREATE, db)  # killed with the new file complete, not yet moved
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert FaceGallery.open(db).counts() == counts  # the old gallery, not the empty new one
