"""The robustness table (benchmarks/robustness_table.py -> docs/robustness.md): its cases end as documented.

The default run rebuilds and runs the video, model-file and fuzzing cases through the API and the in-process CLI
(and checks the written table); the full table (training folders, faces, the demo, SIGKILL faults) is slow."""

import re
from pathlib import Path

import pytest

from _robust_support import table as rt

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("video", "datasets", "models", "faces", "demo", "faults", "fuzzing")


def _check(table):
    crashes = [r for r in table.rows if r[3] == rt.CRASH]
    assert not crashes, crashes
    assert not table.unexpected(), table.unexpected()
    for area, case, entry, kind, detail, _ in table.rows:
        if kind == rt.ERROR:
            assert "\n" not in detail and detail.strip(), (case, entry)
            if entry.startswith("CLI"):
                assert detail.startswith("error: "), (case, detail)


def test_video_model_and_fuzz_cases_end_as_documented(tmp_path):
    pytest.importorskip("keras")
    table = rt.collect(tmp_path, ["video", "models", "fuzzing"])
    _check(table)
    rows = {(r[1], r[2]): r for r in table.rows}
    assert len(rows) == len(table.rows)  # no case is listed twice
    for name in ("missing file", "empty file", "random bytes .mp4", "directory named .mp4", "PNG image named .mp4"):
        for entry in ("API read_clip", "CLI info", "CLI predict"):
            assert rows[(name, entry)][3] == rt.ERROR, (name, entry)
    words = {"directory named .mp4": "it is a directory", "PNG image named .mp4": "it is a PNG image"}
    for name, said in words.items():
        assert said in rows[(name, "CLI predict")][4]  # the one line says what the file really is
    assert "duration 2.0" in rows[("variable frame rate", "API read_clip (right answer)")][4]
    assert rows[("missing model", "CLI predict")][4].startswith("error: Model file not found")


@pytest.mark.slow
def test_full_table_every_case_as_documented(tmp_path):
    table = rt.collect(tmp_path)
    _check(table)
    assert {r[0] for r in table.rows} >= set(AREAS) - {"faces"}


def test_written_table_is_complete_and_counts_add_up():
    text = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    rows = [ln.split(" | ") for ln in text.splitlines() if ln.startswith("| ") and not ln.startswith("| area")]
    counts = {k: int(re.search(rf"^- {k}: (\d+)", text, re.M).group(1))
              for k in ("cases tried", "clean errors", "documented fallbacks", "crashes")}
    kinds = [r[3] for r in rows]
    assert counts["cases tried"] == len(rows) and counts["crashes"] == 0 == kinds.count(rt.CRASH)
    assert counts["clean errors"] == kinds.count(rt.ERROR) and counts["documented fallbacks"] == kinds.count(
        rt.FALLBACK)
    assert {r[0].strip("| ") for r in rows} == set(AREAS)
    assert {r[2].split()[0] for r in rows} == {"API", "CLI", "demo"}


def test_render_counts():
    rows = [("video", "a", "API x", "clean error", "x", "clean error"),
            ("video", "b", "CLI y", "fallback", "y|z", "fallback")]
    text, counts = rt.render(rows)
    assert "- cases tried: 2 (API: 1, CLI: 1)" in text and "- crashes: 0" in text
    assert counts == {"clean error": 1, "fallback": 1, "CRASH": 0}
    assert "y\\|z" in text


def test_cli_judge():
    assert rt.judge_cli(1, "", "usage\nerror: bad file")[0] == rt.ERROR
    assert rt.judge_cli(1, "", "Traceback (most recent call last):\nerror: x")[0] == rt.CRASH
    assert rt.judge_cli(1, "", "error: x", raised=[IndexError("x")])[0] == rt.CRASH
    assert rt.judge_cli(0, "not json", "")[0] == rt.CRASH
    assert rt.judge_cli(0, '{"a": 1}', "") == (rt.FALLBACK, "exit 0, JSON: valid")
