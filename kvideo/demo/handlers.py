"""What the demo's buttons do, as plain functions: a :class:`~kvideo.demo.state.DemoState` and plain values in,
small result objects out. No Gradio here (``kvideo.demo.app`` wires these to the page), so each one is tested
and usable on its own.

Example:
    >>> ModelChoice("trained in the Train tab") is ModelChoice.TRAINED
    True
    >>> state = DemoState(model="clf.keras", samples=False)          # doctest: +SKIP
    >>> classify(state, "clip.mp4").scores                           # doctest: +SKIP
    {'left': 0.91, 'right': 0.05, 'grow': 0.03, 'shrink': 0.01}
"""

from __future__ import annotations

import enum
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kvideo.demo.defaults import TRAIN_ARCH
from kvideo.demo.safety import check_label, check_upload
from kvideo.demo.state import DemoState
from kvideo.demo.training import TrainingJob
from kvideo.demo.uploads import assemble_training_folder, file_list, file_path
from kvideo.utils.formats import IMAGE_EXTENSIONS, MODEL_EXTENSIONS, VIDEO_EXTENSIONS, is_image
from kvideo.utils.validation import check_choice, check_int, received

__all__ = [
    "APPEARANCE_COLUMNS", "ClassifyResult", "DemoState", "EnrollResult", "IdentifyResult", "ModelChoice",
    "StartFrom", "TrainRequest", "TrainUpdate", "VerifyResult", "classify", "enroll", "identify", "one_line",
    "pick_classifier",
    "train", "verify",
]

#: Videos at least this long also get a timeline (per-window predictions).
TIMELINE_MIN_SECONDS = 4.0
#: At most this many windows in a timeline (the stride grows for long videos).
TIMELINE_MAX_WINDOWS = 60
MAX_TRAIN_EPOCHS = 100
#: The Train tab's batch size (a few clips per label: small batches).
TRAIN_BATCH_SIZE = 4
#: Columns of the Faces tab's appearance table.
APPEARANCE_COLUMNS = ("identity", "start (s)", "end (s)", "frames", "best distance")
#: About this many looks per second when a video is searched for faces.
FACE_LOOKS_PER_SECOND = 5


class ModelChoice(str, enum.Enum):
    """Which model the Classify tab uses (the values are what the page and the API show)."""

    IMAGENET = "ImageNet labels (real videos)"
    BUILT_IN = "built-in"
    TRAINED = "trained in the Train tab"


class StartFrom(str, enum.Enum):
    """What the Train tab starts from (the values are what the page and the API show)."""

    NEW = "new model"
    BUILT_IN = "fine-tune the built-in model"
    UPLOADED = "fine-tune an uploaded model"


def _choice(kind: type[enum.Enum], name: str, value):
    """``kind(value)``, or the usual argument error listing the values."""
    check_choice(name, value, [m.value for m in kind])
    return kind(value)


def one_line(e: BaseException) -> str:
    """An exception as one line for the page (at most 500 characters)."""
    return " ".join((str(e).strip() or e.__class__.__name__).split())[:500]


# --------------------------------------------------------------------------------------------- Classify


@dataclass
class ClassifyResult:
    """``scores``: {label: score} of the top labels; ``strip``: the frames the model saw (RGB array);
    ``timeline``: the per-window chart (RGB array) for long videos, else None; ``segments``: the windows;
    ``info``: a Markdown line about the video, the model and the time taken."""

    scores: dict
    strip: np.ndarray
    timeline: np.ndarray | None
    segments: list
    info: str


def classify(state: DemoState, video, model=ModelChoice.BUILT_IN, session_model=None, top_k=5) -> ClassifyResult:
    """Classify the uploaded ``video`` with the built-in model, or with the one trained in this session
    (``model=ModelChoice.TRAINED``; ``session_model`` is its path)."""
    from kvideo.io import video_info
    from kvideo.plots import figure_to_array, frame_strip, timeline_figure

    clf = _classifier(state, _choice(ModelChoice, "model", model), session_model)
    path = check_upload(file_path(video), VIDEO_EXTENSIONS, what="video")
    t0 = time.perf_counter()
    info = video_info(path)
    frames = clf.preprocessor.read(path)  # exactly what the model sees (the strip below shows it)
    with state.model_lock:
        preds = clf.predict(frames, top_k=min(top_k, len(clf.class_names)))
    duration, n_frames = float(info.get("duration") or 0.0), int(info.get("frames") or 0)
    segments, timeline = [], None
    if duration >= TIMELINE_MIN_SECONDS and n_frames > 2 * clf.num_frames:
        window = max(2, min(int(clf.default_window_frames()), n_frames))  # the training videos' median length
        stride = max(window, math.ceil(n_frames / TIMELINE_MAX_WINDOWS))
        with state.model_lock:
            segments = clf.predict_timeline(path, window_frames=window, stride=stride)
        timeline = figure_to_array(timeline_figure(segments, class_names=clf.class_names))
    top = preds[0]
    md = (
        f"**{top['label']}** ({top['score']:.0%}) &nbsp;|&nbsp; video: {duration:.1f} s, "
        f"{info.get('width')}x{info.get('height')}, {n_frames} frames &nbsp;|&nbsp; model saw {clf.num_frames} frames at "
        f"{clf.image_size[0]}x{clf.image_size[1]} &nbsp;|&nbsp; {time.perf_counter() - t0:.2f} s"
    )
    if segments:
        md += f" &nbsp;|&nbsp; timeline: {len(segments)} windows"
    return ClassifyResult(
        scores={p["label"]: float(p["score"]) for p in preds},
        strip=frame_strip(np.asarray(frames), max_frames=min(8, clf.num_frames)),
        timeline=timeline,
        segments=segments,
        info=md,
    )


def pick_classifier(state: DemoState, model, session_model=None):
    """The classifier behind a Classify choice (``model``: a :class:`ModelChoice` or its value)."""
    return _classifier(state, _choice(ModelChoice, "model", model), session_model)


def _classifier(state: DemoState, model: ModelChoice, session_model):
    if model is ModelChoice.BUILT_IN:
        return state.classifier
    if model is ModelChoice.IMAGENET:
        return state.imagenet
    if not session_model:
        raise ValueError(
            f"No model has been trained in this session: train one in the Train tab first. {received('model', model.value)}"
        )
    return state.trained_model(session_model)


# --------------------------------------------------------------------------------------------- Faces


@dataclass
class VerifyResult:
    """The verdict on two photos: ``annotated`` holds each photo with its face box (green: same person)."""

    verified: bool
    distance: float
    threshold: float
    message: str
    annotated: tuple


def verify(photo1, photo2) -> VerifyResult:
    """Are the faces in two uploaded photos the same person?"""
    from kvideo.faces import load_image
    from kvideo.faces import verify as face_verify
    from kvideo.plots import KNOWN_COLOR, UNKNOWN_COLOR, draw_boxes

    images = [load_image(check_upload(file_path(p), IMAGE_EXTENSIONS, what="photo"), "photo") for p in (photo1, photo2)]
    result = face_verify(*images)
    color = KNOWN_COLOR if result["verified"] else UNKNOWN_COLOR
    annotated = tuple(draw_boxes(img, [face["box"]], color=color) for img, face in zip(images, result["faces"]))
    verdict = "Same person" if result["verified"] else "Different people"
    md = (
        f"### {verdict}\n\ndistance **{result['distance']:.3f}** (threshold {result['threshold']:.3f}; same person "
        f"when distance <= threshold) &nbsp;|&nbsp; model {result['model']}, detector {result['detector']}"
    )
    return VerifyResult(result["verified"], result["distance"], result["threshold"], md, annotated)


@dataclass
class EnrollResult:
    """``added`` photos of ``label`` went into the gallery; ``skipped`` says why the others did not."""

    label: str
    added: int
    skipped: list = field(default_factory=list)
    identities: list = field(default_factory=list)

    @property
    def message(self) -> str:
        return f"Enrolled {self.added} photo(s) of **{self.label}**. Gallery: {', '.join(self.identities)}"


def enroll(state: DemoState, name, photos) -> EnrollResult:
    """Add uploaded photos of one person to the face gallery; photos without a usable face are skipped."""
    from kvideo.faces import load_image

    label = check_label(name)
    files = file_list(photos)
    if not files:
        raise ValueError(f"Upload at least one photo of {label}. {received('photos', [])}")
    result = EnrollResult(label, 0)
    gallery = state.gallery
    for f in files:
        check_upload(f, IMAGE_EXTENSIONS, what="photo")
        try:
            with state.faces_lock:
                gallery.add(label, load_image(f, "photo"))
            result.added += 1
        except Exception as e:  # noqa: BLE001 - report per photo, keep going
            result.skipped.append(f"{Path(f).name}: {one_line(e)}")
    if not result.added:
        raise ValueError(f"No face could be enrolled for {label}: {'; '.join(result.skipped)}")
    result.identities = list(gallery.identities())
    return result


@dataclass
class IdentifyResult:
    """Who is in a photo or a video: ``rows`` under :data:`APPEARANCE_COLUMNS`; a photo gets ``image``
    (annotated), a video gets ``chart`` (who appears when) and ``video`` (annotated ``.webm`` path)."""

    message: str
    rows: list
    chart: np.ndarray | None = None
    image: np.ndarray | None = None
    video: str | None = None


def identify(state: DemoState, media) -> IdentifyResult:
    """Search the face gallery for the people in an uploaded photo or video."""
    path = file_path(media)
    if path is None:
        raise ValueError(f"Upload a photo or a video to search. {received('file', None)}")
    check_upload(path, VIDEO_EXTENSIONS + IMAGE_EXTENSIONS, what="photo or video")
    if not state.gallery.identities():
        raise ValueError(
            "The face gallery is empty: enroll photos under a name first (or start with --faces-db). "
            + received("gallery", [])
        )
    return _identify_photo(state, path) if is_image(path) else _identify_video(state, path)


def _identify_photo(state: DemoState, path) -> IdentifyResult:
    from kvideo.faces import load_image
    from kvideo.plots import draw_boxes

    img = load_image(path, "photo")
    with state.faces_lock:
        matches = state.gallery.identify(img)
    labels = [f"{m['identity']} {m['confidence']:.0%}" if m["identity"] else "unknown" for m in matches]
    rows = [[m["identity"] or "unknown", 0.0, 0.0, 1, round(float(m["distance"]), 4)] for m in matches]
    md = f"{len(matches)} face(s) in the photo" if matches else "No face found in the photo."
    return IdentifyResult(md, rows, image=draw_boxes(img, [m["box"] for m in matches], labels))


def _identify_video(state: DemoState, path) -> IdentifyResult:
    from kvideo.faces import scan_video
    from kvideo.io import video_info
    from kvideo.plots import appearances_figure, figure_to_array

    info = video_info(path)
    every = max(1, int(round(float(info.get("fps") or 25.0) / FACE_LOOKS_PER_SECOND)))
    annotated = state.new_dir("identify") / f"{Path(path).stem}_faces.webm"
    with state.faces_lock:
        res = scan_video(path, state.gallery, every_n_frames=every, annotate_to=str(annotated), progress=False)
    found = res["segments"]
    rows = [[s["identity"] or "unknown", round(float(s["start"]), 2), round(float(s["end"]), 2), int(s["frames"]),
             round(float(s["best_distance"]), 4)] for s in found]
    duration = float(info.get("duration") or 0.0)
    md = (
        f"{len(found)} appearance(s) of {len({r[0] for r in rows})} identit(y/ies) in {duration:.1f} s "
        f"({res['frames_processed']} frames looked at in {float(res['seconds']):.1f} s)"
    )
    chart = figure_to_array(appearances_figure(found, duration=duration or None))
    return IdentifyResult(md, rows, chart=chart, video=res["annotated"])


# --------------------------------------------------------------------------------------------- Train


@dataclass
class TrainRequest:
    """What the Train tab sends: ``labels`` as ``(name, clip files)`` rows and/or a ``zip_file`` of
    ``<label>/<clip>``; ``num_frames`` and ``image_size`` (pixels, square) shape a new model (None: as the
    built-in model); ``base_model`` is the uploaded ``.keras`` for ``StartFrom.UPLOADED``."""

    labels: tuple = ()
    zip_file: object = None
    arch: str = TRAIN_ARCH
    epochs: int = 10
    start_from: StartFrom = StartFrom.NEW
    base_model: object = None
    num_frames: int | None = None
    image_size: int | None = None


@dataclass
class TrainUpdate:
    """One step of training for the page: a Markdown ``message``, the ``curves`` so far (RGB array), and at
    the end ``model_path`` (the saved ``.keras``). ``warnings`` are shown once, beside the message."""

    message: str
    curves: np.ndarray | None = None
    model_path: str | None = None
    warnings: tuple = ()


def train(state: DemoState, request: TrainRequest, on_progress=None):
    """Train (or fine-tune) on the uploaded clips in a background :class:`~kvideo.demo.training.TrainingJob`;
    yields a :class:`TrainUpdate` when the clips are ready, after every epoch, and when the model is saved.
    ``on_progress(fraction, text)`` is called after every batch. Closing the generator cancels the job."""
    from kvideo.plots import figure_to_array, history_figure

    epochs = check_int("epochs", request.epochs, low=1, high=MAX_TRAIN_EPOCHS)
    start = _choice(StartFrom, "start_from", request.start_from)
    on_progress = on_progress or (lambda fraction, text: None)
    data_dir, job = state.new_dir("train-data"), None
    try:
        counts = assemble_training_folder(data_dir, request.zip_file, request.labels, scratch_dir=state.workdir)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        warnings = ()
        if min(counts.values()) < 2:
            warnings = ("Some labels have a single clip: upload a few per label for a model that generalises.",)
        yield TrainUpdate(f"Preparing {sum(counts.values())} clips ({summary}) ...", warnings=warnings)
        model, how, fit = _start_model(state, request, start, sorted(counts))
        # hold out a validation fifth only when every label has enough clips for it to mean something
        val_split = 0.2 if min(counts.values()) >= 5 else None
        job = TrainingJob(lambda callbacks: fit(str(data_dir), epochs=epochs, batch_size=TRAIN_BATCH_SIZE, verbose=0,
                                                validation_split=val_split, callbacks=callbacks), epochs).start()
        t0 = time.perf_counter()
        on_progress(0.0, f"Training {how}")
        curves = None
        for p in job.updates():
            if not p.epoch_end:
                on_progress(p.fraction, f"epoch {p.epoch + 1}/{epochs}")
                continue
            curves = figure_to_array(history_figure(p.history, title=f"{how}: epoch {p.epoch}/{epochs}"))
            metrics = ", ".join(f"{k} {v[-1]:.3f}" for k, v in p.history.items())
            yield TrainUpdate(f"Training {how} on {summary}: epoch {p.epoch}/{epochs} ({metrics})", curves)
        history = job.result()
        curves = figure_to_array(history_figure(history, title=f"{how}: done")) if history else curves
        out = state.new_dir("model") / f"kvideo_{'_'.join(sorted(counts))[:60]}.keras"
        model.save(out)
        md = (
            f"Done: {how} on {summary} in {time.perf_counter() - t0:.1f} s. Try it below or in the Classify tab "
            f"(Model: trained), and download the .keras file."
        )
        yield TrainUpdate(md, curves, str(out))
    finally:
        if job is not None and not job.done:  # the page went away: stop training before removing its clips
            job.cancel()
            job.wait(timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)


def _start_model(state: DemoState, request: TrainRequest, start: StartFrom, class_names):
    """``(model, what it is in words, its fit or fine_tune method)``."""
    from kvideo.tasks import VideoClassifier

    if start is StartFrom.NEW:
        size = int(request.image_size or state.classifier.image_size[0])
        model = VideoClassifier(request.arch, class_names=list(class_names),
                                num_frames=int(request.num_frames or state.classifier.num_frames), image_size=(size, size))
        return model, f"a new {request.arch} model", model.fit
    if start is StartFrom.UPLOADED:
        base = check_upload(file_path(request.base_model), MODEL_EXTENSIONS, what="model file")
        model = VideoClassifier.load(base)
        return model, f"fine-tuning {Path(base).name}", model.fine_tune
    model = state.builtin_copy()  # the demo's own model keeps serving the Classify tab
    return model, "fine-tuning the demo's model", model.fine_tune
