"""Export parity on real clips: the exported model, run in its own runtime (onnxruntime, the LiteRT
interpreter, TensorFlow), gives Keras' top label and probabilities within 1e-4.

The clips are the real videos of ``/work/shared/data/videos`` when that folder exists, plus synthetic
sample clips (always, so a fresh clone tests too), decoded by the task's own preprocessor.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kvideo.tasks.export import EXPORT_FORMATS, check_exportable, exportable_archs, load_exported

REAL_VIDEOS = Path(os.environ.get("KVIDEO_SHARED_DATA", "/work/shared/data")) / "videos"
END_TO_END = ["frame_cnn", "td_gru", "td_lstm", "c3d", "convlstm", "transformer"]
# the default run: every arch in onnxruntime, LiteRT's archs, one SavedModel; the rest is marked slow
FAST = {("onnx", a) for a in END_TO_END} | {("litert", "frame_cnn"), ("litert", "transformer"),
                                            ("saved_model", "frame_cnn")}
CASES = [pytest.param(a, f, marks=() if (f, a) in FAST else pytest.mark.slow)
         for f in EXPORT_FORMATS for a in (END_TO_END if f != "litert" else exportable_archs("litert"))]


def _task(arch, **kw):
    from kvideo import VideoClassifier

    return VideoClassifier(arch, class_names=["a", "b", "c"], num_frames=4, image_size=(32, 32), **kw)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    from kvideo.datasets.synthetic import make_sample_videos

    out = tmp_path_factory.mktemp("clips")
    make_sample_videos(out, classes=("left", "grow"), per_class=1, num_frames=12, size=(48, 48), progress=False)
    real = sorted(REAL_VIDEOS.glob("*.mp4")) if REAL_VIDEOS.is_dir() else []
    return real + sorted(out.rglob("*.mp4"))


def _parity(task, fmt, videos, tmp_path, to_input):
    clips = np.stack([task.preprocessor.read(v) for v in videos])
    want = task.predict_proba(clips)  # Keras, through the task's own prediction path
    r = task.export(tmp_path / f"m.{fmt}", format=fmt)
    got = load_exported(r["path"], fmt)(to_input(clips))
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-4, np.abs(got - want).max()
    assert (got.argmax(1) == want.argmax(1)).all()
    return r


@pytest.mark.parametrize("arch,fmt", CASES)
def test_parity_on_real_clips(tmp_path, videos, arch, fmt):
    pytest.importorskip({"onnx": "onnxruntime", "litert": "ai_edge_litert", "saved_model": "tensorflow"}[fmt])
    task = _task(arch)
    r = _parity(task, fmt, videos, tmp_path, task.preprocessor)
    meta = json.loads(Path(r["sidecar"]).read_text())
    assert meta["labels"] == ["a", "b", "c"] and meta["num_frames"] == 4 and meta["input_layout"] == "NTHWC"


@pytest.mark.slow
def test_pretrained_saved_model_parity(tmp_path, videos):
    from kvideo.data.streams import make_streams

    task = _task("pretrained")
    _parity(task, "saved_model", videos, tmp_path, lambda c: make_streams(c, task.streams).astype("float32"))


@pytest.mark.parametrize("arch,fmt,layer", [("td_gru", "litert", "GRU"), ("convlstm", "litert", "ConvLSTM2D"),
                                            ("c3d", "litert", "MaxPooling3D")])
def test_refusals(arch, fmt, layer):
    with pytest.raises(ValueError, match=f"{layer}.*litert exports: frame_cnn, transformer"):
        check_exportable(_task(arch).model, fmt, arch)


@pytest.mark.parametrize("fmt", ["onnx", "litert"])
def test_pretrained_motion_descriptor_refused(fmt):
    import keras

    from kvideo.models.motion import MotionDescriptor

    inp = keras.Input((4, 32, 32, 3))
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(MotionDescriptor(size=16)(inp)))
    with pytest.raises(ValueError, match="MotionDescriptor"):
        check_exportable(model, fmt, "pretrained")
    check_exportable(model, "saved_model", "pretrained")


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
