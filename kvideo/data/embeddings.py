"""Cached per-frame features: run a frozen frame encoder once per video, train heads on the result.

An entry is one video's (time, features) sequence as a float16 ``.npy`` (never pickle), keyed by
the video's content fingerprint (the clip cache's rule, :func:`kvideo.data.cache.file_fingerprint`),
how it was sampled (the preprocessor's config) and which feature extractor made it (its name,
weights fingerprint and options). Entries live in ``cache_dir("embeddings")``
(``$KVIDEO_CACHE_DIR/embeddings``); writes are atomic and a damaged entry is recomputed.

With the features cached, an epoch of a temporal head costs a few matrix products instead of a
pretrained CNN over every frame: see BENCHMARKS.md for the measured speed-up.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from kvideo.data.cache import ClipCache, file_fingerprint
from kvideo.utils.cache_dir import cache_dir

EMBEDDING_CACHE_VERSION = 1


def embedding_key(path, sampling: dict, extractor: dict) -> str:
    """Cache key of one video's feature sequence (content + sampling + extractor).

    Example:
        >>> embedding_key("clip.mp4", {"num_frames": 16}, {"name": "lite0"})  # doctest: +SKIP
        '5be1...'
    """
    blob = json.dumps({"v": EMBEDDING_CACHE_VERSION, "file": file_fingerprint(path), "sampling": sampling,
                       "extractor": extractor}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()


class EmbeddingCache(ClipCache):
    """A folder of ``<key[:2]>/<key>.npy`` float16 (time, features) arrays; ``get`` returns float32.

    Example:
        >>> import tempfile
        >>> cache = EmbeddingCache(tempfile.mkdtemp())
        >>> cache.put("ab" * 20, np.ones((4, 3), "float32"))
        >>> cache.get("ab" * 20).dtype, cache.get("cd" * 20)
        (dtype('float32'), None)
    """

    dtype = np.float16
    ndim = 2

    def __init__(self, folder=None):
        super().__init__(folder if folder is not None else cache_dir("embeddings"))

    def get(self, key):
        """The cached sequence as float32, or None (missing or damaged)."""
        arr = super().get(key)
        return None if arr is None else arr.astype(np.float32)


def resolve_embedding_cache(cache):
    """``cache`` argument (True | False | None | folder) -> EmbeddingCache or None."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return EmbeddingCache()
    if isinstance(cache, (str, os.PathLike)):
        return EmbeddingCache(Path(os.fspath(cache)).expanduser())
    raise ValueError(f"`cache` must be True, False or a folder path. Received: cache={cache!r}")


def embed_videos(paths, read, extract, *, sampling, extractor, cache=True, batch_size=8, progress=None):
    """Feature sequences of ``paths``: from the cache where present, else ``extract(read(path))``.

    Args:
        paths: video files.
        read: ``path -> uint8 clip (T, H, W, 3)``; raises on an unreadable file.
        extract: ``uint8 clips (N, T, H, W, 3) -> float (N, T, D)`` (the frozen feature extractor).
        sampling, extractor: JSON-able descriptions that go into the cache key.
        cache: True (default folder), a folder, or False.
        batch_size: clips per call of ``extract``.
        progress: optional ``callable(done, total)``.

    Returns:
        ``(features, failed)``: a dict path -> float32 (T, D) for the readable videos, and a dict
        path -> reason for the others.

    Example:
        >>> read = lambda p: np.zeros((4, 8, 8, 3), np.uint8)
        >>> extract = lambda clips: clips.mean(axis=(2, 3))
        >>> feats, failed = embed_videos(["a.mp4"], read, extract, sampling={}, extractor={}, cache=False)
        >>> feats["a.mp4"].shape, failed
        ((4, 3), {})
    """
    store = resolve_embedding_cache(cache)
    paths = [os.fspath(p) for p in paths]
    feats, failed, todo = {}, {}, []
    for p in paths:
        key = None
        if store is not None:
            try:
                key = embedding_key(p, sampling, extractor)
            except OSError as e:
                failed[p] = str(e)
                continue
            hit = store.get(key)
            if hit is not None:
                feats[p] = hit
                continue
        todo.append((p, key))
    done = len(feats) + len(failed)
    if progress:
        progress(done, len(paths))
    for start in range(0, len(todo), batch_size):
        batch, clips = [], []
        for p, key in todo[start:start + batch_size]:
            try:
                clips.append(read(p))
                batch.append((p, key))
            except (ValueError, OSError) as e:  # VideoReadError is a ValueError: reported per file
                failed[p] = getattr(e, "reason", None) or str(e)
        if clips:
            out = np.asarray(extract(np.stack(clips)), dtype=np.float32)
            for (p, key), seq in zip(batch, out):
                # rounded as the cache stores it: a cold and a warm run train on the same numbers
                feats[p] = seq.astype(np.float16).astype(np.float32)
                if store is not None and key is not None:
                    store.put(key, seq)
        done += len(todo[start:start + batch_size])
        if progress:
            progress(done, len(paths))
    return feats, failed
