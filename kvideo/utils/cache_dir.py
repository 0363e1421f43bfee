"""The one cache-folder rule of kvideo.

``$KVIDEO_CACHE_DIR`` (when set) or ``~/.cache/kvideo`` is the root; each kind of cached thing has its
own sub-folder: ``clips`` (decoded clips), ``embeddings`` (per-frame encoder outputs), ``weights``
(converted pretrained weights), ``models`` (the demo's trained fallback).

Example:
    >>> import os
    >>> from kvideo.utils.cache_dir import cache_dir
    >>> os.environ["KVIDEO_CACHE_DIR"] = "/tmp/kv-doc"
    >>> str(cache_dir("clips", create=False))
    '/tmp/kv-doc/clips'
    >>> del os.environ["KVIDEO_CACHE_DIR"]
"""

from __future__ import annotations

import os
from pathlib import Path

from kvideo.utils.validation import received

KINDS = ("clips", "embeddings", "weights", "models")


def cache_root() -> Path:
    """``$KVIDEO_CACHE_DIR`` when set, else ``~/.cache/kvideo`` (not created)."""
    env = os.environ.get("KVIDEO_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kvideo"


def cache_dir(kind: str, create: bool = True) -> Path:
    """The folder for one kind of cached thing (``clips``, ``embeddings``, ``weights``, ``models``)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown cache kind: use one of {list(KINDS)}. {received('kind', kind)}")
    path = cache_root() / kind
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
