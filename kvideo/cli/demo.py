"""``kvideo demo``: the Gradio demo in the browser (Classify, Faces, Train).

Binds 127.0.0.1 by default; no public share links are offered.
"""

from __future__ import annotations

import sys


def register(subparsers):
    from kvideo.cli._common import add_common

    p = subparsers.add_parser(
        "demo",
        help="open the browser demo: classify videos, find faces, train on your own labels",
        description=(
            "Serve the kvideo demo (Gradio) on http://HOST:PORT. With no --model it uses the built-in default "
            "model (shipped in the package, or trained once from sample clips and cached under ~/.cache/kvideo; "
            "KVIDEO_CACHE_DIR overrides). Binds 127.0.0.1 unless --host says otherwise. Ctrl+C stops it."
        ),
    )
    p.add_argument("--model", default=None, help="a .keras file saved by VideoClassifier.save (default: built-in)")
    p.add_argument("--faces-db", default=None, help="a face gallery made by `kvideo faces enroll` (default: empty)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860; 0 picks a free one)")
    p.add_argument("--max-file-size", default="200mb", help='upload size limit, e.g. "200mb" (default)')
    p.add_argument("--no-samples", action="store_true", help="do not make sample clips")
    add_common(p)
    # uses_keras=False: the demo serves its page first and imports Keras in the background (kvideo.demo.startup)
    p.set_defaults(func=run_demo, format=_format, uses_keras=False)


def run_demo(args):
    from pathlib import Path

    from kvideo.utils.validation import received

    # fail fast, before Gradio and TensorFlow load
    for flag, value, hint in (
        ("--model", args.model, "pass a .keras file saved by VideoClassifier.save (`kvideo train ... --out M.keras`)"),
        ("--faces-db", args.faces_db, "make one with `kvideo faces enroll PHOTOS --db DB`"),
    ):
        if value is not None and not Path(value).is_file():
            raise FileNotFoundError(f"{flag} file not found: {hint}. {received(flag.lstrip('-').replace('-', '_'), value)}")

    from kvideo.demo.app import launch

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"kvideo demo: warning: binding {args.host} makes the demo reachable from other machines; "
            "it has no login.",
            file=sys.stderr,
            flush=True,
        )
    app, url = launch(
        host=args.host,
        port=args.port,
        model=args.model,
        faces_db=args.faces_db,
        max_file_size=args.max_file_size,
        samples=not args.no_samples,
        block=True,
    )
    return {"url": url, "stopped": True}


def _format(result):
    return f"kvideo demo stopped ({result.get('url')})"
