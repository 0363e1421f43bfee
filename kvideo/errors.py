"""Exceptions raised by kvideo. All are importable from the top-level package."""


class KVideoError(Exception):
    """Base class of kvideo's own errors."""


class VideoReadError(KVideoError, ValueError):
    """A video file is missing, empty, truncated or not a video.

    The message always names the file and the problem, e.g.
    ``VideoReadError: cannot open 'clip.mp4': file not found. Received: path='clip.mp4'``.
    """


class MissingDependencyError(KVideoError, ImportError):
    """An optional part of kvideo needs a package that is not installed."""


class MissingWeightsError(KVideoError, FileNotFoundError):
    """Pretrained weights are not on disk and cannot be downloaded (offline).

    The message names the file and the folder to put it in.
    """
