"""The Train tab's labels, as Teachable Machine has them: a list of label cards, each holding the clips kept
for it (recorded from the webcam and trimmed, uploaded, or from a zip). Plain functions on a per-session
:class:`LabelSet`; no Gradio here (``kvideo.demo.app_train`` draws the cards and wires the buttons).

Each browser session holds its own ``LabelSet`` (a ``gr.State`` made by :func:`new_label_set`), whose clips
live in its own folder, so two people training at once never see each other's clips.

Example:
    >>> import tempfile
    >>> labels = new_label_set(tempfile.mkdtemp())
    >>> [c.name for c in labels.cards]
    ['Class 1', 'Class 2']
    >>> _ = add_label(labels); rename_label(labels, 0, "wave"); [c.name for c in labels.cards]
    ['wave', 'Class 2', 'Class 3']
    >>> remove_label(labels, 2); labels.counts()
    {'wave': 0, 'Class 2': 0}
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kvideo.demo.safety import check_extension, check_label
from kvideo.demo.uploads import file_list, file_path, zip_labels
from kvideo.utils.formats import ARCHIVE_EXTENSIONS, VIDEO_EXTENSIONS
from kvideo.utils.validation import check_int, received

__all__ = [
    "MAX_LABELS", "MIN_CLIP_SECONDS", "START_LABELS", "LabelCard", "LabelSet", "add_label", "add_uploads",
    "add_zip", "card_views", "clear_clips", "keep_recording", "new_label_set", "remove_label", "rename_label", "trim_clip",
]

#: Label cards a session may have (the page draws this many and shows the ones in use).
MAX_LABELS = 6
#: Label cards a new session starts with.
START_LABELS = 2
#: A kept recording must be at least this long (a model needs a few frames of it).
MIN_CLIP_SECONDS = 0.2
#: A recording is stored at this many frames per second at most (webcams send up to 60).
KEEP_FPS = 15.0


@dataclass
class LabelCard:
    """One label: its ``name`` and the paths of its kept ``clips`` (inside the session folder, under ``key``
    so that renaming a label moves no file)."""

    name: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    clips: list = field(default_factory=list)


@dataclass
class LabelSet:
    """The labels of one browser session and the folder that holds their clips."""

    folder: str
    cards: list = field(default_factory=list)

    def counts(self) -> dict:
        """``{label: number of clips}`` in card order."""
        return {c.name: len(c.clips) for c in self.cards}

    def training_rows(self) -> tuple:
        """``(name, clips)`` per card, as :func:`kvideo.demo.uploads.assemble_training_folder` takes them."""
        return tuple((c.name, list(c.clips)) for c in self.cards)

    def card(self, index) -> LabelCard:
        i = check_int("label", index, low=0)
        if i >= len(self.cards):
            raise ValueError(f"There is no label number {i + 1}: add a label first. {received('label', index)}")
        return self.cards[i]

    def cleanup(self) -> None:
        """Delete the session's clips (called when the browser session ends)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def new_label_set(folder, count=START_LABELS) -> LabelSet:
    """A fresh set of ``count`` labels named "Class 1", "Class 2", ...; their clips go under ``folder``."""
    labels = LabelSet(folder=str(folder))
    for _ in range(check_int("count", count, low=1, high=MAX_LABELS)):
        add_label(labels)
    return labels


def add_label(labels: LabelSet, name=None) -> LabelCard:
    """Append a label (named with the first free "Class N" unless ``name`` is given); at most :data:`MAX_LABELS`."""
    if len(labels.cards) >= MAX_LABELS:
        raise ValueError(f"At most {MAX_LABELS} labels: remove one first. {received('labels', len(labels.cards))}")
    if name is None:
        n = 1
        while _taken(labels, f"Class {n}"):
            n += 1
        name = f"Class {n}"
    card = LabelCard(_unique_name(labels, name))
    labels.cards.append(card)
    return card


def remove_label(labels: LabelSet, index) -> None:
    """Remove a label and its clips; two labels always stay (training needs two)."""
    card = labels.card(index)
    if len(labels.cards) <= 2:
        raise ValueError(f"Training needs 2 labels: rename this one instead of removing it. {received('label', card.name)}")
    labels.cards.remove(card)
    shutil.rmtree(Path(labels.folder) / card.key, ignore_errors=True)


def rename_label(labels: LabelSet, index, name) -> None:
    """Rename a label (a valid folder name, not used by another label)."""
    card = labels.card(index)
    new = check_label(name)
    if new.lower() != card.name.lower():
        new = _unique_name(labels, new, exclude=card)
    card.name = new


def clear_clips(labels: LabelSet, index) -> None:
    """Forget all clips of a label."""
    card = labels.card(index)
    card.clips.clear()
    shutil.rmtree(Path(labels.folder) / card.key, ignore_errors=True)


def add_uploads(labels: LabelSet, index, files) -> int:
    """Copy uploaded video files into a label; returns how many were added."""
    card = labels.card(index)
    paths = file_list(files)
    if not paths:
        raise ValueError(f"Choose one or more video files for {card.name}. {received('files', [])}")
    for p in paths:
        check_extension(p, VIDEO_EXTENSIONS, what="clip")
    for p in paths:
        dest = _new_clip_path(labels, card, Path(p).suffix.lower())
        shutil.copy(p, dest)
        card.clips.append(str(dest))
    return len(paths)


def keep_recording(labels: LabelSet, index, video, start=None, end=None) -> str:
    """Trim a recording (``start`` / ``end`` in seconds; None or 0 for its ends) and keep it in a label;
    returns the kept clip's path."""
    card = labels.card(index)
    path = file_path(video)
    if path is None:
        raise ValueError(f"Record a clip first (or upload one), then keep it. {received('video', None)}")
    check_extension(path, VIDEO_EXTENSIONS, what="recording")
    dest = _new_clip_path(labels, card, ".mp4")
    trim_clip(path, dest, start, end)
    card.clips.append(str(dest))
    return str(dest)


def trim_clip(src, dest, start=None, end=None, max_fps=KEEP_FPS) -> Path:
    """Write the part ``start``..``end`` seconds of the video ``src`` to ``dest`` (at most ``max_fps``)."""
    import numpy as np

    from kvideo.io import read_clip, video_info, write_video

    start = float(start) if start else None
    end = float(end) if end else None
    if start is not None and start < 0:
        raise ValueError(f"The start must be 0 s or later. {received('start', start)}")
    if start is not None and end is not None and end - start < MIN_CLIP_SECONDS:
        raise ValueError(f"The end must come at least {MIN_CLIP_SECONDS} s after the start. {received('end', end)}")
    info = video_info(src)
    frames = read_clip(src, size=None, sampling="all", start=start, end=end)
    if len(frames) < 2:
        raise ValueError(f"The trimmed clip holds {len(frames)} frame(s): keep a longer part. {received('end', end)}")
    duration = float(info.get("duration") or 0.0)
    span = (min(end, duration) if end and duration else (end or duration)) - (start or 0.0)
    fps = len(frames) / span if span > 0 else float(info.get("fps") or 25.0)
    if not 1.0 <= fps <= 120.0:
        fps = float(info.get("fps") or 25.0)
    step = max(1, int(round(fps / max_fps)))
    frames = frames[::step]
    if frames.shape[1] % 2 or frames.shape[2] % 2:  # H.264 wants even sizes
        frames = np.ascontiguousarray(frames[:, : frames.shape[1] // 2 * 2, : frames.shape[2] // 2 * 2])
    return Path(write_video(dest, frames, fps=fps / step))


def add_zip(labels: LabelSet, zip_file) -> dict:
    """Add the clips of a zip of ``<label>/<clip>`` folders: into the label of that name (case-insensitive),
    else into a new label. Returns ``{label: clips added}``."""
    path = check_extension(file_path(zip_file), ARCHIVE_EXTENSIONS, what="zip file")
    added = {}
    with zip_labels(path, Path(labels.folder) / f".zip-{uuid.uuid4().hex[:8]}") as rows:
        for name, clips in rows:
            card = next((c for c in labels.cards if c.name.lower() == name.lower()), None)
            if card is None:
                empty = next((c for c in labels.cards if not c.clips and c.name.startswith("Class ")), None)
                card = empty or add_label(labels, name)
                card.name = name if empty is None else _unique_name(labels, name, exclude=card)
            for clip in clips:
                dest = _new_clip_path(labels, card, clip.suffix.lower())
                shutil.move(str(clip), dest)
                card.clips.append(str(dest))
            added[card.name] = added.get(card.name, 0) + len(clips)
    return added


def _taken(labels, name, exclude=None) -> bool:
    return any(c.name.lower() == name.lower() for c in labels.cards if c is not exclude)


def _unique_name(labels, name, exclude=None) -> str:
    name = check_label(name)
    if _taken(labels, name, exclude):
        raise ValueError(f"Another label is already called {name!r}: pick another name. {received('name', name)}")
    return name


def _new_clip_path(labels, card, suffix) -> Path:
    folder = Path(labels.folder) / card.key
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"clip_{uuid.uuid4().hex[:10]}{suffix}"


def card_views(labels: LabelSet, slots=MAX_LABELS) -> list:
    """What each of the page's ``slots`` label cards shows: ``(visible, name, clip count text)``.

    Example:
        >>> card_views(LabelSet("/tmp/x", [LabelCard("wave", clips=["a.mp4"])]), slots=2)
        [(True, 'wave', '**1 clip**'), (False, '', '')]
    """
    views = []
    for i in range(slots):
        if i < len(labels.cards):
            n = len(labels.cards[i].clips)
            views.append((True, labels.cards[i].name, f"**{n} clip{'' if n == 1 else 's'}**"))
        else:
            views.append((False, "", ""))
    return views
