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
from pathlib import Path

import numpy as np
import keras

from kvideo.data.augment import resolve_augment
from kvideo.data.cache import ClipCache, clip_key, resolve_cache_dir
from kvideo.errors import VideoReadError

ALLOWED_FORMATS = (
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ogv", ".ts", ".gif",
)
LABEL_MODES = ("int", "categorical", "binary", None)
_warned_bad = set()
_warn_lock = threading.Lock()


def _normalize_image_size(image_size):
    from kvideo.io.reader import _normalize_size

    if image_size is None:
        raise ValueError("`image_size` must be (height, width). Received: image_size=None")
    return _normalize_size(image_size, "image_size")


def _probe(path):
    """Fast readability check: opens the file and decodes its first frame. Returns None or a reason."""
    from kvideo.io.reader import _Meta, _check_path, _open

    try:
        p = _check_path(path)
        cap = _open(p)
        try:
            _Meta(cap)
            ok, frame = cap.read()
        finally:
            cap.release()
        if not ok or frame is None:
            return "no frame can be decoded"
        return None
    except VideoReadError as e:
        msg = str(e)
        return msg.split(": ", 1)[-1].split(". Received:")[0]
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

    Caching (``cache``): ``True`` uses ``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo/clips``; a path uses that
    folder; ``False`` turns it off. With ``sampling="uniform"`` the decoded clip itself is cached. With
    ``sampling="random"`` a pool of up to ``max(4 * num_frames, 64)`` frames evenly spread over the video
    (all frames of a short clip) is cached instead and every epoch draws a new random clip from it, so
    later epochs decode nothing yet still see different frames.

    Unreadable files: found up front by a fast probe (open + first frame; files already in the cache
    skip it) and dropped with ONE warning that lists them. A file that still fails while batching is
    replaced by another clip of the same class (a warning names it) so an epoch never crashes.

    Example:
        >>> ds = VideoDataset(["a.mp4", "b.mp4"], labels=[0, 1], class_names=["x", "y"],
        ...                   num_frames=8, image_size=(64, 64), batch_size=2)       # doctest: +SKIP
        >>> x, y = ds[0]                                                          # doctest: +SKIP
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
        if not isinstance(num_frames, (int, np.integer)) or num_frames < 1:
            raise ValueError(f"`num_frames` must be a positive int. Received: num_frames={num_frames!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}")
        if sampling not in ("uniform", "random"):
            raise ValueError(
                f'`sampling` must be "uniform" or "random" for a dataset (clips are batched, so "all" '
                f"cannot be). Received: sampling={sampling!r}"
            )
        if label_mode not in LABEL_MODES:
            raise ValueError(f"`label_mode` must be one of {LABEL_MODES}. Received: label_mode={label_mode!r}")
        self.file_paths = [os.fspath(p) for p in file_paths]
        if labels is None:
            label_mode = None
            self.labels = None
        else:
            self.labels = np.asarray(labels, dtype=np.int32).reshape(-1)
            if len(self.labels) != len(self.file_paths):
                raise ValueError(
                    f"`labels` must have one entry per file. Received: {len(self.labels)} labels for "
                    f"{len(self.file_paths)} files"
                )
        self.class_names = list(class_names) if class_names is not None else None
        if self.labels is not None and self.class_names is None:
            self.class_names = [str(i) for i in range(int(self.labels.max()) + 1 if len(self.labels) else 0)]
        if label_mode == "binary" and len(self.class_names or []) != 2:
            raise ValueError(
                f'`label_mode="binary"` needs exactly 2 classes. Received: {len(self.class_names or [])} classes '
                f"{self.class_names}"
            )
        self.label_mode = label_mode
        self.num_frames = int(num_frames)
        self.image_size = _normalize_image_size(image_size)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed) if seed is not None else int(np.random.randint(0, 2**31 - 1))
        self.sampling = sampling
        self.cache_dir = resolve_cache_dir(cache)
        self._cache = ClipCache(self.cache_dir) if self.cache_dir is not None else None
        self.augment = resolve_augment(augment)
        self.pool_frames = max(4 * self.num_frames, 64)
        self.epoch = 0
        self.skipped = []  # (path, reason) of files dropped by the up-front probe
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
        if self.labels is not None:
            self.labels = self.labels[keep]
        for p, _ in self.skipped:
            _warned_bad.add(p)
        warnings.warn(
            f"Skipping {len(bad)} unreadable video file(s): "
            + _short_list(f"{p} ({r})" for p, r in self.skipped)
            + ". Fix or remove them to use them.",
            stacklevel=3,
        )
        if not self.file_paths:
            raise ValueError(
                f"None of the {len(bad)} video files could be read; see the warning above. "
                f"Received: file_paths={_short_list([p for p, _ in self.skipped], 3)}"
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
        from kvideo.io.reader import read_clip, read_frame_pool

        if kind == "uniform":
            return read_clip(path, self.num_frames, self.image_size, sampling="uniform")
        return read_frame_pool(path, self.pool_frames, self.image_size)

    def _load_frames(self, path, kind):
        if self._cache is None:
            return self._decode(path, kind)
        try:
            key = self._key(path, kind)
        except OSError as e:
            raise VideoReadError(f"Cannot read video '{path}': {e.strerror}. Received: path={path!r}") from None
        arr = self._cache.get(key)
        if arr is None:
            arr = self._decode(path, kind)
            self._cache.put(key, arr)
        return arr

    def load_clip(self, index, rng=None):
        """uint8 clip (T, H, W, 3) of file ``index`` (no augmentation; random sampling uses ``rng``).

        Example:
            >>> ds.load_clip(0).shape   # doctest: +SKIP
            (16, 112, 112, 3)
        """
        from kvideo.io.reader import sample_indices

        path = self.file_paths[index]
        if self.sampling == "uniform":
            return self._load_frames(path, "uniform")
        pool = self._load_frames(path, "pool")
        rng = rng if rng is not None else np.random.default_rng()
        return pool[sample_indices(0, len(pool), self.num_frames, "random", rng)]

    def _load_or_substitute(self, index, rng):
        try:
            return self.load_clip(index, rng)
        except VideoReadError as e:
            path = self.file_paths[index]
            with _warn_lock:
                first = path not in _warned_bad
                _warned_bad.add(path)
            if first:
                warnings.warn(f"{e} -- using another clip of the same class in its place.", stacklevel=2)
        # same label when known, nearest in the list otherwise
        n = len(self.file_paths)
        cands = [(index + k) % n for k in range(1, n)]
        if self.labels is not None:
            same = [j for j in cands if self.labels[j] == self.labels[index]]
            cands = same or cands
        for j in cands[:5]:
            if self.file_paths[j] in _warned_bad:
                continue
            try:
                return self.load_clip(j, rng)
            except VideoReadError:
                with _warn_lock:
                    _warned_bad.add(self.file_paths[j])
        return np.zeros((self.num_frames, *self.image_size, 3), np.uint8)

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
            raise IndexError(f"batch index out of range. Received: index={index}, len={len(self)}")
        order = self._order(self.epoch if epoch is None else epoch)
        return order[index * self.batch_size : (index + 1) * self.batch_size]

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        epoch = self.epoch
        files = self.batch_indices(index, epoch)
        h, w = self.image_size
        x = np.empty((len(files), self.num_frames, h, w, 3), np.float32)
        for b, i in enumerate(files):
            rng = np.random.default_rng([self.seed, epoch, int(i), 1])
            clip = self._load_or_substitute(int(i), rng)
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

    def __repr__(self):
        return (
            f"<VideoDataset files={len(self.file_paths)} batches={len(self)} classes={self.class_names} "
            f"num_frames={self.num_frames} image_size={self.image_size} sampling={self.sampling!r} "
            f"cache={str(self.cache_dir) if self.cache_dir else None!r} augment={self.augment!r}>"
        )


# ---------------------------------------------------------------------------------------- directory
def _iter_files(folder, formats, follow_links):
    out = []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue  # hidden files, incl. half-written temporaries
            if f.lower().endswith(formats):
                out.append(os.path.join(root, f))
    return out


def index_directory(directory, labels="inferred", formats=ALLOWED_FORMATS, class_names=None, follow_links=False):
    """List video files like Keras' ``image_dataset_from_directory`` does: ``(file_paths, labels, class_names)``.

    ``labels="inferred"``: one subfolder per class (sorted, or ``class_names`` to select/order them),
    files found recursively inside each. ``labels=None`` or a list: every video file under
    ``directory``, sorted by path (a list gives one label per file in that order).

    Example:
        >>> paths, labels, names = index_directory("clips")   # doctest: +SKIP
    """
    directory = Path(os.fspath(directory)).expanduser()
    if not directory.exists():
        raise ValueError(f"Directory not found: '{directory}'. Check the path. Received: directory={str(directory)!r}")
    if not directory.is_dir():
        raise ValueError(
            f"'{directory}' is a file, not a directory of class subfolders (use kvideo.io.read_clip for one file). "
            f"Received: directory={str(directory)!r}"
        )
    formats = tuple(f.lower() if f.startswith(".") else "." + f.lower() for f in formats)
    if labels == "inferred":
        subdirs = sorted(
            d.name for d in directory.iterdir() if d.is_dir() and not d.name.startswith(".")
        )
        if class_names is not None:
            class_names = [str(c) for c in class_names]
            missing = [c for c in class_names if c not in subdirs]
            if missing:
                raise ValueError(
                    f"`class_names` {missing} have no subfolder in '{directory}' (found {subdirs}). "
                    f"Received: class_names={class_names!r}"
                )
            if len(set(class_names)) != len(class_names):
                raise ValueError(f"`class_names` has duplicates. Received: class_names={class_names!r}")
            subdirs = class_names
        paths, labs = [], []
        for k, name in enumerate(subdirs):
            files = _iter_files(directory / name, formats, follow_links)
            paths += files
            labs += [k] * len(files)
        return paths, np.asarray(labs, dtype=np.int32), list(subdirs)
    if class_names is not None:
        raise ValueError(
            '`class_names` can only be given with labels="inferred". Received: '
            f"labels={'None' if labels is None else 'a list'}, class_names={class_names!r}"
        )
    paths = sorted(_iter_files(directory, formats, follow_links))
    if labels is None:
        return paths, None, None
    if isinstance(labels, str) or not hasattr(labels, "__len__"):
        raise ValueError(f'`labels` must be "inferred", None or a list of ints. Received: labels={labels!r}')
    labs = np.asarray(labels)
    if labs.ndim != 1 or len(labs) != len(paths) or (len(labs) and not np.issubdtype(labs.dtype, np.integer)):
        raise ValueError(
            f"`labels` must be a list of ints, one per video file under '{directory}' in sorted path order: "
            f"found {len(paths)} files. Received: {len(labs)} labels"
        )
    if len(labs) and labs.min() < 0:
        raise ValueError(f"`labels` must be >= 0. Received: min label {labs.min()}")
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


def video_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    num_frames=16,
    image_size=(112, 112),
    batch_size=8,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    sampling="uniform",
    cache=True,
    augment=None,
    workers=1,
    use_multiprocessing=False,
    max_queue_size=10,
    formats=ALLOWED_FORMATS,
    follow_links=False,
    check_files=True,
    verbose=True,
):
    """A :class:`VideoDataset` of the clips in ``directory``, like ``keras.utils.image_dataset_from_directory``.

    Layout for ``labels="inferred"``: ``directory/<class_name>/*.mp4`` (also .avi .mov .mkv .webm .m4v
    .mpg .mpeg .wmv .flv .3gp .ogv .ts .gif; subfolders searched recursively, hidden files skipped).

    Args:
        directory: the root folder.
        labels: ``"inferred"`` (from subfolders), a list of ints (one per file, sorted path order) or
            None (no labels: batches are ``x`` only).
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (2 classes) or None.
        class_names: with ``labels="inferred"``: the subfolders to use, in label order.
        num_frames: frames per clip (T).
        image_size: ``(height, width)`` frames are resized to.
        batch_size: clips per batch.
        shuffle: reshuffle the training order every epoch.
        seed: seed for the split, the shuffling, random sampling and augmentation. Required with
            ``subset="training"``/``"validation"`` and ``shuffle=True`` (as in Keras), so that two calls
            give complementary subsets.
        validation_split: fraction (0..1) held out, per class (stratified).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns ``(train, val)``).
        sampling: ``"uniform"`` (deterministic) or ``"random"`` (new frames every epoch; the validation
            subset always uses ``"uniform"``).
        cache: ``True`` (``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo/clips``), a folder, or ``False``.
        augment: ``None``; ``True`` = clip-consistent crop + brightness + contrast (no flip: a flip turns
            "left" into "right"); a dict of :class:`kvideo.data.ClipAugment` options such as
            ``{"flip": True}``; or a callable ``fn(clip, rng)``. Training data only: never applied to
            the validation subset.
        workers, use_multiprocessing, max_queue_size: passed to ``keras.utils.PyDataset``.
        formats: file extensions to pick up.
        follow_links: follow symlinked folders.
        check_files: probe files up front and drop unreadable ones with one warning.
        verbose: print "Found N files belonging to C classes."

    Example:
        >>> root = kvideo.datasets.make_sample_videos("/tmp/clips", per_class=8)     # doctest: +SKIP
        >>> train, val = video_dataset_from_directory(root, num_frames=16, image_size=(64, 64),
        ...     validation_split=0.25, subset="both", seed=1)                         # doctest: +SKIP
        >>> x, y = train[0]; x.shape                                                   # doctest: +SKIP
        (8, 16, 64, 64, 3)
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f"`label_mode` must be one of {LABEL_MODES}. Received: label_mode={label_mode!r}")
    if validation_split is not None and not (isinstance(validation_split, (int, float)) and 0 < validation_split < 1):
        raise ValueError(
            f"`validation_split` must be a float between 0 and 1 (exclusive). Received: validation_split={validation_split!r}"
        )
    if bool(validation_split) != (subset is not None):
        raise ValueError(
            "`validation_split` and `subset` go together: set both or neither. "
            f"Received: validation_split={validation_split!r}, subset={subset!r}"
        )
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f'`subset` must be "training", "validation" or "both". Received: subset={subset!r}')
    if isinstance(labels, str) and labels != "inferred":
        raise ValueError(f'`labels` must be "inferred", None or a list of ints. Received: labels={labels!r}')
    image_size = _normalize_image_size(image_size)
    if isinstance(formats, str):
        formats = (formats,)

    paths, labs, names = index_directory(directory, labels, tuple(formats), class_names, follow_links)
    if not paths:
        raise ValueError(
            f"No video files found in '{directory}' (looked for {' '.join(formats)}"
            + (" inside class subfolders" if labels == "inferred" else "")
            + f"). Received: directory={os.fspath(directory)!r}"
        )
    if labels == "inferred":
        if len(names) < 2 and label_mode is not None and class_names is None:
            raise ValueError(
                f"Found only {len(names)} class folder(s) in '{directory}' ({names}): a classifier needs at "
                "least 2. Put each class's clips in its own subfolder: <directory>/<class>/clip.mp4, "
                f"or pass labels=None. Received: directory={os.fspath(directory)!r}"
            )
        empty = [n for k, n in enumerate(names) if not np.any(labs == k)]
        if empty:
            warnings.warn(f"Class folder(s) {empty} in '{directory}' contain no video files.", stacklevel=2)
    if label_mode is None:
        labs_for_ds = None
    else:
        labs_for_ds = labs
        if labs is None:
            label_mode = None
    if verbose:
        if names is not None:
            print(f"Found {len(paths)} files belonging to {len(names)} classes.")
        else:
            print(f"Found {len(paths)} files.")

    common = dict(
        class_names=names if labs_for_ds is not None else None,
        num_frames=num_frames,
        image_size=image_size,
        batch_size=batch_size,
        cache=cache,
        label_mode=label_mode,
        workers=workers,
        use_multiprocessing=use_multiprocessing,
        max_queue_size=max_queue_size,
        check_files=check_files,
        verbose=verbose,
    )
    if not validation_split:
        return VideoDataset(
            paths, labs_for_ds, shuffle=shuffle, seed=seed, sampling=sampling, augment=augment, **common
        )

    if seed is None:
        if subset == "both":
            seed = int(np.random.randint(0, 2**31 - 1))
        elif shuffle:
            raise ValueError(
                "If using `validation_split` and shuffling the data, you must provide a `seed` argument, so "
                f"that the training and validation subsets do not overlap. Received: seed=None, subset={subset!r}"
            )
        else:
            seed = 0
    train_idx, val_idx = split_indices(labs, len(paths), validation_split, seed)

    def make(idx, which):
        if len(idx) == 0:
            raise ValueError(
                f"The {which} subset is empty ({len(paths)} files, validation_split={validation_split}): "
                f"add files or change validation_split. Received: validation_split={validation_split!r}"
            )
        if verbose:
            print(f"Using {len(idx)} files for {which}.")
        sub_labels = None if labs_for_ds is None else labs_for_ds[idx]
        if which == "training":
            return VideoDataset(
                [paths[i] for i in idx], sub_labels, shuffle=shuffle, seed=seed, sampling=sampling,
                augment=augment, **common
            )
        return VideoDataset(
            [paths[i] for i in idx], sub_labels, shuffle=False, seed=seed, sampling="uniform", augment=None, **common
        )

    if subset == "training":
        return make(train_idx, "training")
    if subset == "validation":
        return make(val_idx, "validation")
    return make(train_idx, "training"), make(val_idx, "validation")
