"""The demo's built-in default model and sample clips, cached under ``~/.cache/kvideo``.

``KVIDEO_CACHE_DIR`` overrides the cache folder. The default model is the small one shipped in the package
(``kvideo/demo/default_model.keras``, made by ``python demo/make_default_model.py``); if it is missing or
cannot be loaded (e.g. a Keras version that cannot read it) it is trained once from ``make_sample_videos`` and cached.

Example:
    >>> from kvideo.demo.defaults import cache_dir, sample_clips
    >>> clips = sample_clips()          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("kvideo.demo")

#: Classes of the built-in model: two pairs that differ only in frame order (see kvideo.datasets).
DEFAULT_CLASSES = ("left", "right", "grow", "shrink")
#: How the built-in model is made. Bump ``version`` when changing anything so caches are rebuilt.
DEFAULT_SPEC = {
    "version": 1,
    # td_gru (per-frame CNN + frame differences + GRU), slimmed to stay < 2 MB with its optimizer state.
    # Measured (demo/make_default_model.py): c3d stayed at chance (0.25) and weighed 6.3 MB; convlstm overfit
    # (0.30); td_gru with the default widths reached 0.72 but weighed 3.2 MB; this one 0.90 at 1.0 MB (240 s to train).
    "arch": "td_gru",
    "arch_options": {"units": 32, "filters": (16, 32, 32)},
    "classes": DEFAULT_CLASSES,
    "num_frames": 12,
    "image_size": (48, 48),
    "per_class": 60,
    "sample_frames": 24,
    "sample_size": (64, 64),
    "epochs": 25,
    "batch_size": 8,
    "seed": 0,
}
SHIPPED_MODEL = Path(__file__).resolve().parent / "default_model.keras"


def cache_dir() -> Path:
    """``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo`` (created)."""
    root = os.environ.get("KVIDEO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "kvideo")
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_model_path(spec=None) -> Path:
    spec = spec or DEFAULT_SPEC
    return cache_dir() / "demo" / f"default_model_v{spec['version']}_{spec['arch']}.keras"


def train_default_model(out_path, spec=None, verbose=1) -> Path:
    """Train the built-in default model on ``make_sample_videos`` clips and save it to ``out_path`` (atomic).

    Example:
        >>> train_default_model("/tmp/default_model.keras")   # doctest: +SKIP
    """
    import tempfile

    from kvideo.datasets import make_sample_videos
    from kvideo.tasks import VideoClassifier
    from kvideo.utils.files import atomic_path

    spec = dict(DEFAULT_SPEC, **(spec or {}))
    try:
        import keras

        keras.utils.set_random_seed(spec["seed"])
    except Exception:  # noqa: BLE001 - seeding is best effort
        pass
    with tempfile.TemporaryDirectory(prefix="kvideo-default-") as tmp:
        data = make_sample_videos(
            Path(tmp) / "clips",
            classes=spec["classes"],
            per_class=spec["per_class"],
            num_frames=spec["sample_frames"],
            size=spec["sample_size"],
            seed=spec["seed"],
        )
        clf = VideoClassifier(
            spec["arch"],
            class_names=list(spec["classes"]),
            num_frames=spec["num_frames"],
            image_size=tuple(spec["image_size"]),
            **dict(spec.get("arch_options") or {}),
        )
        clf.fit(
            str(data),
            epochs=spec["epochs"],
            batch_size=spec["batch_size"],
            validation_split=spec.get("validation_split", 0.2),
            verbose=verbose,
        )
        with atomic_path(out_path) as tmp_path:
            clf.save(tmp_path)
    return Path(out_path)


def load_default_model(prefer_shipped=True):
    """Return ``(VideoClassifier, source)`` for the built-in model; source is "shipped", "cache" or "trained"."""
    from kvideo.tasks import VideoClassifier

    if prefer_shipped and SHIPPED_MODEL.exists():
        try:
            return VideoClassifier.load(SHIPPED_MODEL), "shipped"
        except Exception as e:  # noqa: BLE001 - fall back to training one
            log.warning("the shipped default model could not be loaded (%s); training one instead", e)
    path = cached_model_path()
    if path.exists():
        try:
            return VideoClassifier.load(path), "cache"
        except Exception as e:  # noqa: BLE001
            log.warning("the cached default model %s could not be loaded (%s); training it again", path, e)
    print(f"kvideo demo: training the built-in default model once (cached in {path}) ...", file=sys.stderr, flush=True)
    train_default_model(path, verbose=2)
    return VideoClassifier.load(path), "trained"


def sample_clips(seed=123) -> list[Path]:
    """Sample clips to try in the Classify tab: one short clip per default class and a 10 s clip of five
    motions in a row (for the timeline), as VP8 ``.webm`` (plays in browsers). Made once into
    ``<cache>/demo/samples_v<version>``."""
    from kvideo.datasets import make_sample_videos

    root = cache_dir() / "demo" / f"samples_v{DEFAULT_SPEC['version']}"
    long_clip = root / "long_10s.webm"
    shorts = [root / c / f"{c}_0.webm" for c in DEFAULT_CLASSES]
    if not long_clip.exists() or not all(p.exists() for p in shorts):
        make_sample_videos(
            root,
            classes=DEFAULT_CLASSES,
            per_class=2,
            num_frames=DEFAULT_SPEC["sample_frames"],
            size=DEFAULT_SPEC["sample_size"],
            seed=seed,
            ext=".webm",  # VP8: plays in every browser
        )
        make_long_clip(long_clip, [root / c / f"{c}_{i}.webm" for i in (0, 1) for c in DEFAULT_CLASSES][:5])
    return [long_clip, *shorts]


def make_long_clip(out_path, clips, fps=12, seconds=None) -> Path:
    """Concatenate ``clips`` (re-read at their native size) into one video at ``fps``; returns the path."""
    import numpy as np

    from kvideo.io import read_clip, write_video

    parts = [read_clip(c, size=None, sampling="all") for c in clips]
    frames = np.concatenate(parts, axis=0)
    if seconds is not None:
        n = int(round(seconds * fps))
        reps = int(np.ceil(n / len(frames)))
        frames = np.concatenate([frames] * reps, axis=0)[:n]
    return Path(write_video(out_path, frames, fps=fps))
