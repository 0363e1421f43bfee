"""Live preview: classify a webcam stream as it plays.

Frames arrive one at a time (Gradio streaming); :class:`LivePreview` keeps the last ``window`` of them in a
ring buffer and predicts on that clip at most once every ``min_interval`` seconds. Frames that arrive while
the CPU is still busy (or before the interval is up) only refresh the buffer, so the preview never falls
behind the camera. No Gradio here: ``step`` takes a frame array and returns the newest scores.

Example (a fake model that scores the mean brightness):
    >>> import numpy as np
    >>> clock = iter([0.0, 0.1, 0.5]).__next__
    >>> live = LivePreview(lambda clip: {"bright": float(clip.mean() / 255)}, window=2, min_interval=0.25,
    ...                    clock=clock)
    >>> live.step(np.full((4, 4, 3), 255, np.uint8)) is None      # one frame: the buffer is not full yet
    True
    >>> live.step(np.full((4, 4, 3), 255, np.uint8))               # full: the first prediction
    {'bright': 1.0}
    >>> live.step(np.zeros((4, 4, 3), np.uint8))                   # 0.4 s later: predicts again
    {'bright': 0.5}
"""

from __future__ import annotations

import collections
import threading
import time

import numpy as np

from kvideo.utils.validation import check_int, received

__all__ = [
    "DEFAULT_MIN_INTERVAL", "DEFAULT_WINDOW", "PREVIEWS_KEPT", "LivePreview", "RecentPreviews", "camera_frame",
    "classifier_predict",
]

#: Frames in the ring buffer (one clip per prediction).
DEFAULT_WINDOW = 16
#: At least this many seconds between two predictions.
DEFAULT_MIN_INTERVAL = 0.25
#: Live previews (browser session x model) kept; each holds ``window`` camera frames (~15 MB at 640x480).
PREVIEWS_KEPT = 8


def camera_frame(frame) -> np.ndarray:
    """One camera frame as a contiguous uint8 ``(H, W, 3)`` array (an alpha channel dropped); one-line error else.

    Example:
        >>> camera_frame(np.zeros((2, 3, 4), np.float32)).shape
        (2, 3, 3)
    """
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[-1] not in (3, 4):
        raise ValueError(f"A camera frame must be an (H, W, 3) image. {received('frame.shape', frame.shape)}")
    frame = frame[..., :3]
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(frame)


class LivePreview:
    """Ring buffer of the last ``window`` frames + a throttled ``predict(clip) -> {label: score}``.

    ``predict`` gets a uint8 array ``(window, H, W, 3)`` (oldest frame first). Thread-safe: when a
    prediction is still running, a concurrent ``step`` adds its frame and returns the last scores
    (the frame is "dropped" for prediction, counted in ``dropped``).
    """

    def __init__(self, predict, window=DEFAULT_WINDOW, min_interval=DEFAULT_MIN_INTERVAL, clock=time.perf_counter):
        if not callable(predict):
            raise TypeError(f"predict must be a callable clip -> {{label: score}}. {received('predict', predict)}")
        self.window = check_int("window", window, low=1)
        self.min_interval = float(min_interval)
        if not self.min_interval >= 0:
            raise ValueError(f"min_interval must be >= 0 seconds. {received('min_interval', min_interval)}")
        self._predict = predict
        self._clock = clock
        self._frames = collections.deque(maxlen=self.window)
        self._lock = threading.Lock()
        self._busy = threading.Lock()
        self._last_time = None
        self.scores = None
        self.predictions = 0
        self.dropped = 0

    def reset(self):
        """Forget the buffered frames and the last scores (a new stream starts)."""
        with self._lock:
            self._frames.clear()
            self._last_time, self.scores = None, None

    def step(self, frame):
        """Add one frame ``(H, W, 3)``; return fresh scores when a prediction ran, else the last ones (or None)."""
        if frame is None:
            return self.scores
        frame = camera_frame(frame)
        with self._lock:
            if self._frames and self._frames[-1].shape != frame.shape:
                self._frames.clear()  # the camera changed resolution
            self._frames.append(frame)
            now = self._clock()
            due = len(self._frames) == self.window and (
                self._last_time is None or now - self._last_time >= self.min_interval)
            if not due:
                return self.scores
            clip = np.stack(self._frames)
        if not self._busy.acquire(blocking=False):
            self.dropped += 1
            return self.scores
        try:
            scores = self._predict(clip)
        finally:
            self._busy.release()
        with self._lock:
            self._last_time = now
            self.scores = dict(scores)
            self.predictions += 1
            return self.scores


def classifier_predict(clf, lock=None, top_k=5):
    """A ``predict(clip)`` for :class:`LivePreview` over a kvideo classifier (``clf.predict`` on the clip)."""
    k = max(1, min(int(top_k), len(clf.class_names)))

    def predict(clip):
        if lock is None:
            preds = clf.predict(clip, top_k=k)
        else:
            with lock:
                preds = clf.predict(clip, top_k=k)
        return {p["label"]: float(p["score"]) for p in preds}

    return predict


class RecentPreviews:
    """The :class:`LivePreview` of each (browser session, model) key, made on first use; only the ``limit`` most
    recently used are kept, so a demo that runs all day does not hold every past session's camera frames.

    Example:
        >>> previews = RecentPreviews(limit=2)
        >>> a = previews.get("a", lambda: LivePreview(len))
        >>> previews.get("a", lambda: None) is a, len(previews)
        (True, 1)
        >>> _ = previews.get("b", lambda: LivePreview(len)); _ = previews.get("c", lambda: LivePreview(len))
        >>> "a" in previews, len(previews)
        (False, 2)
    """

    def __init__(self, limit=PREVIEWS_KEPT):
        self.limit = check_int("limit", limit, low=1)
        self._previews = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        """The preview of ``key`` (``make()`` builds it the first time, under the lock)."""
        with self._lock:
            preview = self._previews.get(key)
            if preview is None:
                preview = self._previews[key] = make()
            self._previews.move_to_end(key)
            while len(self._previews) > self.limit:
                self._previews.popitem(last=False)
            return preview

    def __contains__(self, key):
        return key in self._previews

    def __len__(self):
        return len(self._previews)
