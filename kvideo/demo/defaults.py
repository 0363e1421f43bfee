"""The demo's model and sample clips: the one place that decides which classifier the demo serves.

:func:`load_model` turns what ``kvideo demo --model`` / ``build_app(model=...)`` was given (None, a path, or a
classifier) into ``(classifier, source)``; swap the built-in default here. The default is the small model
shipped in the package (``kvideo/demo/default_model.keras``, made by ``python demo/make_default_model.py``);
if it is missing or cannot be loaded (e.g. a Keras version that cannot read it) it is trained once from
``make_sample_videos`` and cached (``kvideo.utils.cache_dir``: ``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo``).

Example:
    >>> from kvideo.demo.defaults import load_model, sample_clips
    >>> clf, source = load_model(None)   # doctest: +SKIP
    >>> clips = sample_clips()          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from kvideo.utils.cache_dir import cache_dir, cache_root
from kvideo.utils.validation import received

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
#: The Train tab's default architecture: the built-in model's (it learned motion direction from few clips here).
TRAIN_ARCH = DEFAULT_SPEC["arch"]


def cached_model_path(spec=None) -> Path:
    """Where the trained fallback of the built-in model is cached (``<cache>/models``)."""
    spec = spec or DEFAULT_SPEC
    return cache_dir("models") / f"demo_default_v{spec['version']}_{spec['arch']}.keras"


def load_model(model=None):
    """``(classifier, source)`` for what the demo was given: None (the built-in model; source "shipped",
    "cache" or "trained"), a path to a ``.keras`` file saved by ``VideoClassifier.save`` (source: the path),
    or a classifier object (source "given")."""
    if model is None:
        return load_default_model()
    if isinstance(model, (str, os.PathLike)):
        from kvideo.tasks import VideoClassifier

        if not Path(model).is_file():
            raise FileNotFoundError(
                "The model file does not exist: pass a .keras file saved by VideoClassifier.save. "
                + received("model", str(model))
            )
        return VideoClassifier.load(model), str(model)
    return model, "given"


def train_default_model(out_path, spec=None, verbose=1) -> Path:
    """Train the built-in default model on ``make_sample_videos`` clips and save it to ``out_path`` (atomic).

    Example:
        >>> train_default_model("/tmp/default_model.keras")   # doctest: +SKIP
    """
    import tempfile

    from kvideo.datasets import make_sample_videos
    from kvideo.tasks import VideoClassifier
    from kvideo.utils.files import atomic_path

    import keras

    spec = dict(DEFAULT_SPEC, **(spec or {}))
    keras.utils.set_random_seed(spec["seed"])
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
    ``<cache root>/demo/samples_v<version>``."""
    from kvideo.datasets import make_sample_videos

    root = cache_root() / "demo" / f"samples_v{DEFAULT_SPEC['version']}"
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
