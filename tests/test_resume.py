"""`kvideo train --resume`: a run killed with SIGKILL mid-epoch continues from its last checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("keras")

import kvideo  # noqa: E402
from _robust_support import faults  # noqa: E402
from kvideo.tasks.checkpoint import checkpoint_path, read_checkpoint  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--arch", "frame_cnn", "--frames", "4", "--size", "32", "--epochs", "4", "--batch-size", "4",
         "--val-split", "0.25", "--no-early-stopping"]

KILLER = textwrap.dedent(faults.KILL_MID_EPOCH)  # the real CLI, SIGKILLed in epoch 3 (after the checkpoint of 2)


def _run(args, script=None, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-c", script, *map(str, args)] if script else \
        [sys.executable, "-m", "kvideo.cli.main", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)


def test_checkpoint_path():
    assert checkpoint_path("a/b/model.keras") == Path("a/b/model.ckpt.keras")


def test_sigkill_mid_epoch_then_resume(sample_videos, tmp_path):
    out = tmp_path / "model.keras"
    ckpt = checkpoint_path(out)
    r = _run([*TRAIN[:1], sample_videos, *TRAIN[1:], "--out", out], script=KILLER)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert not out.exists() and ckpt.is_file()
    state = read_checkpoint(ckpt)
    assert state["epoch"] == 2 and len(state["history"]["loss"]) == 2 and state["optimizer"]
    assert kvideo.VideoClassifier.load(ckpt).class_names == ["grow", "left", "right", "shrink"]  # a usable model
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind

    r = _run([*TRAIN[:1], sample_videos, *TRAIN[1:], "--out", out, "--json"])  # forgot --resume: refused
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1].startswith("error: A checkpoint")
    assert "--resume" in r.stderr.splitlines()[-1] and "Traceback" not in r.stderr

    r = _run([*TRAIN[:1], sample_videos, *TRAIN[1:], "--out", out, "--resume", "--json"])
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["resumed_from_epoch"] == 2 and res["epochs_run"] == 4  # as many as an uninterrupted run
    assert all(len(v) == 4 for v in res["history"].values())
    assert res["history"]["loss"][:2] == state["history"]["loss"]
    assert "Epoch 3/4" in r.stderr and "Epoch 1/4" not in r.stderr
    assert out.is_file() and not ckpt.exists()  # the checkpoint is removed once --out is saved
    assert len(kvideo.VideoClassifier.load(out).history["loss"]) == 4


def test_resume_api_restores_optimizer_and_refuses_other_runs(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (8, 4, 16, 16, 3)).astype("uint8"), np.array([0, 1] * 4)
    ckpt = tmp_path / "m.ckpt.keras"

    def clf(arch="frame_cnn"):
        return kvideo.VideoClassifier(arch, class_names=["a", "b"], num_frames=4, image_size=16)

    first = clf()
    first.fit((x, y), epochs=2, verbose=0, validation_split=0, checkpoint=ckpt)
    assert read_checkpoint(ckpt)["epoch"] == 2
    second = clf()
    hist = second.fit((x, y), epochs=3, verbose=0, validation_split=0, checkpoint=ckpt, resume=True)
    assert len(hist["loss"]) == 3 and second.train_info["resumed_from_epoch"] == 2
    assert int(second.model.optimizer.iterations.numpy()) == 3  # Adam's step count went on from 2
    with pytest.raises(ValueError, match="another run") as e:
        clf("c3d").fit((x, y), epochs=3, verbose=0, validation_split=0, checkpoint=ckpt, resume=True)
    assert "\n" not in str(e.value) and "arch" in str(e.value)
    (tmp_path / "junk.ckpt.keras").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a usable kvideo training checkpoint"):
        clf().fit((x, y), epochs=3, verbose=0, validation_split=0, checkpoint=tmp_path / "junk.ckpt.keras",
                  resume=True)
