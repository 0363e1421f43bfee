"""The CLI entry point and the shared --json / error contract."""

import json
import subprocess
import sys

import pytest

from kvideo.cli import _common
from kvideo.cli.main import main
from kvideo.version import __version__


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"kvideo {__version__}"


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err.lower()


def test_unknown_command_is_one_line_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error: ")]


def _namespace(func, **kw):
    import argparse

    return argparse.Namespace(func=func, json=kw.pop("json", True), debug=kw.pop("debug", False),
                              uses_keras=kw.pop("uses_keras", False), **kw)


def test_run_json_contract_stdout_holds_only_the_result(capsys):
    import numpy as np

    def cmd(args):
        print("progress chatter")  # must not reach stdout
        return {"a": np.float32(0.5), "b": np.arange(3), "c": float("nan")}

    assert _common.run(_namespace(cmd)) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"a": 0.5, "b": [0, 1, 2], "c": None}
    assert "progress chatter" in err


def test_run_error_is_one_line_and_nonzero(capsys):
    def cmd(args):
        raise ValueError("bad thing\nwith a second line")

    assert _common.run(_namespace(cmd)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: bad thing with a second line\n"


def test_run_debug_shows_traceback(capsys):
    def cmd(args):
        raise RuntimeError("boom")

    assert _common.run(_namespace(cmd, debug=True)) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("error: boom")


def test_console_script_runs_as_module():
    r = subprocess.run([sys.executable, "-m", "kvideo", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and __version__ in r.stdout


def test_backend_startup_noise_is_muted_error_is_one_line(tmp_path):
    """A real command that starts the Keras backend: stderr is exactly the one error line."""
    r = subprocess.run([sys.executable, "-m", "kvideo", "predict", str(tmp_path / "m.keras"),
                        str(tmp_path / "nope.mp4"), "--json"], capture_output=True, text=True)
    assert r.returncode != 0
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
