"""The one registry of kvideo architectures, and the one table of renamed options.

Options are keyword arguments of the builders; ``spatial_pool`` is always how a spatial feature map
becomes a vector and ``temporal_pool`` how a sequence of frame vectors does. Older names (``pool``,
``pooling``, meaning one or the other per architecture) are still accepted: :func:`canonical_options`
maps them, so saved models and config files written with them keep building.
"""

from __future__ import annotations

import importlib
import inspect

from kvideo.models.encoders import check_backbone
from kvideo.presets import COMMON_ARGUMENTS, END_TO_END_ARCHS
from kvideo.utils.validation import argument_error, check_choice

# name -> (builder, description), from the one table in kvideo.presets
_REGISTRY = {name: (getattr(importlib.import_module(module), function), desc)
             for name, (module, function, desc) in END_TO_END_ARCHS.items()}

# architecture -> {old option name: new name}. The ONE place old names live.
RENAMED_OPTIONS = {
    "frame_cnn": {"pooling": "temporal_pool"},
    "convlstm": {"pooling": "spatial_pool"},
    "c3d": {"pooling": "spatial_pool"},
    "td_lstm": {"pool": "spatial_pool"},
    "td_gru": {"pool": "spatial_pool"},
    "transformer": {"pool": "spatial_pool"},
}


def available():
    """Return {architecture name: one-line description}: the pretrained-encoder ones first (the
    default is ``"pretrained"``), then the end-to-end Keras architectures that ``build`` makes.

    Example:
        >>> import kvideo.models
        >>> list(kvideo.models.available())[:2]
        ['pretrained', 'pretrained_gru']
        >>> "convlstm" in kvideo.models.available()
        True
    """
    from kvideo.presets import architectures

    return architectures()


def get_builder(arch):
    """Return the builder function of ``arch`` (one-line ValueError if unknown).

    Example:
        >>> get_builder("c3d").__name__
        'build_c3d'
    """
    from kvideo.presets import PRETRAINED_ARCHS

    if arch in PRETRAINED_ARCHS:
        raise argument_error("arch", arch, f"one of {list(_REGISTRY)} for kvideo.models.build: the pretrained-encoder "
                             "architectures are built by kvideo.VideoClassifier (EmbeddingClassifier)")
    check_choice("arch", arch, tuple(_REGISTRY))
    return _REGISTRY[arch][0]


def arch_options(arch):
    """Return {option: default} accepted by ``build(arch, ...)`` besides the common arguments.

    Example:
        >>> arch_options("frame_cnn")["temporal_pool"]
        'mean'
    """
    sig = inspect.signature(get_builder(arch))
    return {k: p.default for k, p in sig.parameters.items() if k not in COMMON_ARGUMENTS}


def canonical_options(arch, options):
    """``options`` with old names replaced by today's (``pooling`` -> ``temporal_pool`` for frame_cnn, ...).

    Unknown names raise a one-line ValueError listing the valid ones; giving an old name and its new
    name together is an error too.

    Example:
        >>> canonical_options("convlstm", {"pooling": "grid", "grid": 2})
        {'spatial_pool': 'grid', 'grid': 2}
        >>> canonical_options("td_gru", {"pool": "avg"})
        {'spatial_pool': 'avg'}
    """
    known = arch_options(arch)
    renames = RENAMED_OPTIONS.get(arch, {})
    out = {}
    for key, value in options.items():
        new = renames.get(key, key)
        if new in out:
            raise argument_error(key, value, f"given once: {key!r} is the old name of {new!r}")
        out[new] = value
    unknown = sorted(set(out) - set(known))
    if unknown:
        shown = {k: options.get(k, out[k]) for k in unknown}
        name = unknown[0] if len(unknown) == 1 else "options"
        value = shown[unknown[0]] if len(unknown) == 1 else shown
        raise argument_error(name, value, f"a valid option for architecture {arch!r}: one of {sorted(known)}")
    return out


def build(arch, num_classes, num_frames=16, image_size=(112, 112), backbone="small_cnn", **options):
    """Build architecture ``arch``: input (num_frames, H, W, 3) float 0..255, softmax "predictions".

    ``options`` are the builder's keyword arguments (see :func:`arch_options`); old names are mapped
    by :func:`canonical_options`.

    Example:
        >>> import kvideo.models
        >>> m = kvideo.models.build("convlstm", num_classes=4, num_frames=8, image_size=(32, 32))
        >>> m.input_shape, m.output_shape
        ((None, 8, 32, 32, 3), (None, 4))
    """
    builder = get_builder(arch)
    options = canonical_options(arch, options)
    return builder(num_classes, num_frames=num_frames, image_size=image_size, backbone=check_backbone(backbone),
                   **options)
