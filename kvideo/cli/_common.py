"""What every kvideo CLI command shares.

Contract (tested): with ``--json`` a command prints exactly one JSON object on stdout;
progress and logs go to stderr; an error is one line ``error: ...`` on stderr and a
non-zero exit code (a traceback only with ``--debug``).

A subcommand module exposes ``register(subparsers)``; each parser it adds calls
``add_common(parser)`` and ``parser.set_defaults(func=..., format=...)`` where ``func(args)``
returns a JSON-serialisable dict and the optional ``format(result) -> str`` renders it
for people (without ``--json``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings

from kvideo.utils.jsonable import to_jsonable as _to_jsonable


def add_common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    return parser


def size_type(minimum: int = 1):
    """An argparse ``type=`` for sizes (``64``, ``64x48``, ``64,48``) on kvideo's one size parser.

    >>> size_type(16)("64x48")
    (64, 48)
    """

    def parse(text):
        from kvideo.utils.validation import parse_size

        try:
            return parse_size(text, name="size", minimum=minimum)
        except ValueError as e:  # argparse shows an ArgumentTypeError's own words
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def default_of(function, name):
    """The default of parameter ``name`` of ``function``: CLI defaults come from the Python signatures.

    >>> default_of(sorted, "reverse")
    False
    """
    import inspect

    return inspect.signature(function).parameters[name].default


def dumps(obj) -> str:
    return json.dumps(_to_jsonable(obj), ensure_ascii=False)


def default_format(result) -> str:
    return json.dumps(_to_jsonable(result), indent=2, ensure_ascii=False)


def one_line(exc: BaseException) -> str:
    msg = str(exc).strip() or exc.__class__.__name__
    msg = " ".join(msg.split())  # one line
    return msg


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line ``warning: ...`` on stderr (no source line; ``--debug`` shows Python's usual form)."""
    print(f"warning: {one_line(message)}", file=sys.stderr, flush=True)


def quiet_backend_start() -> None:
    """Import Keras and start its backend with the process's native stderr muted.

    TensorFlow, XLA and CUDA print start-up chatter (``cudart_stub``, ``cuInit``, absl banners) from C++
    straight to file descriptor 2, which Python cannot filter. Muting it while the backend starts keeps
    the CLI's stderr to progress and one-line errors; ``--debug`` skips this. An import error still
    surfaces as a Python exception once stderr is restored.
    """
    from kvideo.utils.native import muted_native_stderr

    with muted_native_stderr():
        import keras

        keras.ops.convert_to_tensor(0.0)  # device discovery happens here


def run(args: argparse.Namespace) -> int:
    """Run a parsed command with the CLI contract; returns the exit code."""
    real_stdout = sys.stdout
    try:
        # Everything a command prints (Keras progbars, library chatter) goes to stderr,
        # so stdout carries only the result.
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            if not getattr(args, "debug", False):
                warnings.showwarning = _one_line_warning
            if getattr(args, "uses_keras", True) and not getattr(args, "debug", False):
                quiet_backend_start()
            result = args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as e:  # noqa: BLE001 - the CLI contract: one line, non-zero exit
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        print(f"error: {one_line(e)}", file=sys.stderr)
        return 1
    if result is None:
        result = {}
    if getattr(args, "json", False):
        real_stdout.write(dumps(result) + "\n")
    else:
        fmt = getattr(args, "format", None) or default_format
        text = fmt(result)
        if text:
            real_stdout.write(text.rstrip("\n") + "\n")
    real_stdout.flush()
    return 0
