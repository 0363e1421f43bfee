"""Input routing of the tasks: a folder, a ``VideoDataset`` or ``(x, y)`` arrays, for training,
validation and evaluation data alike.

Folders become ``kvideo.data`` datasets read at the preprocessor's ``num_frames`` and ``image_size``;
datasets are checked against them; arrays are brought to that shape by the preprocessor.

Example:
    >>> import numpy as np
    >>> from kvideo.tasks.preprocessor import VideoPreprocessor
    >>> pre = VideoPreprocessor(num_frames=4, image_size=(16, 16))
    >>> x, y = np.zeros((3, 8, 16, 16, 3), np.uint8), [0, 1, 1]
    >>> train, val, names = training_sets((x, y), None, pre, class_names=["a", "b"])
    >>> train[0].shape, train[1].tolist(), val, names
    ((3, 4, 16, 16, 3), [0, 1, 1], None, ['a', 'b'])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kvideo.utils.validation import argument_type_error, parse_size, received

DATA_KINDS = "a folder path (data/<label>/*.mp4), a VideoDataset from kvideo.video_dataset_from_directory or an (x, y) tuple"


def is_path(data) -> bool:
    return isinstance(data, (str, os.PathLike))


def is_arrays(data) -> bool:
    return isinstance(data, tuple) and len(data) == 2 and not is_path(data[0])


def check_folder(directory) -> Path:
    """``directory`` as a ``Path`` when it is a folder, else a one-line ``FileNotFoundError``."""
    p = Path(os.fspath(directory)).expanduser()
    if not p.is_dir():
        raise FileNotFoundError(f"Data folder not found: pass a folder laid out as <folder>/<label>/<video files>. "
                                f"{received('directory', str(directory))}")
    return p


def class_folders(directory) -> list:
    """The class sub-folder names of ``directory`` (sorted; hidden ones skipped)."""
    p = check_folder(directory)
    return sorted(d.name for d in p.iterdir() if d.is_dir() and not d.name.startswith("."))


def folder_dataset(directory, preprocessor, *, shuffle, batch_size, class_names=None, validation_split=None,
                   subset=None, seed=1337, augment=None, sampling="uniform"):
    """``kvideo.data.video_dataset_from_directory`` at the preprocessor's shape (a pair with ``subset="both"``).

    ``sampling`` is how training clips are drawn (``"random"``: new frames every epoch); the validation
    subset is always read uniformly.
    """
    from kvideo.data import video_dataset_from_directory

    check_folder(directory)
    return video_dataset_from_directory(
        directory, class_names=class_names, num_frames=preprocessor.num_frames, image_size=preprocessor.image_size,
        batch_size=int(batch_size), shuffle=shuffle, seed=seed, validation_split=validation_split, subset=subset,
        augment=augment, sampling=sampling,
    )


def check_dataset(ds, preprocessor, what="data"):
    """Raise when a dataset's clips do not have the preprocessor's ``num_frames`` / ``image_size``."""
    nf = getattr(ds, "num_frames", None)
    size = getattr(ds, "image_size", None)
    if nf is not None and int(nf) != preprocessor.num_frames:
        raise ValueError(f"The {what} dataset gives {nf} frames per clip but the model expects "
                         f"{preprocessor.num_frames}: build it with num_frames={preprocessor.num_frames}. "
                         f"{received('num_frames', nf)}")
    if size is not None and parse_size(size, "image_size") != preprocessor.image_size:
        raise ValueError(f"The {what} dataset gives frames of {tuple(size)} but the model expects "
                         f"{preprocessor.image_size}: build it with image_size={preprocessor.image_size}. "
                         f"{received('image_size', tuple(size))}")


def _arrays(data, preprocessor):
    x, y = data
    return preprocessor.conform(np.asarray(x)), np.asarray(y).astype("int32")


def training_sets(data, validation_data, preprocessor, *, batch_size=8, validation_split=0.2, augment=None,
                  seed=1337, class_names=None, array_class_names=None):
    """``(train, val, class_names)``: datasets (or ``(clips, labels)`` arrays) for training.

    ``data``: a folder (``validation_split`` of it held out, stratified, when ``validation_data`` is
    None), a dataset or ``(x, y)`` arrays (which need ``class_names`` or ``array_class_names``).
    ``class_names`` also selects and orders a folder's classes. ``validation_data``: a folder, a dataset
    with the same classes, or arrays.
    """
    if is_path(data):
        if validation_data is None and validation_split:
            train, val = folder_dataset(data, preprocessor, shuffle=True, batch_size=batch_size,
                                        class_names=class_names, validation_split=float(validation_split),
                                        subset="both", seed=seed, augment=augment)
        else:
            train = folder_dataset(data, preprocessor, shuffle=True, batch_size=batch_size, class_names=class_names,
                                   seed=seed, augment=augment)
            val = None
        names = list(train.class_names)
    elif is_arrays(data):
        train, val, names = _arrays(data, preprocessor), None, class_names or array_class_names
        if names is None:
            raise ValueError("Training on arrays needs class_names: pass VideoClassifier(class_names=[...]). "
                             f"{received('class_names', None)}")
    elif hasattr(data, "class_names"):
        check_dataset(data, preprocessor, "training")
        train, val, names = data, None, list(data.class_names)
    else:
        raise argument_type_error("data", data, DATA_KINDS)
    names = [str(c) for c in names]
    if validation_data is not None:
        val = validation_set(validation_data, preprocessor, names, batch_size)
    return train, val, names


def validation_set(data, preprocessor, class_names, batch_size=8):
    """Validation data as a dataset (or arrays) with the training classes ``class_names``."""
    if is_path(data):
        return folder_dataset(data, preprocessor, shuffle=False, batch_size=batch_size, class_names=class_names)
    if is_arrays(data):
        return _arrays(data, preprocessor)
    check_dataset(data, preprocessor, "validation")
    vnames = [str(c) for c in getattr(data, "class_names", class_names)]
    if vnames != list(class_names):
        raise ValueError(f"Validation classes {vnames} differ from training classes {list(class_names)}. "
                         f"{received('validation_data', data)}")
    return data


def evaluation_set(data, preprocessor, class_names):
    """``(items, arrays)``: ``[(path, class index), ...]`` of labelled files, or ``(clips, labels)`` arrays.

    Labels of a folder or dataset are mapped to ``class_names`` (the model's order); a label the
    model does not know is an error.
    """
    if is_path(data):
        ds = folder_dataset(data, preprocessor, shuffle=False, batch_size=8)
        return labelled_files(ds, class_names), None
    if is_arrays(data):
        return None, _arrays(data, preprocessor)
    if hasattr(data, "file_paths") and hasattr(data, "labels"):
        check_dataset(data, preprocessor, "evaluation")
        return labelled_files(data, class_names), None
    raise argument_type_error("data", data, DATA_KINDS)


def labelled_files(ds, class_names) -> list:
    """``[(path, index in class_names), ...]`` of a dataset's files."""
    names = [str(c) for c in ds.class_names]
    unknown = [c for c in names if c not in class_names]
    if unknown:
        raise ValueError(f"The evaluation data has labels {unknown} this model does not know (it knows "
                         f"{list(class_names)}): use fine_tune() to learn new labels. {received('labels', names)}")
    labels = np.asarray(ds.labels).astype(int)
    if labels.ndim > 1:
        labels = labels.argmax(-1)
    idx = [list(class_names).index(names[i]) for i in labels]
    return list(zip([str(p) for p in ds.file_paths], idx))


def training_labels(train):
    """The class indices of a training set (dataset or arrays), or None when it has none."""
    return train[1] if isinstance(train, tuple) else getattr(train, "labels", None)


def data_info(train, val) -> dict:
    """``num_train_videos``, ``num_val_videos``, ``skipped_videos`` (unreadable files dropped, sorted) and
    ``median_video_frames`` (of up to 16 training files)."""
    from kvideo.errors import KVideoError

    info, skipped = {}, set()
    for name, ds in (("train", train), ("val", val)):
        if ds is None:
            continue
        n = len(ds[1]) if isinstance(ds, tuple) else len(getattr(ds, "file_paths", []) or [])
        info[f"num_{name}_videos"] = int(n)
        skipped.update(str(p) for p, _ in getattr(ds, "skipped", None) or [])
    info["skipped_videos"] = sorted(skipped)
    paths = [] if isinstance(train, tuple) else list(getattr(train, "file_paths", []) or [])
    if paths:
        from kvideo.io import video_info

        step = max(1, len(paths) // 16)
        frames = []
        for p in paths[::step][:16]:
            try:
                frames.append(video_info(p)["frames"])
            except (KVideoError, OSError):  # an unreadable file: it only shifts a default of predict_timeline
                continue
        frames = [f for f in frames if f]
        if frames:
            info["median_video_frames"] = int(np.median(frames))
    return info

