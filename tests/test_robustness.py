"""Broken video inputs end in a clean error or a documented fallback, through the API and the CLI."""

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "robustness_table", Path(__file__).resolve().parents[1] / "benchmarks" / "robustness_table.py")
rt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rt)

CLEAN_ERROR_CASES = {"missing file", "empty file", "random bytes .mp4", "header only (64 bytes)",
                     "directory named .mp4", "PNG image named .mp4"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return rt.build_video_cases(tmp_path_factory.mktemp("broken"))


def test_api_every_case_clean_error_or_valid_clip(cases):
    for name, path in cases:
        kind, detail = rt.run_api(path)
        assert kind != "CRASH", (name, detail)
        if name in CLEAN_ERROR_CASES:
            assert kind == "clean error", (name, detail)
            assert Path(path).name in detail, (name, detail)


def test_cli_info_contract(cases):
    for name, path in cases:
        if name not in CLEAN_ERROR_CASES | {"path with spaces and non-ASCII"}:
            continue
        kind, detail = rt.run_cli(["info", str(path)])
        expected = "clean error" if name in CLEAN_ERROR_CASES else "fallback"
        assert kind == expected, (name, detail)


def test_render_counts():
    rows = [("video", "a", "API", "clean error", "x"), ("video", "b", "CLI", "fallback", "y|z")]
    text, counts = rt.render(rows)
    assert "- cases tried: 2" in text and "- crashes: 0" in text
    assert counts == {"clean error": 1, "fallback": 1, "CRASH": 0}
    assert "y\\|z" in text
