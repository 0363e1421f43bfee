"""Face recognition on DeepFace, offline-first: verify, galleries, who appears when in a video.

Importing this package is cheap: DeepFace (and TensorFlow) load on first use.

Example:
    >>> from kvideo.faces import FaceGallery, verify, scan_video, doctor
    >>> doctor()["defaults"]                          # doctest: +SKIP
    {'model': 'Dlib', 'detector': 'dlib', 'usable': True}
    >>> g = FaceGallery.create("people.db")           # doctest: +SKIP
    >>> g.enroll("photos/")                           # photos/<name>/*.jpg   # doctest: +SKIP
    >>> g.identify("group.jpg")                       # doctest: +SKIP
    >>> scan_video("clip.mp4", g, every_n_frames=5)   # doctest: +SKIP
"""

from kvideo.faces.embed import FaceEngine, default_threshold, load_image
from kvideo.faces.gallery import FaceGallery
from kvideo.faces.verify import verify
from kvideo.faces.video import IoUTracker, iou, merge_segments, scan_video
from kvideo.faces.weights import (
    DEFAULT_DETECTOR,
    DEFAULT_MODEL,
    doctor,
    place_packaged_weights,
    weights_dir,
)

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_MODEL",
    "FaceEngine",
    "FaceGallery",
    "IoUTracker",
    "default_threshold",
    "doctor",
    "iou",
    "load_image",
    "merge_segments",
    "place_packaged_weights",
    "scan_video",
    "verify",
    "weights_dir",
]
