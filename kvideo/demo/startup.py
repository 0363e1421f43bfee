"""Loading the demo's heavy parts (TensorFlow, the models, DeepFace) in the background, with a status line.

The page is served as soon as Gradio is up; :class:`BackgroundLoader` runs the loading steps one after the
other in a daemon thread. A request that needs a part waits for it (:meth:`BackgroundLoader.wait`), and the
page shows :meth:`BackgroundLoader.status` ("Loading ... / Ready"). A failed step is reported in the status
and raised by ``wait`` (to the request that needed it); the other steps still run.

Example:
    >>> loader = BackgroundLoader([("model", lambda: "clf"), ("faces", lambda: None)], optional=("faces",))
    >>> loader.start().wait("model")
    'clf'
    >>> loader.wait(); loader.ready
    True
    >>> loader.status().startswith("Ready")
    True
"""

from __future__ import annotations

import logging
import threading
import time

from kvideo.utils.validation import check_choice

log = logging.getLogger("kvideo.demo")

__all__ = ["BackgroundLoader", "STEP_TITLES"]

#: How the status line names each step.
STEP_TITLES = {"model": "the motion model", "imagenet": "the ImageNet model", "faces": "the face models"}


class BackgroundLoader:
    """Run ``steps`` (``(name, fn)`` pairs) in order in one background thread; keep each result or error.

    Steps named in ``optional`` may fail without making the demo "failed" (their feature says why when used).
    """

    def __init__(self, steps, optional=(), clock=time.perf_counter):
        self._steps = list(steps)
        self.names = [name for name, _ in self._steps]
        self.optional = set(optional)
        self._clock = clock
        self._done = {name: threading.Event() for name in self.names}
        self._results, self._errors = {}, {}
        self._current = None
        self._t0 = self._t1 = None
        self._thread = None

    def start(self):
        """Start loading in the background (once; nothing when already loaded); returns self."""
        if self._thread is None and not self.ready:
            self._t0 = self._clock()
            self._thread = threading.Thread(target=self._run, name="kvideo-demo-loader", daemon=True)
            self._thread.start()
        return self

    def run_now(self):
        """Load everything in this thread (no background); raises the first error of a required step."""
        self._t0 = self._clock()
        self._run()
        for name in self.names:
            if name in self._errors and name not in self.optional:
                raise self._errors[name]
        return self

    def _run(self):
        for name, fn in self._steps:
            self._current = name
            try:
                self._results[name] = fn()
            except Exception as e:  # noqa: BLE001 - kept, raised to whoever waits for this step
                log.warning("demo: loading %s failed: %s", STEP_TITLES.get(name, name), e)
                self._errors[name] = e
            finally:
                self._done[name].set()
        self._current = None
        self._t1 = self._clock()

    def wait(self, name=None, timeout=None):
        """Block until step ``name`` (None: all of them) is done; return its result or raise its error."""
        if name is None:
            for n in self.names:
                self._ensure_started(n)
                self._done[n].wait(timeout)
            return None
        check_choice("name", name, self.names)
        self._ensure_started(name)
        if not self._done[name].wait(timeout):
            raise TimeoutError(f"{STEP_TITLES.get(name, name)} is still loading: try again in a few seconds.")
        if name in self._errors:
            raise self._errors[name]
        return self._results[name]

    def settle(self, name, timeout=None) -> bool:
        """Block until step ``name`` is done, failed or not; True when it succeeded."""
        self._ensure_started(name)
        self._done[name].wait(timeout)
        return self._done[name].is_set() and name not in self._errors

    def _ensure_started(self, name):
        if self._thread is None and not self._done[name].is_set():
            self.start()

    def done(self, name) -> bool:
        return self._done[name].is_set()

    @property
    def ready(self) -> bool:
        """All steps are done (some may have failed)."""
        return all(e.is_set() for e in self._done.values())

    def error(self, name):
        """The exception of step ``name``, or None."""
        return self._errors.get(name)

    def status(self) -> str:
        """One line for the page: "Loading ..." while steps run, then "Ready ..." (or "Failed ...")."""
        failed = [n for n in self.names if n in self._errors]
        if not self.ready:
            loaded = [STEP_TITLES.get(n, n) for n in self.names if self.done(n) and n not in self._errors]
            now = STEP_TITLES.get(self._current or self.names[0], self._current)
            seconds = 0.0 if self._t0 is None else self._clock() - self._t0
            text = f"Loading {now}... ({seconds:.0f} s). Uploads work now; a request waits until its model is ready."
            return text + (f" Loaded: {', '.join(loaded)}." if loaded else "")
        took = "" if self._t0 is None or self._t1 is None else f" (loaded in {self._t1 - self._t0:.1f} s)"
        required = [n for n in failed if n not in self.optional]
        if required:
            return f"Failed to load {STEP_TITLES.get(required[0], required[0])}: {_line(self._errors[required[0]])}"
        notes = "".join(f" {STEP_TITLES.get(n, n).capitalize()} could not be loaded: {_line(self._errors[n])}"
                        for n in failed)
        return f"Ready{took}.{notes}"


def _line(e):
    return " ".join((str(e).strip() or e.__class__.__name__).split())[:300]
