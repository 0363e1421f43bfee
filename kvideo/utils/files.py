"""Atomic file writes: a crash or Ctrl-C never leaves a half-written file behind.

A temp file is named ``.<name>.<pid>.<random>.tmp<suffix>`` beside its target. A process killed with SIGKILL
during a write cannot remove its own; the next write to the same target removes every such file whose
process is gone (:func:`remove_stale_temps`), so leftovers never pile up.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with atomic_path(target) as tmp:   # e.g. model.save(tmp)
        ...     _ = tmp.write_text("done")
        >>> open(target).read(), sorted(os.listdir(os.path.dirname(target)))
        ('done', ['notes.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else "".join(path.suffixes)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # let the writer create it (some writers refuse existing files)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or a platform without signals: leave its file alone
    return True


def remove_stale_temps(path) -> list:
    """Delete the temp files that writes to ``path`` left behind when their process died; returns their names.

    Only files named like :func:`atomic_path`'s (``.<name>.<pid>.<random>.tmp...``) whose process no longer
    runs are removed: a write in progress in another process keeps its file.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp()
        >>> _ = open(os.path.join(d, ".m.keras.999999999.x1.tmp.keras"), "w")  # a writer that was killed
        >>> remove_stale_temps(os.path.join(d, "m.keras")), os.listdir(d)
        (['.m.keras.999999999.x1.tmp.keras'], [])
    """
    path = Path(path)
    removed = []
    try:
        candidates = list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp*"))
    except OSError:
        return removed
    for p in candidates:
        pid = p.name[len(path.name) + 2:].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            p.unlink()
            removed.append(p.name)
        except OSError:
            pass
    return removed


def atomic_write(path, data, mode="wb"):
    """Write ``data`` (bytes or str) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)
