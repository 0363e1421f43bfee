"""`kvideo info VIDEO` and `kvideo sample OUT_DIR`: the CLI contract (one JSON object with --json, one-line errors)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kvideo.cli.main import main
from kvideo.io import video_info


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_then_info(tmp_path, capsys):
    code, out, err = _run(capsys, "sample", str(tmp_path / "s"), "--classes", "up", "down", "--per-class", "2",
                          "--frames", "10", "--size", "24x40", "--seed", "3", "--json")
    assert code == 0
    result = json.loads(out)  # exactly one JSON object on stdout
    assert result["files"] == 4 and result["classes"] == ["up", "down"] and result["size"] == [24, 40]
    clip = tmp_path / "s" / "up" / "up_1.mp4"
    assert clip.exists()
    code, out, err = _run(capsys, "info", str(clip), "--json")
    assert code == 0
    info = json.loads(out)
    assert info == json.loads(json.dumps(video_info(clip)))
    assert (info["frames"], info["width"], info["height"]) == (10, 40, 24)
    code, out, err = _run(capsys, "info", str(clip))  # human format
    assert code == 0 and "10 frames" in out and "40x24" in out


def test_sample_defaults_and_comma_classes(tmp_path, capsys):
    code, out, _ = _run(capsys, "sample", str(tmp_path), "--classes", "cw,ccw", "--per-class", "1", "--frames", "4",
                        "--size", "16", "--ext", ".avi", "--json")
    assert code == 0 and json.loads(out)["classes"] == ["cw", "ccw"]
    assert video_info(tmp_path / "cw" / "cw_0.avi")["codec"] == "MJPG"


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["info", "{tmp}/missing.mp4"], "file not found"),
        (["info", "{tmp}"], "directory"),
        (["info", "{tmp}/text.mp4"], "not a video"),
        (["sample", "{tmp}/o", "--classes", "sideways"], "sideways"),
        (["sample", "{tmp}/o", "--per-class", "0"], "per_class"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, argv, needle):
    (tmp_path / "text.mp4").write_text("hello\n" * 50)
    code, out, err = _run(capsys, *[a.format(tmp=tmp_path) for a in argv], "--json")
    assert code == 1 and out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("size", ["huge", "4", "24x", "0x24"])
def test_bad_size_is_a_usage_error(tmp_path, capsys, size):
    with pytest.raises(SystemExit) as e:
        main(["sample", str(tmp_path), "--size", size])
    assert e.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: argument --size: `size` must be S or (height, width) of integers >= 8, e.g. 64 or "
                      f"64x48. Received: size={size!r}"]
    assert list(tmp_path.iterdir()) == []


def test_console_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kvideo", "sample", str(tmp_path), "--classes", "grow", "shrink",
                        "--per-class", "1", "--frames", "4", "--size", "16", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["files"] == 2
