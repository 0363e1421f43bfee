"""Muting chatter that native libraries (OpenCV's FFmpeg, TensorFlow, XLA, gloo) print straight to fds 1/2."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def muted_native_stderr():
    """Silence file descriptor 2 inside the block (C/C++ prints that Python cannot filter).

    Python exceptions raised inside still propagate; nothing is muted when there is no real stderr.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        with _redirected(sys.__stderr__, devnull):
            yield
    finally:
        os.close(devnull)


@contextlib.contextmanager
def native_stdout_to_stderr():
    """Send file descriptor 1 to fd 2 inside the block: native libraries (gloo) print progress on stdout,
    which a ``--json`` command keeps for its one result object."""
    try:
        err = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):
        err = None
    if err is None:
        yield
        return
    with _redirected(sys.__stdout__, err):
        yield


@contextlib.contextmanager
def _redirected(stream, target_fd):
    """Point ``stream``'s file descriptor at ``target_fd`` inside the block (nothing when it has none)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None:
        yield
        return
    stream.flush()
    saved = os.dup(fd)
    os.dup2(target_fd, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
