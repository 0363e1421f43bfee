"""``VideoClassifier``: build, train, evaluate, predict, save, load and fine-tune in a few lines.

The classifier is a kvideo architecture (``kvideo.models``) trained end to end on clips; everything
around the model (inputs, prediction, timeline, evaluation, plots, saving) is the shared
:class:`kvideo.tasks.base.Task`.

Example (needs a folder of clips, ``clips/<label>/*.mp4``):
    >>> import kvideo
    >>> clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))   # doctest: +SKIP
    >>> clf.fit("clips/train", epochs=10)                                              # doctest: +SKIP
    >>> print(clf.evaluate("clips/test"))                                              # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np

from kvideo.tasks import inputs
from kvideo.tasks.base import Task, check_class_names
from kvideo.tasks.preprocessor import VideoPreprocessor
from kvideo.tasks.saving import register_task
from kvideo.tasks.training import compile_classifier, run_fit
from kvideo.utils.validation import check_int, received


@register_task
class VideoClassifier(Task):
    """A video classifier: a kvideo architecture + its labels + its preprocessing.

    Args:
        arch: one of ``kvideo.models.available()``. The default, ``"pretrained"`` (and the other
            ``"pretrained_*"`` architectures), gives an :class:`~kvideo.tasks.embedding_classifier.EmbeddingClassifier`:
            a frozen ImageNet frame encoder with cached embeddings and a head that trains in seconds,
            the best choice for real footage with few clips per label. The others train end to end.
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
        >>> clf.get_config()["image_size"], clf.preprocessor.num_frames
        ([32, 32], 8)
    """

    def __new__(cls, arch=None, *args, **kwargs):
        # The pretrained-encoder architectures (the default) are an EmbeddingClassifier: same surface,
        # other training (cached embeddings + a head that fits in seconds).
        if cls is VideoClassifier and (arch is None or arch in _embedding_archs()):
            from kvideo.tasks.embedding_classifier import EmbeddingClassifier

            return super().__new__(EmbeddingClassifier)
        return super().__new__(cls)

    def __init__(self, arch="pretrained", class_names=None, num_classes=None, num_frames=16, image_size=(112, 112),
                 backbone="small_cnn", **arch_options):
        from kvideo.models import canonical_options
        from kvideo.models.encoders import check_backbone

        arch_options = canonical_options(arch, arch_options)  # validates arch and the option names (old ones mapped)
        num_frames = check_int("num_frames", num_frames, low=2)
        super().__init__(check_class_names(class_names, num_classes),
                         VideoPreprocessor(num_frames=num_frames, image_size=image_size))
        self.arch = arch
        self.backbone = check_backbone(backbone)
        self.arch_options = dict(arch_options)
        if self.class_names is not None:
            self.model  # noqa: B018 - build now: bad options fail here, not at the first fit

    def get_config(self) -> dict:
        return {"arch": self.arch, **super().get_config(), "num_frames": self.num_frames,
                "image_size": list(self.image_size), "backbone": self.backbone, **self.arch_options}

    def _build_model(self, num_classes):
        from kvideo.models import build

        return build(self.arch, num_classes, num_frames=self.num_frames, image_size=self.image_size,
                     backbone=self.backbone, **self.arch_options)

    def _predict_clips(self, clips, batch_size=8):
        return np.asarray(self.model.predict(self.preprocessor(clips), batch_size=int(batch_size), verbose=0))

    def _title(self):
        return self.arch

    def export(self, path, format="onnx"):
        """Export the model to ``format`` (``kvideo.tasks.export.EXPORT_FORMATS``) with a ``.kvideo.json`` beside it.

        Returns ``{"path", "sidecar", "format"}``; refuses in one line what the target cannot run.
        """
        from kvideo.tasks.export import export_task

        return export_task(self, path, format=format)

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

    # ------------------------------------------------------------------ training
    def _training_sets(self, data, validation_data, batch_size, validation_split, augment, seed, class_names=None):
        train, val, names = inputs.training_sets(data, validation_data, self.preprocessor, batch_size=batch_size,
                                                 validation_split=validation_split, augment=augment, seed=seed,
                                                 class_names=class_names, array_class_names=self.class_names)
        model_input = self.preprocessor  # arrays become model inputs here; datasets already are
        train = (model_input(train[0]), train[1]) if isinstance(train, tuple) else train
        val = (model_input(val[0]), val[1]) if isinstance(val, tuple) else val
        return train, val, names

    def fit(self, data, validation_data=None, epochs=20, batch_size=8, learning_rate=1e-3, validation_split=0.2,
            early_stopping=True, patience=5, class_weight="auto", augment=None, callbacks=None, verbose="auto",
            seed=1337, checkpoint=None, resume=False):
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
            checkpoint: a ``.keras`` path written atomically after every epoch (model, optimizer state, history;
                :mod:`kvideo.tasks.checkpoint`). ``resume=True`` continues from it when it exists (same
                settings and labels, else a one-line error); the run then ends after ``epochs`` in all.

        Example:
            >>> import numpy as np
            >>> clf = VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
            >>> x, y = np.zeros((4, 2, 16, 16, 3), np.uint8), np.array([0, 1, 0, 1])
            >>> history = clf.fit((x, y), epochs=2, verbose=0)
            >>> len(history["loss"]), clf.train_info["epochs_run"]
            (2, 2)
            >>> import os, tempfile
            >>> clf.plot_history(os.path.join(tempfile.mkdtemp(), "history.png")).name
            'history.png'
        """
        epochs = check_int("epochs", epochs, low=1)
        batch_size = check_int("batch_size", batch_size, low=1)
        known = self.class_names if self._model is not None else None
        if known is not None and inputs.is_path(data):
            found = inputs.class_folders(data)
            if set(found) != set(known):
                raise ValueError(f"The data's classes {found} differ from this classifier's {known}: use "
                                 f"fine_tune() to train on new labels. {received('data', str(data))}")
        train, val, names = self._training_sets(data, validation_data, batch_size, validation_split, augment, seed,
                                                class_names=known)
        if self._model is None:
            self.class_names = names
        elif names != self.class_names:
            raise ValueError(f"The data's classes {names} differ from this classifier's {self.class_names}: use "
                             f"fine_tune() to train on new labels. {received('class_names', names)}")
        saver, state = self._checkpointing(checkpoint, resume, names, learning_rate, epochs, batch_size)
        if state is None:
            compile_classifier(self.model, learning_rate)
        hist, info = run_fit(self.model, train, val, epochs=epochs, batch_size=batch_size,
                             early_stopping=early_stopping, patience=patience, class_weight=class_weight,
                             callbacks=callbacks, verbose=verbose, checkpoint=saver, resume=state)
        self._add_history(hist)
        info.update(inputs.data_info(train, val))
        info.update({"learning_rate": float(learning_rate), "batch_size": batch_size, "epochs": epochs})
        self.train_info = info
        return hist

    def _checkpointing(self, checkpoint, resume, names, learning_rate, epochs, batch_size):
        """``(EpochCheckpoint or None, resumed state or None)`` of a ``fit`` call (see ``checkpoint``)."""
        if checkpoint is None:
            if resume:
                raise ValueError(f"resume=True needs the checkpoint path to resume from. {received('checkpoint', None)}")
            return None, None
        from kvideo.tasks import checkpoint as ckpt

        state = None
        if resume and os.path.exists(checkpoint):
            state = ckpt.resume_into(self, checkpoint, names, learning_rate)
        run = {"class_names": list(names), "epochs": int(epochs), "batch_size": int(batch_size),
               "learning_rate": float(learning_rate)}
        return ckpt.EpochCheckpoint(self, checkpoint, run), state

    def _add_history(self, hist):
        for k, vs in hist.items():
            self.history.setdefault(k, []).extend(vs)

    def fine_tune(self, data, epochs=5, freeze_backbone=True, unfreeze_after=None, learning_rate=1e-3,
                  fine_tune_learning_rate=1e-4, batch_size=8, validation_data=None, validation_split=0.2,
                  early_stopping=True, patience=5, class_weight="auto", augment=None, callbacks=None, verbose="auto",
                  seed=1337):
        """Adapt a trained classifier to ``data``, which may have NEW labels.

        With new labels the softmax layer is replaced; with ``freeze_backbone`` the frame encoder
        (layers named ``encoder*``) is frozen and the temporal layers + head train at ``learning_rate``.
        ``unfreeze_after=N`` unfreezes everything after N epochs and trains the remaining
        ``epochs - N`` epochs at the lower ``fine_tune_learning_rate``. Returns the history dict.

        Example (a saved model and a folder of new clips):
            >>> clf = kvideo.VideoClassifier.load("motion.keras")                  # doctest: +SKIP
            >>> clf.fine_tune("my_gestures/", epochs=5, unfreeze_after=3)          # doctest: +SKIP
        """
        if self._model is None:
            raise ValueError("fine_tune needs a trained classifier: call fit() first or VideoClassifier.load(path). "
                             f"{received('model', None)}")
        epochs = check_int("epochs", epochs, low=1)
        if unfreeze_after is not None:
            unfreeze_after = check_int("unfreeze_after", unfreeze_after, low=0)
        train, val, names = self._training_sets(data, validation_data, batch_size, validation_split, augment, seed,
                                                class_names=None)
        old = list(self.class_names)
        if names != old:
            self._replace_head(names)
        fit = dict(batch_size=batch_size, early_stopping=early_stopping, patience=patience, class_weight=class_weight,
                   callbacks=callbacks, verbose=verbose)
        frozen = self._set_frozen(bool(freeze_backbone))
        phase1 = epochs if unfreeze_after is None else min(epochs, unfreeze_after)
        hist, info = {}, {}
        if phase1 > 0:
            compile_classifier(self.model, learning_rate)
            hist, info = run_fit(self.model, train, val, epochs=phase1, **fit)
        if phase1 < epochs:
            self._set_frozen(False)
            compile_classifier(self.model, fine_tune_learning_rate)
            h2, info = run_fit(self.model, train, val, epochs=epochs, initial_epoch=phase1, **fit)
            for k, v in h2.items():
                hist.setdefault(k, []).extend(v)
        self._set_frozen(False)
        self._add_history(hist)
        info.update(inputs.data_info(train, val))
        info.update({"fine_tuned_from": old, "frozen_layers": frozen, "unfreeze_after": unfreeze_after,
                     "learning_rate": float(learning_rate), "fine_tune_learning_rate": float(fine_tune_learning_rate),
                     "epochs": epochs})
        self.train_info = info
        return hist

    def _replace_head(self, names):
        import keras

        pred = self.model.get_layer("predictions")
        new = keras.layers.Dense(len(names), activation="softmax", name="predictions", dtype="float32")(pred.input)
        self.model = keras.Model(self.model.inputs, new, name=self.model.name)
        self.class_names = list(names)

    def _set_frozen(self, freeze):
        names = []
        for layer in self.model.layers:
            if layer.name.startswith("encoder"):
                layer.trainable = not freeze
                if freeze and layer.weights:
                    names.append(layer.name)
        return names


def _embedding_archs():
    from kvideo.presets import PRETRAINED_ARCHS

    return PRETRAINED_ARCHS
