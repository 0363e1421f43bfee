"""kvideo: Teachable Machine for video, on Keras 3.

Three lines build, train and evaluate a video classifier on a folder of labeled clips
(``data/<label>/*.mp4``)::

    import kvideo
    clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))
    clf.fit("clips/train", epochs=10)
    print(clf.evaluate("clips/test"))

Heavy parts import lazily: ``kvideo.faces`` (DeepFace) and the Gradio demo load only when used.
"""

from __future__ import annotations

import importlib

from kvideo.errors import (
    GalleryError,
    ImageReadError,
    KVideoError,
    MissingDependencyError,
    MissingWeightsError,
    ModelFileError,
    NoFaceError,
    UnsafeWeightsFileError,
    VideoReadError,
)
from kvideo.version import __version__

# name -> module that defines it; imported on first access so `import kvideo` stays fast
_LAZY = {
    "read_clip": "kvideo.io",
    "iter_clips": "kvideo.io",
    "video_info": "kvideo.io",
    "video_dataset_from_directory": "kvideo.data",
    "make_sample_videos": "kvideo.datasets",
    "VideoClassifier": "kvideo.tasks",
    "EmbeddingClassifier": "kvideo.tasks",
}
_SUBMODULES = {"io", "data", "datasets", "models", "tasks", "faces", "cli", "utils"}

__all__ = [
    "__version__",
    "KVideoError",
    "VideoReadError",
    "ImageReadError",
    "NoFaceError",
    "GalleryError",
    "ModelFileError",
    "UnsafeWeightsFileError",
    "MissingDependencyError",
    "MissingWeightsError",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"kvideo.{name}")
    raise AttributeError(f"module 'kvideo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
