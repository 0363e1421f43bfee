"""The kvideo Gradio demo: Classify, Faces and Train tabs in the browser.

API endpoints (for ``gradio_client``): ``/classify`` (a video file), ``/verify`` (two photos), ``/enroll`` (a name and
photos), ``/identify`` (a photo or a video), ``/train`` (clips per label or a zip of ``<label>/<clip>``).

Example:
    >>> from kvideo.demo import build_app, launch
    >>> app = build_app()                                  # doctest: +SKIP
    >>> app, url = launch(app, port=7860, block=False)     # doctest: +SKIP

Safe by default: it binds 127.0.0.1, sends no analytics, limits upload size and types, extracts zips without
letting entries escape, deletes its temporary files, and runs requests through a queue with a concurrency limit.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
import math
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

from kvideo.demo.safety import (
    IMAGE_TYPES,
    MODEL_TYPES,
    VIDEO_TYPES,
    ZIP_TYPES,
    UnsafeInputError,
    check_extension,
    check_label,
    labeled_folders,
    safe_extract_zip,
)

log = logging.getLogger("kvideo.demo")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_MAX_FILE_SIZE = "200mb"
#: Requests of one kind that run at the same time (the rest wait in the queue).
DEFAULT_CONCURRENCY = 2
#: Requests that may wait in the queue before new ones are turned away.
QUEUE_MAX_SIZE = 64
#: Videos at least this long also get a timeline (per-window predictions).
TIMELINE_MIN_SECONDS = 4.0
#: At most this many windows in a timeline (the stride grows for long videos).
TIMELINE_MAX_WINDOWS = 60
MAX_TRAIN_LABELS = 4
MAX_TRAIN_EPOCHS = 100
FONT_STACK = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO_STACK = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def _gradio():
    """Import gradio with analytics off (the variable must be set before the import)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from kvideo.utils.optional import require

    return require("gradio", "the demo")


def _one_line(e: BaseException) -> str:
    msg = " ".join((str(e).strip() or e.__class__.__name__).split())
    return msg[:500]


def _guard(fn):
    """Turn any exception of a handler into a gr.Error message in the page; the server keeps running."""

    def convert(e):
        gr = _gradio()
        if isinstance(e, gr.Error):
            return e
        if isinstance(e, (ValueError, FileNotFoundError, UnsafeInputError, ImportError)) or e.__class__.__module__.startswith(
            "kvideo"
        ):
            return gr.Error(_one_line(e), print_exception=False)
        log.error("demo handler %s failed:\n%s", fn.__name__, traceback.format_exc())
        return gr.Error(f"Something went wrong: {_one_line(e)}", print_exception=False)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001
                raise convert(e) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            raise convert(e) from None

    return wrapper


def _file_path(value):
    """A path from what Gradio hands a handler (a str, a dict with "path"/"video", or an object with .name)."""
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return str(value)
    if isinstance(value, dict):
        for key in ("path", "video", "name"):
            if value.get(key):
                return _file_path(value[key])
    name = getattr(value, "name", None) or getattr(value, "path", None)
    return str(name) if name else None


def _file_list(values):
    if not values:
        return []
    if not isinstance(values, (list, tuple)):
        values = [values]
    return [p for p in (_file_path(v) for v in values) if p]


class DemoState:
    """What the running demo holds: the classifier, the face gallery, and a private work folder."""

    def __init__(self, model=None, faces_db=None, workdir=None, samples=True):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kvideo-demo-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._own_workdir = workdir is None
        if self._own_workdir:
            atexit.register(shutil.rmtree, self.workdir, True)
        self.model_lock = threading.Lock()
        self._trained = {}
        self._trained_lock = threading.Lock()
        self.faces_lock = threading.Lock()
        self.model_source = None
        self.classifier = self._load_model(model)
        self.samples = []
        if samples:
            try:
                from kvideo.demo.defaults import sample_clips

                self.samples = [str(p) for p in sample_clips()]
            except Exception as e:  # noqa: BLE001 - the demo works without samples
                log.warning("no sample clips: %s", e)
        self.faces_db = faces_db
        self._gallery = None
        if faces_db is not None:
            from kvideo.faces import FaceGallery

            self._gallery = FaceGallery.open(faces_db)

    def _load_model(self, model):
        if model is None:
            from kvideo.demo.defaults import load_default_model

            clf, self.model_source = load_default_model()
            return clf
        if isinstance(model, (str, os.PathLike)):
            path = Path(model)
            if not path.exists():
                raise FileNotFoundError(
                    f"The model file does not exist: pass a .keras file saved by VideoClassifier.save. Received: model={str(model)!r}"
                )
            from kvideo.tasks import VideoClassifier

            self.model_source = str(path)
            return VideoClassifier.load(path)
        self.model_source = "given"
        return model

    def trained_model(self, path):
        """A model trained in the Train tab, loaded once (the last few are kept in memory)."""
        from kvideo.tasks import VideoClassifier

        with self._trained_lock:
            if path in self._trained:
                self._trained[path] = self._trained.pop(path)  # most recent last
                return self._trained[path]
        clf = VideoClassifier.load(path)
        with self._trained_lock:
            self._trained[path] = clf
            while len(self._trained) > 4:
                self._trained.pop(next(iter(self._trained)))
        return clf

    def new_dir(self, prefix):
        path = self.workdir / f"{prefix}-{uuid.uuid4().hex[:10]}"
        path.mkdir(parents=True)
        return path

    @property
    def gallery(self):
        if self._gallery is None:
            with self.faces_lock:
                if self._gallery is None:
                    from kvideo.faces import FaceGallery

                    self._gallery = FaceGallery.create(self.workdir / "faces.db")
        return self._gallery


# --------------------------------------------------------------------------------------------- Classify


def _classify(state: DemoState, video, clf, top_k=5):
    import numpy as np

    from kvideo.demo.plots import frame_strip, timeline_chart
    from kvideo.io import read_clip, video_info

    path = check_extension(_file_path(video), VIDEO_TYPES, what="video")
    t0 = time.perf_counter()
    info = video_info(path)
    frames = read_clip(path, num_frames=clf.num_frames, size=tuple(clf.image_size))
    with state.model_lock:
        preds = clf.predict(frames, top_k=min(top_k, len(clf.class_names)))
    scores = {p["label"]: float(p["score"]) for p in preds}
    timeline_img = None
    segments = []
    duration = float(info.get("duration") or 0.0)
    n_frames = int(info.get("frames") or 0)
    if duration >= TIMELINE_MIN_SECONDS and n_frames > 2 * clf.num_frames:
        if hasattr(clf, "default_window_frames"):
            window = int(clf.default_window_frames())  # the training videos' median length
        else:
            window = max(clf.num_frames, int(round(float(info.get("fps") or 0) * 2.0)))
        window = max(2, min(window, n_frames))
        stride = max(window, math.ceil(n_frames / TIMELINE_MAX_WINDOWS))
        with state.model_lock:
            segments = clf.predict_timeline(path, window_frames=window, stride=stride)
        timeline_img = timeline_chart(segments, clf.class_names)
    strip = frame_strip(np.asarray(frames), max_frames=min(8, clf.num_frames))
    top = preds[0]
    md = (
        f"**{top['label']}** ({top['score']:.0%}) &nbsp;|&nbsp; video: {duration:.1f} s, "
        f"{info.get('width')}x{info.get('height')}, {n_frames} frames &nbsp;|&nbsp; model saw {clf.num_frames} frames at "
        f"{clf.image_size[0]}x{clf.image_size[1]} &nbsp;|&nbsp; {time.perf_counter() - t0:.2f} s"
    )
    if segments:
        md += f" &nbsp;|&nbsp; timeline: {len(segments)} windows"
    return scores, timeline_img, strip, md


# --------------------------------------------------------------------------------------------- Faces


def _read_rgb(path):
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"Cannot read this image: upload a .jpg or .png photo. Received: path={Path(str(path)).name!r}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _face_box(face):
    """A [x, y, w, h] box from what kvideo.faces returns for a face (a list, or a dict with "box"/"facial_area")."""
    if face is None:
        return None
    if isinstance(face, dict):
        for key in ("box", "facial_area", "region"):
            if key in face and face[key] is not None:
                return _face_box(face[key])
        if all(k in face for k in ("x", "y", "w", "h")):
            return [face["x"], face["y"], face["w"], face["h"]]
        return None
    if isinstance(face, (list, tuple)) and len(face) == 4 and all(isinstance(v, (int, float)) for v in face):
        return list(face)
    return None


def _verify_boxes(result):
    """Boxes per image from a verify() result: ``faces`` as [box1, box2] or {"img1": box, "img2": box}."""
    faces = result.get("faces")
    if isinstance(faces, dict):
        items = [faces.get("img1"), faces.get("img2")]
    elif isinstance(faces, (list, tuple)) and len(faces) == 2:
        items = list(faces)
    else:
        items = [None, None]
    out = []
    for item in items:
        if isinstance(item, (list, tuple)) and item and not _face_box(item):
            out.append([b for b in (_face_box(x) for x in item) if b])
        else:
            b = _face_box(item)
            out.append([b] if b else [])
    return out


def _table(rows, headers):
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)


# --------------------------------------------------------------------------------------------- Train


def _assemble_training_folder(state: DemoState, zip_file, label_files):
    """Copy uploaded clips into ``<dir>/<label>/<clip>``; returns (dir, {label: count})."""
    data_dir = state.new_dir("train-data")
    try:
        return data_dir, _fill_training_folder(state, data_dir, zip_file, label_files)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise


def _fill_training_folder(state, data_dir, zip_file, label_files):
    counts = {}
    if zip_file is not None:
        zpath = check_extension(_file_path(zip_file), ZIP_TYPES, what="zip file")
        extracted = state.new_dir("zip")
        try:
            safe_extract_zip(zpath, extracted, allowed=VIDEO_TYPES)
            root = labeled_folders(extracted)
            for sub in sorted(p for p in root.iterdir() if p.is_dir()):
                clips = sorted(p for p in sub.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_TYPES)
                if not clips:
                    continue
                label = check_label(sub.name)
                dest = data_dir / label
                dest.mkdir(exist_ok=True)
                for i, clip in enumerate(clips):
                    shutil.move(str(clip), dest / f"z{i:04d}_{clip.name}")
                counts[label] = counts.get(label, 0) + len(clips)
        finally:
            shutil.rmtree(extracted, ignore_errors=True)
        if not counts:
            raise ValueError(
                "The zip holds no <label>/<clip> videos: put each label's clips in a folder named after the label. "
                f"Received: zip={Path(zpath).name!r}"
            )
    for name, files in label_files:
        files = _file_list(files)
        if not files and not (name or "").strip():
            continue
        label = check_label(name)
        if not files:
            raise ValueError(f"Label {label!r} has no clips: upload some or clear the label. Received: label={label!r}")
        dest = data_dir / label
        dest.mkdir(exist_ok=True)
        for i, f in enumerate(files):
            check_extension(f, VIDEO_TYPES, what="clip")
            shutil.copy(f, dest / f"u{i:04d}_{Path(f).name}")
        counts[label] = counts.get(label, 0) + len(files)
    if len(counts) < 2:
        raise ValueError(
            "Training needs clips of at least 2 labels: name the labels and upload clips for each (or a zip of "
            f"<label>/<clip>). Received: labels={sorted(counts)}"
        )
    return counts


class _ProgressCallback:
    """A Keras callback that puts ("batch"|"epoch", ...) events on a queue for the page."""

    def __new__(cls, events):
        import keras

        class _CB(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                events.put(("batch", batch + 1, self.params.get("steps"), None))

            def on_epoch_end(self, epoch, logs=None):
                events.put(("epoch", epoch + 1, self.params.get("epochs"), dict(logs or {})))

        return _CB()


def _fit_kwargs(method, **wanted):
    """Keep only the keyword arguments ``method`` accepts (the models engineer's signature decides)."""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return wanted
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return wanted
    return {k: v for k, v in wanted.items() if k in params}


# --------------------------------------------------------------------------------------------- the app


def build_app(
    model=None,
    faces_db=None,
    *,
    samples=True,
    workdir=None,
    max_file_size=DEFAULT_MAX_FILE_SIZE,
    concurrency_limit=DEFAULT_CONCURRENCY,
    title="kvideo demo",
):
    """Build the demo as a ``gr.Blocks`` (not launched).

    Args:
        model: a ``VideoClassifier``, a path to a ``.keras`` file saved by it, or None for the built-in default
            (shipped in the package, or trained once from ``make_sample_videos`` and cached).
        faces_db: a face gallery made by ``kvideo faces enroll`` / ``FaceGallery.create``; None starts an empty
            one that the Faces tab fills.
        samples: offer sample clips to try (made once into the cache).
        workdir: where uploads are assembled and trained models saved (a temporary folder by default, removed at exit).
        max_file_size: upload limit (e.g. "200mb"), applied by ``launch``.
        concurrency_limit: requests of each kind served at the same time; the rest wait in the queue.

    Example:
        >>> app = build_app("model.keras")     # doctest: +SKIP
        >>> launch(app, port=7860)             # doctest: +SKIP
    """
    gr = _gradio()
    state = DemoState(model=model, faces_db=faces_db, workdir=workdir, samples=samples)
    clf = state.classifier

    try:
        from kvideo.models import available

        archs = list(available())
    except Exception:  # noqa: BLE001
        archs = ["frame_cnn", "td_lstm", "td_gru", "convlstm", "c3d", "transformer"]
    # the built-in model's architecture: it learned motion direction from few clips here (c3d and convlstm did not)
    default_arch = "td_gru" if "td_gru" in archs else archs[0]

    # ----- handlers (closures over ``state``) -----
    @_guard
    def classify(video, model_choice, session_model):
        if model_choice and model_choice.startswith("trained"):
            if not session_model:
                raise ValueError(
                    "No model has been trained in this session: train one in the Train tab first. "
                    f"Received: model={model_choice!r}"
                )
            return _classify(state, video, state.trained_model(session_model))
        return _classify(state, video, clf)

    @_guard
    def classify_trained(video, session_model):
        return classify(video, "trained in the Train tab", session_model)[0]

    @_guard
    def verify(img1, img2):
        from kvideo.demo.plots import draw_boxes
        from kvideo.faces import verify as face_verify

        p1 = check_extension(_file_path(img1), IMAGE_TYPES, what="photo")
        p2 = check_extension(_file_path(img2), IMAGE_TYPES, what="photo")
        a, b = _read_rgb(p1), _read_rgb(p2)
        result = face_verify(a, b)
        boxes = _verify_boxes(result)
        color = (0, 200, 0) if result.get("verified") else (220, 40, 40)
        ann1 = draw_boxes(a, boxes[0], color=color)
        ann2 = draw_boxes(b, boxes[1], color=color)
        verdict = "Same person" if result.get("verified") else "Different people"
        md = (
            f"### {verdict}\n\ndistance **{float(result.get('distance', float('nan'))):.3f}** "
            f"(threshold {float(result.get('threshold', float('nan'))):.3f}; same person when distance <= threshold) "
            f"&nbsp;|&nbsp; model {result.get('model')}, detector {result.get('detector')}"
        )
        return md, ann1, ann2

    @_guard
    def enroll(name, photos):
        label = check_label(name)
        files = _file_list(photos)
        if not files:
            raise ValueError(f"Upload at least one photo of {label}. Received: photos=[]")
        added, failed = 0, []
        gallery = state.gallery
        for f in files:
            check_extension(f, IMAGE_TYPES, what="photo")
            try:
                with state.faces_lock:
                    gallery.add(label, _read_rgb(f))
                added += 1
            except Exception as e:  # noqa: BLE001 - report per photo, keep going
                failed.append(f"{Path(f).name}: {_one_line(e)}")
        if not added:
            raise ValueError(f"No face could be enrolled for {label}: {'; '.join(failed)}")
        if failed:
            gr.Warning(f"{len(failed)} photo(s) skipped: {'; '.join(failed)}"[:400])
        names = gallery.identities()
        names = list(names.keys()) if isinstance(names, dict) else list(names)
        return f"Enrolled {added} photo(s) of **{label}**. Gallery: {', '.join(map(str, names))}"

    @_guard
    def identify(media):
        from kvideo.demo.plots import draw_boxes, tracks_chart

        path = _file_path(media)
        if path is None:
            raise ValueError("Upload a photo or a video to search. Received: file=None")
        suffix = Path(path).suffix.lower()
        gallery = state.gallery
        names = gallery.identities()
        if not names:
            raise ValueError(
                "The face gallery is empty: enroll photos under a name first (or start with --faces-db). "
                "Received: gallery=[]"
            )
        headers = ["identity", "start (s)", "end (s)", "frames", "best distance"]
        if suffix in IMAGE_TYPES:
            img = _read_rgb(path)
            with state.faces_lock:
                matches = gallery.identify(img)
            labels = [
                f"{m.get('identity') or 'unknown'} {float(m.get('confidence') or 0):.0%}"
                if m.get("identity")
                else "unknown"
                for m in matches
            ]
            ann = draw_boxes(img, [m.get("box") for m in matches], labels)
            rows = [[m.get("identity") or "unknown", 0.0, 0.0, 1, round(float(m.get("distance", float("nan"))), 4)] for m in matches]
            md = f"{len(matches)} face(s) in the photo" if matches else "No face found in the photo."
            return md, _table(rows, headers), None, ann, None
        check_extension(path, VIDEO_TYPES + IMAGE_TYPES, what="photo or video")
        from kvideo.faces import scan_video
        from kvideo.io import video_info

        info = video_info(path)
        fps = float(info.get("fps") or 25.0)
        every = max(1, int(round(fps / 5)))  # about 5 looks per second
        out_dir = state.new_dir("identify")
        annotated = out_dir / f"{Path(path).stem}_faces.webm"
        with state.faces_lock:
            res = scan_video(
                path, gallery, **_fit_kwargs(scan_video, every_n_frames=every, annotate_to=str(annotated), progress=False)
            )
        tracks = res.get("tracks", [])
        rows = [
            [
                t.get("identity") or "unknown",
                round(float(t["start"]), 2),
                round(float(t["end"]), 2),
                int(t.get("frames", 0)),
                round(float(t.get("best_distance", float("nan"))), 4),
            ]
            for t in tracks
        ]
        chart = tracks_chart(tracks, duration=info.get("duration"))
        out_video = res.get("annotated") or (str(annotated) if annotated.exists() else None)
        md = (
            f"{len(tracks)} appearance(s) of {len({r[0] for r in rows})} identit(y/ies) in {float(info.get('duration') or 0):.1f} s "
            f"({res.get('frames_processed')} frames looked at in {float(res.get('seconds') or 0):.1f} s)"
        )
        return md, _table(rows, headers), chart, None, out_video

    @_guard
    def train(
        zip_file,
        label_1,
        clips_1,
        label_2,
        clips_2,
        label_3,
        clips_3,
        label_4,
        clips_4,
        arch,
        epochs,
        start_from,
        base_model,
        num_frames,
        image_size,
        session_model,
        progress=gr.Progress(),
    ):
        import numpy as np

        from kvideo.demo.plots import training_curves
        from kvideo.tasks import VideoClassifier

        epochs = int(epochs)
        if not 1 <= epochs <= MAX_TRAIN_EPOCHS:
            raise ValueError(f"Epochs must be between 1 and {MAX_TRAIN_EPOCHS}. Received: epochs={epochs}")
        num_frames, image_size = int(num_frames), int(image_size)
        data_dir, counts = _assemble_training_folder(
            state, zip_file, [(label_1, clips_1), (label_2, clips_2), (label_3, clips_3), (label_4, clips_4)]
        )
        try:
            if min(counts.values()) < 2:
                gr.Warning("Some labels have a single clip: upload a few per label for a model that generalises.")
            summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
            # hold out a validation fifth only when every label has enough clips for it to mean something
            val_split = 0.2 if min(counts.values()) >= 5 else None
            yield f"Preparing {sum(counts.values())} clips ({summary}) ...", None, None, session_model

            start_from = start_from or "new model"
            if start_from.startswith("new"):
                model = VideoClassifier(
                    arch, class_names=sorted(counts), num_frames=num_frames, image_size=(image_size, image_size)
                )
                how = f"a new {arch} model"
                method = model.fit
                kwargs = _fit_kwargs(method, epochs=epochs, batch_size=4, verbose=0, validation_split=val_split)
            else:
                if start_from.startswith("upload"):
                    base_path = check_extension(_file_path(base_model), MODEL_TYPES, what="model file")
                    model = VideoClassifier.load(base_path)
                    how = f"fine-tuning {Path(base_path).name}"
                else:
                    # a fresh copy: the demo's own model stays untouched
                    from kvideo.demo.defaults import SHIPPED_MODEL

                    if state.model_source in ("shipped",) and SHIPPED_MODEL.exists():
                        model = VideoClassifier.load(SHIPPED_MODEL)
                    else:
                        tmp = state.new_dir("base") / "base.keras"
                        with state.model_lock:
                            clf.save(tmp)
                        model = VideoClassifier.load(tmp)
                    how = "fine-tuning the demo's model"
                method = model.fine_tune
                kwargs = _fit_kwargs(method, epochs=epochs, batch_size=4, verbose=0, validation_split=val_split)
            events = queue.Queue()
            kwargs["callbacks"] = [_ProgressCallback(events)]
            if "callbacks" not in _fit_kwargs(method, callbacks=None):
                kwargs.pop("callbacks")
            outcome = {}

            def work():
                try:
                    outcome["history"] = method(str(data_dir), **kwargs)
                except BaseException as e:  # noqa: BLE001 - handed to the page below
                    outcome["error"] = e
                finally:
                    events.put(("done", None, None, None))

            t0 = time.perf_counter()
            worker = threading.Thread(target=work, name="kvideo-demo-train", daemon=True)
            worker.start()
            history = {}
            curves = None
            epoch = 0
            progress(0.0, desc=f"Training {how}")
            while True:
                kind, a, b, logs = events.get()
                if kind == "done":
                    break
                if kind == "batch":
                    frac = (epoch + (a / b if b else 0)) / epochs
                    progress(min(frac, 1.0), desc=f"epoch {epoch + 1}/{epochs}")
                    continue
                epoch = a
                for k, v in (logs or {}).items():
                    if np.isscalar(v):
                        history.setdefault(k, []).append(float(v))
                curves = training_curves(history, title=f"{how}: epoch {epoch}/{epochs}")
                metrics = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.items())
                yield f"Training {how} on {summary}: epoch {epoch}/{epochs} ({metrics})", curves, None, session_model
            worker.join()
            if "error" in outcome:
                raise outcome["error"]
            if not history:
                hist = getattr(model, "history", None)
                hist = getattr(hist, "history", hist)
                if isinstance(hist, dict):
                    history = {k: list(map(float, v)) for k, v in hist.items() if isinstance(v, (list, tuple))}
            curves = training_curves(history, title=f"{how}: done") if history else curves
            out = state.new_dir("model") / f"kvideo_{'_'.join(sorted(counts))[:60]}.keras"
            model.save(out)
            took = time.perf_counter() - t0
            md = (
                f"Done: {how} on {summary} in {took:.1f} s. Try it below or in the Classify tab "
                f"(Model: trained), and download the .keras file."
            )
            yield md, curves, str(out), str(out)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)

    # ----- layout -----
    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        session_model = gr.State(None)
        gr.Markdown(
            "# kvideo demo\nClassify videos, find faces, and train a video classifier on your own labels. "
            f"Built-in model: **{', '.join(clf.class_names)}** ({state.model_source})."
        )
        with gr.Tab("Classify", id="classify"):
            with gr.Row():
                with gr.Column():
                    c_video = gr.Video(label="Video", sources=["upload"], elem_id="classify-video", height=280)
                    c_model = gr.Radio(
                        ["built-in", "trained in the Train tab"], value="built-in", label="Model", elem_id="classify-model"
                    )
                    c_btn = gr.Button("Classify", variant="primary", elem_id="classify-button")
                    if state.samples:
                        gr.Examples(
                            [[p] for p in state.samples],
                            inputs=[c_video],
                            label="Sample clips (the long one gets a timeline)",
                            example_labels=[_sample_label(p) for p in state.samples],
                        )
                with gr.Column():
                    c_label = gr.Label(label="Top labels", num_top_classes=5, elem_id="classify-label")
                    c_info = gr.Markdown(elem_id="classify-info")
                    c_strip = gr.Image(label="Frames the model saw", interactive=False, format="png")
                    c_timeline = gr.Image(
                        label="Timeline: label per window, bar height = score (videos of 4 s or more)",
                        interactive=False,
                        format="png",
                    )
            c_btn.click(
                classify,
                inputs=[c_video, c_model, session_model],
                outputs=[c_label, c_timeline, c_strip, c_info],
                api_name="classify",
                api_description="Classify a video: top labels with scores, a timeline for long videos, the frames the model saw.",
            )

        with gr.Tab("Faces", id="faces"):
            gr.Markdown("### Same person?")
            with gr.Row():
                v_img1 = gr.Image(label="Photo 1", type="filepath", sources=["upload", "clipboard"], height=260)
                v_img2 = gr.Image(label="Photo 2", type="filepath", sources=["upload", "clipboard"], height=260)
            v_btn = gr.Button("Verify", variant="primary")
            v_md = gr.Markdown()
            with gr.Row():
                v_out1 = gr.Image(label="Photo 1 (face found)", interactive=False)
                v_out2 = gr.Image(label="Photo 2 (face found)", interactive=False)
            v_btn.click(
                verify, inputs=[v_img1, v_img2], outputs=[v_md, v_out1, v_out2], api_name="verify",
                api_description="Are the faces in two photos the same person? Distance, threshold and boxes.",
            )
            gr.Markdown("### Gallery: who appears when")
            gallery_note = (
                f"Gallery: `{faces_db}` (photos enrolled here are added to it)." if faces_db else
                "Gallery: a fresh one for this demo (start with `--faces-db DB` to use yours)."
            )
            gr.Markdown(gallery_note)
            with gr.Row():
                with gr.Column():
                    e_name = gr.Textbox(label="Name", placeholder="e.g. alice")
                    e_photos = gr.File(label="Photos of this person", file_count="multiple", file_types=list(IMAGE_TYPES))
                    e_btn = gr.Button("Enroll")
                    e_md = gr.Markdown()
                with gr.Column():
                    i_file = gr.File(
                        label="Photo or video to search", file_types=list(IMAGE_TYPES + VIDEO_TYPES)
                    )
                    i_btn = gr.Button("Identify", variant="primary")
            i_md = gr.Markdown()
            i_table = gr.Dataframe(
                headers=["identity", "start (s)", "end (s)", "frames", "best distance"], label="Appearances",
                interactive=False,
            )
            with gr.Row():
                i_chart = gr.Image(label="Timeline", interactive=False, format="png")
                i_image = gr.Image(label="Annotated photo", interactive=False)
                i_video = gr.Video(label="Annotated video", interactive=False)
            e_btn.click(enroll, inputs=[e_name, e_photos], outputs=[e_md], api_name="enroll",
                        api_description="Add photos of one person to the face gallery.")
            i_btn.click(
                identify, inputs=[i_file], outputs=[i_md, i_table, i_chart, i_image, i_video], api_name="identify",
                api_description="Who appears in a photo or a video, and when; annotated photo or video.",
            )

        with gr.Tab("Train", id="train"):
            gr.Markdown(
                "Upload clips per label (or one zip of `<label>/<clip>` folders), pick an architecture and epochs, "
                "and train. Order-aware architectures (c3d, convlstm, td_gru, td_lstm, transformer) can learn motion "
                "direction; frame_cnn only sees appearance."
            )
            t_zip = gr.File(label="Zip of <label>/<clip> (optional)", file_types=list(ZIP_TYPES))
            label_inputs = []
            with gr.Row():
                for i in range(MAX_TRAIN_LABELS):
                    with gr.Column(min_width=200):
                        name = gr.Textbox(label=f"Label {i + 1}", placeholder="e.g. wave" if i == 0 else "")
                        files = gr.File(label=f"Clips of label {i + 1}", file_count="multiple", file_types=list(VIDEO_TYPES))
                        label_inputs += [name, files]
            with gr.Row():
                t_arch = gr.Dropdown(archs, value=default_arch, label="Architecture")
                t_epochs = gr.Slider(1, MAX_TRAIN_EPOCHS, value=10, step=1, label="Epochs")
                t_start = gr.Radio(
                    ["new model", "fine-tune the built-in model", "fine-tune an uploaded model"],
                    value="new model",
                    label="Start from",
                )
            with gr.Accordion("Advanced", open=False):
                with gr.Row():
                    t_base = gr.File(label="Model to fine-tune (.keras)", file_types=list(MODEL_TYPES))
                    t_frames = gr.Slider(4, 32, value=clf.num_frames, step=1, label="Frames per clip (new model)")
                    t_size = gr.Slider(32, 160, value=clf.image_size[0], step=16, label="Image size (new model)")
            t_btn = gr.Button("Train", variant="primary")
            t_md = gr.Markdown()
            with gr.Row():
                t_curve = gr.Image(label="Loss and accuracy", interactive=False, format="png")
                t_model = gr.File(label="Trained model (.keras)", interactive=False)
            t_btn.click(
                train,
                inputs=[t_zip, *label_inputs, t_arch, t_epochs, t_start, t_base, t_frames, t_size, session_model],
                outputs=[t_md, t_curve, t_model, session_model],
                api_name="train",
                api_description="Train (or fine-tune) a video classifier on uploaded clips; yields progress; returns the .keras file.",
                concurrency_limit=1,
                concurrency_id="train",
            )
            gr.Markdown("### Try the trained model")
            with gr.Row():
                tt_video = gr.Video(label="Video", sources=["upload"], height=240)
                tt_label = gr.Label(label="Top labels", num_top_classes=5)
            tt_btn = gr.Button("Classify with the trained model")
            tt_btn.click(classify_trained, inputs=[tt_video, session_model], outputs=[tt_label], api_visibility="private")

    app.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=concurrency_limit)
    app.kvideo_state = state
    app.kvideo_max_file_size = max_file_size
    return app


def _sample_label(path):
    stem = Path(path).stem
    return "10 s: five motions" if stem.startswith("long") else stem.rsplit("_", 1)[0]


def _theme(gr):
    try:
        # System fonts only: the page makes no request outside this machine.
        return gr.themes.Default(font=FONT_STACK, font_mono=MONO_STACK)
    except Exception:  # noqa: BLE001
        return None


def launch(
    app=None,
    *,
    host=DEFAULT_HOST,
    port=DEFAULT_PORT,
    model=None,
    faces_db=None,
    max_file_size=None,
    block=True,
    quiet=False,
    **build_kwargs,
):
    """Launch the demo on ``http://host:port`` (127.0.0.1 by default; no share links); returns ``(app, url)``.

    With ``block=True`` it serves until Ctrl+C, then closes the server. ``app=None`` builds one with
    ``build_app(model, faces_db, **build_kwargs)``.

    Example:
        >>> app, url = launch(port=0, block=False)   # doctest: +SKIP
        >>> app.close()                               # doctest: +SKIP
    """
    gr = _gradio()
    if app is None:
        app = build_app(model=model, faces_db=faces_db, **build_kwargs)
    state = getattr(app, "kvideo_state", None)
    allowed = []
    if state is not None and state.samples:
        allowed.append(str(Path(state.samples[0]).resolve().parent.parent))
    if port in (0, None):
        port = _free_port(host)
    _, local_url, _ = app.launch(
        server_name=host,
        server_port=int(port),
        share=False,
        prevent_thread_lock=True,
        quiet=True,
        show_error=True,
        max_file_size=max_file_size or getattr(app, "kvideo_max_file_size", DEFAULT_MAX_FILE_SIZE),
        allowed_paths=allowed,
        ssr_mode=False,
        theme=_theme(gr),
        mcp_server=False,
        pwa=False,
        run_history=False,  # nothing recorded in the browser, no offer to upload runs anywhere
        footer_links=["api", "settings"],
    )
    url = local_url.rstrip("/") + "/" if local_url else f"http://{host}:{port}/"
    if not quiet:
        print(f"kvideo demo: serving on {url}  (Ctrl+C to stop)", file=sys.stderr, flush=True)
    if block:
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            app.close()
    return app, url


def _free_port(host=DEFAULT_HOST) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
