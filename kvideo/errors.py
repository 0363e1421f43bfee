"""Exceptions raised by kvideo. All are importable from the top-level package.

Argument errors (a wrong value or type passed to a function) are plain ``ValueError`` / ``TypeError``
worded by :mod:`kvideo.utils.validation`; a path argument that does not exist (a data folder, a model or
config file) is a ``FileNotFoundError``, one that is in the way (a leftover checkpoint) a ``FileExistsError``,
worded the same way (one line ending ``Received: ...``). The classes here are for *domain* failures: a video that
cannot be read, a photo without a face, a gallery file that is not one, missing weights or packages.
Each carries structured fields, so callers branch on ``.path`` / ``.reason`` instead of parsing the
message:

* ``path``: the file concerned (a ``str``) or None;
* ``reason``: the problem in a few words (e.g. ``"file not found"``), without the path or a hint.

Example:
    >>> e = VideoReadError("clip.mp4", "file not found", hint="Check the path.")
    >>> str(e)
    "Cannot read video 'clip.mp4': file not found. Check the path. Received: path='clip.mp4'"
    >>> e.path, e.reason, isinstance(e, ValueError)
    ('clip.mp4', 'file not found', True)
"""

from __future__ import annotations

import os


def _one_line(text) -> str:
    return " ".join(str(text).split())


class KVideoError(Exception):
    """Base class of kvideo's own (domain) errors; ``.path`` and ``.reason`` may be None."""

    def __init__(self, message: str = "", *, path=None, reason: str | None = None):
        super().__init__(_one_line(message))
        self.path = None if path is None else os.fspath(path) if isinstance(path, os.PathLike) else str(path)
        self.reason = reason

    def __reduce__(self):  # keyword fields survive pickling (worker processes send errors back)
        return _restore, (type(self), str(self), dict(self.__dict__))


def _restore(cls, message, state):
    obj = cls.__new__(cls, message)
    obj.args = (message,)
    obj.__dict__.update(state)
    return obj


class _FileError(KVideoError):
    """A file that cannot be used: message ``Cannot read <what> '<path>': <reason>. <hint> Received: path=...``."""

    what = "file"

    def __init__(self, path, reason: str, hint: str = ""):
        from kvideo.utils.validation import received  # lazy: kvideo.utils imports this module

        shown = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
        tail = f" {hint}" if hint else ""
        super().__init__(
            f"Cannot read {self.what} '{shown}': {reason}.{tail} {received('path', shown)}", path=shown, reason=reason
        )
        self.hint = hint


class VideoReadError(_FileError, ValueError):
    """A video file is missing, empty, truncated or not a video (``.path``, ``.reason``, ``.hint``)."""

    what = "video"


class ImageReadError(_FileError, ValueError):
    """An image file is missing or not an image OpenCV can decode (``.path``, ``.reason``, ``.hint``)."""

    what = "image"


class UnsafeWeightsFileError(_FileError, ValueError):
    """A weights file is not a plain PyTorch state dict (or is damaged); nothing in it was run
    (``.path``, ``.reason``: what was refused or wrong)."""

    what = "weights file"

    def __init__(self, path, reason: str, hint: str = "Only PyTorch state dicts of tensors are accepted."):
        super().__init__(path, reason, hint)


class ModelFileError(_FileError, ValueError):
    """A model file is not a kvideo model: not a zip, truncated, a plain Keras model, or holding code that
    ``safe_mode`` refuses to run (``.path``, ``.reason``, ``.hint``)."""

    what = "model"


class NoFaceError(KVideoError):
    """No face was found where one is needed (``.path``: the photo when it is a file, ``.reason``)."""


class GalleryError(KVideoError):
    """A face gallery file is missing, not a gallery, made with another model, or lacks an identity."""


class MissingDependencyError(KVideoError, ImportError):
    """An optional part of kvideo needs a package that is not installed."""


class MissingWeightsError(KVideoError, FileNotFoundError):
    """Pretrained weights are not on disk and cannot be downloaded (offline).

    The message names the file and the folder to put it in; ``.path`` is where the file belongs
    when known.
    """

    def __init__(self, message: str = "", *, path=None, reason: str | None = "weights not found"):
        KVideoError.__init__(self, message, path=path, reason=reason)


__all__ = [
    "UnsafeWeightsFileError",
    "KVideoError",
    "VideoReadError",
    "ImageReadError",
    "NoFaceError",
    "GalleryError",
    "MissingDependencyError",
    "MissingWeightsError",
]
