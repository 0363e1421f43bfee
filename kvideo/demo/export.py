"""Export the model trained in the demo: a file to download plus a Python snippet that uses it.

``EXPORT_FORMATS`` lists what the Train tab offers: ``keras`` (the task's own ``save``: model, labels and
preprocessing in one file, loaded with ``safe_mode``) and the runtime formats of
:mod:`kvideo.tasks.export` (ONNX, LiteRT, TensorFlow SavedModel), each downloaded as one zip that holds the
exported model and its ``.kvideo.json`` (labels + preprocessing). A format the model's layers cannot run in
is refused in one line naming the architectures that export to it.

Example:
    >>> EXPORT_FORMATS
    ('keras', 'onnx', 'litert', 'saved_model')
    >>> print(usage_snippet("keras", "my_model.keras"))          # doctest: +NORMALIZE_WHITESPACE
    import kvideo
    clf = kvideo.VideoClassifier.load("my_model.keras")
    print(clf.predict("clip.mp4"))          # [{'label': ..., 'score': ...}, ...]
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kvideo.tasks.export import EXPORT_FORMATS as RUNTIME_FORMATS
from kvideo.utils.validation import check_choice

__all__ = ["EXPORT_FORMATS", "ExportResult", "export_model", "usage_snippet"]

#: Formats the demo exports to.
EXPORT_FORMATS = ("keras", *RUNTIME_FORMATS)
_EXPORTED_NAME = {"onnx": "model.onnx", "litert": "model.tflite", "saved_model": "saved_model"}

_RUNTIME_SNIPPET = '''import json, zipfile
import numpy as np
import kvideo
from kvideo.tasks.export import load_exported   # runs the file in {runtime}

zipfile.ZipFile("{filename}").extractall("exported")
meta = json.load(open("exported/{exported}.kvideo.json"))          # labels + preprocessing
run = load_exported("exported/{exported}", "{fmt}")
clip = kvideo.read_clip("clip.mp4", num_frames=meta["num_frames"], size=tuple(meta["image_size"]))
x = clip[None].astype("float32")                                    # (1, T, H, W, 3), RGB 0..255
if "streams" in meta:                                               # the pretrained classifier's input streams
    from kvideo.data.streams import make_streams
    x = make_streams(clip[None], meta["streams"]).astype("float32")
probs = run(x)[0]
print(meta["labels"][int(np.argmax(probs))], float(probs.max()))'''
_RUNTIME = {"onnx": "onnxruntime", "litert": "the LiteRT interpreter", "saved_model": "TensorFlow"}


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
    return _RUNTIME_SNIPPET.format(runtime=_RUNTIME[fmt], filename=filename, exported=_EXPORTED_NAME[fmt], fmt=fmt)


def export_model(model, fmt, out_dir, name="kvideo_model") -> ExportResult:
    """Write ``model`` (a trained kvideo classifier) in format ``fmt`` into ``out_dir``; return the file
    (a ``.keras``, or a zip of the exported model + its ``.kvideo.json``), the format and the usage snippet."""
    fmt = check_choice("fmt", fmt, EXPORT_FORMATS)
    if model is None:
        raise ValueError("No model has been trained in this session: train one first, then export it.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "keras":
        path = Path(model.save(out_dir / f"{name}.keras"))
        return ExportResult(path=path, format=fmt, snippet=usage_snippet(fmt, path.name))
    from kvideo.tasks.export import export_task

    work = out_dir / f".{name}-{fmt}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        done = export_task(model, work / _EXPORTED_NAME[fmt], format=fmt)
        path = out_dir / f"{name}_{fmt}.zip"
        tmp = path.with_name(path.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for item in (Path(done["path"]), Path(done["sidecar"])):
                files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
                for f in files:
                    z.write(f, f.relative_to(work).as_posix())
        os.replace(tmp, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ExportResult(path=path, format=fmt, snippet=usage_snippet(fmt, path.name))
