"""The CLI under bad input: broken clips among good ones train through; every error is one `error:` line."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("keras")

from test_cli_train import kv  # noqa: E402  (one subprocess runner for CLI tests)
from _robust_support import cases  # noqa: E402


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    return cases.build_mixed_folder(tmp_path_factory.mktemp("mixed"))


def test_broken_clips_among_good_ones_train_and_are_named(mixed_folder, tmp_path):
    root, broken = mixed_folder
    out = tmp_path / "m.keras"
    r = kv("train", root, "--arch", "frame_cnn", "--frames", 4, "--size", 32, "--epochs", 1, "--val-split", 0.25,
           "--out", out, "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["num_skipped_videos"] == 3 and res["skipped_videos"] == broken
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:") and "unreadable" in ln]
    assert len(warnings) == 1 and all(p in warnings[0] for p in broken)  # ONE warning names every file
    assert res["train_info"]["num_train_videos"] + res["train_info"]["num_val_videos"] == 8  # the good ones
    assert out.is_file() and "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def held_out(tmp_path_factory, mixed_folder):
    return cases.build_cli_cases(tmp_path_factory.mktemp("held_out"), mixed_folder[0])


def test_held_out_broken_inputs_end_in_one_error_line(held_out, capsys):
    from kvideo.cli.main import main

    failures = []
    for name, argv in held_out.items():
        try:
            code = main([str(a) for a in argv] + ["--json"])
        except SystemExit as e:  # argparse usage errors exit 2 with "error: ..." too
            code = e.code
        out, err = capsys.readouterr()
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        if code == 0 or not lines or not lines[-1].startswith("error: ") or "Traceback" in err or out.strip():
            failures.append((name, code, lines[-3:]))
    assert not failures, failures
