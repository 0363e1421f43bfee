"""Export the model trained in the demo: a file to download plus a Python snippet that uses it.

``EXPORT_FORMATS`` lists what the Train tab offers; each format maps to one writer below (the ``.keras``
file is the task's own ``save``: model, labels and preprocessing in one file, loaded with ``safe_mode``).

Example:
    >>> EXPORT_FORMATS
    ('keras',)
    >>> print(usage_snippet("keras", "my_model.keras"))          # doctest: +NORMALIZE_WHITESPACE
    import kvideo
    clf = kvideo.VideoClassifier.load("my_model.keras")
    print(clf.predict("clip.mp4"))          # [{'label': ..., 'score': ...}, ...]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kvideo.utils.validation import check_choice

__all__ = ["EXPORT_FORMATS", "ExportResult", "export_model", "usage_snippet"]

#: Formats the demo can export (the lead adds "onnx", "litert", "saved_model" with VideoClassifier.export).
EXPORT_FORMATS = ("keras",)
_SUFFIX = {"keras": ".keras"}


@dataclass
class ExportResult:
    path: Path
    format: str
    snippet: str


def usage_snippet(fmt: str, filename: str) -> str:
    """Python code that loads the exported file ``filename`` and classifies a video."""
    fmt = check_choice("fmt", fmt, EXPORT_FORMATS)
    if fmt == "keras":
        return (
            "import kvideo\n"
            f"clf = kvideo.VideoClassifier.load({filename!r})\n".replace("'", '"')
            + "print(clf.predict(\"clip.mp4\"))          # [{'label': ..., 'score': ...}, ...]"
        )
    raise AssertionError(fmt)  # pragma: no cover (every format in EXPORT_FORMATS has a snippet)


def export_model(model, fmt, out_dir, name="kvideo_model") -> ExportResult:
    """Write ``model`` (a trained kvideo classifier) in format ``fmt`` into ``out_dir``; return the file,
    the format and the usage snippet."""
    fmt = check_choice("fmt", fmt, EXPORT_FORMATS)
    if model is None:
        raise ValueError("No model has been trained in this session: train one first, then export it.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}{_SUFFIX[fmt]}"
    if fmt == "keras":
        path = Path(model.save(path))
    return ExportResult(path=path, format=fmt, snippet=usage_snippet(fmt, path.name))
