"""``kvideo export MODEL.keras --format onnx|litert|saved_model [--out PATH]``."""

from __future__ import annotations

from kvideo.cli._common import add_common

_FORMATS = ("onnx", "litert", "saved_model")  # same as kvideo.tasks.export.EXPORT_FORMATS (kept import-free)


def _export(args):
    from kvideo.tasks.export import default_export_path, export_task
    from kvideo.tasks.saving import load_task

    task = load_task(args.model)
    out = args.out or default_export_path(args.model, args.export_format)
    return export_task(task, out, format=args.export_format)


def _format_export(r):
    return f"wrote {r['path']} ({r['format']}) and {r['sidecar']}"


def register(subparsers):
    p = subparsers.add_parser("export", help="export a trained .keras model to ONNX, LiteRT or a TF SavedModel")
    p.add_argument("model", help="a .keras file written by kvideo")
    p.add_argument("--format", dest="export_format", choices=_FORMATS, default="onnx", help="target runtime (default onnx)")
    p.add_argument("--out", help="output path (default: beside the model)")
    add_common(p)
    p.set_defaults(func=_export, format=_format_export)
