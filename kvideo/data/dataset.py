"""``VideoDataset`` (a ``keras.utils.PyDataset``) and ``video_dataset_from_directory``.

No tf.data: batches are NumPy arrays built in Python (optionally in worker threads/processes), so the
same dataset feeds TensorFlow, JAX and torch backends.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import keras

import kvideo.io
from kvideo.data.augment import resolve_augment
from kvideo.data.cache import ClipCache, clip_key, resolve_cache_dir
from kvideo.errors import VideoReadError
from kvideo.utils.validation import argument_error, check_choice, check_int, parse_size, received

LABEL_MODES = ("int", "categorical", "binary", None)
DATASET_SAMPLING = ("uniform", "random")  # "all" cannot be batched
_warned_bad = set()
_warn_lock = threading.Lock()


def _probe(path):
    """Fast readability check (:func:`kvideo.io.probe`): None, or the reason the file cannot be read."""
    try:
        kvideo.io.probe(path)
        return None
    except VideoReadError as e:
        return e.reason
    except Exception as e:  # noqa: BLE001 - a probe never crashes dataset creation
        return f"{type(e).__name__}: {e}"


def _short_list(items, limit=20):
    items = list(items)
    s = "; ".join(items[:limit])
    return s + (f"; ... and {len(items) - limit} more" if len(items) > limit else "")


class VideoDataset(keras.utils.PyDataset):
    """Batches of video clips for ``model.fit``/``evaluate``/``predict`` under any Keras backend.

    ``len(ds)`` is the number of batches; ``ds[i]`` is ``(x, y)`` with ``x`` float32
    ``(B, T, H, W, 3)`` in 0..255 (models rescale inside) and ``y`` int32 ``(B,)`` (one-hot float32
    ``(B, C)`` with ``label_mode="categorical"``, float32 ``(B, 1)`` with ``"binary"``); only ``x`` when
    there are no labels. Batches are reshuffled every epoch when ``shuffle=True`` (reproducibly with
    ``seed``). Usually built by :func:`video_dataset_from_directory`.

    Caching (``cache``): ``True`` uses ``$KVIDEO_CACHE_DIR/clips`` or ``~/.cache/kvideo/clips``; a path uses that
    folder; ``False`` turns it off. With ``sampling="uniform"`` the decoded clip itself is cached. With
    ``sampling="random"`` a pool of up to ``max(4 * num_frames, 64)`` frames evenly spread over the video
    (all frames of a short clip) is cached instead and every epoch draws a new random clip from it, so
    later epochs decode nothing yet still see different frames.

    Unreadable files: found up front by a fast probe (open + first frame; files already in the cache
    skip it) and dropped with ONE warning that lists them. A file that still fails while batching is
    dropped (a warning names it) and another readable clip takes its slot WITH its own label (same class
    first), so an epoch never crashes and no made-up clip ever gets a real label.

    Example:
        >>> import numpy as np, kvideo
        >>> a = kvideo.io.write_video("/tmp/kvideo_ds_a.avi", np.zeros((8, 32, 32, 3), np.uint8), fps=8)
        >>> b = kvideo.io.write_video("/tmp/kvideo_ds_b.avi", np.full((8, 32, 32, 3), 200, np.uint8), fps=8)
        >>> ds = VideoDataset([a, b], labels=[0, 1], class_names=["dark", "light"], num_frames=4,
        ...                   image_size=(16, 16), batch_size=2, shuffle=False, cache=False)
        >>> x, y = ds[0]
        >>> x.shape, x.dtype, y.tolist()
        ((2, 4, 16, 16, 3), dtype('float32'), [0, 1])
    """

    def __init__(
        self,
        file_paths,
        labels=None,
        class_names=None,
        num_frames=16,
        image_size=(112, 112),
        batch_size=8,
        shuffle=True,
        seed=None,
        sampling="uniform",
        cache=True,
        augment=None,
        label_mode="int",
        workers=1,
        use_multiprocessing=False,
        max_queue_size=10,
        check_files=True,
        verbose=True,
    ):
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        num_frames = check_int("num_frames", num_frames, low=1)
        batch_size = check_int("batch_size", batch_size, low=1)
        check_choice("sampling", sampling, DATASET_SAMPLING)
        check_choice("label_mode", label_mode, LABEL_MODES)
        self.file_paths = [os.fspath(p) for p in file_paths]
        if labels is None:
            label_mode = None
            self.labels = None
        else:
            self.labels = np.asarray(labels, dtype=np.int32).reshape(-1)
            if len(self.labels) != len(self.file_paths):
                raise argument_error(
                    "labels", f"<{len(self.labels)} labels>", f"one entry per file ({len(self.file_paths)} files)"
                )
        self.class_names = list(class_names) if class_names is not None else None
        if self.labels is not None and self.class_names is None:
            self.class_names = [str(i) for i in range(int(self.labels.max()) + 1 if len(self.labels) else 0)]
        if label_mode == "binary" and len(self.class_names or []) != 2:
            raise argument_error("class_names", self.class_names, 'exactly 2 classes with label_mode="binary"')
        self.label_mode = label_mode
        self.num_frames = int(num_frames)
        self.image_size = parse_size(image_size, name="image_size")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self.sampling = sampling
        self.cache_dir = resolve_cache_dir(cache)
        self._cache = ClipCache(self.cache_dir) if self.cache_dir is not None else None
        self.augment = resolve_augment(augment)
        self.pool_frames = max(4 * self.num_frames, 64)
        self.epoch = 0
        self.skipped = []  # (path, reason) of files dropped (by the up-front probe, or unreadable while batching)
        self.verbose = verbose
        if check_files and self.file_paths:
            self._check_files()

    # ------------------------------------------------------------------ files
    def _check_files(self):
        todo = [i for i, p in enumerate(self.file_paths) if not self._is_cached(p)]
        if not todo:
            return
        workers = min(4, max(1, os.cpu_count() or 1), len(todo))
        if workers > 1:
            with ThreadPoolExecutor(workers) as ex:
                reasons = list(ex.map(lambda i: _probe(self.file_paths[i]), todo))
        else:
            reasons = [_probe(self.file_paths[i]) for i in todo]
        bad = [(i, r) for i, r in zip(todo, reasons) if r is not None]
        if not bad:
            return
        bad_idx = {i for i, _ in bad}
        self.skipped = [(self.file_paths[i], r) for i, r in bad]
        keep = [i for i in range(len(self.file_paths)) if i not in bad_idx]
        self.file_paths = [self.file_paths[i] for i in keep]
        all_labels = self.labels
        if self.labels is not None:
            self.labels = self.labels[keep]
        kept_labels = self.labels
        for p, _ in self.skipped:
            _warned_bad.add(p)
        warnings.warn(
            f"Skipping {len(bad)} unreadable video file(s): "
            + _short_list(f"{p} ({r})" for p, r in self.skipped)
            + ". Fix or remove them to use them.",
            stacklevel=3,
        )
        if all_labels is not None and self.class_names and keep:
            lost = sorted(set(all_labels.tolist()) - set(kept_labels.tolist()))
            if lost:  # a label whose every clip is unreadable: training on the rest would drop it silently
                names = [self.class_names[k] for k in lost]
                raise argument_error(
                    "class_names", names, "labels with at least one readable clip (none of the clips of "
                    f"{names} can be read: " + _short_list((f"{p} ({r})" for p, r in self.skipped), 3)
                    + "); fix those files or remove the label's folder")
        if not self.file_paths:
            raise argument_error(
                "file_paths", _short_list([p for p, _ in self.skipped], 3),
                f"readable videos (none of the {len(bad)} files could be read; see the warning above)",
            )

    def _key(self, path, kind):
        if kind == "uniform":
            return clip_key(path, kind="uniform", num_frames=self.num_frames, size=self.image_size)
        return clip_key(path, kind="pool", pool=self.pool_frames, size=self.image_size)

    def _is_cached(self, path):
        if self._cache is None:
            return False
        try:
            return self._key(path, self.sampling) in self._cache
        except OSError:
            return False

    # ------------------------------------------------------------------ decoding
    def _decode(self, path, kind):
        if kind == "uniform":
            return kvideo.io.read_clip(path, self.num_frames, self.image_size, sampling="uniform")
        return kvideo.io.read_frame_pool(path, self.pool_frames, self.image_size)

    def _load_frames(self, path, kind):
        if self._cache is None:
            return self._decode(path, kind)
        try:
            key = self._key(path, kind)
        except OSError as e:
            raise VideoReadError(path, e.strerror or "cannot read the file") from None
        arr = self._cache.get(key)
        if arr is None:
            arr = self._decode(path, kind)
            self._cache.put(key, arr)
        return arr

    def load_clip(self, index, rng=None):
        """uint8 clip (T, H, W, 3) of file ``index`` (no augmentation; random sampling uses ``rng``).

        Example:
            >>> import numpy as np, kvideo
            >>> a = kvideo.io.write_video("/tmp/kvideo_lc.avi", np.zeros((8, 32, 32, 3), np.uint8), fps=8)
            >>> VideoDataset([a], num_frames=4, image_size=(16, 16), cache=False).load_clip(0).shape
            (4, 16, 16, 3)
        """
        path = self.file_paths[index]
        if self.sampling == "uniform":
            return self._load_frames(path, "uniform")
        pool = self._load_frames(path, "pool")
        rng = rng if rng is not None else np.random.default_rng()
        return pool[kvideo.io.sample_indices(0, len(pool), self.num_frames, "random", rng)]

    def _load_or_substitute(self, index, rng):
        """``(clip, file_index)``: the clip of ``index``, or when it cannot be read, a readable clip of another
        file (same label first) returned WITH its own index, so its own label goes with it. A clip is never
        made up (no all-zero clip under a real label); with no readable file left, ``VideoReadError``."""
        try:
            return self.load_clip(index, rng), index
        except VideoReadError as e:
            path = self.file_paths[index]
            with _warn_lock:
                first = path not in _warned_bad
                _warned_bad.add(path)
                if path not in (p for p, _ in self.skipped):
                    self.skipped.append((path, e.reason))
            if first:
                warnings.warn(f"{e} -- dropped from this batch; another readable clip (with its own label) "
                              "takes its place.", stacklevel=2)
            err = e
        n = len(self.file_paths)
        cands = [(index + k) % n for k in range(1, n)]
        if self.labels is not None:
            same = [j for j in cands if self.labels[j] == self.labels[index]]
            cands = same + [j for j in cands if self.labels[j] != self.labels[index]]
        for j in cands:
            if self.file_paths[j] in _warned_bad:
                continue
            try:
                return self.load_clip(j, rng), j
            except VideoReadError:
                with _warn_lock:
                    _warned_bad.add(self.file_paths[j])
        raise VideoReadError(self.file_paths[index], f"no readable clip left in the dataset ({err.reason})")

    # ------------------------------------------------------------------ PyDataset API
    def __len__(self):
        return math.ceil(len(self.file_paths) / self.batch_size)

    @property
    def num_batches(self):
        return len(self)

    def _order(self, epoch):
        n = len(self.file_paths)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def batch_indices(self, index, epoch=None):
        """File indices of batch ``index`` in epoch ``epoch`` (default: the current one)."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch index out of range (len={len(self)}). {received('index', index)}")
        order = self._order(self.epoch if epoch is None else epoch)
        return order[index * self.batch_size : (index + 1) * self.batch_size]

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        epoch = self.epoch
        files = self.batch_indices(index, epoch)
        h, w = self.image_size
        x = np.empty((len(files), self.num_frames, h, w, 3), np.float32)
        files = np.array(files)
        for b, i in enumerate(list(files)):
            rng = np.random.default_rng([self.seed, epoch, int(i), 1])
            clip, files[b] = self._load_or_substitute(int(i), rng)
            if self.augment is not None:
                clip = self.augment(clip, rng)
            x[b] = clip
        if self.label_mode is None:
            return x
        y = self.labels[files]
        if self.label_mode == "int":
            return x, y.astype(np.int32)
        if self.label_mode == "binary":
            return x, y.astype(np.float32).reshape(-1, 1)
        return x, np.eye(len(self.class_names), dtype=np.float32)[y]

    def on_epoch_end(self):
        self.epoch += 1

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` equal parts of the files (one per worker of multi-worker training).

        Files ``index, index + num_shards, ...`` (every class stays in every shard when the files are in
        class order); every shard has ``len(file_paths) // num_shards`` files, so every worker runs the same
        number of steps (the last ``len % num_shards`` files are left out). Settings, seed and cache are kept.

        Example:
            >>> ds = VideoDataset([f"v{i}.mp4" for i in range(5)], labels=[0, 0, 1, 1, 1], check_files=False)
            >>> [(s.file_paths, s.labels.tolist()) for s in (ds.shard(2, 0), ds.shard(2, 1))]
            [(['v0.mp4', 'v2.mp4'], [0, 1]), (['v1.mp4', 'v3.mp4'], [0, 1])]
        """
        import copy

        n = len(self.file_paths)
        num_shards = check_int("num_shards", num_shards, low=1, high=max(n, 1))
        index = check_int("index", index, low=0, high=num_shards - 1)
        keep = list(range(index, (n // num_shards) * num_shards, num_shards))
        part = copy.copy(self)
        part.file_paths = [self.file_paths[i] for i in keep]
        part.labels = None if self.labels is None else self.labels[keep]
        part.skipped = list(self.skipped)
        return part

    def __repr__(self):
        return (
            f"<VideoDataset files={len(self.file_paths)} batches={len(self)} classes={self.class_names} "
            f"num_frames={self.num_frames} image_size={self.image_size} sampling={self.sampling!r} "
            f"cache={str(self.cache_dir) if self.cache_dir else None!r} augment={self.augment!r}>"
        )
