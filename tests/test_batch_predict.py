"""Batch predict: one line per video, a broken video is an error line, a SIGKILLed job resumes exactly once."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

import kvideo
from kvideo.tasks.batch import predict_batch


def _setup(tmp_path, n=6):
    vids = tmp_path / "vids" / "sub"
    vids.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        kvideo.io.write_video(str(vids / f"v{i}.mp4"), rng.integers(0, 255, (8, 24, 24, 3), np.uint8), fps=8)
    (vids / "broken.mp4").write_bytes(b"not a video")
    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
    return clf, tmp_path / "vids"


def test_batch_lines_and_error_line(tmp_path):
    clf, vids = _setup(tmp_path, n=3)
    kvideo.io.write_video(str(vids / "long.mp4"), np.random.default_rng(1).integers(0, 255, (40, 24, 24, 3), np.uint8),
                          fps=8)  # 19 windows: more than one batch
    out = tmp_path / "r.jsonl"
    r = predict_batch(clf, vids, out, workers=2, window_frames=4, verbose=False)
    assert (r["total"], r["done"], r["errors"]) == (5, 5, 1)
    recs = [json.loads(ln) for ln in out.read_text().splitlines()]
    bad = [x for x in recs if "error" in x]
    assert len(bad) == 1 and bad[0]["path"].endswith("broken.mp4") and bad[0]["reason"]
    good = [x for x in recs if "error" not in x]
    assert all(x["predictions"][0]["label"] in ("a", "b") and x["timeline"] for x in good)
    for x in good:  # batched across videos, the same numbers as one video at a time
        one = clf.predict(x["path"], top_k=3)
        assert [p["label"] for p in x["predictions"]] == [p["label"] for p in one]
        np.testing.assert_allclose([p["score"] for p in x["predictions"]], [p["score"] for p in one], atol=1e-5)
        tl = clf.predict_timeline(x["path"], window_frames=4)
        assert [(t["start"], t["end"], t["label"]) for t in x["timeline"]] == [(t["start"], t["end"], t["label"]) for t in tl]
    r2 = predict_batch(clf, vids, out, workers=2, verbose=False)
    assert (r2["skipped"], r2["done"]) == (5, 0)


def test_cli_batch_killed_and_rerun(tmp_path):
    clf, vids = _setup(tmp_path, n=30)
    model = tmp_path / "m.keras"
    clf.save(str(model))
    out = tmp_path / "r.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cmd = [sys.executable, "-m", "kvideo", "predict", str(model), str(vids), "--out", str(out), "--workers", "2",
           "--window-frames", "4", "--batch-size", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.read_text().count("\n") < 15):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # halfway through the 31 videos
    proc.wait()
    partial = out.read_text().count("\n")
    assert 15 <= partial < 31
    with open(out, "ab") as f:  # as if the kill had torn a line
        f.write(b'{"path": "' + str(vids).encode())
    res = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert (summary["total"], summary["skipped"], summary["done"]) == (31, partial, 31 - partial)
    assert summary["engine"] == "local"
    recs = [json.loads(ln) for ln in out.read_text().splitlines()]
    paths = [r["path"] for r in recs]
    assert len(paths) == len(set(paths)) == 31
    assert sum("error" in r for r in recs) == 1 and all(r["timeline"] for r in recs if "error" not in r)
