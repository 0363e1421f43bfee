"""Muting chatter that native libraries (OpenCV's FFmpeg, TensorFlow, XLA) print straight to fd 2."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def muted_native_stderr():
    """Silence file descriptor 2 inside the block (C/C++ prints that Python cannot filter).

    Python exceptions raised inside still propagate; nothing is muted when there is no real stderr.
    """
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None:
        yield
        return
    sys.__stderr__.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def native_stdout_to_stderr():
    """Send file descriptor 1 to fd 2 inside the block: native libraries (gloo) print progress on stdout,
    which a ``--json`` command keeps for its one result object."""
    try:
        out, err = sys.__stdout__.fileno(), sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.__stdout__.flush()
    saved = os.dup(out)
    os.dup2(err, out)
    try:
        yield
    finally:
        os.dup2(saved, out)
        os.close(saved)
