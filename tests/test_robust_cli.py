"""The CLI under bad input: broken clips among good ones train through; every error is one `error:` line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")

REPO = Path(__file__).resolve().parents[1]


def kv(*args, timeout=300):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "kvideo.cli.main", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    """Two labels x 4 good clips, plus 3 broken ones (random bytes, empty, the first third of a clip) and a text file."""
    from kvideo.datasets import make_sample_videos

    root = make_sample_videos(tmp_path_factory.mktemp("mixed") / "clips", classes=("left", "right"), per_class=4,
                              num_frames=8, size=(32, 32))
    (root / "left" / "broken random ü.mp4").write_bytes(os.urandom(3000))
    (root / "right" / "empty.mp4").write_bytes(b"")
    data = (root / "right" / "right_0.mp4").read_bytes()
    (root / "right" / "cut.mp4").write_bytes(data[: len(data) // 3])
    (root / "left" / "notes.txt").write_text("not a video")
    broken = sorted(str(root / p) for p in ("left/broken random ü.mp4", "right/empty.mp4", "right/cut.mp4"))
    return root, broken


def test_broken_clips_among_good_ones_train_and_are_named(mixed_folder, tmp_path):
    root, broken = mixed_folder
    out = tmp_path / "m.keras"
    r = kv("train", root, "--arch", "frame_cnn", "--frames", 4, "--size", 32, "--epochs", 1, "--val-split", 0.25,
           "--out", out, "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["num_skipped_videos"] == 3 and res["skipped_videos"] == broken
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:") and "unreadable" in ln]
    assert len(warnings) == 1 and all(p in warnings[0] for p in broken)  # ONE warning names every file
    assert res["train_info"]["num_train_videos"] + res["train_info"]["num_val_videos"] == 8  # the good ones
    assert out.is_file() and "Traceback" not in r.stderr
