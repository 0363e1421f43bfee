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


def _run(path, fmt, x):
    if fmt == "litert":
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(str(path))
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        it.resize_tensor_input(inp["index"], x.shape)
        it.allocate_tensors()
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out["index"])
    import tensorflow as tf

    return np.asarray(tf.saved_model.load(str(path)).serve(tf.constant(x)))


@pytest.mark.parametrize("arch,fmt", [("frame_cnn", "litert"), ("transformer", "litert"), ("frame_cnn", "saved_model"),
                                      pytest.param("c3d", "saved_model", marks=pytest.mark.slow),
                                      pytest.param("td_gru", "saved_model", marks=pytest.mark.slow)])
def test_runtime_parity(tmp_path, arch, fmt):
    pytest.importorskip("ai_edge_litert" if fmt == "litert" else "tensorflow")
    task = _task(arch)
    x = _clips()
    want = np.asarray(task.model.predict(x, verbose=0))
    r = task.export(tmp_path / f"m.{fmt}", format=fmt)
    got = _run(r["path"], fmt, x)
    assert np.abs(got - want).max() < 1e-4 and (got.argmax(1) == want.argmax(1)).all()


@pytest.mark.parametrize("arch,fmt,layer", [("td_gru", "litert", "GRU"), ("convlstm", "litert", "ConvLSTM2D"),
                                            ("transformer", "onnx", "gelu")])
def test_refusals(arch, fmt, layer):
    with pytest.raises(ValueError, match=layer):
        check_exportable(_task(arch).model, fmt, arch)


@pytest.mark.parametrize("arch", ["frame_cnn", "td_gru", "c3d", "convlstm"])
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
