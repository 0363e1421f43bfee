"""Export a trained task's Keras model for other runtimes, with its labels and preprocessing beside it.

Uses Keras 3's own ``model.export(format=...)``. Next to the exported file goes ``<name>.kvideo.json``:
the labels and how to turn a video into the model input (``num_frames``, ``image_size``, value range,
color order, input layout), so onnxruntime, the LiteRT interpreter or TensorFlow can run it without kvideo.

Example:
    >>> EXPORT_FORMATS
    ('onnx', 'litert', 'saved_model')
    >>> task.export("motion.onnx", format="onnx")  # needs a trained task   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kvideo.utils.validation import argument_error

EXPORT_FORMATS = ("onnx", "litert", "saved_model")
_KERAS_FORMAT = {"onnx": "onnx", "litert": "litert", "saved_model": "tf_saved_model"}
_SUFFIX = {"onnx": ".onnx", "litert": ".tflite", "saved_model": ""}
# layers a target cannot run (checked before exporting)
# (recurrent layers become TensorList "Select TF ops" the plain LiteRT interpreter cannot run; no 3-D pooling)
# (keras' ONNX export writes gelu as Erfc, which onnxruntime rejects)
_UNSUPPORTED = {"onnx": ("gelu activation",), "litert": ("ConvLSTM2D", "GRU", "LSTM", "SimpleRNN", "MaxPooling3D", "AveragePooling3D")}
_LITERT_ARCHS = ("frame_cnn", "transformer", "pretrained")  # measured by benchmarks/bench_export.py


def default_export_path(model_path, format) -> Path:
    """Where ``kvideo export`` writes when no ``--out`` is given: beside the .keras file."""
    p = Path(os.fspath(model_path))
    return p.with_name(p.stem + (_SUFFIX[format] or "_saved_model"))


def _layer_names(model):
    names = set()
    for layer in model._flatten_layers(include_self=False, recursive=True):
        names.add(type(layer).__name__)
        act = getattr(getattr(layer, "activation", None), "__name__", None)
        if act:
            names.add(f"{act} activation")
    return names


def check_exportable(model, format, arch=None):
    """Raise a one-line error when ``format`` cannot run a layer of ``model``."""
    if format not in EXPORT_FORMATS:
        raise argument_error("format", format, f"one of {', '.join(EXPORT_FORMATS)}")
    bad = sorted(_layer_names(model) & set(_UNSUPPORTED.get(format, ())))
    if bad:
        ok = ", ".join(a for a in exportable_archs(format))
        raise argument_error("format", format,
                             f"a format that runs {', '.join(bad)} (arch {arch!r}); {format} exports: {ok}")


def exportable_archs(format):
    """Architectures whose models ``format`` can run (from the layers each one uses)."""
    if format == "onnx":
        return ["frame_cnn", "td_gru", "td_lstm", "c3d", "convlstm", "pretrained"]
    return ["all"] if format != "litert" else list(_LITERT_ARCHS)


def sidecar(task) -> dict:
    """The labels and preprocessing another runtime needs (written as ``<export>.kvideo.json``)."""
    pre = task.preprocessor
    meta = {"format": "kvideo.export/1", "labels": list(task.class_names or []),
            "input_layout": "NTHWC", "input_dtype": "float32",
            "input_shape": [None, *task.model.input_shape[1:]],
            "input": "clips (N, T, H, W, 3), RGB, 0..255, sampled and resized as in preprocessing",
            "num_frames": pre.num_frames, "image_size": list(pre.image_size),
            "preprocessing": task.preprocessing, "output": "class probabilities (softmax), one row per clip"}
    streams = getattr(task, "streams", None)
    if streams is not None:  # EmbeddingClassifier: its model takes streams made from the clips in numpy
        meta["streams"] = list(streams) if not isinstance(streams, str) else streams
        meta["input"] = ("streams: kvideo.data.streams.make_streams(clips, streams) of clips (N, T, H, W, 3) "
                         "in 0..255 (RGB frames plus derived channels); the model includes the encoder")
    return meta


def export_task(task, path, format="onnx", verbose=False) -> dict:
    """Export ``task``'s model to ``path`` in ``format``; returns ``{"path", "sidecar", "format"}``."""
    task._require_model()
    model = task.model
    check_exportable(model, format, getattr(task, "arch", None))
    path = Path(os.fspath(path)).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    import keras

    spec = keras.InputSpec(shape=(None, *model.input_shape[1:]), dtype="float32")
    kwargs = {}
    if format in ("onnx", "litert"):
        kwargs["input_signature"] = [spec]
    tmp = path.with_name(path.name + ".tmp" + _SUFFIX[format])
    model.export(str(tmp), format=_KERAS_FORMAT[format], verbose=verbose, **kwargs)
    if path.is_dir():
        import shutil

        shutil.rmtree(path)
    os.replace(tmp, path)
    meta = Path(str(path) + ".kvideo.json")
    mtmp = meta.with_name(meta.name + ".tmp")
    mtmp.write_text(json.dumps(sidecar(task), indent=2))
    os.replace(mtmp, meta)
    return {"path": str(path), "sidecar": str(meta), "format": format}
