"""Finding the videos of a dataset folder and splitting them: ``index_directory``, ``split_indices``."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from kvideo.utils.formats import VIDEO_EXTENSIONS, is_ignored_name
from kvideo.utils.validation import argument_error

ALLOWED_FORMATS = VIDEO_EXTENSIONS  # what video_dataset_from_directory picks up by default


def _iter_files(folder, formats, follow_links):
    out, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        real = os.path.realpath(root)
        if real in seen:  # a symlink loop (follow_links=True): each real folder is listed once
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not is_ignored_name(d))
        for f in sorted(files):
            if f.startswith("."):
                continue  # hidden files, incl. half-written temporaries
            if f.lower().endswith(formats):
                out.append(os.path.join(root, f))
    return out


def index_directory(directory, labels="inferred", formats=VIDEO_EXTENSIONS, class_names=None, follow_links=False):
    """List video files like Keras' ``image_dataset_from_directory`` does: ``(file_paths, labels, class_names)``.

    ``labels="inferred"``: one subfolder per class (sorted, or ``class_names`` to select/order them),
    files found recursively inside each. ``labels=None`` or a list: every video file under
    ``directory``, sorted by path (a list gives one label per file in that order).

    Example:
        >>> from pathlib import Path
        >>> for name in ("run/a.mp4", "run/b.MOV", "sit/c.avi", "sit/notes.txt"):
        ...     (Path("/tmp/kvideo_index_doc") / name).parent.mkdir(parents=True, exist_ok=True)
        ...     (Path("/tmp/kvideo_index_doc") / name).touch()
        >>> paths, labels, names = index_directory("/tmp/kvideo_index_doc")
        >>> [Path(p).name for p in paths], labels.tolist(), names
        (['a.mp4', 'b.MOV', 'c.avi'], [0, 0, 1], ['run', 'sit'])
    """
    directory = Path(os.fspath(directory)).expanduser()
    if not directory.exists():
        raise argument_error("directory", str(directory), "an existing folder (not found: check the path)")
    if not directory.is_dir():
        raise argument_error(
            "directory", str(directory),
            "a folder of class subfolders, not a file (use kvideo.io.read_clip for one file)",
        )
    formats = tuple(f.lower() if f.startswith(".") else "." + f.lower() for f in formats)
    if labels == "inferred":
        subdirs = sorted(
            d.name for d in directory.iterdir() if d.is_dir() and not is_ignored_name(d.name)
        )
        if class_names is not None:
            class_names = [str(c) for c in class_names]
            missing = [c for c in class_names if c not in subdirs]
            if missing:
                raise argument_error(
                    "class_names", class_names, f"names of subfolders of '{directory}' ({missing} missing; found {subdirs})"
                )
            if len(set(class_names)) != len(class_names):
                raise argument_error("class_names", class_names, "a list without duplicates")
            subdirs = class_names
        paths, labs = [], []
        for k, name in enumerate(subdirs):
            files = _iter_files(directory / name, formats, follow_links)
            paths += files
            labs += [k] * len(files)
        return paths, np.asarray(labs, dtype=np.int32), list(subdirs)
    if class_names is not None:
        raise argument_error("class_names", class_names, 'None unless labels="inferred"')
    paths = sorted(_iter_files(directory, formats, follow_links))
    if labels is None:
        return paths, None, None
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise argument_error("labels", labels, '"inferred", None or a list of ints')
    labs = np.asarray(labels)
    if labs.ndim != 1 or len(labs) != len(paths) or (len(labs) and not np.issubdtype(labs.dtype, np.integer)):
        raise argument_error(
            "labels", f"<{len(labs)} labels>",
            f"a list of ints, one per video file under '{directory}' in sorted path order ({len(paths)} files)",
        )
    if len(labs) and labs.min() < 0:
        raise argument_error("labels", f"<min label {labs.min()}>", "ints >= 0")
    names = [str(i) for i in range(int(labs.max()) + 1)] if len(labs) else []
    return paths, labs.astype(np.int32), names


def split_indices(labels, n, validation_split, seed):
    """Stratified, reproducible split -> (train_idx, val_idx), both sorted.

    Each class gives ``round(count * validation_split)`` of its files to validation, chosen by a
    permutation seeded with ``seed``; without labels the split is over all files.

    Example:
        >>> tr, va = split_indices(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 8, 0.25, seed=1)
        >>> len(tr), len(va)
        (6, 2)
    """
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    val = []
    for g in groups:
        k = int(math.floor(len(g) * validation_split + 0.5))
        val += list(rng.permutation(g)[:k])
    val = np.sort(np.asarray(val, dtype=np.int64))
    train = np.setdiff1d(np.arange(n), val)
    return train, val
