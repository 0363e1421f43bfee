"""Pictures the demo shows: timelines, frame strips, training curves and face boxes (numpy RGB arrays).

Matplotlib runs with the Agg backend (no display needed); every function returns an ``np.uint8`` (H, W, 3) array.

Example:
    >>> import numpy as np
    >>> from kvideo.demo.plots import frame_strip
    >>> frame_strip(np.zeros((16, 64, 64, 3), np.uint8), max_frames=8).shape[2]
    3
"""

from __future__ import annotations

import threading

import numpy as np

_MPL_LOCK = threading.Lock()  # pyplot is not thread-safe; the demo serves several requests at once


def _figure_to_array(fig) -> np.ndarray:
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[..., :3])


def _new_figure(width=8.0, height=3.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # draws without a display and without touching pyplot's global state
    return fig


def frame_strip(frames, max_frames=8, height=96) -> np.ndarray:
    """A strip of up to ``max_frames`` evenly spaced frames of ``frames`` (T, H, W, 3), resized to ``height``."""
    import cv2

    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) == 0:
        raise ValueError(f"frame_strip needs frames shaped (T, H, W, 3). Received: shape={frames.shape}")
    idx = np.unique(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int))
    tiles = []
    for i in idx:
        f = frames[i]
        if f.dtype != np.uint8:
            f = np.clip(f, 0, 255).astype(np.uint8)
        w = max(1, round(f.shape[1] * height / f.shape[0]))
        tile = cv2.resize(f, (w, height), interpolation=cv2.INTER_NEAREST if f.shape[0] < height else cv2.INTER_AREA)
        tiles.append(tile)
        tiles.append(np.full((height, 4, 3), 255, np.uint8))
    return np.concatenate(tiles[:-1], axis=1)


def timeline_chart(segments, class_names=None, title=None) -> np.ndarray:
    """Plot ``[{"start", "end", "label", "score"}]`` windows: a coloured band per label and the score over time."""
    with _MPL_LOCK:
        fig = _new_figure(8, 3.0)
        ax = fig.add_subplot(1, 1, 1)
        labels = list(class_names) if class_names else []
        for seg in segments:
            if seg["label"] not in labels:
                labels.append(seg["label"])
        import matplotlib

        cmap = matplotlib.colormaps["tab10"]
        colors = {lab: cmap(i % 10) for i, lab in enumerate(labels)}
        seen = set()
        for seg in segments:
            lab = seg["label"]
            ax.bar(
                seg["start"],
                float(seg.get("score", 1.0)),
                width=seg["end"] - seg["start"],
                align="edge",
                color=colors[lab],
                edgecolor="white",
                label=lab if lab not in seen else None,
            )
            seen.add(lab)
        ax.set_yticks([0, 0.5, 1.0])
        ax.set_ylabel("score")
        ax.set_xlabel("seconds")
        # no title and head-room above the bars, legend below: the page draws its label and buttons over the top
        if title:
            ax.set_title(title, loc="right", fontsize=9)
        ax.set_ylim(0, 1.2)
        if segments:
            ax.set_xlim(min(s["start"] for s in segments), max(s["end"] for s in segments))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=max(1, len(seen)), fontsize=8, frameon=False)
        return _figure_to_array(fig)


def training_curves(history: dict, title="Training") -> np.ndarray:
    """Loss and accuracy per epoch from a Keras-style history dict ``{"loss": [...], "accuracy": [...], ...}``."""
    with _MPL_LOCK:
        fig = _new_figure(8, 3)
        ax1 = fig.add_subplot(1, 2, 1)
        ax2 = fig.add_subplot(1, 2, 2)
        for key, values in (history or {}).items():
            if not values:
                continue
            epochs = np.arange(1, len(values) + 1)
            target = ax1 if "loss" in key else ax2 if "acc" in key else None
            if target is not None:
                target.plot(epochs, values, marker="o", label=key)
        ax1.set_title("loss")
        ax2.set_title("accuracy")
        ax2.set_ylim(-0.02, 1.02)
        from matplotlib.ticker import MaxNLocator

        for ax in (ax1, ax2):
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
        fig.suptitle(title, fontsize=10)  # centred: the page puts its label and buttons in the corners
        return _figure_to_array(fig)


def tracks_chart(tracks, duration=None, title="Who appears when") -> np.ndarray:
    """Horizontal bars per identity from ``[{"identity", "start", "end"}]`` (unknown faces under "unknown")."""
    with _MPL_LOCK:
        fig = _new_figure(8, 2.6)
        ax = fig.add_subplot(1, 1, 1)
        names = []
        for t in tracks:
            name = t.get("identity") or "unknown"
            if name not in names:
                names.append(name)
        for t in tracks:
            name = t.get("identity") or "unknown"
            y = names.index(name)
            width = max(float(t["end"]) - float(t["start"]), 0.04)
            ax.barh(y, width, left=float(t["start"]), height=0.6, color="tab:gray" if name == "unknown" else "tab:blue")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("seconds")
        if duration:
            ax.set_xlim(0, duration)
        ax.set_title(title if tracks else f"{title}: no faces found", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        return _figure_to_array(fig)


def draw_boxes(image, boxes, labels=None, color=(0, 200, 0)) -> np.ndarray:
    """Draw ``[x, y, w, h]`` boxes (and optional labels) on a copy of an RGB uint8 image."""
    import cv2

    out = np.ascontiguousarray(np.asarray(image, dtype=np.uint8).copy())
    thick = max(2, round(max(out.shape[:2]) / 300))
    for i, box in enumerate(boxes or []):
        if box is None:
            continue
        x, y, w, h = (int(round(float(v))) for v in box[:4])
        c = color
        text = labels[i] if labels and i < len(labels) else None
        if text is not None and text.startswith("unknown"):
            c = (220, 40, 40)
        cv2.rectangle(out, (x, y), (x + w, y + h), c, thick)
        if text:
            scale = max(0.5, max(out.shape[:2]) / 900)
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
            y0 = max(th + 4, y)
            cv2.rectangle(out, (x, y0 - th - 6), (x + tw + 4, y0), c, -1)
            cv2.putText(out, text, (x + 2, y0 - 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick // 2 + 1)
    return out
