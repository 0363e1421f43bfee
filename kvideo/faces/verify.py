"""Are two photos the same person?"""

from __future__ import annotations

import os

from kvideo.errors import NoFaceError
from kvideo.faces.embed import default_metric, default_threshold, distances, get_engine


def verify(img1, img2, model: str | None = None, detector: str | None = None, threshold: float | None = None,
           metric: str | None = None) -> dict:
    """Compare the largest face of ``img1`` with the largest face of ``img2``.

    Images are paths or RGB uint8 arrays; tight face crops work (the whole image is used when no
    face is detected in a small, nearly square image). Returns ``{"verified", "distance",
    "threshold", "model", "detector", "metric", "faces": [face of img1, face of img2]}`` where each
    face is ``{"box": [x, y, w, h], "how": "detected" | "detected-padded" | "whole-image",
    "confidence"}``.

    Raises :class:`kvideo.errors.NoFaceError` (``.path``: the photo) when either image has no face.

    Example:
        >>> from kvideo.faces import verify
        >>> verify("alice_1.jpg", "alice_2.jpg")["verified"]  # needs two photos of faces  # doctest: +SKIP
        True
    """
    engine = get_engine(model, detector)
    metric = metric or default_metric(engine.model)
    thr = float(threshold) if threshold is not None else default_threshold(engine.model, metric)
    embs, faces = [], []
    for name, img in (("img1", img1), ("img2", img2)):
        found = engine.faces(img, largest_only=True)
        if not found:
            is_file = isinstance(img, (str, os.PathLike))
            shown = os.fspath(img) if is_file else f"array{getattr(img, 'shape', '')}"
            raise NoFaceError(
                f"No face found in {name} ({shown}) by detector {engine.detector!r}: use a photo with a visible "
                "frontal face, or a tight face crop.",
                path=shown if is_file else None, reason="no face found",
            )
        f = found[0]
        embs.append(f["embedding"])
        faces.append({"box": [int(v) for v in f["box"]], "how": f["how"], "confidence": float(f["confidence"])})
    d = float(distances(embs[0][None], embs[1][None], metric)[0, 0])
    return {
        "verified": bool(d <= thr),
        "distance": round(d, 4),
        "threshold": thr,
        "model": engine.model,
        "detector": engine.detector,
        "metric": metric,
        "faces": faces,
    }
