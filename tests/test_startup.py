"""Commands that need no model import no TensorFlow, Keras, DeepFace, Gradio or Ray (start in well under a second).

Start-up times are measured by ``benchmarks/bench_startup.py`` (BENCHMARKS.md, "Start-up"), not timed here.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kvideo.cli.main import build_parser

HEAVY = ("tensorflow", "keras", "tf_keras", "deepface", "gradio", "ray", "jax", "torch")

# Runs each command in one fresh interpreter; prints {command: heavy modules it imported} on the last line.
_PROBE = r"""
import contextlib, io, json, sys
from kvideo.cli.main import main
heavy, seen = json.loads(sys.argv[1]), {}
for argv in json.loads(sys.argv[2]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    seen[" ".join(argv)] = {"code": code, "heavy": sorted(m for m in heavy if m in sys.modules)}
print(json.dumps(seen))
"""


def _probe(commands, tmp_path):
    # `faces doctor` places weights: in a DeepFace home of the test's own, never the user's
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), DEEPFACE_HOME=str(tmp_path))
    res = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(HEAVY), json.dumps(commands)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def _every_help():
    """``--help`` of kvideo and of every subcommand (and sub-subcommand), read from the parser itself."""
    out = [["--help"]]

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out.append(prefix + [name, "--help"])
                    walk(sub, prefix + [name])

    walk(build_parser(), [])
    return out


def test_help_of_every_command_imports_nothing_heavy(tmp_path):
    commands = _every_help()
    assert ["predict", "--help"] in commands and ["faces", "identify", "--help"] in commands
    seen = _probe(commands, tmp_path)
    assert all(r["code"] == 0 for r in seen.values()), seen
    assert all(not r["heavy"] for r in seen.values()), {c: r["heavy"] for c, r in seen.items() if r["heavy"]}


def test_info_models_doctor_import_nothing_heavy(tmp_path):
    import kvideo

    video = kvideo.io.write_video(str(tmp_path / "v.mp4"), np.zeros((8, 32, 32, 3), np.uint8), fps=8)
    seen = _probe([["info", str(video), "--json"], ["models", "--json"], ["faces", "doctor", "--json"]], tmp_path)
    assert [r["code"] for r in seen.values()] == [0, 0, 0], seen
    assert all(not r["heavy"] for r in seen.values()), seen


def test_models_reads_the_builders_options_without_keras():
    kvideo_models = pytest.importorskip("kvideo.models")
    from kvideo.presets import END_TO_END_ARCHS, builder_options

    for arch in END_TO_END_ARCHS:
        assert builder_options(arch) == kvideo_models.arch_options(arch), arch
