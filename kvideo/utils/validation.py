"""Argument checks: the one place that words kvideo's argument errors.

Every message has the same shape: what is expected, then ``Received: name=value``::

    `epochs` must be an integer >= 1. Received: epochs=0

Argument errors are ``ValueError`` (a wrong value) or ``TypeError`` (a wrong kind of value); kvideo's
own ``KVideoError`` subclasses are for domain failures (unreadable video, missing weights).

Example:
    >>> parse_size("64x48")
    (64, 48)
    >>> parse_size(32, name="image_size")
    (32, 32)
    >>> check_int("epochs", 0, low=1)
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be an integer >= 1. Received: epochs=0
    >>> check_choice("sampling", "middle", ("uniform", "random"))
    Traceback (most recent call last):
    ...
    ValueError: `sampling` must be one of 'uniform', 'random'. Received: sampling='middle'
"""

from __future__ import annotations

import numbers
import re

__all__ = [
    "argument_error",
    "argument_type_error",
    "received",
    "parse_size",
    "check_int",
    "check_float",
    "check_choice",
    "check_bool",
]


def received(name: str, value) -> str:
    """The ``Received: name=value`` tail of every argument error.

    >>> received("fps", -1)
    'Received: fps=-1'
    """
    return f"Received: {name}={value!r}"


def argument_error(name: str, value, what: str) -> ValueError:
    """A ``ValueError`` saying ``name`` must be ``what`` (return it; the caller raises).

    >>> raise argument_error("top_k", 0, "an integer >= 1")
    Traceback (most recent call last):
    ...
    ValueError: `top_k` must be an integer >= 1. Received: top_k=0
    """
    return ValueError(f"`{name}` must be {what}. {received(name, value)}")


def argument_type_error(name: str, value, what: str) -> TypeError:
    """A ``TypeError`` saying ``name`` must be ``what`` (return it; the caller raises).

    >>> raise argument_type_error("classes", 3, "a list of names")
    Traceback (most recent call last):
    ...
    TypeError: `classes` must be a list of names. Received: classes=3
    """
    return TypeError(f"`{name}` must be {what}. {received(name, value)}")


_SIZE_SPLIT = re.compile(r"\s*[xX,*]\s*|\s+")


def parse_size(value, name: str = "size", minimum: int = 1) -> tuple[int, int]:
    """The one size parser of kvideo: ``(height, width)`` from an int, a string or a pair.

    Accepts ``64``, ``"64"``, ``"64x48"``, ``"64,48"``, ``(64, 48)`` or ``[64, 48]`` (numpy ints too);
    both sides must be integers ``>= minimum``. Always a ``ValueError`` when it cannot, so callers
    (and the CLI) need to catch one kind.

    >>> parse_size([48, 64])
    (48, 64)
    >>> parse_size(" 96 X 128 ")
    (96, 128)
    >>> parse_size("big", name="image_size")
    Traceback (most recent call last):
    ...
    ValueError: `image_size` must be S or (height, width) of integers >= 1, e.g. 64 or 64x48. Received: image_size='big'
    >>> parse_size(8, name="image_size", minimum=16)
    Traceback (most recent call last):
    ...
    ValueError: `image_size` must be S or (height, width) of integers >= 16, e.g. 64 or 64x48. Received: image_size=8
    """
    what = f"S or (height, width) of integers >= {minimum}, e.g. 64 or 64x48"
    parts = value
    if isinstance(value, str):
        parts = _SIZE_SPLIT.split(value.strip())
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        parts = [value]
    try:
        parts = list(parts)
        ints = [_as_int(p) for p in parts]
    except (TypeError, ValueError):
        raise argument_error(name, value, what) from None
    if len(ints) == 1:
        ints = ints * 2
    if len(ints) != 2 or min(ints) < minimum:
        raise argument_error(name, value, what)
    return ints[0], ints[1]


def _as_int(v) -> int:
    if isinstance(v, bool):
        raise TypeError(v)
    if isinstance(v, str):
        return int(v.strip())
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real) and float(v).is_integer():
        return int(v)
    raise TypeError(v)


def _bounds(low, high) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def check_int(name: str, value, low=None, high=None) -> int:
    """``value`` as an ``int`` within ``[low, high]`` (either bound optional).

    Integral floats (``10.0``) and numeric strings from config files are accepted; ``True`` is not.

    >>> check_int("epochs", "5", low=1)
    5
    >>> check_int("batch_size", 2.5, low=1)
    Traceback (most recent call last):
    ...
    TypeError: `batch_size` must be an integer >= 1. Received: batch_size=2.5
    """
    what = "an integer" + _bounds(low, high)
    try:
        out = _as_int(value)
    except (TypeError, ValueError):
        raise argument_type_error(name, value, what) from None
    if (low is not None and out < low) or (high is not None and out > high):
        raise argument_error(name, value, what)
    return out


def check_float(name: str, value, low=None, high=None, low_open=False) -> float:
    """``value`` as a finite ``float`` within ``[low, high]``; ``low_open=True`` excludes ``low`` itself.

    >>> check_float("learning_rate", "1e-3", low=0, low_open=True)
    0.001
    >>> check_float("val_split", 1.5, low=0, high=1)
    Traceback (most recent call last):
    ...
    ValueError: `val_split` must be a number in [0, 1]. Received: val_split=1.5
    """
    bounds = f" > {low}" if (low_open and high is None) else _bounds(low, high)
    if low_open and high is not None:
        bounds = f" in ({low}, {high}]"
    what = "a number" + bounds
    if isinstance(value, bool):
        raise argument_type_error(name, value, what)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise argument_type_error(name, value, what) from None
    if out != out or out in (float("inf"), float("-inf")):
        raise argument_error(name, value, what)
    if low is not None and (out < low or (low_open and out == low)):
        raise argument_error(name, value, what)
    if high is not None and out > high:
        raise argument_error(name, value, what)
    return out


def check_choice(name: str, value, choices):
    """``value`` when it is one of ``choices``, else a ``ValueError`` listing them.

    >>> check_choice("color", "rgb", ("rgb", "bgr"))
    'rgb'
    """
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:  # unhashable value against a set
        ok = False
    if not ok:
        listed = ", ".join(repr(c) for c in choices)
        raise argument_error(name, value, f"one of {listed}")
    return value


def check_bool(name: str, value) -> bool:
    """``value`` when it is a ``bool`` (numpy bools too), else a ``TypeError``.

    >>> check_bool("shuffle", 1)
    Traceback (most recent call last):
    ...
    TypeError: `shuffle` must be True or False. Received: shuffle=1
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise argument_type_error(name, value, "True or False")
