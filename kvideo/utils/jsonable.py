"""Turning results (numpy scalars and arrays, paths, NaN) into plain JSON values."""

from __future__ import annotations

import math
import os

import numpy as np


def to_jsonable(obj):
    """Return ``obj`` with numpy values, tuples and paths made JSON-serialisable; NaN/inf become None.

    Example:
        >>> to_jsonable({"acc": np.float32(0.5), "cm": np.eye(2, dtype=int), "x": float("nan")})
        {'acc': 0.5, 'cm': [[1, 0], [0, 1]], 'x': None}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj
