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

import contextlib
import json
import math
import os
from pathlib import Path

from kvideo.utils.validation import argument_error

EXPORT_FORMATS = ("onnx", "litert", "saved_model")
_KERAS_FORMAT = {"onnx": "onnx", "litert": "litert", "saved_model": "tf_saved_model"}
_SUFFIX = {"onnx": ".onnx", "litert": ".tflite", "saved_model": ""}
# layers a target cannot run (checked before exporting), measured by benchmarks/bench_export.py:
# recurrent layers become TensorList "Select TF ops" the plain LiteRT interpreter cannot run; no 3-D pooling.
# (The pretrained archs' MotionDescriptor is written with matrix products and elementwise ops so it exports.)
_UNSUPPORTED = {"onnx": (),
                "litert": ("ConvLSTM2D", "GRU", "LSTM", "SimpleRNN", "MaxPooling3D", "AveragePooling3D")}
_END_TO_END = ("frame_cnn", "td_gru", "td_lstm", "c3d", "convlstm", "transformer")
_EXPORTS = {"onnx": ("pretrained", *_END_TO_END), "litert": ("pretrained", "frame_cnn", "transformer"),
            "saved_model": ("all",)}


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
    """Architectures whose models ``format`` can run (parity measured by benchmarks/bench_export.py)."""
    return list(_EXPORTS[format])


def _erf_gelu(x):
    """Exact gelu written with erf (the ONNX converter has Erf but not TensorFlow's Erfc)."""
    import keras

    return 0.5 * x * (1.0 + keras.ops.erf(x / math.sqrt(2.0)))


@contextlib.contextmanager
def _onnx_activations(model):
    """While exporting to ONNX, layers with ``activation="gelu"`` use the same function through erf."""
    swapped = [layer for layer in model._flatten_layers(include_self=False, recursive=True)
               if getattr(getattr(layer, "activation", None), "__name__", None) == "gelu"]
    old = [layer.activation for layer in swapped]
    try:
        for layer in swapped:
            layer.activation = _erf_gelu
        yield
    finally:
        for layer, act in zip(swapped, old):
            layer.activation = act


@contextlib.contextmanager
def _constant_normalization(model):
    """While exporting, ``Normalization`` layers hold their mean and variance as numpy arrays, which the
    traced graph folds into constants (as eager tensors they become stray inputs of the ONNX graph)."""
    import keras

    layers = [layer for layer in model._flatten_layers(include_self=False, recursive=True)
              if isinstance(layer, keras.layers.Normalization) and getattr(layer, "mean", None) is not None]
    old = [(layer.mean, layer.variance) for layer in layers]
    try:
        for layer in layers:
            layer.mean = keras.ops.convert_to_numpy(layer.mean)
            layer.variance = keras.ops.convert_to_numpy(layer.variance)
        yield
    finally:
        for layer, (mean, variance) in zip(layers, old):
            layer.mean, layer.variance = mean, variance


def load_exported(path, format):
    """A function ``clips (N, ...) float32 -> probabilities`` running an exported model in its own runtime.

    onnxruntime for ``"onnx"``, the LiteRT interpreter for ``"litert"``, TensorFlow for ``"saved_model"``
    (the runtime another program would use; kvideo's parity tests and benchmarks go through this).
    """
    import numpy as np

    path = os.fspath(path)
    if format == "onnx":
        from kvideo.utils.optional import require

        ort = require("onnxruntime", "running an ONNX export")
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        return lambda x: sess.run(None, {name: np.asarray(x, "float32")})[0]
    if format == "litert":
        from kvideo.utils.optional import require

        interp = require("ai_edge_litert.interpreter", "running a LiteRT export").Interpreter(path)
        inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
        shape = [None]

        def run(x):
            x = np.asarray(x, "float32")
            if shape[0] != x.shape:
                interp.resize_tensor_input(inp, x.shape)
                interp.allocate_tensors()
                shape[0] = x.shape
            interp.set_tensor(inp, x)
            interp.invoke()
            return interp.get_tensor(out).copy()
        return run
    if format == "saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(path)  # kept alive by the closure: its variables back `serve`
        return lambda x: np.asarray(loaded.serve(tf.constant(np.asarray(x, "float32"))))
    raise argument_error("format", format, f"one of {', '.join(EXPORT_FORMATS)}")


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
    with _onnx_activations(model) if format == "onnx" else contextlib.nullcontext(), _constant_normalization(model):
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
