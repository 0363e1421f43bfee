"""``Task``: what every kvideo classifier shares, whatever turns clips into class scores.

A task holds ``class_names``, a :class:`~kvideo.tasks.preprocessor.VideoPreprocessor`, the training
``history`` / ``train_info`` and the last evaluation; it routes inputs (a video path, a list of
paths, clip arrays, a folder, a dataset), predicts, draws a timeline, evaluates, plots, saves and
loads. A subclass supplies the model:

* ``_predict_clips(clips, batch_size)``: ``(N, T, H, W, 3)`` clips in 0..255 at the preprocessor's
  shape -> ``(N, num_classes)`` probabilities (the ONE per-batch method every prediction goes through);
* ``_build_model(num_classes)``: a fresh model (called lazily, when ``model`` is first needed);
* ``get_config()``: its constructor arguments (``super().get_config()`` adds ``class_names``);
* ``fit(...)``: training; ``_save_model`` / ``_load_model`` when the model is not one Keras model.

Example:
    >>> import numpy as np
    >>> from kvideo.tasks.preprocessor import VideoPreprocessor
    >>> class Brightness(Task):           # "bright" when the mean pixel is high
    ...     def _build_model(self, num_classes):
    ...         return "threshold at 128"
    ...     def _predict_clips(self, clips, batch_size=8):
    ...         p = np.asarray(clips, "float32").mean(axis=(1, 2, 3, 4)) / 255
    ...         return np.stack([1 - p, p], axis=1)
    >>> task = Brightness(["dark", "bright"], VideoPreprocessor(num_frames=2, image_size=(8, 8)))
    >>> task.predict(np.full((5, 20, 20, 3), 230, np.uint8), top_k=1)[0]["label"]
    'bright'
    >>> task.evaluate((np.zeros((2, 2, 8, 8, 3), np.uint8), [0, 0]))["accuracy"]
    1.0
"""

from __future__ import annotations

import contextlib
import contextvars
import sys

import numpy as np

from kvideo.tasks import inputs, saving
from kvideo.tasks.metrics import classification_metrics, video_level_metrics
from kvideo.tasks.preprocessor import VideoPreprocessor
from kvideo.utils.validation import argument_error, argument_type_error, check_int, received

_DEFER_BUILD = contextvars.ContextVar("kvideo_defer_build", default=False)


@contextlib.contextmanager
def deferred_build():
    """Inside the block, tasks made by ``from_config`` do not build a model (loading brings its own)."""
    token = _DEFER_BUILD.set(True)
    try:
        yield
    finally:
        _DEFER_BUILD.reset(token)


def check_class_names(class_names, num_classes=None):
    """``class_names`` as unique strings, or ``["0", "1", ...]`` from ``num_classes``, or None."""
    if class_names is None:
        return None if num_classes is None else [str(i) for i in range(check_int("num_classes", num_classes, 1))]
    if isinstance(class_names, (str, bytes)):
        raise argument_type_error("class_names", class_names, "a list of label names")
    names = [str(c) for c in class_names]
    if len(set(names)) != len(names) or not names:
        raise argument_error("class_names", names, "unique and non-empty")
    if num_classes is not None and int(num_classes) != len(names):
        raise argument_error("num_classes", num_classes, f"len(class_names) = {len(names)} (or None)")
    return names


class Task:
    """The shared half of kvideo's classifiers (see the module docstring for what a subclass adds)."""

    def __init__(self, class_names=None, preprocessor=None):
        if preprocessor is None:
            preprocessor = VideoPreprocessor()
        elif isinstance(preprocessor, dict):
            preprocessor = VideoPreprocessor.from_config(preprocessor)
        elif not isinstance(preprocessor, VideoPreprocessor):
            raise argument_type_error("preprocessor", preprocessor, "a VideoPreprocessor, its config dict or None")
        self.preprocessor = preprocessor
        self.class_names = check_class_names(class_names)
        self.history = {}
        self.train_info = {}
        self.last_evaluation = None
        self._model = None

    # ------------------------------------------------------------------ what subclasses supply
    def _build_model(self, num_classes):
        raise NotImplementedError(f"{type(self).__name__} must define _build_model(num_classes)")

    def _predict_clips(self, clips, batch_size=8):
        raise NotImplementedError(f"{type(self).__name__} must define _predict_clips(clips, batch_size)")

    # ------------------------------------------------------------------ config and state
    def get_config(self) -> dict:
        """The constructor arguments (JSON values); ``type(self).from_config(config)`` rebuilds the task."""
        return {"class_names": None if self.class_names is None else list(self.class_names)}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def learned_state(self) -> dict:
        """What training learned besides the model weights (saved in ``kvideo.json``)."""
        return {"history": self.history, "train_info": self.train_info}

    def set_learned_state(self, state: dict):
        self.history = dict(state.get("history") or {})
        self.train_info = dict(state.get("train_info") or {})
        self.last_evaluation = None

    @property
    def preprocessing(self) -> dict:
        """How raw videos become model inputs, in words (saved in the .keras file)."""
        return self.preprocessor.describe()

    @property
    def num_frames(self) -> int:
        return self.preprocessor.num_frames

    @property
    def image_size(self) -> tuple:
        return self.preprocessor.image_size

    @property
    def model(self):
        """The model; built on first use once ``class_names`` are known (None before)."""
        if self._model is None and self.class_names is not None and not _DEFER_BUILD.get():
            self._model = self._build_model(len(self.class_names))
        return self._model

    @model.setter
    def model(self, value):
        self._model = value

    def _require_model(self):
        if self.model is None:
            raise ValueError(f"This classifier has no trained model yet: call fit() first or "
                             f"{type(self).__name__}.load(path). {received('model', None)}")

    # ------------------------------------------------------------------ saving
    def save(self, path):
        """Save to a single ``.keras`` file (model, labels, preprocessing, history); atomic, no pickle.

        Example:
            >>> import os, tempfile, kvideo
            >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
            >>> path = clf.save(os.path.join(tempfile.mkdtemp(), "motion.keras"))
            >>> kvideo.VideoClassifier.load(path).class_names
            ['a', 'b']
        """
        self._require_model()
        return saving.save_task(self, path)

    @classmethod
    def load(cls, path):
        """Load a task saved with ``save`` (``safe_mode=True``: no code is executed); the file's task
        class must be this class or a subclass of it.

        Example (a model file saved before):
            >>> clf = kvideo.VideoClassifier.load("motion.keras")  # doctest: +SKIP
        """
        return saving.load_task(path, expected=cls)

    def _save_model(self, path):
        self.model.save(str(path))

    def _load_model(self, path):
        import keras

        import kvideo.models  # noqa: F401  (registers the custom layers for loading)

        self.model = keras.saving.load_model(str(path), safe_mode=True, compile=False)

    # ------------------------------------------------------------------ prediction
    def _clips(self, video_or_array):
        """A batch of clips at the preprocessor's shape from a path, a list of paths or arrays."""
        if inputs.is_path(video_or_array):
            return self.preprocessor.read(video_or_array)[None]
        if isinstance(video_or_array, (list, tuple)) and video_or_array and inputs.is_path(video_or_array[0]):
            return np.stack([self.preprocessor.read(p) for p in video_or_array])
        return self.preprocessor.conform(video_or_array)

    def predict_proba(self, video_or_array, batch_size=8):
        """Class probabilities ``(N, num_classes)`` of a video path, a list of paths or clip arrays."""
        self._require_model()
        return np.asarray(self._predict_clips(self._clips(video_or_array), batch_size=int(batch_size)))

    def _top(self, probs, top_k):
        k = max(1, min(int(top_k), len(self.class_names)))
        order = np.argsort(-probs)[:k]
        return [{"label": self.class_names[i], "score": float(probs[i])} for i in order]

    def predict(self, video_or_array, top_k=3):
        """Top-k labels of one video: ``[{"label": ..., "score": ...}, ...]`` best first.

        ``video_or_array`` is a video path, a clip array (T, H, W, 3) (uint8 or float 0..255; resampled
        and resized to the model's input), or a batch (B, T, H, W, 3) / list of paths, which gives
        one list per clip.

        Example (an untrained model: the scores mean nothing yet):
            >>> import numpy as np, kvideo
            >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["left", "right"], num_frames=2, image_size=16)
            >>> top = clf.predict(np.zeros((5, 24, 24, 3), np.uint8), top_k=2)
            >>> sorted(p["label"] for p in top), round(sum(p["score"] for p in top), 4)
            (['left', 'right'], 1.0)
        """
        top_k = check_int("top_k", top_k, low=1)
        probs = self.predict_proba(video_or_array)
        single = inputs.is_path(video_or_array) or np.ndim(video_or_array) == 4
        out = [self._top(p, top_k) for p in probs]
        return out[0] if single else out

    def default_window_frames(self) -> int:
        """Source frames per timeline window: the median length of the training videos (else 2 x num_frames)."""
        w = self.train_info.get("median_video_frames") if self.train_info else None
        return int(w) if w else 2 * self.num_frames

    def predict_timeline(self, video, window_frames=None, stride=None, top_k=1, batch_size=8):
        """Classify a long video window by window: ``[{"start", "end", "label", "score"}, ...]`` (seconds).

        Windows of ``window_frames`` consecutive source frames (default: the median length of the
        training videos) every ``stride`` frames (default: half a window) are read in bounded memory
        and subsampled to ``num_frames``; with ``top_k > 1`` each item also has ``top``.

        Example (a 3-second clip at 8 fps, windows of 1 s):
            >>> import os, tempfile, numpy as np, kvideo
            >>> video = kvideo.io.write_video(os.path.join(tempfile.mkdtemp(), "long.mp4"),
            ...                               np.zeros((24, 32, 32, 3), np.uint8), fps=8)
            >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
            >>> [(seg["start"], seg["end"]) for seg in clf.predict_timeline(video, window_frames=8, stride=8)]
            [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
        """
        self._require_model()
        window_frames = check_int("window_frames", self.default_window_frames() if window_frames is None
                                  else window_frames, low=1)
        stride = check_int("stride", max(1, window_frames // 2) if stride is None else stride, low=1)
        top_k = check_int("top_k", top_k, low=1)
        out, batch, spans = [], [], []

        def flush():
            if batch:
                for (s, e), p in zip(spans, self._predict_clips(np.stack(batch), batch_size=len(batch))):
                    top = self._top(p, top_k)
                    item = {"start": round(float(s), 3), "end": round(float(e), 3), **top[0]}
                    if top_k > 1:
                        item["top"] = top
                    out.append(item)
                batch.clear()
                spans.clear()

        for w in self.preprocessor.iter_windows(video, window_frames, stride):
            batch.append(w.frames)
            spans.append((w.start, w.end))
            if len(batch) >= batch_size:
                flush()
        flush()
        return out

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, data, clips_per_video=1, top_k=3, batch_size=8, verbose="auto"):
        """Score labelled videos; returns a dict of scikit-learn metrics.

        ``data``: a folder ``<label>/<videos>``, a ``VideoDataset`` or ``(x, y)`` arrays. Keys:
        ``accuracy``, ``top_k_accuracy`` (with ``top_k``), ``macro_f1``, ``per_class``
        ({label: {precision, recall, f1, support}}), ``confusion_matrix`` (rows = true, columns =
        predicted, in ``class_names`` order), ``class_names``, ``num_clips``, ``num_videos``,
        ``clips_per_video``. With ``clips_per_video > 1`` each video is cut into that many equal
        segments, each scored as a clip (the metrics above are clip-level) and ``video_level`` holds
        the same metrics for the per-video mean of the clip probabilities.

        Example (arrays here; usually a folder such as ``"clips/test"``):
            >>> import numpy as np, kvideo
            >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
            >>> result = clf.evaluate((np.zeros((4, 2, 16, 16, 3), np.uint8), [0, 1, 0, 1]))
            >>> result["num_clips"], result["per_class"]["a"]["support"], int(np.sum(result["confusion_matrix"]))
            (4, 2, 4)
        """
        self._require_model()
        clips_per_video = check_int("clips_per_video", clips_per_video, low=1)
        top_k = check_int("top_k", top_k, low=1)
        items, arrays = inputs.evaluation_set(data, self.preprocessor, self.class_names)
        if arrays is not None:
            x, y = arrays
            probs = np.asarray(self._predict_clips(x, batch_size=int(batch_size)))
            num_videos, video_ids = len(y), None
        else:
            if not items:
                raise argument_error("data", data, "labelled videos to evaluate (none found)")
            probs, y, video_ids = self._score_files(items, clips_per_video, int(batch_size), _show(verbose))
            num_videos = len(items)
        result = classification_metrics(y, probs, self.class_names, top_k)
        result.update(num_clips=int(len(y)), num_videos=int(num_videos), clips_per_video=clips_per_video)
        if video_ids is not None and clips_per_video > 1:
            labels = np.array([label for _, label in items])
            result["video_level"] = video_level_metrics(video_ids, labels, probs, self.class_names, top_k)
        self.last_evaluation = result
        return result

    def _video_clips(self, path, k):
        """``k`` clips of one video: the whole video once, or ``k`` equal segments of it."""
        if k == 1:
            return [self.preprocessor.read(path)]
        from kvideo.io import video_info

        info = video_info(path)  # seconds as read_clip counts them (frame / fps), even for variable frame rates
        dur = float(info.get("frames") or 0) / float(info.get("fps") or 25.0)
        if dur <= 0:
            return [self.preprocessor.read(path)] * k
        edges = np.linspace(0.0, dur, k + 1)
        return [self.preprocessor.read(path, start=float(a), end=float(b)) for a, b in zip(edges[:-1], edges[1:])]

    def _score_files(self, items, k, batch_size, show):
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc="evaluate", unit="video", file=sys.stderr)
        probs, ys, vids, batch = [], [], [], []

        def flush():
            if batch:
                probs.extend(np.asarray(self._predict_clips(np.stack(batch), batch_size=len(batch))))
                batch.clear()

        for v, (path, label) in enumerate(items):
            for clip in self._video_clips(path, k):
                batch.append(clip)
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

        Example (after ``fit``; see ``VideoClassifier.fit``):
            >>> clf.plot_history("history.png")        # doctest: +SKIP
        """
        from kvideo.plots import history_figure, save_figure

        if not self.history:
            raise ValueError(f"No training history to plot: call fit() first. {received('history', {})}")
        return save_figure(history_figure(self.history, title=f"{self._title()}: training history"), path)

    def plot_confusion_matrix(self, path, result=None, normalize=False):
        """Write the confusion matrix of ``result`` (default: the last ``evaluate``) to a PNG.

        Example:
            >>> import os, tempfile, numpy as np, kvideo
            >>> clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)
            >>> result = clf.evaluate((np.zeros((2, 2, 16, 16, 3), np.uint8), [0, 1]))
            >>> clf.plot_confusion_matrix(os.path.join(tempfile.mkdtemp(), "confusion.png")).suffix
            '.png'
        """
        from kvideo.plots import confusion_figure, save_figure

        result = result or self.last_evaluation
        if not result or "confusion_matrix" not in result:
            raise ValueError(f"No evaluation to plot: call evaluate() first or pass result=. {received('result', None)}")
        title = f"accuracy {result.get('accuracy', float('nan')):.3f}"
        return save_figure(confusion_figure(result["confusion_matrix"], result["class_names"], normalize=normalize,
                                            title=title), path)

    def _title(self) -> str:
        return type(self).__name__


def _show(verbose) -> bool:
    if verbose == "auto":
        return sys.stderr.isatty()
    return bool(verbose)

