"""Multi-worker training: two ``kvideo train`` workers on localhost (JAX multi-process, gloo on CPU) train ONE model."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kvideo
from kvideo.cli.main import main

_ROOT = str(Path(kvideo.__file__).resolve().parents[1])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_on_localhost_train_one_model(tmp_path):
    data = kvideo.datasets.make_sample_videos(tmp_path / "clips", classes=["left", "right"], per_class=4,
                                              num_frames=8, size=(32, 32))
    out = tmp_path / "m.keras"
    env = dict(os.environ, PYTHONPATH=_ROOT, KVIDEO_CACHE_DIR=str(tmp_path / "cache"),
               KVIDEO_COORDINATOR=f"127.0.0.1:{_free_port()}", KVIDEO_NUM_WORKERS="2")
    env.pop("XLA_FLAGS", None)  # one CPU device per worker: 2 global devices
    cmd = [sys.executable, "-m", "kvideo", "train", str(data), "--out", str(out), "--arch", "frame_cnn",
           "--backend", "jax", "--frames", "4", "--size", "16", "--epochs", "2", "--batch-size", "2",
           "--val-split", "0", "--no-early-stopping", "--json"]
    procs = [subprocess.Popen(cmd + ["--worker-id", str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for i in (0, 1)]
    try:
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    r0, r1 = (json.loads(o) for o, _ in outs)  # exactly one JSON object on each stdout (gloo's chatter is on stderr)
    assert r0["model"] == str(out) and r1["model"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "clips", "m.keras"]  # only worker 0 wrote
    d0, d1 = r0["distributed"], r1["distributed"]
    assert (d0["worker_id"], d1["worker_id"], d0["num_workers"]) == (0, 1, 2)
    assert d0["global_batch_size"] == 4 and d0["num_train_videos_this_worker"] == 4  # 8 clips, a half each
    # one model: the same weights (bit for bit) and the same loss over the global batch on both workers
    assert d0["weights_sha256"] == d1["weights_sha256"]
    assert r0["final"]["loss"] == r1["final"]["loss"] and len(r0["history"]["loss"]) == 2
    assert "worker 1 of 2" in outs[1][1] and "devices cpu:0, cpu:" in outs[0][1]

    clf = kvideo.VideoClassifier.load(out)
    from kvideo.utils.distributed import weights_checksum

    assert weights_checksum(clf.model.get_weights()) == d0["weights_sha256"]
    proba = clf.predict_proba(np.zeros((1, 4, 16, 16, 3), np.uint8))
    assert proba.shape == (1, 2) and np.isclose(proba.sum(), 1, atol=1e-4)


@pytest.mark.parametrize("extra, env, message", [
    (["--num-workers", "2", "--worker-id", "2"], {}, "`--worker-id` must be a number from 0 to 1"),
    (["--num-workers", "2"], {}, "`--worker-id` must be set together with --coordinator"),
    (["--num-workers", "2", "--worker-id", "0"], {"KERAS_BACKEND": "tensorflow"}, "`--backend` must be jax"),
    (["--num-workers", "2", "--worker-id", "0"], {"KERAS_BACKEND": "jax"}, "`--arch` must be an end-to-end"),
    (["--num-workers", "x", "--worker-id", "0"], {}, "`--num-workers` must be a whole number"),
])
def test_cluster_argument_errors_are_one_line(tmp_path, monkeypatch, capsys, extra, env, message):
    for k in ("KVIDEO_COORDINATOR", "KVIDEO_NUM_WORKERS", "KVIDEO_WORKER_ID"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "a").mkdir()
    rc = main(["train", str(tmp_path), "--out", str(tmp_path / "m.keras"), "--coordinator", "127.0.0.1:1", *extra])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.count("\n") == 0 and err.startswith("error: ") and message in err, err
    assert "Received: " in err and not (tmp_path / "m.keras").exists()


def test_shard_gives_every_worker_an_equal_share():
    ds = kvideo.data.VideoDataset([f"v{i}.mp4" for i in range(7)], labels=[0, 0, 0, 1, 1, 1, 1], check_files=False)
    shards = [ds.shard(3, i) for i in range(3)]
    assert [len(s.file_paths) for s in shards] == [2, 2, 2]
    assert len({p for s in shards for p in s.file_paths}) == 6  # disjoint
    assert len(ds.file_paths) == 7  # the dataset itself is unchanged
    with pytest.raises(ValueError, match="Received: index=3"):
        ds.shard(3, 3)
