"""Resumable JSON-lines results files and input listing for batch jobs.

One JSON object per line, appended with flush + fsync so a killed job leaves at
most one torn last line, which :func:`read_done` detects and drops (the file is
truncated back to the last complete line).

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> out = os.path.join(d, "r.jsonl")
>>> with ResultsWriter(out) as w:
...     w.write({"path": "a.mp4", "label": "x"})
>>> sorted(read_done(out))
['a.mp4']
"""

import json
import os
import time
from pathlib import Path

from kvideo.utils import formats
from kvideo.utils.validation import argument_error, received


def read_done(path, key="path"):
    """Return ``{key value: record}`` for the complete lines of ``path``.

    A torn (unterminated or unparsable) last line is removed from the file.
    """
    path = Path(path)
    if not path.exists():
        return {}
    data = path.read_bytes()
    done, good_end = {}, 0
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        line = data[pos:nl]
        try:
            rec = json.loads(line) if line.strip() else None
        except ValueError:
            break
        if isinstance(rec, dict) and key in rec:
            done[str(rec[key])] = rec
        pos = good_end = nl + 1
    if good_end < len(data):
        with open(path, "r+b") as f:
            f.truncate(good_end)
            f.flush()
            os.fsync(f.fileno())
    return done


class ResultsWriter:
    """Append records to a JSONL file, one line-atomic write (flush + fsync) each."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "ab")

    def write(self, record):
        self._f.write(json.dumps(record, default=str).encode() + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def list_inputs(source, kinds=("video",)):
    """Paths to process: a directory walked recursively for files of ``kinds`` (per
    :mod:`kvideo.utils.formats`), a text file listing one path a line (``#`` comments), or one file of ``kinds``."""
    source = Path(source)
    if formats.kind_of(source) in kinds:  # one video (or photo): a job of one
        return [str(source)]
    if source.is_dir():
        return sorted(str(p) for p in source.rglob("*") if p.is_file() and formats.kind_of(p) in kinds)
    if not source.is_file():
        raise FileNotFoundError(f"Input {str(source)!r} not found: pass a folder of files or a text file listing "
                                f"one path a line. {received('source', str(source))}")
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise argument_error("source", str(source), "a folder, or a text file listing one path a line") from None
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def error_record(path, exc):
    """The line of an item that failed: ``{"path", "error": exception class, "reason": one line}``.

    >>> error_record("a.mp4", ValueError("bad\\nframes"))
    {'path': 'a.mp4', 'error': 'ValueError', 'reason': 'bad'}
    """
    text = str(exc).strip().splitlines()
    reason = getattr(exc, "reason", None) or (text[0] if text else type(exc).__name__)
    return {"path": str(path), "error": type(exc).__name__, "reason": str(reason)}


class Job:
    """A resumable batch job: the inputs of ``source``, those not yet in ``out`` (``todo``), the writer,
    and the counts of its summary. Use through :func:`open_job`."""

    def __init__(self, source, out, kinds=("video",)):
        self.out = Path(out)
        self.paths = list_inputs(source, kinds)
        done = read_done(self.out)
        self.todo = [p for p in self.paths if p not in done]
        self.done = self.errors = 0
        self._t0 = time.perf_counter()
        self._writer = None  # opened on the first line

    def write(self, record):
        if self._writer is None:
            self._writer = ResultsWriter(self.out)
        self._writer.write(record)
        self.done += 1
        self.errors += "error" in record

    def close(self):
        if self._writer is not None:
            self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def summary(self, **extra) -> dict:
        """``{"total", "skipped", "done", "errors", "seconds", "per_second", "out", **extra}``."""
        seconds = time.perf_counter() - self._t0
        return {"total": len(self.paths), "skipped": len(self.paths) - len(self.todo), "done": self.done,
                "errors": self.errors, "seconds": round(seconds, 3),
                "per_second": round(self.done / seconds, 3) if seconds > 0 else None, "out": str(self.out), **extra}


def prefetch(items, load, workers=1, ahead=None):
    """Yield ``(item, loaded, error)`` for each of ``items`` in order, ``load(item)`` running in ``workers``
    threads at most ``ahead`` items (default ``2 * workers``) in front of the consumer; an exception of
    ``load`` comes back as ``error`` (``loaded`` None), never raised.

    >>> [(i, x, e) for i, x, e in prefetch([1, 2], lambda i: i * 10, workers=2)]
    [(1, 10, None), (2, 20, None)]
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    ahead = max(1, ahead or 2 * workers)
    items = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix="kvideo-load") as pool:
        window = deque()
        for item in items:
            window.append((item, pool.submit(load, item)))
            if len(window) >= ahead:
                break
        while window:
            item, fut = window.popleft()
            for nxt in items:  # keep the window full
                window.append((nxt, pool.submit(load, nxt)))
                break
            try:
                yield item, fut.result(), None
            except Exception as e:  # noqa: BLE001 - the caller writes it as an error line
                yield item, None, e


def open_job(source, out, kinds=("video",)) -> Job:
    """Start (or resume) the job over ``source`` writing ``out``: ``with open_job(...) as job: job.write(...)``.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> lst = os.path.join(d, "list.txt")
    >>> _ = open(lst, "w").write("a.mp4\\nb.mp4\\n")
    >>> with open_job(lst, os.path.join(d, "r.jsonl")) as job:
    ...     job.write({"path": job.todo[0]})
    >>> open_job(lst, os.path.join(d, "r.jsonl")).todo
    ['b.mp4']
    """
    return Job(source, out, kinds)
