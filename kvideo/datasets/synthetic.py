"""Synthetic motion clips whose classes differ ONLY in frame order.

Every class comes in a pair (left/right, up/down, cw/ccw, grow/shrink). A clip of one class is
rendered as a random "forward" motion; a clip of its partner is the same kind of motion played
backwards. The frames of a "left" clip therefore have exactly the same distribution as those of a
"right" clip (a reversed sequence holds the same set of frames), so a model that ignores frame order
(frame averaging) stays at chance within each pair, while an order-aware model can solve it.

Each clip draws its own shape (circle, square, triangle, bar-with-dot, cross), colour, textured
background, size, speed, start position and a little sensor noise, all from ``seed``: the same
arguments give the same pixels.
"""

from __future__ import annotations

import math
import os
import zlib
from pathlib import Path

import numpy as np

from kvideo.utils.progress import progress as progress_items
from kvideo.utils.validation import argument_error, check_choice, check_int, parse_size

SAMPLE_CLASSES = ("left", "right", "up", "down", "cw", "ccw", "grow", "shrink")

# class -> (motion kind, played backwards?)
MOTIONS = {
    "right": ("x", False),
    "left": ("x", True),
    "down": ("y", False),
    "up": ("y", True),
    "cw": ("rot", False),
    "ccw": ("rot", True),
    "grow": ("scale", False),
    "shrink": ("scale", True),
}
MOTION_KINDS = ("x", "y", "rot", "scale")
_SHAPES = ("circle", "square", "triangle", "bar", "cross")
_ROT_SHAPES = ("triangle", "bar", "cross", "square")  # a circle shows no rotation
_SS = 4  # supersampling for smooth sub-pixel motion


def _contrasting_colour(rng, bg):
    for _ in range(50):
        c = rng.integers(0, 256, 3)
        if np.abs(c.astype(int) - bg.astype(int)).sum() > 180:
            return c
    return 255 - bg


def _background(rng, h, w):
    import cv2

    base = rng.integers(0, 256, 3).astype(np.float32)
    # smooth low-frequency texture so the background is not flat
    small = rng.normal(0, 1, (max(2, h // 8), max(2, w // 8), 3)).astype(np.float32)
    tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    amp = rng.uniform(8, 30)
    return np.clip(base + amp * tex, 0, 255), base.astype(np.uint8)


def _polygon(shape, r, angle):
    if shape == "square":
        pts = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        pts = [(x * 0.8, y * 0.8) for x, y in pts]
    elif shape == "triangle":
        pts = [(math.cos(a), math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    elif shape == "bar":  # an elongated bar: rotation is visible
        pts = [(-1, -0.3), (1, -0.3), (1, 0.3), (-1, 0.3)]
    elif shape == "cross":  # an asymmetric cross (one long arm)
        pts = [(-0.25, -1), (0.25, -1), (0.25, -0.25), (1.2, -0.25), (1.2, 0.25), (0.25, 0.25),
               (0.25, 0.7), (-0.25, 0.7), (-0.25, 0.25), (-0.8, 0.25), (-0.8, -0.25), (-0.25, -0.25)]
    else:
        raise ValueError(shape)
    ca, sa = math.cos(angle), math.sin(angle)
    return np.array([(r * (x * ca - y * sa), r * (x * sa + y * ca)) for x, y in pts])


def _draw(canvas, shape, cx, cy, r, angle, colour, marker):
    import cv2

    col = tuple(int(c) for c in colour)
    if shape == "circle":
        cv2.circle(canvas, (int(round(cx * _SS)), int(round(cy * _SS))), max(1, int(round(r * _SS))), col, -1, cv2.LINE_AA)
    else:
        pts = _polygon(shape, r, angle) + np.array([cx, cy])
        cv2.fillPoly(canvas, [np.round(pts * _SS).astype(np.int32)], col, cv2.LINE_AA)
    if marker is not None:  # a dot off-centre makes rotation unambiguous
        mx = cx + 0.55 * r * math.cos(angle)
        my = cy + 0.55 * r * math.sin(angle)
        cv2.circle(canvas, (int(round(mx * _SS)), int(round(my * _SS))), max(1, int(round(0.22 * r * _SS))),
                   tuple(int(c) for c in marker), -1, cv2.LINE_AA)


def render_motion(kind, num_frames, size, rng):
    """Render one forward motion of ``kind`` ("x", "y", "rot", "scale") as uint8 RGB (T, H, W, 3)."""
    import cv2

    h, w = size
    m = min(h, w)
    bg, base = _background(rng, h, w)
    colour = _contrasting_colour(rng, base)
    marker = 255 - colour if rng.random() < 0.5 else base
    shape = rng.choice(_ROT_SHAPES if kind == "rot" else _SHAPES)
    t = np.linspace(0.0, 1.0, num_frames)
    r0 = rng.uniform(0.10, 0.18) * m
    angle0 = rng.uniform(0, 2 * math.pi)
    if kind in ("x", "y"):
        along, across = (w, h) if kind == "x" else (h, w)
        dist = rng.uniform(0.35, 0.7) * along  # speed: fraction of the frame crossed per clip
        a0 = rng.uniform(r0, max(r0 + 1, along - r0 - dist))
        pos = a0 + dist * t
        perp = rng.uniform(r0, across - r0) + rng.uniform(-0.08, 0.08) * across * t  # slight drift
        xs, ys = (pos, perp) if kind == "x" else (perp, pos)
        rs = np.full(num_frames, r0)
        angles = np.full(num_frames, angle0)
    elif kind == "rot":
        r = rng.uniform(0.18, 0.28) * m
        cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
        total = rng.uniform(0.5, 1.0) * math.pi  # clockwise on screen (y points down)
        xs, ys = np.full(num_frames, cx), np.full(num_frames, cy)
        rs = np.full(num_frames, r)
        angles = angle0 + total * t
    elif kind == "scale":
        r1 = rng.uniform(0.28, 0.40) * m
        rstart = r1 / rng.uniform(1.8, 3.2)
        cx, cy = rng.uniform(r1 * 0.8, w - r1 * 0.8), rng.uniform(r1 * 0.8, h - r1 * 0.8)
        xs, ys = np.full(num_frames, cx), np.full(num_frames, cy)
        rs = rstart + (r1 - rstart) * t
        angles = np.full(num_frames, angle0)
    else:
        check_choice("kind", kind, MOTION_KINDS)
    noise_sigma = rng.uniform(0, 4)
    big = cv2.resize(bg, (w * _SS, h * _SS), interpolation=cv2.INTER_LINEAR)
    out = np.empty((num_frames, h, w, 3), np.uint8)
    for i in range(num_frames):
        canvas = big.copy()
        _draw(canvas, shape, xs[i], ys[i], rs[i], angles[i], colour, marker if kind == "rot" or shape != "circle" else None)
        frame = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
        if noise_sigma > 0:
            frame = frame + rng.normal(0, noise_sigma, frame.shape).astype(np.float32)
        out[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return out


def make_sample_clip(cls, num_frames=24, size=(64, 64), seed=0):
    """Frames (T, H, W, 3) uint8 RGB of one synthetic clip of class ``cls`` (no file written).

    Example:
        >>> make_sample_clip("left", num_frames=8, size=(32, 32), seed=1).shape
        (8, 32, 32, 3)
    """
    check_choice("cls", cls, SAMPLE_CLASSES)
    kind, backwards = MOTIONS[cls]
    frames = render_motion(kind, num_frames, size, np.random.default_rng(seed))
    return frames[::-1].copy() if backwards else frames


def make_sample_videos(
    out_dir,
    classes=("left", "right", "grow", "shrink"),
    per_class=12,
    num_frames=24,
    size=(64, 64),
    fps=12,
    seed=0,
    ext=".mp4",
    codec=None,
    progress=None,
):
    """Write a labeled folder of synthetic clips ``out_dir/<class>/<class>_<i><ext>``; returns ``Path(out_dir)``.

    Classes differ only in the order of their frames (see the module docstring), so an order-blind
    model stays at chance within each pair (left/right, up/down, cw/ccw, grow/shrink).

    Args:
        out_dir: folder to write to (created).
        classes: names from ``SAMPLE_CLASSES``.
        per_class: clips per class.
        num_frames: frames per clip.
        size: ``(height, width)`` of the clips (an int for a square).
        fps: frame rate written in the files.
        seed: the same seed gives the same frames.
        ext: ``.mp4`` (MPEG-4 part 2 ``mp4v`` via OpenCV: fast, no PyAV needed), ``.avi`` (MJPG),
            ``.webm`` (VP8) or ``.mkv``/``.mov`` (mp4v).
        codec: override the codec (see ``kvideo.io.write_video``), e.g. ``"h264"`` for H.264 mp4.
        progress: show a progress bar on stderr (default: when stderr is a terminal).

    Example:
        >>> root = make_sample_videos("/tmp/kvideo_samples", classes=("left", "right"), per_class=2,
        ...                           num_frames=8, size=(32, 32))
        >>> sorted(p.name for p in (root / "left").iterdir())
        ['left_0.mp4', 'left_1.mp4']
    """
    from kvideo.io.writer import write_video

    classes, (h, w), codec = _check_sample_args(classes, per_class, num_frames, fps, size, ext, codec)
    ext = ext if ext.startswith(".") else "." + ext
    out = Path(os.fspath(out_dir)).expanduser()
    jobs = [(c, i) for c in classes for i in range(int(per_class))]
    for cls, i in progress_items(jobs, desc="sample videos", unit="clip", enabled=progress):
        # a stable per-clip seed: independent of the order and number of classes asked for
        clip_seed = [int(seed), zlib.crc32(cls.encode()), i]
        frames = make_sample_clip(cls, int(num_frames), (h, w), seed=clip_seed)
        write_video(out / cls / f"{cls}_{i}{ext}", frames, fps=float(fps), codec=codec)
    return out


# extension -> codec of the sample files (mp4v for .mp4: OpenCV writes it fast, no PyAV needed)
SAMPLE_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "mp4v", ".avi": "MJPG", ".webm": "VP80"}


def _check_sample_args(classes, per_class, num_frames, fps, size, ext, codec):
    """Argument checks of :func:`make_sample_videos`: ``(classes list, (h, w), codec)``."""
    classes = [classes] if isinstance(classes, str) else list(classes)
    if not classes:
        raise argument_error("classes", classes, f"a non-empty list of names from {list(SAMPLE_CLASSES)}")
    for c in classes:
        check_choice("classes", c, SAMPLE_CLASSES)
    if len(set(classes)) != len(classes):
        raise argument_error("classes", classes, "a list without duplicates")
    check_int("per_class", per_class, low=1)
    check_int("num_frames", num_frames, low=2)
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.number)) or fps < 1:
        raise argument_error("fps", fps, "a number >= 1")
    size = parse_size(size, name="size", minimum=8)
    if codec is None:
        key = (ext if ext.startswith(".") else "." + ext).lower()
        if key not in SAMPLE_CODECS:
            raise argument_error("ext", ext, f"one of {' '.join(SAMPLE_CODECS)}")
        codec = SAMPLE_CODECS[key]
    return classes, size, codec
