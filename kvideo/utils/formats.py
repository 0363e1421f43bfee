"""The one list of file formats kvideo knows: videos, images, saved models, archives.

Extensions are lower-case with the dot; matching ignores case.

Example:
    >>> is_video("clips/wave/a.MP4"), is_image("face.jpeg"), is_video("notes.txt")
    (True, True, False)
    >>> kind_of("model.keras"), kind_of("data.zip"), kind_of("x.bin")
    ('model', 'archive', None)
"""

from __future__ import annotations

import os

__all__ = [
    "VIDEO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "MODEL_EXTENSIONS",
    "ARCHIVE_EXTENSIONS",
    "extension",
    "is_video",
    "is_image",
    "is_model",
    "is_archive",
    "kind_of",
    "sniff_image",
    "sniff",
    "is_ignored_name",
]

# What OpenCV's FFmpeg backend (and PyAV) decode; .gif as a short silent clip.
VIDEO_EXTENSIONS = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ogv", ".ts", ".gif",
)
# What cv2.imread decodes (photos for faces; frames).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
# A saved kvideo task (a Keras 3 .keras zip with kvideo.json inside).
MODEL_EXTENSIONS = (".keras",)
# Uploaded datasets (data/<label>/*.mp4 zipped).
ARCHIVE_EXTENSIONS = (".zip",)
# Folders that tools leave inside data folders; never a label (hidden names, ``.ipynb_checkpoints``, are too).
IGNORED_FOLDERS = ("__MACOSX", "__pycache__")


def is_ignored_name(name) -> bool:
    """True for a file or folder name a dataset listing skips: hidden (``.x``) or a tool's folder (``__MACOSX``).

    >>> [is_ignored_name(n) for n in (".ipynb_checkpoints", "__MACOSX", "wave")]
    [True, True, False]
    """
    name = str(name)
    return name.startswith(".") or name in IGNORED_FOLDERS


def extension(path) -> str:
    """The lower-case extension of ``path`` with its dot (``""`` when none).

    >>> extension("A/B/Clip.WebM")
    '.webm'
    """
    return os.path.splitext(os.fspath(path))[1].lower()


def is_video(path) -> bool:
    """True when ``path`` has a video extension (the file itself is not opened)."""
    return extension(path) in VIDEO_EXTENSIONS


def is_image(path) -> bool:
    """True when ``path`` has an image extension (the file itself is not opened)."""
    return extension(path) in IMAGE_EXTENSIONS


def is_model(path) -> bool:
    """True when ``path`` ends in ``.keras``."""
    return extension(path) in MODEL_EXTENSIONS


def is_archive(path) -> bool:
    """True when ``path`` ends in ``.zip``."""
    return extension(path) in ARCHIVE_EXTENSIONS


def kind_of(path) -> str | None:
    """``"video"``, ``"image"``, ``"model"``, ``"archive"`` or ``None`` from the extension of ``path``."""
    ext = extension(path)
    for kind, exts in (("video", VIDEO_EXTENSIONS), ("image", IMAGE_EXTENSIONS), ("model", MODEL_EXTENSIONS),
                       ("archive", ARCHIVE_EXTENSIONS)):
        if ext in exts:
            return kind
    return None


# Leading bytes of still-image files (content, not extension): what a renamed photo really is.
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"BM", "BMP"),
                (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))


def sniff_image(path) -> str | None:
    """The still-image format (``"PNG"``, ``"JPEG"``, ``"BMP"``, ``"TIFF"``, ``"WebP"``) that the first bytes of
    ``path`` show, whatever its extension; ``None`` for anything else (a video, unreadable, too short).

    Example:
        >>> import numpy as np, cv2
        >>> _ = cv2.imwrite("/tmp/kvideo_sniff.png", np.zeros((4, 4, 3), np.uint8))
        >>> import os; os.replace("/tmp/kvideo_sniff.png", "/tmp/kvideo_sniff.mp4")
        >>> sniff_image("/tmp/kvideo_sniff.mp4")
        'PNG'
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    return None


_OTHER_MAGIC = ((b"PK\x03\x04", "ZIP"), (b"PK\x05\x06", "ZIP"), (b"\x7fELF", "executable"), (b"MZ", "executable"),
                (b"%PDF", "PDF"), (b"SQLite format 3\x00", "SQLite"), (b"\x1f\x8b", "gzip"))


def sniff(path) -> str | None:
    """What the first bytes of ``path`` show it to be, whatever its extension: a still-image format (as
    :func:`sniff_image`), ``"ZIP"`` (also ``.keras`` models), ``"executable"``, ``"PDF"``, ``"SQLite"``,
    ``"gzip"``, ``"text"`` (printable UTF-8, e.g. HTML or a script), or ``None`` (anything else, such as a video).

    Example:
        >>> open("/tmp/kvideo_sniff.mp4", "w").write("<html>hello</html>")
        18
        >>> sniff("/tmp/kvideo_sniff.mp4")
        'text'
    """
    image = sniff_image(path)
    if image:
        return image
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:  # a multi-byte letter cut at byte 512 still counts as text
        text = head[:-3].decode("utf-8", errors="strict") if len(head) == 512 and _utf8_prefix(head[:-3]) else None
    if text and all(c.isprintable() or c in "\r\n\t" for c in text):
        return "text"
    return None


def _utf8_prefix(data) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
