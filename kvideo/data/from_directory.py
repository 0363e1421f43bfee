"""``video_dataset_from_directory``: a :class:`~kvideo.data.VideoDataset` (or two) from ``data/<label>/*.mp4``."""

from __future__ import annotations

import os
import warnings

import numpy as np

from kvideo.data.dataset import LABEL_MODES, VideoDataset
from kvideo.data.indexing import ALLOWED_FORMATS, index_directory, split_indices
from kvideo.utils.validation import argument_error, check_choice, check_float, parse_size


# Over 80 lines only because of its 21 keyword arguments (one per line, as Keras'
# image_dataset_from_directory lists them) and their documentation; the body is about 40 lines.
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
        cache: ``True`` (``$KVIDEO_CACHE_DIR/clips`` or ``~/.cache/kvideo/clips``), a folder, or ``False``.
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
        >>> import kvideo
        >>> root = kvideo.datasets.make_sample_videos("/tmp/kvideo_dfd_doc", classes=["left", "right"],
        ...     per_class=4, num_frames=8, size=(32, 32))
        >>> train, val = video_dataset_from_directory(root, num_frames=4, image_size=(16, 16), batch_size=2,
        ...     validation_split=0.25, subset="both", seed=1, cache=False, verbose=False)
        >>> x, y = train[0]
        >>> x.shape, y.tolist(), len(train.file_paths), len(val.file_paths)
        ((2, 4, 16, 16, 3), [1, 0], 6, 2)
    """
    image_size = _check_arguments(labels, label_mode, validation_split, subset, image_size)
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    paths, labs, names = _index(directory, labels, label_mode, class_names, formats, follow_links)
    labs_for_ds = None if label_mode is None else labs
    if labs is None:
        label_mode = None
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes." if names is not None else "."))
    common = dict(
        class_names=names if labs_for_ds is not None else None, num_frames=num_frames, image_size=image_size,
        batch_size=batch_size, cache=cache, label_mode=label_mode, workers=workers,
        use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size, check_files=check_files,
        verbose=verbose,
    )
    if not validation_split:
        return VideoDataset(paths, labs_for_ds, shuffle=shuffle, seed=seed, sampling=sampling, augment=augment, **common)
    skipped = []
    if check_files:  # probe once before the split: one warning for the whole folder, a split of readable files
        probe = VideoDataset(paths, labs_for_ds, **{**common, "verbose": False, "label_mode": None
                                                     if labs_for_ds is None else label_mode})
        skipped, bad = probe.skipped, {p for p, _ in probe.skipped}
        keep = [i for i, p in enumerate(paths) if p not in bad]
        paths = [paths[i] for i in keep]
        labs, labs_for_ds = (None if a is None else a[keep] for a in (labs, labs_for_ds))
        common["check_files"] = False
    if seed is None:
        if subset != "both" and shuffle:
            raise argument_error(
                "seed", seed, f"set with validation_split and shuffle=True (subset={subset!r}), so that the "
                "training and validation subsets do not overlap",
            )
        seed = int(np.random.randint(0, 2**31 - 1)) if subset == "both" else 0
    train_idx, val_idx = split_indices(labs, len(paths), validation_split, seed)

    def make(idx, which):
        if len(idx) == 0:
            raise argument_error(
                "validation_split", validation_split,
                f"a fraction that leaves files for the {which} subset ({len(paths)} files): add files or change it",
            )
        if verbose:
            print(f"Using {len(idx)} files for {which}.")
        files = [paths[i] for i in idx]
        sub_labels = None if labs_for_ds is None else labs_for_ds[idx]
        if which == "training":
            ds = VideoDataset(files, sub_labels, shuffle=shuffle, seed=seed, sampling=sampling, augment=augment,
                              **common)
        else:
            ds = VideoDataset(files, sub_labels, shuffle=False, seed=seed, sampling="uniform", augment=None, **common)
        ds.skipped = list(skipped)  # the folder's unreadable files (both subsets name them)
        return ds

    if subset == "training":
        return make(train_idx, "training")
    if subset == "validation":
        return make(val_idx, "validation")
    return make(train_idx, "training"), make(val_idx, "validation")


def _check_arguments(labels, label_mode, validation_split, subset, image_size):
    """Argument checks of :func:`video_dataset_from_directory`; returns the parsed ``image_size``."""
    check_choice("label_mode", label_mode, LABEL_MODES)
    if validation_split is not None:
        check_float("validation_split", validation_split, low=0, low_open=True)
        if validation_split >= 1:
            raise argument_error("validation_split", validation_split, "a number in (0, 1)")
    check_choice("subset", subset, (None, "training", "validation", "both"))
    if bool(validation_split) != (subset is not None):
        raise argument_error(
            "subset", subset, f"set together with validation_split (both or neither; validation_split={validation_split!r})"
        )
    if isinstance(labels, str) and labels != "inferred":
        raise argument_error("labels", labels, '"inferred", None or a list of ints')
    return parse_size(image_size, name="image_size")


def _index(directory, labels, label_mode, class_names, formats, follow_links):
    """:func:`index_directory` plus the checks a classifier dataset needs (files found, >= 2 classes)."""
    paths, labs, names = index_directory(directory, labels, formats, class_names, follow_links)
    shown = os.fspath(directory)
    if not paths:
        where = " inside class subfolders" if labels == "inferred" else ""
        raise argument_error("directory", shown, f"a folder with video files{where} (looked for {' '.join(formats)})")
    if labels == "inferred":
        if len(names) < 2 and label_mode is not None and class_names is None:
            raise argument_error(
                "directory", shown,
                f"a folder with at least 2 class subfolders (found {len(names)}: {names}): put each class's clips "
                "in its own subfolder, <directory>/<class>/clip.mp4, or pass labels=None",
            )
        empty = [n for k, n in enumerate(names) if not np.any(labs == k)]
        if empty:
            warnings.warn(f"Class folder(s) {empty} in '{directory}' contain no video files.", stacklevel=3)
    return paths, labs, names
