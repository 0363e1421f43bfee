"""``VideoClassifier``: build, train, evaluate, predict, save, load and fine-tune in a few lines.

Example:
    >>> import kvideo
    >>> clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))   # doctest: +SKIP
    >>> clf.fit("clips/train", epochs=10)                                              # doctest: +SKIP
    >>> print(clf.evaluate("clips/test"))                                              # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np

from kvideo.utils.jsonable import to_jsonable as _jsonable

from kvideo.utils.files import atomic_path

_META_NAME = "kvideo.json"
_FORMAT = "kvideo.VideoClassifier/1"
_VIDEO_EXTS = (".mp4", ".avi", ".webm", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".gif")


def _keras():
    import keras

    import kvideo.models  # noqa: F401  (registers the custom layers for loading)

    return keras


def _size2(image_size):
    if isinstance(image_size, (int, np.integer)):
        return (int(image_size), int(image_size))
    try:
        h, w = (int(v) for v in image_size)
    except Exception:
        raise ValueError(f"image_size must be an int or (height, width). Received: image_size={image_size!r}") from None
    return (h, w)


class _BestWeights:
    """Callback factory: early stopping that ALWAYS restores the best epoch's weights at the end."""

    @staticmethod
    def make(monitor, patience, stop):
        keras = _keras()

        class BestWeights(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.best = math.inf
                self.best_epoch = None
                self.best_weights = None
                self.wait = 0
                self.stopped_epoch = None

            def on_epoch_end(self, epoch, logs=None):
                value = (logs or {}).get(monitor)
                if value is None:
                    return
                score = -value if "acc" in monitor else value
                if score < self.best:
                    self.best, self.best_epoch, self.wait = score, epoch, 0
                    self.best_weights = self.model.get_weights()
                else:
                    self.wait += 1
                    if stop and self.wait >= patience:
                        self.stopped_epoch = epoch
                        self.model.stop_training = True

            def on_train_end(self, logs=None):
                if self.best_weights is not None:
                    self.model.set_weights(self.best_weights)

        return BestWeights()


class VideoClassifier:
    """A video classifier: a kvideo architecture + its labels + its preprocessing.

    Args:
        arch: one of ``kvideo.models.available()`` ("convlstm" by default).
        class_names: label names (inferred from the training folder when None).
        num_classes: number of classes when ``class_names`` is not given (names become "0", "1", ...).
        num_frames: frames per clip the model sees (uniformly sampled from each video).
        image_size: (height, width) the frames are resized to.
        backbone: frame encoder, "small_cnn" or a keras.applications name (see ``kvideo.models.BACKBONES``).
        **arch_options: passed to the architecture builder (e.g. ``units=64``, ``weights="imagenet"``).

    Example:
        >>> import kvideo
        >>> clf = kvideo.VideoClassifier("c3d", class_names=["left", "right"], num_frames=8, image_size=(32, 32))
        >>> clf.model.output_shape
        (None, 2)
    """

    def __init__(self, arch="convlstm", class_names=None, num_classes=None, num_frames=16, image_size=(112, 112),
                 backbone="small_cnn", **arch_options):
        from kvideo.models.encoders import check_backbone
        from kvideo.models.registry import arch_options as _opts

        self.arch = arch
        known = _opts(arch)  # validates arch
        unknown = sorted(set(arch_options) - set(known))
        if unknown:
            raise ValueError(
                f"Unknown option(s) {unknown} for architecture {arch!r}: valid options are {sorted(known)}. "
                f"Received: {', '.join(f'{k}={arch_options[k]!r}' for k in unknown)}"
            )
        if not isinstance(num_frames, (int, np.integer)) or num_frames < 2:
            raise ValueError(f"num_frames must be an int >= 2. Received: num_frames={num_frames!r}")
        self.num_frames = int(num_frames)
        self.image_size = _size2(image_size)
        self.backbone = check_backbone(backbone)
        self.arch_options = dict(arch_options)
        self.history = {}
        self.train_info = {}
        self.last_evaluation = None
        self.model = None
        if class_names is not None:
            class_names = [str(c) for c in class_names]
            if len(set(class_names)) != len(class_names) or not class_names:
                raise ValueError(f"class_names must be unique and non-empty. Received: class_names={class_names!r}")
            if num_classes is not None and int(num_classes) != len(class_names):
                raise ValueError(
                    f"num_classes ({num_classes}) does not match len(class_names) ({len(class_names)}). "
                    f"Received: num_classes={num_classes!r}"
                )
        elif num_classes is not None:
            class_names = [str(i) for i in range(int(num_classes))]
        self.class_names = class_names
        if class_names is not None:
            self._build(len(class_names))

    # ------------------------------------------------------------------ building
    def _build(self, num_classes):
        from kvideo.models import build

        self.model = build(self.arch, num_classes, num_frames=self.num_frames, image_size=self.image_size,
                           backbone=self.backbone, **self.arch_options)
        return self.model

    @property
    def preprocessing(self):
        """How raw videos become model inputs (saved in the .keras file)."""
        return {"num_frames": self.num_frames, "image_size": list(self.image_size), "sampling": "uniform",
                "color": "RGB", "input_range": [0, 255], "resize": "cv2.INTER_AREA, aspect ratio not kept"}

    def summary(self, print_fn=None):
        """Print a one-line description then the Keras model summary."""
        out = print_fn or print
        out(f"VideoClassifier(arch={self.arch!r}, backbone={self.backbone!r}, num_frames={self.num_frames}, "
            f"image_size={self.image_size}, classes={self.class_names})")
        if self.model is not None:
            self.model.summary(print_fn=print_fn)

    def __repr__(self):
        return (f"VideoClassifier(arch={self.arch!r}, class_names={self.class_names!r}, num_frames={self.num_frames}, "
                f"image_size={self.image_size}, backbone={self.backbone!r})")

    # ------------------------------------------------------------------ data
    def _dataset(self, directory, *, shuffle, batch_size, class_names=None, validation_split=None, subset=None,
                 seed=1337, augment=None):
        from kvideo.data import video_dataset_from_directory

        _check_dir(directory)
        return video_dataset_from_directory(
            directory, class_names=class_names, num_frames=self.num_frames, image_size=self.image_size,
            batch_size=int(batch_size), shuffle=shuffle, seed=seed, validation_split=validation_split, subset=subset,
            augment=augment,
        )

    def _check_ds(self, ds, what="data"):
        nf = getattr(ds, "num_frames", None)
        size = getattr(ds, "image_size", None)
        if nf is not None and int(nf) != self.num_frames:
            raise ValueError(f"The {what} dataset gives {nf} frames per clip but the model expects {self.num_frames}: "
                             f"build it with num_frames={self.num_frames}. Received: num_frames={nf}")
        if size is not None and _size2(size) != self.image_size:
            raise ValueError(f"The {what} dataset gives frames of {tuple(size)} but the model expects "
                             f"{self.image_size}: build it with image_size={self.image_size}. Received: image_size={tuple(size)}")

    def _train_sets(self, data, validation_data, batch_size, validation_split, augment, seed, class_names=None):
        """-> (train, val, class_names); train/val are VideoDatasets (or (x, y) array tuples)."""
        if isinstance(data, (str, os.PathLike)):
            if validation_data is None and validation_split:
                train, val = self._dataset(data, shuffle=True, batch_size=batch_size, class_names=class_names,
                                           validation_split=float(validation_split), subset="both", seed=seed,
                                           augment=augment)
            else:
                train = self._dataset(data, shuffle=True, batch_size=batch_size, class_names=class_names, seed=seed,
                                      augment=augment)
                val = None
            names = list(train.class_names)
        elif isinstance(data, tuple) and len(data) == 2:
            x, y = data
            x = self._prepare(np.asarray(x))
            train, val, names = (x, np.asarray(y).astype("int32")), None, class_names or self.class_names
            if names is None:
                raise ValueError("Training on arrays needs class_names: pass VideoClassifier(class_names=[...]). "
                                 "Received: class_names=None")
        else:
            if not hasattr(data, "class_names"):
                raise TypeError("data must be a folder path (data/<label>/*.mp4), a VideoDataset from "
                                f"kvideo.video_dataset_from_directory or an (x, y) tuple. Received: data={data!r}")
            self._check_ds(data, "training")
            train, val, names = data, None, list(data.class_names)
        if validation_data is not None:
            if isinstance(validation_data, (str, os.PathLike)):
                val = self._dataset(validation_data, shuffle=False, batch_size=batch_size, class_names=names)
            elif isinstance(validation_data, tuple):
                val = (self._prepare(np.asarray(validation_data[0])), np.asarray(validation_data[1]).astype("int32"))
            else:
                self._check_ds(validation_data, "validation")
                vnames = list(getattr(validation_data, "class_names", names))
                if vnames != names:
                    raise ValueError(f"Validation classes {vnames} differ from training classes {names}. "
                                     f"Received: validation_data={validation_data!r}")
                val = validation_data
        return train, val, [str(c) for c in names]

    # ------------------------------------------------------------------ training
    def _compile(self, learning_rate):
        keras = _keras()
        self.model.compile(optimizer=keras.optimizers.Adam(float(learning_rate)),
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def _run_fit(self, train, val, epochs, batch_size, early_stopping, patience, class_weight, callbacks, verbose,
                 initial_epoch=0):
        monitor = "val_loss" if val is not None else "loss"
        best = _BestWeights.make(monitor, int(patience), bool(early_stopping))
        cbs = [best] + list(callbacks or [])
        cw = self._class_weight(train, class_weight)
        kwargs = dict(epochs=int(epochs), callbacks=cbs, verbose=verbose, class_weight=cw,
                      initial_epoch=int(initial_epoch))
        if isinstance(train, tuple):
            h = self.model.fit(train[0], train[1], batch_size=int(batch_size), shuffle=True, validation_data=val,
                               **kwargs)
        else:
            h = self.model.fit(train, validation_data=val, **kwargs)
        hist = {k: [float(v) for v in vs] for k, vs in h.history.items()}
        for k, vs in hist.items():
            self.history.setdefault(k, []).extend(vs)
        info = {"monitor": monitor, "best_epoch": None if best.best_epoch is None else int(best.best_epoch) + 1,
                "epochs_run": len(next(iter(hist.values()), [])), "stopped_early": best.stopped_epoch is not None,
                "class_weight": None if cw is None else {int(k): float(v) for k, v in cw.items()}}
        return hist, info

    @staticmethod
    def _class_weight(train, class_weight):
        if class_weight is None or class_weight is False:
            return None
        if isinstance(class_weight, dict):
            return {int(k): float(v) for k, v in class_weight.items()}
        if class_weight not in ("auto", "balanced"):
            raise ValueError(f"class_weight must be 'auto', 'balanced', None or a dict. Received: class_weight={class_weight!r}")
        labels = train[1] if isinstance(train, tuple) else getattr(train, "labels", None)
        if labels is None:
            return None
        labels = np.asarray(labels).astype(int)
        if labels.ndim > 1:
            labels = labels.argmax(-1)
        counts = np.bincount(labels)
        present = counts[counts > 0]
        if class_weight == "auto" and present.max() <= 1.5 * present.min():
            return None  # balanced enough
        n, k = counts.sum(), len(present)
        return {i: float(n / (k * c)) for i, c in enumerate(counts) if c > 0}

    def fit(self, data, validation_data=None, epochs=10, batch_size=8, learning_rate=1e-3, validation_split=0.2,
            early_stopping=True, patience=5, class_weight="auto", augment=None, callbacks=None, verbose="auto",
            seed=1337):
        """Train on ``data`` and return this run's history ``{"loss": [...], "accuracy": [...], "val_loss": ...}``.

        Args:
            data: a folder ``data/<label>/*.mp4`` (labels inferred), a ``VideoDataset`` from
                ``kvideo.video_dataset_from_directory`` or an ``(x, y)`` tuple of arrays.
            validation_data: a folder or dataset; when None, ``validation_split`` of a folder is held out
                (stratified, reproducible with ``seed``).
            epochs, batch_size, learning_rate: Adam training settings.
            early_stopping, patience: stop when the validation loss has not improved for ``patience``
                epochs; the best epoch's weights are always restored at the end.
            class_weight: "auto" (balanced weights when class counts differ by > 1.5x), "balanced",
                None or a {class index: weight} dict.
            augment: passed to the dataset (``True`` = random crop + brightness; horizontal flips only
                when asked, since a flip turns "left" into "right").
            callbacks, verbose: as in ``keras.Model.fit`` (progress bar by default).

        Example:
            >>> clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))   # doctest: +SKIP
            >>> history = clf.fit("clips/train", epochs=10)                                    # doctest: +SKIP
        """
        _check_int("epochs", epochs, 1)
        _check_int("batch_size", batch_size, 1)
        known = self.class_names if self.model is not None else None
        if known is not None and isinstance(data, (str, os.PathLike)):
            found = _class_folders(data)
            if set(found) != set(known):
                raise ValueError(f"The data's classes {found} differ from this classifier's {known}: use "
                                 f"fine_tune() to train on new labels. Received: data={os.fspath(data)!r}")
        train, val, names = self._train_sets(data, validation_data, batch_size, validation_split, augment, seed,
                                             class_names=known)
        if self.model is None:
            self.class_names = names
            self._build(len(names))
        elif names != self.class_names:
            raise ValueError(f"The data's classes {names} differ from this classifier's {self.class_names}: use "
                             f"fine_tune() to train on new labels. Received: class_names={names}")
        self._compile(learning_rate)
        hist, info = self._run_fit(train, val, epochs, batch_size, early_stopping, patience, class_weight, callbacks,
                                   verbose)
        info.update(_data_info(train, val))
        info.update({"learning_rate": float(learning_rate), "batch_size": int(batch_size), "epochs": int(epochs)})
        self.train_info = info
        return hist

    def fine_tune(self, data, epochs=5, freeze_backbone=True, unfreeze_after=None, learning_rate=1e-3,
                  fine_tune_learning_rate=1e-4, batch_size=8, validation_data=None, validation_split=0.2,
                  early_stopping=True, patience=5, class_weight="auto", augment=None, callbacks=None, verbose="auto",
                  seed=1337):
        """Adapt a trained classifier to ``data``, which may have NEW labels.

        With new labels the softmax layer is replaced; with ``freeze_backbone`` the frame encoder
        (layers named ``encoder*``) is frozen and the temporal layers + head train at ``learning_rate``.
        ``unfreeze_after=N`` unfreezes everything after N epochs and trains the remaining
        ``epochs - N`` epochs at the lower ``fine_tune_learning_rate``. Returns the history dict.

        Example:
            >>> clf = kvideo.VideoClassifier.load("motion.keras")                  # doctest: +SKIP
            >>> clf.fine_tune("my_gestures/", epochs=5, unfreeze_after=3)          # doctest: +SKIP
        """
        keras = _keras()
        if self.model is None:
            raise ValueError("fine_tune needs a trained classifier: call fit() first or VideoClassifier.load(path). "
                             "Received: model=None")
        _check_int("epochs", epochs, 1)
        if unfreeze_after is not None:
            _check_int("unfreeze_after", unfreeze_after, 0)
        train, val, names = self._train_sets(data, validation_data, batch_size, validation_split, augment, seed)
        old = list(self.class_names)
        if names != old:
            pred = self.model.get_layer("predictions")
            new = keras.layers.Dense(len(names), activation="softmax", name="predictions")(pred.input)
            self.model = keras.Model(self.model.inputs, new, name=self.model.name)
            self.class_names = names
        frozen = self._set_frozen(bool(freeze_backbone))
        phase1 = int(epochs) if unfreeze_after is None else min(int(epochs), int(unfreeze_after))
        hist = {}
        if phase1 > 0:
            self._compile(learning_rate)
            hist, info = self._run_fit(train, val, phase1, batch_size, early_stopping, patience, class_weight,
                                       callbacks, verbose)
        else:
            info = {}
        if phase1 < int(epochs):
            self._set_frozen(False)
            self._compile(fine_tune_learning_rate)
            h2, info = self._run_fit(train, val, int(epochs), batch_size, early_stopping, patience, class_weight,
                                     callbacks, verbose, initial_epoch=phase1)
            for k, v in h2.items():
                hist.setdefault(k, []).extend(v)
        self._set_frozen(False)
        info.update(_data_info(train, val))
        info.update({"fine_tuned_from": old, "frozen_layers": frozen, "unfreeze_after": unfreeze_after,
                     "learning_rate": float(learning_rate), "fine_tune_learning_rate": float(fine_tune_learning_rate),
                     "epochs": int(epochs)})
        self.train_info = info
        return hist

    def _set_frozen(self, freeze):
        names = []
        for layer in self.model.layers:
            if layer.name.startswith("encoder"):
                layer.trainable = not freeze
                if freeze and layer.weights:
                    names.append(layer.name)
        return names

    # ------------------------------------------------------------------ inference
    def _prepare(self, x):
        """Array (T, H, W, 3) or (B, T, H, W, 3), uint8 or float 0..255 -> float32 (B, T, h, w, 3) model input."""
        x = np.asarray(x)
        if x.ndim == 4:
            x = x[None]
        if x.ndim != 5 or x.shape[-1] not in (1, 3):
            raise ValueError("A clip array must be (frames, height, width, 3) or (batch, frames, height, width, 3) "
                             f"RGB. Received: shape={tuple(x.shape)}")
        if x.shape[-1] == 1:
            x = np.repeat(x, 3, axis=-1)
        if x.shape[1] < 1:
            raise ValueError(f"A clip needs at least one frame. Received: shape={tuple(x.shape)}")
        if x.shape[1] != self.num_frames:
            idx = np.clip(((np.arange(self.num_frames) + 0.5) * x.shape[1] / self.num_frames).astype(int), 0,
                          x.shape[1] - 1)
            x = x[:, idx]
        if tuple(x.shape[2:4]) != self.image_size:
            import cv2

            h, w = self.image_size
            x = np.stack([[cv2.resize(np.ascontiguousarray(f), (w, h), interpolation=cv2.INTER_AREA) for f in clip]
                          for clip in x])
        if np.issubdtype(x.dtype, np.floating) and x.size and float(np.nanmax(x)) <= 1.0 and float(np.nanmax(x)) > 0:
            warnings.warn("The clip looks scaled to 0..1; kvideo models expect 0..255: multiplying by 255.",
                          stacklevel=3)
            x = x * 255.0
        return x.astype("float32")

    def _read(self, path, **kw):
        from kvideo.io import read_clip

        return read_clip(path, num_frames=self.num_frames, size=self.image_size, sampling="uniform", **kw)

    def _require_model(self):
        if self.model is None:
            raise ValueError("This classifier has no trained model yet: call fit() first or VideoClassifier.load(path). "
                             "Received: model=None")

    def predict_proba(self, video_or_array, batch_size=8):
        """Class probabilities (B, num_classes) for a video path, a list of paths or a clip array."""
        self._require_model()
        if isinstance(video_or_array, (str, os.PathLike)):
            x = self._prepare(self._read(video_or_array))
        elif isinstance(video_or_array, (list, tuple)) and video_or_array and isinstance(video_or_array[0], (str, os.PathLike)):
            x = self._prepare(np.stack([self._read(p) for p in video_or_array]))
        else:
            x = self._prepare(video_or_array)
        return np.asarray(self.model.predict(x, batch_size=int(batch_size), verbose=0))

    def _top(self, probs, top_k):
        k = max(1, min(int(top_k), len(self.class_names)))
        order = np.argsort(-probs)[:k]
        return [{"label": self.class_names[i], "score": float(probs[i])} for i in order]

    def predict(self, video_or_array, top_k=3):
        """Top-k labels of one video: ``[{"label": ..., "score": ...}, ...]`` best first.

        ``video_or_array`` is a video path, a clip array (T, H, W, 3) (uint8 or float 0..255; resampled
        and resized to the model's input), or a batch (B, T, H, W, 3) / list of paths, which gives
        one list per clip.

        Example:
            >>> clf.predict("clip.mp4", top_k=2)                                   # doctest: +SKIP
            [{'label': 'left', 'score': 0.97}, {'label': 'right', 'score': 0.02}]
        """
        _check_int("top_k", top_k, 1)
        probs = self.predict_proba(video_or_array)
        single = isinstance(video_or_array, (str, os.PathLike)) or np.ndim(video_or_array) == 4
        out = [self._top(p, top_k) for p in probs]
        return out[0] if single else out

    def default_window_frames(self):
        """Source frames per timeline window: the median length of the training videos (else 2 x num_frames)."""
        w = self.train_info.get("median_video_frames") if self.train_info else None
        return int(w) if w else 2 * self.num_frames

    def predict_timeline(self, video, window_frames=None, stride=None, top_k=1, batch_size=8):
        """Classify a long video window by window: ``[{"start", "end", "label", "score"}, ...]`` (seconds).

        Windows of ``window_frames`` consecutive source frames (default: the median length of the
        training videos) every ``stride`` frames (default: half a window) are read with
        ``kvideo.io.iter_clips`` in bounded memory and subsampled to ``num_frames``.

        Example:
            >>> for seg in clf.predict_timeline("long.mp4"):                         # doctest: +SKIP
            ...     print(f"{seg['start']:.1f}-{seg['end']:.1f}s {seg['label']} {seg['score']:.2f}")
        """
        from kvideo.io import iter_clips

        self._require_model()
        window_frames = self.default_window_frames() if window_frames is None else window_frames
        _check_int("window_frames", window_frames, 1)
        stride = max(1, int(window_frames) // 2) if stride is None else stride
        _check_int("stride", stride, 1)
        out, batch, spans = [], [], []

        def flush():
            if not batch:
                return
            probs = self.model.predict(self._prepare(np.stack(batch)), verbose=0)
            for (s, e), p in zip(spans, probs):
                top = self._top(p, top_k)
                item = {"start": round(float(s), 3), "end": round(float(e), 3), "label": top[0]["label"],
                        "score": top[0]["score"]}
                if top_k > 1:
                    item["top"] = top
                out.append(item)
            batch.clear()
            spans.clear()

        for w in iter_clips(video, clip_frames=int(window_frames), stride=int(stride), size=self.image_size,
                            num_frames=self.num_frames):
            batch.append(w.frames)
            spans.append((w.start, w.end))
            if len(batch) >= batch_size:
                flush()
        flush()
        return out

    # ------------------------------------------------------------------ evaluation
    def _eval_items(self, data):
        """-> (list of (path, label_index) or None, arrays or None)."""
        if isinstance(data, (str, os.PathLike)):
            ds = self._dataset(data, shuffle=False, batch_size=8)
            return self._map_ds(ds), None
        if isinstance(data, tuple) and len(data) == 2:
            return None, (self._prepare(np.asarray(data[0])), np.asarray(data[1]).astype(int))
        if hasattr(data, "file_paths") and hasattr(data, "labels"):
            self._check_ds(data, "evaluation")
            return self._map_ds(data), None
        raise TypeError("data must be a folder path, a VideoDataset or an (x, y) tuple. "
                        f"Received: data={data!r}")

    def _map_ds(self, ds):
        names = [str(c) for c in ds.class_names]
        unknown = [c for c in names if c not in self.class_names]
        if unknown:
            raise ValueError(f"The evaluation data has labels {unknown} this model does not know (it knows "
                             f"{self.class_names}): use fine_tune() to learn new labels. Received: labels={names}")
        labels = np.asarray(ds.labels).astype(int)
        if labels.ndim > 1:
            labels = labels.argmax(-1)
        idx = [self.class_names.index(names[i]) for i in labels]
        return list(zip([str(p) for p in ds.file_paths], idx))

    def evaluate(self, data, clips_per_video=1, top_k=3, batch_size=8, verbose="auto"):
        """Score labelled videos; returns a dict of scikit-learn metrics.

        Keys: ``accuracy``, ``top_k_accuracy`` (with ``top_k``), ``macro_f1``, ``per_class``
        ({label: {precision, recall, f1, support}}), ``confusion_matrix`` (rows = true, columns =
        predicted, in ``class_names`` order), ``class_names``, ``num_clips``, ``num_videos``. With
        ``clips_per_video > 1`` each video is cut into that many equal segments, each scored as a
        clip (the metrics above are clip-level) and ``video_level`` holds the same metrics for the
        per-video mean of the clip probabilities.

        Example:
            >>> result = clf.evaluate("clips/test")                    # doctest: +SKIP
            >>> result["accuracy"], result["per_class"]["left"]["f1"]  # doctest: +SKIP
        """
        self._require_model()
        _check_int("clips_per_video", clips_per_video, 1)
        _check_int("top_k", top_k, 1)
        items, arrays = self._eval_items(data)
        show = _show_progress(verbose)
        video_ids = None
        if arrays is not None:
            x, y = arrays
            probs = np.asarray(self.model.predict(x, batch_size=int(batch_size), verbose=0))
            paths = None
        else:
            if not items:
                raise ValueError(f"No videos found to evaluate. Received: data={data!r}")
            probs, y, video_ids = self._score_files(items, int(clips_per_video), int(batch_size), show)
            paths = [p for p, _ in items]
        result = _metrics(y, probs, self.class_names, top_k)
        result["num_clips"] = int(len(y))
        result["num_videos"] = int(len(paths)) if paths is not None else int(len(y))
        result["clips_per_video"] = int(clips_per_video)
        if video_ids is not None and clips_per_video > 1:
            n = len(paths)
            vp = np.zeros((n, probs.shape[1]))
            np.add.at(vp, video_ids, probs)
            vy = np.array([lbl for _, lbl in items])
            result["video_level"] = _metrics(vy, vp / np.bincount(video_ids, minlength=n)[:, None], self.class_names,
                                             top_k)
        self.last_evaluation = result
        return result

    def _score_files(self, items, k, batch_size, show):
        from kvideo.io import video_info

        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc="evaluate", unit="video", file=sys.stderr)
        probs, ys, vids, batch = [], [], [], []

        def flush():
            if batch:
                probs.extend(np.asarray(self.model.predict(self._prepare(np.stack(batch)), verbose=0)))
                batch.clear()

        for v, (path, label) in enumerate(items):
            if k == 1:
                clips = [self._read(path)]
            else:
                dur = float(video_info(path).get("duration") or 0.0)
                if dur <= 0:
                    clips = [self._read(path)] * k
                else:
                    edges = np.linspace(0.0, dur, k + 1)
                    clips = [self._read(path, start=float(a), end=float(b)) for a, b in zip(edges[:-1], edges[1:])]
            for c in clips:
                batch.append(c)
                ys.append(label)
                vids.append(v)
                if len(batch) >= batch_size:
                    flush()
            if bar is not None:
                bar.update(1)
        flush()
        if bar is not None:
            bar.close()
        return np.stack(probs), np.array(ys), np.array(vids)

    # ------------------------------------------------------------------ plots
    def plot_history(self, path):
        """Write training curves (loss and accuracy, train and validation) to a PNG; returns the path.

        Example:
            >>> clf.plot_history("history.png")        # doctest: +SKIP
        """
        if not self.history:
            raise ValueError("No training history to plot: call fit() first. Received: history={}")
        plt = _pyplot()
        from matplotlib.ticker import MaxNLocator

        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, key in zip(axes, ("loss", "accuracy")):
            for name, style in ((key, "-"), (f"val_{key}", "--")):
                if name in self.history:
                    ys = self.history[name]
                    ax.plot(range(1, len(ys) + 1), ys, style, label=name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(key)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(f"{self.arch}: training history")
        fig.tight_layout()
        return _save_fig(fig, path)

    def plot_confusion_matrix(self, path, result=None, normalize=False):
        """Write the confusion matrix of ``result`` (default: the last ``evaluate``) to a PNG.

        Example:
            >>> clf.plot_confusion_matrix("confusion.png", clf.evaluate("clips/test"))   # doctest: +SKIP
        """
        result = result or self.last_evaluation
        if not result or "confusion_matrix" not in result:
            raise ValueError("No evaluation to plot: call evaluate() first or pass result=. Received: result=None")
        plt = _pyplot()
        cm = np.asarray(result["confusion_matrix"], dtype=float)
        names = list(result["class_names"])
        if normalize:
            cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
        n = len(names)
        fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n + 2, 1.0 + 0.6 * n + 1.5))
        im = ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(n), names, rotation=45, ha="right")
        ax.set_yticks(range(n), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        top = cm.max() if cm.size else 1
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}", ha="center", va="center",
                        color="white" if cm[i, j] > top / 2 else "black")
        fig.colorbar(im, ax=ax)
        ax.set_title(f"accuracy {result.get('accuracy', float('nan')):.3f}")
        fig.tight_layout()
        return _save_fig(fig, path)

    # ------------------------------------------------------------------ persistence
    def _metadata(self):
        from kvideo.version import __version__

        return {"format": _FORMAT, "kvideo_version": __version__, "arch": self.arch, "backbone": self.backbone,
                "class_names": list(self.class_names or []), "num_frames": self.num_frames,
                "image_size": list(self.image_size), "arch_options": _jsonable(self.arch_options),
                "preprocessing": self.preprocessing, "history": self.history, "train_info": _jsonable(self.train_info)}

    def save(self, path):
        """Save to a single ``.keras`` file (weights, architecture, labels, preprocessing, history); atomic.

        The file is a standard Keras archive (``keras.saving.load_model`` opens it too) plus a
        ``kvideo.json`` entry; nothing is pickled.

        Example:
            >>> clf.save("motion.keras")                           # doctest: +SKIP
            >>> clf = kvideo.VideoClassifier.load("motion.keras")  # doctest: +SKIP
        """
        self._require_model()
        path = Path(os.fspath(path)).expanduser()
        if path.suffix != ".keras":
            raise ValueError(f"The model file must end in .keras. Received: path={str(path)!r}")
        meta = json.dumps(self._metadata(), indent=1)
        with atomic_path(path) as tmp:
            self.model.save(str(tmp))
            with zipfile.ZipFile(tmp, "a") as zf:
                zf.writestr(_META_NAME, meta)
        return path

    @classmethod
    def load(cls, path):
        """Load a classifier saved with ``save`` (``safe_mode=True``: no code is executed).

        Example:
            >>> clf = kvideo.VideoClassifier.load("motion.keras")  # doctest: +SKIP
            >>> clf.predict("clip.mp4")                            # doctest: +SKIP
        """
        keras = _keras()
        path = Path(os.fspath(path)).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"Model file not found: train one with `kvideo train` or check the path. "
                                    f"Received: path={str(path)!r}")
        try:
            with zipfile.ZipFile(path) as zf:
                if _META_NAME not in zf.namelist():
                    raise ValueError(f"{str(path)!r} is a Keras file but not a kvideo VideoClassifier (no "
                                     f"{_META_NAME} inside): save it with VideoClassifier.save. Received: path={str(path)!r}")
                meta = json.loads(zf.read(_META_NAME).decode("utf-8"))
        except zipfile.BadZipFile:
            raise ValueError(f"{str(path)!r} is not a .keras model file (not a zip archive). "
                             f"Received: path={str(path)!r}") from None
        model = keras.saving.load_model(str(path), safe_mode=True, compile=False)
        self = cls.__new__(cls)
        self.arch = meta["arch"]
        self.backbone = meta.get("backbone", "small_cnn")
        self.num_frames = int(meta["num_frames"])
        self.image_size = _size2(meta["image_size"])
        self.arch_options = dict(meta.get("arch_options") or {})
        self.class_names = [str(c) for c in meta["class_names"]]
        self.history = meta.get("history") or {}
        self.train_info = meta.get("train_info") or {}
        self.last_evaluation = None
        self.model = model
        return self


# ---------------------------------------------------------------------- helpers
def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}. Received: {name}={value!r}")


def _check_dir(directory):
    p = Path(os.fspath(directory)).expanduser()
    if not p.is_dir():
        raise FileNotFoundError(f"Data folder not found: pass a folder laid out as <folder>/<label>/<video files>. "
                                f"Received: directory={str(directory)!r}")


def _class_folders(directory):
    _check_dir(directory)
    p = Path(os.fspath(directory)).expanduser()
    return sorted(d.name for d in p.iterdir() if d.is_dir() and not d.name.startswith("."))


def _show_progress(verbose):
    if verbose == "auto":
        return sys.stderr.isatty()
    return bool(verbose)


def _data_info(train, val):
    info = {}
    for name, ds in (("train", train), ("val", val)):
        if ds is None:
            continue
        n = len(ds[1]) if isinstance(ds, tuple) else len(getattr(ds, "file_paths", []) or [])
        info[f"num_{name}_videos"] = int(n)
    paths = list(getattr(train, "file_paths", []) or [])
    if paths:
        try:
            from kvideo.io import video_info

            step = max(1, len(paths) // 16)
            frames = [video_info(p)["frames"] for p in paths[::step][:16]]
            frames = [f for f in frames if f]
            if frames:
                info["median_video_frames"] = int(np.median(frames))
        except Exception:  # noqa: BLE001 - only a default for predict_timeline
            pass
    return info


def _metrics(y, probs, class_names, top_k):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    n = len(class_names)
    y = np.asarray(y).astype(int)
    pred = probs.argmax(1)
    labels = list(range(n))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    k = max(1, min(int(top_k), n))
    topk = np.argsort(-probs, axis=1)[:, :k]
    present = sorted(set(y.tolist()))
    return {
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "top_k_accuracy": float(np.mean([yi in row for yi, row in zip(y, topk)])) if len(y) else float("nan"),
        "top_k": k,
        # macro F1 over the classes present in the data (absent classes would count as 0)
        "macro_f1": float(np.mean([f[i] for i in present])) if present else float("nan"),
        "per_class": {class_names[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                       "support": int(s[i])} for i in labels},
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "class_names": list(class_names),
    }


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg",):
        try:
            matplotlib.use("Agg")
        except Exception:  # noqa: BLE001
            pass
    import matplotlib.pyplot as plt

    return plt


def _save_fig(fig, path):
    import matplotlib.pyplot as plt

    path = Path(os.fspath(path)).expanduser()
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    finally:
        plt.close(fig)
    return path
