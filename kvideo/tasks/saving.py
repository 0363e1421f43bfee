"""Saving and loading tasks: one ``.keras`` file = the Keras model + a ``kvideo.json`` entry.

``kvideo.json`` is ``{"format", "task", "kvideo_version", **task.get_config(), "preprocessing",
**learned state}``: the constructor arguments (``get_config``, the only list of them), a readable
description of the preprocessing, and what training learned besides the weights (``history``,
``train_info``). ``task`` names the class, so :func:`load_task` builds the right kind of task (classes
join with :func:`register_task`). Files of the first format (``kvideo.VideoClassifier/1``, with
``arch_options`` nested) still load. Nothing is pickled; Keras loads with ``safe_mode=True``.

Example:
    >>> registered_tasks()["VideoClassifier"].__name__
    'VideoClassifier'
    >>> task = load_task("motion.keras")  # needs a saved model file   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from kvideo.utils.files import atomic_path
from kvideo.utils.jsonable import to_jsonable
from kvideo.utils.validation import argument_error, received

META_NAME = "kvideo.json"
FORMAT = "kvideo.task/2"
LEGACY_FORMAT = "kvideo.VideoClassifier/1"
# keys of kvideo.json that are not constructor arguments
STATE_KEYS = ("history", "train_info")
INFO_KEYS = ("format", "task", "kvideo_version", "preprocessing")

_TASKS: dict = {}


def register_task(cls):
    """Class decorator: make a task class loadable by name (its ``__name__`` is saved as ``task``)."""
    _TASKS[cls.__name__] = cls
    return cls


def registered_tasks() -> dict:
    """``{name: class}`` of the task classes :func:`load_task` knows."""
    import kvideo.tasks  # noqa: F401  (registers the built-in tasks)

    return dict(_TASKS)


def _check_model_path(path) -> Path:
    path = Path(os.fspath(path)).expanduser()
    if path.suffix != ".keras":
        raise argument_error("path", str(path), "a file name ending in .keras")
    return path


def save_task(task, path, extra=None) -> Path:
    """Write ``task`` to ``path`` (a ``.keras`` file) atomically; returns the path.

    ``extra`` ({name: bytes or str}) adds entries to the archive (training checkpoints keep their state there).
    """
    from kvideo.version import __version__

    path = _check_model_path(path)
    meta = {"format": FORMAT, "task": type(task).__name__, "kvideo_version": __version__,
            **to_jsonable(task.get_config()), "preprocessing": task.preprocessing,
            **to_jsonable(task.learned_state())}
    with atomic_path(path) as tmp:
        task._save_model(tmp)
        with zipfile.ZipFile(tmp, "a") as zf:
            zf.writestr(META_NAME, json.dumps(meta, indent=1))
            for name, data in (extra or {}).items():
                zf.writestr(name, data)
    return path


def read_metadata(path) -> dict:
    """The ``kvideo.json`` of a saved task (one-line errors for a missing file or another kind of file)."""
    path = Path(os.fspath(path)).expanduser()
    shown = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"Model file not found: train one with `kvideo train` or check the path. "
                                f"{received('path', shown)}")
    try:
        with zipfile.ZipFile(path) as zf:
            if META_NAME not in zf.namelist():
                raise ValueError(f"{shown!r} is a Keras file but not a kvideo model (no {META_NAME} inside): save "
                                 f"it with VideoClassifier.save. {received('path', shown)}")
            return json.loads(zf.read(META_NAME).decode("utf-8"))
    except zipfile.BadZipFile:
        raise ValueError(f"{shown!r} is not a .keras model file (not a zip archive). {received('path', shown)}") from None


def split_metadata(meta: dict):
    """``(task name, config, learned state)`` from a ``kvideo.json`` of any known format."""
    if meta.get("format") == LEGACY_FORMAT:
        config = {"arch": meta["arch"], "class_names": meta["class_names"],
                  "num_frames": meta["num_frames"], "image_size": meta["image_size"],
                  "backbone": meta.get("backbone", "small_cnn"), **(meta.get("arch_options") or {})}
        return "VideoClassifier", config, {k: meta.get(k) or {} for k in STATE_KEYS}
    if meta.get("format") != FORMAT:
        raise ValueError(f"Unknown kvideo model format {meta.get('format')!r}: this kvideo reads {FORMAT!r} and "
                         f"{LEGACY_FORMAT!r}; upgrade kvideo. {received('format', meta.get('format'))}")
    config = {k: v for k, v in meta.items() if k not in STATE_KEYS and k not in INFO_KEYS}
    return meta["task"], config, {k: meta.get(k) or {} for k in STATE_KEYS}


def load_task(path, expected=None):
    """Load any saved task; with ``expected`` (a class) the file must hold that class or a subclass."""
    from kvideo.tasks.base import deferred_build

    name, config, state = split_metadata(read_metadata(path))
    tasks = registered_tasks()
    if name not in tasks:
        raise ValueError(f"{str(path)!r} holds a {name!r} task this kvideo does not know (it knows "
                         f"{sorted(tasks)}). {received('task', name)}")
    cls = tasks[name]
    if expected is not None and not issubclass(cls, expected):
        raise ValueError(f"{str(path)!r} holds a {name}, not a {expected.__name__}: load it with "
                         f"kvideo.tasks.load_task. {received('task', name)}")
    with deferred_build():
        task = cls.from_config(config)
    task._load_model(Path(os.fspath(path)).expanduser())
    task.set_learned_state(state)
    return task
