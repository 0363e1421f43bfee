"""Face recognition on DeepFace, offline-first: verify, galleries, who appears when in a video.

Importing this package is cheap: DeepFace (and TensorFlow) load on first use.

Modules: ``weights`` (offline weights, ``doctor``), ``embed`` (detect + align + embed), ``verify``,
``gallery`` (the SQLite gallery file), ``enroll`` (a folder of photos into a gallery), ``video``
(tracking, ``scan_video``).

Example:
    >>> from kvideo.faces import FaceGallery, verify, scan_video, doctor
    >>> doctor(place=False)["defaults"]["model"]      # what can run, without touching any file
    'Dlib'
    >>> g = FaceGallery.create("people.db")           # the rest needs deepface and photos of faces  # doctest: +SKIP
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
