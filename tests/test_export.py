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


@pytest.mark.parametrize("fmt", [f if f == "onnx" else pytest.param(f, marks=pytest.mark.slow)
                                 for f in EXPORT_FORMATS])
def test_pretrained_parity(tmp_path, videos, fmt):
    """The default classifier (ImageNet encoder + motion descriptor + linear head) in every runtime."""
    pytest.importorskip({"onnx": "onnxruntime", "litert": "ai_edge_litert", "saved_model": "tensorflow"}[fmt])
    from kvideo.data.streams import make_streams

    task = _task("pretrained")
    _parity(task, fmt, videos, tmp_path, lambda c: make_streams(c, task.streams).astype("float32"))


@pytest.mark.parametrize("arch,fmt,layer", [("td_gru", "litert", "GRU"), ("convlstm", "litert", "ConvLSTM2D"),
                                            ("c3d", "litert", "MaxPooling3D")])
def test_refusals(arch, fmt, layer):
    with pytest.raises(ValueError, match=f"{layer}.*litert exports: pretrained, frame_cnn, transformer"):
        check_exportable(_task(arch).model, fmt, arch)


def test_motion_descriptor_matches_the_resize_and_solve_it_replaces():
    """MotionDescriptor's exportable form (constant resize matrices, unrolled Cholesky) equals the antialiased
    ``ops.image.resize`` and ``ops.linalg.solve`` it is written for."""
    import keras

    from kvideo.models.motion import _resize_matrix, _spd_solve

    x = np.random.RandomState(0).rand(2, 97, 171).astype("float32")
    want = keras.ops.convert_to_numpy(keras.ops.image.resize(x[..., None], (64, 64), antialias=True))[..., 0]
    got = np.einsum("yh,bhw,xw->byx", _resize_matrix(97, 64), x, _resize_matrix(171, 64))
    assert np.abs(got - want).max() < 1e-5
    m = np.random.RandomState(1).rand(3, 6, 6).astype("float32")
    a, b = m @ m.transpose(0, 2, 1) + 0.1 * np.eye(6, dtype="float32"), np.random.rand(3, 6).astype("float32")
    x = keras.ops.convert_to_numpy(_spd_solve([[a[:, i, j] for j in range(i + 1)] for i in range(6)],
                                              [b[:, i] for i in range(6)]))
    assert np.abs(x - np.linalg.solve(a, b[..., None])[..., 0]).max() < 1e-3


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
