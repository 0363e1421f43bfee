"""On-disk cache of decoded clips (uint8 ``.npy`` files, never pickle).

Key = sha1 of (file fingerprint, what was decoded: frames, size, sampling, reader version). The
fingerprint is the file size plus the sha1 of its first and last 256 KiB (the whole file when it is
smaller than 512 KiB). Why not the full content or the mtime:

* content-based, so a copied, moved or re-downloaded dataset keeps its cache, and two identical files
  share one entry;
* any re-encode or edit of a video changes its size, its header (first 256 KiB: ``ftyp``/EBML/RIFF
  headers and the first frames) or its index (last 256 KiB: the ``moov``/``idx1``/Cues), so a changed file
  is decoded afresh;
* reading 512 KiB costs well under a millisecond from the page cache, so a warm epoch over 10,000
  long videos reads 5 GB at most, while hashing whole files would read the whole dataset every run;
  the mtime is left out on purpose (``cp``/``git checkout`` change it without changing a byte).
  The fingerprint is memoised per (path, size, mtime) inside a process.

Entries are written atomically (a temporary file in the same folder, then ``os.replace``), so
several workers or processes can fill the cache at once; a damaged entry is treated as a miss.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from kvideo.utils.cache_dir import cache_dir
from kvideo.utils.validation import argument_type_error

CACHE_VERSION = 1  # bump when the decoding changes, to orphan old entries
_HEAD_TAIL = 256 << 10  # bytes hashed at each end of a file
_fingerprints = {}


def default_cache_dir() -> Path:
    """The clip cache folder: ``cache_dir("clips")`` of :mod:`kvideo.utils.cache_dir` (not created here).

    That is ``$KVIDEO_CACHE_DIR/clips`` when the variable is set, else ``~/.cache/kvideo/clips``
    (``KVIDEO_CACHE_DIR`` names the root of every kvideo cache, not the clip folder itself).

    Example:
        >>> from kvideo.utils.cache_dir import cache_root
        >>> default_cache_dir() == cache_root() / "clips"
        True
    """
    return cache_dir("clips", create=False)


def resolve_cache_dir(cache):
    """``cache`` argument -> folder Path or None (off): True = :func:`default_cache_dir`, a path = that folder.

    Example:
        >>> resolve_cache_dir(False) is None, str(resolve_cache_dir("/tmp/my_clips"))
        (True, '/tmp/my_clips')
    """
    if cache is None or cache is False:
        return None
    if cache is True:
        return default_cache_dir()
    if isinstance(cache, (str, os.PathLike)):
        return Path(os.fspath(cache)).expanduser()
    raise argument_type_error("cache", cache, "True, False or a folder path")


def file_fingerprint(path) -> str:
    """sha1 hex of (size, first 256 KiB, last 256 KiB) of a file, memoised per (path, size, mtime).

    Example:
        >>> from pathlib import Path
        >>> _ = Path("/tmp/kvideo_fp_doc.bin").write_bytes(b"abc")
        >>> len(file_fingerprint("/tmp/kvideo_fp_doc.bin"))
        40
    """
    p = os.fspath(path)
    st = os.stat(p)
    memo_key = (os.path.abspath(p), st.st_size, st.st_mtime_ns)
    fp = _fingerprints.get(memo_key)
    if fp is not None:
        return fp
    h = hashlib.sha1()
    h.update(str(st.st_size).encode())
    with open(p, "rb") as f:
        if st.st_size <= 2 * _HEAD_TAIL:
            h.update(f.read())
        else:
            h.update(f.read(_HEAD_TAIL))
            f.seek(-_HEAD_TAIL, os.SEEK_END)
            h.update(f.read(_HEAD_TAIL))
    fp = h.hexdigest()
    if len(_fingerprints) > 200_000:
        _fingerprints.clear()
    _fingerprints[memo_key] = fp
    return fp


def clip_key(path, **params) -> str:
    """Cache key of a decoded clip: sha1 of the file fingerprint and the decoding parameters."""
    items = ",".join(f"{k}={params[k]!r}" for k in sorted(params))
    s = f"v{CACHE_VERSION}|{file_fingerprint(path)}|{items}"
    return hashlib.sha1(s.encode()).hexdigest()


class ClipCache:
    """A folder of ``<key[:2]>/<key>.npy`` uint8 arrays (``dtype`` and ``ndim`` of the entries: subclasses
    such as ``kvideo.data.embeddings.EmbeddingCache`` store other arrays the same way).

    Example:
        >>> cache = ClipCache("/tmp/kvideo_cache")
        >>> cache.put("ab" * 20, np.zeros((2, 4, 4, 3), np.uint8))
        >>> cache.get("ab" * 20).shape
        (2, 4, 4, 3)
    """

    dtype = np.uint8
    ndim = 4

    def __init__(self, folder):
        self.folder = Path(folder)

    def _path(self, key):
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key):
        p = self._path(key)
        try:
            with open(p, "rb") as f:
                arr = np.load(f, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError):
            return None  # damaged entry: decode again (put() will overwrite it)
        if arr.dtype != self.dtype or arr.ndim != self.ndim:
            return None
        return arr

    def put(self, key, array):
        """Store atomically (temp file + rename); a read-only or full disk is not an error."""
        array = np.ascontiguousarray(array, dtype=self.dtype)
        p = self._path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=p.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.save(f, array, allow_pickle=False)
                os.replace(tmp, p)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError:
            pass  # read-only or full disk: the cache is an optimisation, never a failure

    def __contains__(self, key):
        return self._path(key).exists()


def clear_cache(cache=True):
    """Delete a clip cache folder (default: the default cache folder). Returns the number of files removed.

    Example:
        >>> import numpy as np
        >>> ClipCache("/tmp/kvideo_clear_doc").put("cd" * 20, np.zeros((1, 2, 2, 3), np.uint8))
        >>> clear_cache("/tmp/kvideo_clear_doc")
        1
    """
    folder = resolve_cache_dir(cache)
    if folder is None or not folder.exists():
        return 0
    n = 0
    for p in folder.glob("*/*.npy"):
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n
