"""The one registry of kvideo architectures."""

from __future__ import annotations

import inspect

from kvideo.models.c3d import build_c3d
from kvideo.models.convlstm import build_convlstm
from kvideo.models.encoders import check_backbone
from kvideo.models.frame_cnn import build_frame_cnn
from kvideo.models.td_rnn import build_td_gru, build_td_lstm
from kvideo.models.transformer import build_transformer

_REGISTRY = {
    "frame_cnn": (build_frame_cnn, "per-frame CNN + mean over time: order-blind baseline (cannot tell left from right)"),
    "td_lstm": (build_td_lstm, "normal-flow motion cue + per-frame CNN (avg-pooled) + LSTM"),
    "td_gru": (build_td_gru, "normal-flow motion cue + per-frame CNN (avg-pooled) + GRU"),
    "convlstm": (build_convlstm, "frame differences + conv stem + 2 ConvLSTM2D layers: sees local motion (default)"),
    "c3d": (build_c3d, "frame differences + conv stem + 3D-CNN blocks with batch norm"),
    "transformer": (build_transformer, "normal-flow motion cue + per-frame CNN + positional embedding + 2 self-attention blocks"),
}


def available():
    """Return {architecture name: one-line description}.

    Example:
        >>> import kvideo.models
        >>> sorted(kvideo.models.available())[:2]
        ['c3d', 'convlstm']
    """
    return {name: desc for name, (_, desc) in _REGISTRY.items()}


def get_builder(arch):
    """Return the builder function of ``arch`` (one-line ValueError if unknown)."""
    if arch not in _REGISTRY:
        raise ValueError(f"Unknown architecture {arch!r}: use one of {list(_REGISTRY)}. Received: arch={arch!r}")
    return _REGISTRY[arch][0]


def arch_options(arch):
    """Return {option: default} accepted by ``build(arch, ...)`` besides the common arguments."""
    sig = inspect.signature(get_builder(arch))
    common = {"num_classes", "num_frames", "image_size", "backbone"}
    return {k: p.default for k, p in sig.parameters.items() if k not in common}


def build(arch, num_classes, num_frames=16, image_size=(112, 112), backbone="small_cnn", **options):
    """Build architecture ``arch``: input (num_frames, H, W, 3) float 0..255, softmax "predictions".

    Example:
        >>> import kvideo.models
        >>> m = kvideo.models.build("convlstm", num_classes=4, num_frames=8, image_size=(64, 64))
        >>> m.input_shape, m.output_shape
        ((None, 8, 64, 64, 3), (None, 4))
    """
    builder = get_builder(arch)
    known = arch_options(arch)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {unknown} for architecture {arch!r}: valid options are {sorted(known)}. "
            f"Received: {', '.join(f'{k}={options[k]!r}' for k in unknown)}"
        )
    backbone = check_backbone(backbone)
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    return builder(num_classes, num_frames=num_frames, image_size=tuple(image_size), backbone=backbone, **options)
