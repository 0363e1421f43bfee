"""--backend / --mixed-precision / data parallel on JAX with 2 host devices (subprocesses, CPU)."""

import os
import subprocess
import sys

import pytest

from kvideo.utils.devices import BACKENDS, select_backend


def _env(**extra):
    return dict(os.environ, PYTHONPATH=os.getcwd(), **extra)


def test_bad_backend():
    with pytest.raises(ValueError, match="Received"):
        select_backend("mxnet")
    assert "jax" in BACKENDS


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    out = tmp_path_factory.mktemp("clips")
    subprocess.run([sys.executable, "-m", "kvideo", "sample", str(out), "--per-class", "5", "--frames", "6",
                    "--size", "24", "--classes", "left", "right"], check=True, env=_env(), capture_output=True)
    return out


def test_train_jax_mixed_precision_two_devices(clips, tmp_path):
    env = _env(XLA_FLAGS="--xla_force_host_platform_device_count=2")
    p = subprocess.run([sys.executable, "-m", "kvideo", "train", str(clips), "--out", str(tmp_path / "m.keras"),
                        "--arch", "frame_cnn", "--frames", "4", "--size", "24", "--epochs", "1", "--batch-size", "2",
                        "--backend", "jax", "--mixed-precision", "--json"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "backend jax; devices cpu:0, cpu:1 (of 2); precision mixed_bfloat16" in p.stderr
    assert (tmp_path / "m.keras").exists()
