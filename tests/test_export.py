"""Export parity: the exported model, run in its own runtime, matches Keras within 1e-4."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kvideo.tasks.export import EXPORT_FORMATS, check_exportable


def _task(arch):
    from kvideo import VideoClassifier

    return VideoClassifier(arch, class_names=["a", "b"], num_frames=4, image_size=(32, 32))


def _clips():
    return np.random.RandomState(0).randint(0, 255, (2, 4, 32, 32, 3)).astype("float32")


@pytest.mark.parametrize("arch", ["frame_cnn"])
def test_onnx_parity(tmp_path, arch):
    ort = pytest.importorskip("onnxruntime")
    task = _task(arch)
    x = _clips()
    want = np.asarray(task.model.predict(x, verbose=0))
    r = task.export(tmp_path / "m.onnx", format="onnx")
    sess = ort.InferenceSession(r["path"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    assert np.abs(got - want).max() < 1e-4
    assert (got.argmax(1) == want.argmax(1)).all()
    meta = json.loads(open(r["sidecar"]).read())
    assert meta["labels"] == ["a", "b"] and meta["num_frames"] == 4 and meta["input_layout"] == "NTHWC"


def test_litert_refuses_conv3d():
    with pytest.raises(ValueError, match="Conv3D"):
        check_exportable(_task("c3d").model, "litert", "c3d")


def test_unknown_format():
    assert EXPORT_FORMATS == ("onnx", "litert", "saved_model")
    with pytest.raises(ValueError, match="Received"):
        check_exportable(_task("frame_cnn").model, "pdf")


def test_cli_export(tmp_path):
    task = _task("frame_cnn")
    task.save(tmp_path / "m.keras")
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    p = subprocess.run([sys.executable, "-m", "kvideo", "export", str(tmp_path / "m.keras"), "--json"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["format"] == "onnx" and os.path.exists(out["path"]) and os.path.exists(out["sidecar"])
