"""The one set of pictures kvideo draws: training curves, confusion matrices, timelines, face boxes, frame strips.

Used by the task (``VideoClassifier.plot_history``), the CLI (``--plots``) and the demo alike. Every chart is
a :class:`matplotlib.figure.Figure` made with the object API (never ``pyplot``'s global state), so charts are
drawn safely from several threads at once (the demo's request workers) and no display is needed. Turn a
figure into an RGB array with :func:`figure_to_array` or write it with :func:`save_figure` (atomic; the
suffix picks PNG, SVG or PDF).

Example:
    >>> from kvideo.plots import history_figure, figure_to_array
    >>> fig = history_figure({"loss": [0.9, 0.5, 0.3], "accuracy": [0.4, 0.7, 0.9]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> figure_to_array(fig).shape[2]
    3
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = [
    "FIGURE_FORMATS",
    "appearances_figure",
    "confusion_figure",
    "draw_boxes",
    "figure_to_array",
    "frame_strip",
    "history_figure",
    "new_figure",
    "save_figure",
    "timeline_figure",
]

#: The file types :func:`save_figure` writes, by suffix.
FIGURE_FORMATS = (".png", ".svg", ".pdf")
#: Colour of a face box for someone known / unknown (RGB).
KNOWN_COLOR = (0, 200, 0)
UNKNOWN_COLOR = (220, 40, 40)


def new_figure(width=8.0, height=3.0, dpi=100):
    """A constrained-layout ``Figure`` with its own Agg canvas (no pyplot, no display, safe in any thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_array(fig) -> np.ndarray:
    """Render ``fig`` to an RGB ``np.uint8`` array shaped (H, W, 3).

    Example:
        >>> figure_to_array(new_figure(2, 1, dpi=50)).shape
        (50, 100, 3)
    """
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[..., :3])


def save_figure(fig, path, dpi=100) -> Path:
    """Write ``fig`` to ``path`` atomically (temp file + rename); ``.png``, ``.svg`` or ``.pdf`` by suffix.

    Example:
        >>> import os, tempfile
        >>> out = save_figure(new_figure(2, 1), os.path.join(tempfile.mkdtemp(), "chart.svg"))
        >>> out.read_text()[:5]
        '<?xml'
    """
    from kvideo.utils.files import atomic_path

    path = Path(os.fspath(path)).expanduser()
    suffix = path.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise ValueError(
            f"A figure is written as one of {', '.join(FIGURE_FORMATS)}: give the path one of these suffixes. "
            f"Received: path={str(path)!r}"
        )
    with atomic_path(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix[1:])
    return path


def history_figure(history: dict, title: str | None = None):
    """Loss and accuracy per epoch from a Keras-style history ``{"loss": [...], "val_loss": [...], ...}``.

    Two panels, ``loss`` and ``accuracy``: keys ending in ``loss`` go left, keys holding ``acc`` right;
    validation curves (``val_*``) are dashed. Epochs are counted from 1 with integer ticks.

    Example:
        >>> fig = history_figure({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
        >>> loss_ax, acc_ax = fig.axes
        >>> [line.get_label() for line in loss_ax.get_lines()], loss_ax.get_lines()[0].get_xdata().tolist()
        (['loss', 'val_loss'], [1, 2])
    """
    from matplotlib.ticker import MaxNLocator

    curves = {k: [float(v) for v in vs] for k, vs in (history or {}).items() if _is_series(vs) and len(vs)}
    if not curves:
        raise ValueError(f"No training history to plot: train first (fit). Received: history={history!r}"[:300])
    fig = new_figure(8, 3)
    loss_ax, acc_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for key, ys in curves.items():
        ax = loss_ax if key.endswith("loss") else acc_ax if "acc" in key else None
        if ax is not None:
            style = "--" if key.startswith("val_") else "-"
            ax.plot(np.arange(1, len(ys) + 1), ys, style, marker="o", markersize=3, label=key)
    loss_ax.set_title("loss")
    acc_ax.set_title("accuracy")
    acc_ax.set_ylim(-0.02, 1.02)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)  # centred: the demo puts its label and buttons in the corners
    return fig


def _is_series(values) -> bool:
    return isinstance(values, (list, tuple, np.ndarray)) and all(np.isscalar(v) for v in values)


def counts_figure(counts: dict, title=None, xlabel="clips"):
    """One horizontal bar per label, in the order given (the demo's clips per label), with the count at its end.

    Example:
        >>> fig = counts_figure({"wave": 5, "clap": 3}, title="Clips per label")
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()], [t.get_text() for t in fig.axes[0].texts]
        (['clap', 'wave'], ['5', '3'])
    """
    names = [str(n) for n in counts]
    values = [float(v) for v in counts.values()]
    fig = new_figure(6.0, 1.2 + 0.45 * max(len(names), 1))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh(names[::-1], values[::-1], color="#3b82f6")
    for i, v in enumerate(values):
        ax.annotate(f"{v:g}", (v, len(values) - 1 - i), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=12)
    ax.set_xlabel(xlabel)
    ax.tick_params(labelsize=12)
    ax.set_xlim(0, max(values + [1.0]) * 1.15)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    if title:
        ax.set_title(title, fontsize=12)
    return fig


def confusion_figure(matrix, class_names, normalize=False, title=None):
    """The confusion matrix (rows: true label, columns: predicted), with the count or share in each cell.

    Example:
        >>> fig = confusion_figure([[3, 1], [0, 4]], ["left", "right"], normalize=True)
        >>> ax = fig.axes[0]
        >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.texts]
        ('predicted', 'true', ['0.75', '0.25', '0.00', '1.00'])
    """
    cm = np.asarray(matrix, dtype=float)
    names = [str(n) for n in class_names]
    n = len(names)
    if cm.shape != (n, n):
        raise ValueError(
            f"The confusion matrix must be square with one row per class name. "
            f"Received: matrix.shape={cm.shape}, class_names={names}"
        )
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = new_figure(3.0 + 0.6 * n, 2.5 + 0.6 * n)
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = cm.max() if cm.size else 1.0
    for i in range(n):
        for j in range(n):
            text = f"{cm[i, j]:.2f}" if normalize else f"{int(round(cm[i, j]))}"
            ax.text(j, i, text, ha="center", va="center", color="white" if cm[i, j] > top / 2 else "black")
    fig.colorbar(image, ax=ax)
    if title:
        ax.set_title(title)
    return fig


def timeline_figure(segments, duration=None, class_names=None, title=None):
    """Predictions per window ``[{"start", "end", "label", "score"}]``: one bar per window, coloured by label,
    as tall as its score; the x axis is seconds (``0..duration`` when given, else the windows' span).

    Example:
        >>> fig = timeline_figure([{"start": 0, "end": 2, "label": "wave", "score": 0.9},
        ...                        {"start": 2, "end": 4, "label": "clap", "score": 0.6}], duration=4)
        >>> ax = fig.axes[0]
        >>> [round(float(p.get_height()), 2) for p in ax.patches], [float(x) for x in ax.get_xlim()], ax.get_xlabel()
        ([0.9, 0.6], [0.0, 4.0], 'seconds')
    """
    import matplotlib

    labels = [str(c) for c in class_names] if class_names else []
    for seg in segments:
        if seg["label"] not in labels:
            labels.append(seg["label"])
    cmap = matplotlib.colormaps["tab10"]
    colors = {lab: cmap(i % 10) for i, lab in enumerate(labels)}
    fig = new_figure(8, 3)
    ax = fig.add_subplot(1, 1, 1)
    seen = set()
    for seg in segments:
        lab = seg["label"]
        ax.bar(float(seg["start"]), float(seg.get("score", 1.0)), width=float(seg["end"]) - float(seg["start"]),
               align="edge", color=colors[lab], edgecolor="white", label=None if lab in seen else lab)
        seen.add(lab)
    ax.set_yticks([0, 0.5, 1.0])
    ax.set_ylabel("score")
    ax.set_xlabel("seconds")
    ax.set_ylim(0, 1.2)  # head-room above the bars and the legend below: the demo draws its label over the top
    if duration:
        ax.set_xlim(0.0, float(duration))
    elif segments:
        ax.set_xlim(min(float(s["start"]) for s in segments), max(float(s["end"]) for s in segments))
    if title:
        ax.set_title(title, loc="right", fontsize=9)
    if seen:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=len(seen), fontsize=8, frameon=False)
    return fig


def appearances_figure(appearances, duration=None, title="Who appears when"):
    """Who appears when: a row per identity with a bar per ``{"identity", "start", "end"}`` (seconds);
    unknown faces (identity None) share the grey ``unknown`` row.

    Example:
        >>> fig = appearances_figure([{"identity": "ana", "start": 0, "end": 1.5},
        ...                           {"identity": None, "start": 2, "end": 3}], duration=4)
        >>> ax = fig.axes[0]
        >>> [t.get_text() for t in ax.get_yticklabels()], len(ax.patches)
        (['ana', 'unknown'], 2)
    """
    names = []
    for item in appearances:
        name = item.get("identity") or "unknown"
        if name not in names:
            names.append(name)
    fig = new_figure(8, 2.6)
    ax = fig.add_subplot(1, 1, 1)
    for item in appearances:
        name = item.get("identity") or "unknown"
        width = max(float(item["end"]) - float(item["start"]), 0.04)  # a single frame stays visible
        ax.barh(names.index(name), width, left=float(item["start"]), height=0.6,
                color="tab:gray" if name == "unknown" else "tab:blue")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("seconds")
    if duration:
        ax.set_xlim(0, float(duration))
    ax.set_title(title if appearances else f"{title}: no faces found", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return fig


def frame_strip(frames, max_frames=8, height=96) -> np.ndarray:
    """Up to ``max_frames`` evenly spaced frames of ``frames`` (T, H, W, 3) side by side, ``height`` pixels high,
    with white 4-pixel gaps; an RGB ``np.uint8`` array.

    Example:
        >>> frame_strip(np.zeros((16, 64, 64, 3), np.uint8), max_frames=4, height=32).shape
        (32, 140, 3)
    """
    import cv2

    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) == 0:
        raise ValueError(f"frame_strip needs frames shaped (T, H, W, 3). Received: shape={frames.shape}")
    idx = np.unique(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int))
    tiles = []
    for i in idx:
        f = frames[i] if frames.dtype == np.uint8 else np.clip(frames[i], 0, 255).astype(np.uint8)
        w = max(1, round(f.shape[1] * height / f.shape[0]))
        interpolation = cv2.INTER_NEAREST if f.shape[0] < height else cv2.INTER_AREA
        tiles += [cv2.resize(f, (w, height), interpolation=interpolation), np.full((height, 4, 3), 255, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def draw_boxes(image, boxes, labels=None, color=KNOWN_COLOR) -> np.ndarray:
    """A copy of the RGB ``image`` with ``[x, y, w, h]`` boxes and optional labels; a label starting with
    ``unknown`` is drawn in red. ``None`` boxes are skipped.

    Example:
        >>> out = draw_boxes(np.zeros((50, 50, 3), np.uint8), [[10, 10, 20, 20]], ["ana"])
        >>> out[30, 20].tolist()
        [0, 200, 0]
    """
    import cv2

    out = np.ascontiguousarray(np.asarray(image, dtype=np.uint8).copy())
    thick = max(2, round(max(out.shape[:2]) / 300))
    for i, box in enumerate(boxes or []):
        if box is None:
            continue
        x, y, w, h = (int(round(float(v))) for v in box[:4])
        text = labels[i] if labels and i < len(labels) else None
        c = UNKNOWN_COLOR if text is not None and text.startswith("unknown") else color
        cv2.rectangle(out, (x, y), (x + w, y + h), c, thick)
        if text:
            scale = max(0.5, max(out.shape[:2]) / 900)
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
            y0 = max(th + 4, y)
            cv2.rectangle(out, (x, y0 - th - 6), (x + tw + 4, y0), c, -1)
            cv2.putText(out, text, (x + 2, y0 - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick // 2 + 1)
    return out
