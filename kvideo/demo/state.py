"""What a running demo holds: its classifier, the models trained in its Train tab, the face gallery, a work folder.

Nothing here imports Gradio: the handlers (``kvideo.demo.handlers``) take a :class:`DemoState` and plain values.

Example:
    >>> import tempfile
    >>> from kvideo.demo.state import DemoState
    >>> state = DemoState(model=object(), workdir=tempfile.mkdtemp(), samples=False)
    >>> state.model_source, state.new_dir("upload").parent == state.workdir
    ('given', True)
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger("kvideo.demo")

#: Models trained in the Train tab kept loaded (the least recently used is dropped first).
TRAINED_MODELS_KEPT = 4
#: Loaded in the background after the classifier: the page's default model, then the face models.
PRELOAD = ("imagenet", "faces")


class DemoState:
    """The demo's shared, thread-safe state.

    Args:
        model: what :func:`kvideo.demo.defaults.load_model` accepts (None: the built-in model).
        faces_db: a face gallery file to open; None starts an empty one in ``workdir`` on first use.
        workdir: where uploads are assembled and trained models saved; None makes a temporary folder that is
            removed at exit.
        samples: make the sample clips (``kvideo.demo.defaults.sample_clips``) to offer in the page.
        background: load the classifier, the ImageNet labeler and the face models in a background thread
            (:mod:`kvideo.demo.startup`, started by ``self.loader.start()`` or by the first request that needs a
            model, which waits for it); False loads the classifier now.
        preload: with ``background``, what else to load after the classifier (default :data:`PRELOAD`).
    """

    def __init__(self, model=None, faces_db=None, workdir=None, samples=True, background=False, preload=None):
        from kvideo.demo.defaults import load_model
        from kvideo.demo.startup import BackgroundLoader

        if isinstance(model, (str, os.PathLike)) and not Path(model).is_file():
            load_model(model)  # fail now, with load_model's one-line error, not in the background
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kvideo-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        if workdir is None:
            atexit.register(shutil.rmtree, self.workdir, True)
        self.model_lock = threading.Lock()  # one prediction at a time per model object
        self.faces_lock = threading.Lock()
        self._trained = OrderedDict()
        self._trained_lock = threading.Lock()
        self._imagenet_lock = threading.Lock()
        self._imagenet = None
        self.samples = _samples() if samples else []
        self.faces_db = faces_db
        self._gallery = None
        if faces_db is not None:
            from kvideo.faces import FaceGallery

            self._gallery = FaceGallery.open(faces_db)
        steps = [("model", lambda: load_model(model) if not background else _quietly(load_model, model))]
        if background:  # the page's default model and the face models too, so first requests need not wait
            extra = {"imagenet": lambda: self.imagenet, "faces": self._warm_faces}
            steps += [(name, extra[name]) for name in (PRELOAD if preload is None else preload)]
        self.loader = BackgroundLoader(steps, optional=("imagenet", "faces"))
        if not background:
            self.loader.run_now()
        # else: ``kvideo.demo.app.launch`` starts it once the page is served (so the two do not compete for
        # the CPU); anything that needs a step before then starts it.

    @property
    def classifier(self):
        """The built-in (or given) classifier; waits while it loads in the background."""
        return self.loader.wait("model")[0]

    @property
    def model_source(self) -> str:
        """Where the classifier came from ("shipped", "cache", "trained", "given" or its path)."""
        return self.loader.wait("model")[1]

    def status(self) -> str:
        """The status line: "Loading ..." while the heavy parts load in the background, then "Ready ..."."""
        return self.loader.status()

    def loading(self, step) -> bool:
        """True while background step ``step`` ("model", "imagenet", "faces") has not finished."""
        return step in self.loader.names and not self.loader.done(step)

    def _warm_faces(self):
        self._make_gallery().engine.warmup()

    @property
    def imagenet(self):
        """The ImageNet labeler (:mod:`kvideo.demo.builtin`), built on first use (or in the background)."""
        with self._imagenet_lock:
            if self._imagenet is None:
                from kvideo.demo.builtin import ImageNetLabeler

                labeler = ImageNetLabeler()
                labeler.model  # noqa: B018 (build and load the weights now, once)
                self._imagenet = labeler
            return self._imagenet

    def trained_model(self, path):
        """The model saved at ``path`` by the Train tab, loaded once (the last few stay in memory)."""
        from kvideo.tasks import VideoClassifier

        path = str(path)
        with self._trained_lock:
            if path in self._trained:
                self._trained.move_to_end(path)
                return self._trained[path]
        clf = VideoClassifier.load(path)
        with self._trained_lock:
            self._trained[path] = clf
            while len(self._trained) > TRAINED_MODELS_KEPT:
                self._trained.popitem(last=False)
        return clf

    def keep_trained(self, path, clf):
        """Keep ``clf`` (just trained and saved at ``path``) loaded, so the Live and Classify tabs use it at once."""
        with self._trained_lock:
            self._trained[str(path)] = clf
            self._trained.move_to_end(str(path))
            while len(self._trained) > TRAINED_MODELS_KEPT:
                self._trained.popitem(last=False)

    def builtin_copy(self):
        """A fresh copy of the demo's own model to fine-tune (the one serving the Classify tab stays untouched)."""
        from kvideo.tasks import VideoClassifier

        path = self.new_dir("base") / "base.keras"
        with self.model_lock:
            self.classifier.save(path)
        return VideoClassifier.load(path)

    def new_dir(self, prefix) -> Path:
        """A new, uniquely named folder inside the work folder."""
        path = self.workdir / f"{prefix}-{uuid.uuid4().hex[:10]}"
        path.mkdir(parents=True)
        return path

    @property
    def gallery(self):
        """The face gallery (``faces_db``, or an empty one made in the work folder on first use); waits while
        the face models load in the background."""
        if self.loading("faces"):
            self.loader.settle("faces")
        return self._make_gallery()

    def _make_gallery(self):
        if self._gallery is None:
            with self.faces_lock:
                if self._gallery is None:
                    from kvideo.faces import FaceGallery

                    self._gallery = FaceGallery.create(self.workdir / "faces.db")
        return self._gallery


def _quietly(fn, *args):
    """``fn(*args)``, importing Keras first with TensorFlow's C++ start-up chatter muted (as the CLI does)."""
    import sys

    if "keras" not in sys.modules:
        from kvideo.utils.native import muted_native_stderr

        with muted_native_stderr():  # fd 2 of the whole process, for the seconds the import takes
            import keras

            keras.ops.convert_to_tensor(0.0)
    return fn(*args)


def _samples() -> list[str]:
    from kvideo.demo.defaults import sample_clips

    try:
        return [str(p) for p in sample_clips()]
    except Exception as e:  # noqa: BLE001 - the demo works without samples; say why there are none
        log.warning("no sample clips: %s", e)
        return []
