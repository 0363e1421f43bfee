"""Who is in front of the camera: the webcam stream identified against the demo's face gallery.

Frames arrive one at a time (Gradio streaming). :class:`LiveFaces` looks at most once every ``min_interval``
seconds per browser session and drops the frames that arrive while a look is running (or while the gallery
is busy enrolling), so it never falls behind the camera; between looks it repeats the last answer.
:class:`FaceSessions` holds one :class:`LiveFaces` per browser session and forgets it when the page closes
(and the least recently used beyond ``max_sessions``). No Gradio here: frames are RGB arrays.

Example (a fake gallery that always sees "ada" at distance 0.3):
    >>> import numpy as np
    >>> clock = iter([0.0, 0.1, 0.7]).__next__
    >>> seen = lambda frame: [{"box": [0, 0, 4, 4], "identity": "ada", "distance": 0.3}]
    >>> live = LiveFaces(seen, people=lambda: ["ada"], threshold=0.6, min_interval=0.5, clock=clock)
    >>> frame = np.zeros((8, 8, 3), np.uint8)
    >>> r = live.step(frame); (r.names, r.fresh)
    (['ada'], True)
    >>> live.step(frame).fresh                                     # 0.1 s later: the last answer again
    False
    >>> print(live.step(frame).message)                            # 0.7 s later: a new look
    # ada
    distance **0.30** (threshold 0.60)
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from kvideo.demo.live import camera_frame
from kvideo.utils.validation import check_int, received

__all__ = ["DEFAULT_MIN_INTERVAL", "FaceSessions", "LiveFaces", "LiveFacesResult", "camera_identify", "live_faces_for"]

#: At least this many seconds between two looks of one session (one Dlib look is ~0.1-0.5 s on a laptop CPU).
DEFAULT_MIN_INTERVAL = 0.5
#: Frames are shrunk to at most this many pixels on their longer side before faces are searched.
MAX_SIDE = 640
#: Browser sessions kept at most (the least recently used is forgotten first).
MAX_SESSIONS = 32

WAITING = "Waiting for the camera..."
EMPTY_GALLERY = ("### The gallery is empty\nEnroll someone first (a name and photos, or a webcam snapshot, "
                 "under *Enroll*); then the camera says who it sees.")
NO_FACE = "## No face in view\nLook at the camera, face on, in good light."


@dataclass
class LiveFacesResult:
    """What the camera sees now: ``message`` (Markdown, names large), ``faces`` (``{"box", "identity"``
    (None: unknown), ``"distance"}``, left to right), ``fresh`` (a look ran for this frame), and the
    session's counters ``looks`` and ``dropped``."""

    message: str
    faces: list = field(default_factory=list)
    fresh: bool = False
    looks: int = 0
    dropped: int = 0

    @property
    def names(self) -> list:
        """The names seen, left to right ("unknown" for a stranger)."""
        return [f["identity"] or "unknown" for f in self.faces]

    @property
    def status(self) -> str:
        """A small line for under the names."""
        return f"{self.looks} looks, {self.dropped} frames dropped while busy"


class LiveFaces:
    """One session's throttled ``identify(frame) -> [{"box", "identity", "distance"}]``.

    Args:
        identify: looks at one RGB frame (the gallery's ``identify``).
        people: returns the enrolled names (an empty gallery gets a message, not a look).
        threshold: the gallery's distance threshold (shown next to each distance).
        min_interval: at least this many seconds between two looks.
        busy: an optional lock shared with other users of the face engine: while it is held elsewhere,
            frames are dropped instead of queued.
    """

    def __init__(self, identify, people, threshold, min_interval=DEFAULT_MIN_INTERVAL, busy=None,
                 clock=time.perf_counter):
        if not callable(identify) or not callable(people):
            raise TypeError(f"identify and people must be callables. {received('identify', identify)}")
        self.min_interval = float(min_interval)
        if not self.min_interval >= 0:
            raise ValueError(f"min_interval must be >= 0 seconds. {received('min_interval', min_interval)}")
        self.threshold = float(threshold)
        self._identify, self._people, self._clock = identify, people, clock
        self._busy = busy or threading.Lock()
        self._own = threading.Lock()  # one look at a time for this session
        self._state = threading.Lock()
        self._last_time = None
        self.last = LiveFacesResult(WAITING)
        self.looks = 0
        self.dropped = 0

    def step(self, frame) -> LiveFacesResult:
        """Look at ``frame`` (``(H, W, 3)`` RGB; None: no frame yet) when a look is due; else the last answer."""
        if frame is None:
            return self._result(self.last, fresh=False)
        frame = camera_frame(frame)
        with self._state:
            now = self._clock()
            if self._last_time is not None and now - self._last_time < self.min_interval:
                return self._result(self.last, fresh=False)
        if not self._own.acquire(blocking=False):
            self.dropped += 1
            return self._result(self.last, fresh=False)
        try:
            if not self._busy.acquire(blocking=False):
                self.dropped += 1
                return self._result(self.last, fresh=False)
            try:
                result = self._look(frame)
            finally:
                self._busy.release()
        finally:
            self._own.release()
        with self._state:
            self._last_time = now
            self.looks += 1
            self.last = result
            return self._result(result, fresh=True)

    def _look(self, frame) -> LiveFacesResult:
        if not self._people():
            return LiveFacesResult(EMPTY_GALLERY)
        small, scale = _shrink(frame)
        faces = [{"box": [int(round(v / scale)) for v in m["box"]], "identity": m["identity"],
                  "distance": None if m.get("distance") is None else float(m["distance"])}
                 for m in self._identify(small)]
        faces.sort(key=lambda f: f["box"][0])
        if not faces:
            return LiveFacesResult(NO_FACE)
        return LiveFacesResult(_message(faces, self.threshold), faces)

    def _result(self, r, fresh):
        return LiveFacesResult(r.message, list(r.faces), fresh, self.looks, self.dropped)


def _shrink(frame):
    h, w = frame.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    if scale >= 1.0:
        return frame, 1.0
    import cv2

    return cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA), scale


def _message(faces, threshold) -> str:
    """Names large (left to right), then each face's distance to its nearest enrolled person."""
    lines = []
    for f in faces:
        prefix = f"{f['identity'] or 'unknown'}: " if len(faces) > 1 else ""
        d = f["distance"]
        if d is None:
            lines.append(f"{prefix}no distance")
        elif f["identity"]:
            lines.append(f"{prefix}distance **{d:.2f}** (threshold {threshold:.2f})")
        else:
            lines.append(f"{prefix}distance **{d:.2f}** > threshold {threshold:.2f}: nobody in the gallery is that close")
    return "# " + " &nbsp;·&nbsp; ".join(f["identity"] or "unknown" for f in faces) + "\n" + "  \n".join(lines)


def live_faces_for(state, min_interval=DEFAULT_MIN_INTERVAL, **kwargs) -> LiveFaces:
    """A :class:`LiveFaces` over a :class:`~kvideo.demo.state.DemoState`'s gallery (sharing its faces lock)."""
    gallery = state.gallery
    return LiveFaces(camera_identify(gallery), gallery.identities, gallery.threshold, min_interval=min_interval,
                     busy=state.faces_lock, **kwargs)


def camera_identify(gallery):
    """``identify(frame)`` for camera frames: like ``gallery.identify`` but only faces the detector finds (a
    small frame with no face is not taken for a face crop, as a photo would be)."""

    def identify(frame):
        faces = gallery.engine.faces(frame, whole_image=False)
        if not faces:
            return []
        matches = gallery.match(np.stack([f["embedding"] for f in faces]))
        return [{"box": [int(v) for v in f["box"]], "identity": m["identity"], "distance": m["distance"]}
                for f, m in zip(faces, matches)]

    return identify


class FaceSessions:
    """One :class:`LiveFaces` per browser session, made by ``make()`` on first use; ``end(key)`` forgets one
    (the page was closed), and beyond ``max_sessions`` the least recently used is forgotten.

    Example:
        >>> sessions = FaceSessions(lambda: object(), max_sessions=2)
        >>> a = sessions.get("a"); _ = sessions.get("b"); _ = sessions.get("c")
        >>> len(sessions), "a" in sessions, sessions.end("b"), len(sessions)
        (2, False, True, 1)
    """

    def __init__(self, make, max_sessions=MAX_SESSIONS):
        self._make = make
        self.max_sessions = check_int("max_sessions", max_sessions, low=1)
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        item = self._make()
        with self._lock:
            item = self._items.setdefault(key, item)
            self._items.move_to_end(key)
            while len(self._items) > self.max_sessions:
                self._items.popitem(last=False)
            return item

    def end(self, key) -> bool:
        """Forget ``key``'s state; True when there was some."""
        with self._lock:
            return self._items.pop(key, None) is not None

    def __len__(self):
        with self._lock:
            return len(self._items)

    def __contains__(self, key):
        with self._lock:
            return key in self._items
