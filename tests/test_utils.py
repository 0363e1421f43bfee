"""Atomic writes and optional-dependency hints."""

import os

import pytest

from kvideo.errors import MissingDependencyError
from kvideo.utils import atomic_path, atomic_write, require


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "sub" / "f.txt"
    atomic_write(p, b"one")
    atomic_write(p, "two", mode="w")
    assert p.read_text() == "two"
    assert os.listdir(p.parent) == ["f.txt"]  # no temp files left behind


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "model.keras"
    p.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(p) as tmp:
            tmp.write_bytes(b"half-writ")
            raise RuntimeError("crash while writing")
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_require_missing_module_gives_install_hint():
    with pytest.raises(MissingDependencyError, match=r"pip install") as e:
        require("gradio_that_does_not_exist", feature="the demo")
    assert "\n" not in str(e.value)
    assert isinstance(e.value, ImportError)


def test_require_returns_module():
    assert require("json").dumps([1]) == "[1]"
