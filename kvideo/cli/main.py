"""Entry point of the ``kvideo`` command.

Subcommands live in modules of this package; each exposes ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from kvideo.version import __version__

# Modules that add subcommands, in the order they appear in --help.
_COMMAND_MODULES = [
    "kvideo.cli.data",  # info, sample
    "kvideo.cli.train",  # train, evaluate, predict (kvideo.cli.predict), finetune, models
    "kvideo.cli.export",  # export
    "kvideo.cli.faces",  # faces enroll|identify|verify|doctor
    "kvideo.cli.demo",  # demo
]


# Commands that never import Keras (no backend start-up to mute, no seconds spent importing it).
_NO_BACKEND_COMMANDS = {"info", "sample", "models"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like argparse but with our prefix
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kvideo",
        description="kvideo: build, train, evaluate and fine-tune video classifiers; find faces in videos.",
    )
    parser.add_argument("--version", action="version", version=f"kvideo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from kvideo.cli._common import one_line, run

    if getattr(args, "backend", None):  # before anything imports Keras
        from kvideo.utils.devices import select_backend

        try:
            select_backend(args.backend)
        except ValueError as e:  # the CLI contract holds here too: one line, exit 1
            print(f"error: {one_line(e)}", file=sys.stderr)
            return 1

    if getattr(args, "prepare", None):  # e.g. join a multi-worker cluster: before Keras touches a device
        try:
            args.prepare(args)
        except Exception as e:  # noqa: BLE001 - the CLI contract: one line, exit 1
            print(f"error: {one_line(e)}", file=sys.stderr)
            return 1

    if args.command in _NO_BACKEND_COMMANDS or (args.command == "faces" and getattr(args, "faces_command", None) == "doctor"):
        args.uses_keras = False  # stay fast: these never touch Keras
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
