"""Uploaded files: paths from what the page hands over, and a training folder ``<label>/<clip>`` from clips per
label and/or a zip. Every upload is checked by :mod:`kvideo.demo.safety` first. No Gradio here.

Example:
    >>> file_path({"path": "/tmp/a.mp4", "orig_name": "a.mp4"}), file_list(["/tmp/a.mp4", None])
    ('/tmp/a.mp4', ['/tmp/a.mp4'])
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from kvideo.demo.safety import check_label, check_upload, labeled_folders, safe_extract_zip
from kvideo.utils.formats import ARCHIVE_EXTENSIONS, VIDEO_EXTENSIONS, is_video
from kvideo.utils.validation import received


def file_path(value) -> str | None:
    """A path from an uploaded value: a str or path, a dict with ``path``/``video``/``name``, or an object with
    ``.name``/``.path`` (Gradio's file wrappers); None when nothing was uploaded."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return str(value)
    if isinstance(value, dict):
        for key in ("path", "video", "name"):
            if value.get(key):
                return file_path(value[key])
        return None
    name = getattr(value, "name", None) or getattr(value, "path", None)
    return str(name) if name else None


def file_list(values) -> list[str]:
    """Paths of one or several uploaded values (empty ones dropped)."""
    if not values:
        return []
    if not isinstance(values, (list, tuple)):
        values = [values]
    return [p for p in map(file_path, values) if p]


def assemble_training_folder(data_dir, zip_file=None, labels=(), scratch_dir=None) -> dict:
    """Fill the empty folder ``data_dir`` with ``<label>/<clip>`` from a zip of ``<label>/<clip>`` and/or
    ``labels``, a sequence of ``(label name, clip files)`` (rows with no name and no clips are skipped).

    Returns ``{label: number of clips}``. Raises ``ValueError`` (UnsafeInputError for a bad upload) when a
    label has no clips or fewer than 2 labels have clips; the zip is extracted into ``scratch_dir`` (default:
    beside ``data_dir``) and removed afterwards.

    Example:
        >>> import tempfile
        >>> assemble_training_folder(tempfile.mkdtemp(), labels=[("wave", [])])
        Traceback (most recent call last):
        ...
        ValueError: Label 'wave' has no clips: upload some or clear the label. Received: label='wave'
    """
    data_dir = Path(data_dir)
    counts = {}
    if zip_file is not None:
        counts = _from_zip(data_dir, file_path(zip_file), Path(scratch_dir or data_dir.parent))
    for name, files in labels:
        files = file_list(files)
        if not files and not (name or "").strip():
            continue
        label = check_label(name)
        if not files:
            raise ValueError(f"Label {label!r} has no clips: upload some or clear the label. {received('label', label)}")
        dest = data_dir / label
        dest.mkdir(exist_ok=True)
        for i, f in enumerate(files):
            check_upload(f, VIDEO_EXTENSIONS, what="clip")
            shutil.copy(f, dest / f"u{i:04d}_{Path(f).name}")
        counts[label] = counts.get(label, 0) + len(files)
    if len(counts) < 2:
        raise ValueError(
            "Training needs clips of at least 2 labels: name the labels and upload clips for each (or a zip of "
            f"<label>/<clip>). {received('labels', sorted(counts))}"
        )
    return counts


def _from_zip(data_dir: Path, zip_path, scratch: Path) -> dict:
    zip_path = check_upload(zip_path, ARCHIVE_EXTENSIONS, what="zip file")
    counts = {}
    with zip_labels(zip_path, scratch / f".zip-{data_dir.name}") as rows:
        for label, clips in rows:
            dest = data_dir / label
            dest.mkdir(parents=True, exist_ok=True)
            for i, clip in enumerate(clips):
                shutil.move(str(clip), dest / f"z{i:04d}_{clip.name}")
            counts[label] = len(clips)
    return counts


@contextlib.contextmanager
def zip_labels(zip_path, extracted):
    """Extract a zip of ``<label>/<clip>`` folders into the new folder ``extracted`` (entries checked by
    :func:`~kvideo.demo.safety.safe_extract_zip`) and yield ``[(label, [clip paths])]``; the folder is
    removed afterwards. A zip without such clips is a one-line ``ValueError``."""
    try:
        safe_extract_zip(zip_path, extracted, allowed=VIDEO_EXTENSIONS)
        root = labeled_folders(extracted)
        rows = []
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            clips = sorted(p for p in sub.rglob("*") if p.is_file() and is_video(p))
            if clips:
                rows.append((check_label(sub.name), clips))
        if not rows:
            raise ValueError("The zip holds no <label>/<clip> videos: put each label's clips in a folder named "
                             f"after the label. {received('zip', Path(zip_path).name)}")
        yield rows
    finally:
        shutil.rmtree(extracted, ignore_errors=True)
