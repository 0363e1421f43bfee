"""Architecture presets as data. A leaf module (no Keras, nothing from kvideo.models): the CLI reads it at
start-up, and importing anything under kvideo.models would import Keras.

``PRETRAINED_ARCHS``: the pretrained-encoder architectures, name -> (head, one-line description). They
are trained by :class:`kvideo.tasks.EmbeddingClassifier` (``kvideo.VideoClassifier(arch)`` returns one);
``"pretrained"`` is kvideo's default.

``END_TO_END_ARCHS``: the Keras architectures that ``kvideo.models.build`` makes, name -> (module, builder
function, one-line description); ``kvideo.models.registry`` imports the builders from this table, and
:func:`builder_options` reads their options from the source without importing Keras (``kvideo models``).
``APPLICATION_BACKBONES`` / ``BACKBONES``: the frame encoders (``kvideo.models.encoders`` builds them).

Example:
    >>> PRETRAINED_ARCHS["pretrained"][0]
    'linear'
    >>> builder_options("td_gru")["units"]
    64
"""

import ast
import importlib.util
import os

DEFAULT_ARCH = "pretrained"

PRETRAINED_ARCHS = {
    "pretrained": ("linear", "ImageNet EfficientNet-Lite0 on frames, differences, silhouettes + motion, cached; "
                             "logistic regression (default)"),
    "pretrained_gru": ("gru", "the same cached features + a bidirectional GRU head"),
    "pretrained_lstm": ("lstm", "the same cached features + a bidirectional LSTM head"),
    "pretrained_attention": ("attention", "the same cached features + attention pooling over time"),
    "pretrained_tcn": ("tcn", "the same cached features + a temporal convolution head"),
    "pretrained_transformer": ("transformer", "the same cached features + a self-attention head"),
}

END_TO_END_ARCHS = {
    "frame_cnn": ("kvideo.models.frame_cnn", "build_frame_cnn",
                  "per-frame CNN + mean over time: order-blind baseline (cannot tell left from right)"),
    "td_lstm": ("kvideo.models.td_rnn", "build_td_lstm", "normal-flow motion cue + per-frame CNN (avg-pooled) + LSTM"),
    "td_gru": ("kvideo.models.td_rnn", "build_td_gru", "normal-flow motion cue + per-frame CNN (avg-pooled) + GRU"),
    "convlstm": ("kvideo.models.convlstm", "build_convlstm",
                 "frame differences + conv stem + 2 ConvLSTM2D layers: sees local motion"),
    "c3d": ("kvideo.models.c3d", "build_c3d", "frame differences + conv stem + 3D-CNN blocks with batch norm"),
    "transformer": ("kvideo.models.transformer", "build_transformer",
                    "normal-flow motion cue + per-frame CNN + positional embedding + 2 self-attention blocks"),
}

# The arguments every builder takes (not architecture options).
COMMON_ARGUMENTS = ("num_classes", "num_frames", "image_size", "backbone")

# keras.applications backbones: name -> (constructor name, extra kwargs, rescale (scale, offset) or None).
# Those whose keras.applications model already contains its own preprocessing take 0..255.
APPLICATION_BACKBONES = {
    "mobilenetv3small": ("MobileNetV3Small", {"include_preprocessing": True}, None),
    "mobilenetv3large": ("MobileNetV3Large", {"include_preprocessing": True}, None),
    "mobilenetv2": ("MobileNetV2", {}, (1.0 / 127.5, -1.0)),
    "efficientnetb0": ("EfficientNetB0", {}, None),
    "efficientnetv2b0": ("EfficientNetV2B0", {"include_preprocessing": True}, None),
}

BACKBONES = {
    "small_cnn": "built-in 3-block CNN (16-32-64 filters, stride-2 stem, batch norm) that trains from scratch on a CPU; "
    "keeps a 4x4 spatial grid",
    **{k: f"keras.applications.{v[0]} (weights=None | 'imagenet' | path to a .h5/.weights.h5 file)"
       for k, v in APPLICATION_BACKBONES.items()},
}


def architectures():
    """{architecture: one-line description}, the pretrained-encoder ones first (``kvideo.models.available``)."""
    return {**{name: desc for name, (_, desc) in PRETRAINED_ARCHS.items()},
            **{name: desc for name, (_, _, desc) in END_TO_END_ARCHS.items()}}


def _signature_node(tree, name):
    """The function definition of ``name`` in a module: a top-level ``def``, or for ``name = factory(...)``
    the function that ``factory`` defines inside itself and returns."""
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    if name in defs:
        return defs[name]
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets)
                and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", None) in defs):
            inner = [n for n in ast.walk(defs[node.value.func.id]) if isinstance(n, ast.FunctionDef)]
            return inner[1]  # inner[0] is the factory itself
    raise LookupError(f"no builder {name!r} found")


def builder_options(arch):
    """``{option: default}`` of an end-to-end architecture's builder, read from its source (no Keras import);
    the same as ``kvideo.models.arch_options(arch)`` (tested)."""
    module, function, _ = END_TO_END_ARCHS[arch]
    package, *parts = module.split(".")  # find_spec of a submodule would import kvideo.models (and Keras)
    source = os.path.join(os.path.dirname(importlib.util.find_spec(package).origin), *parts[:-1], parts[-1] + ".py")
    with open(source, encoding="utf-8") as f:
        node = _signature_node(ast.parse(f.read()), function)
    a = node.args
    pairs = list(zip(a.args[len(a.args) - len(a.defaults):], a.defaults)) + [
        (arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
    return {arg.arg: ast.literal_eval(d) for arg, d in pairs if arg.arg not in COMMON_ARGUMENTS}
