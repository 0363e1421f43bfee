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


# ---- validation: the one size parser and the argument checks ------------------------------------
from kvideo.utils import formats  # noqa: E402
from kvideo.utils.validation import (  # noqa: E402
    check_bool,
    check_choice,
    check_float,
    check_int,
    parse_size,
)


@pytest.mark.parametrize(
    "value, expected",
    [(64, (64, 64)), ("64", (64, 64)), ("64x48", (64, 48)), ("64X48", (64, 48)), ("64,48", (64, 48)),
     ((64, 48), (64, 48)), ([48, 64], (48, 64)), ((32.0, 16), (32, 16))],
)
def test_parse_size_accepts(value, expected):
    assert parse_size(value, name="image_size") == expected


@pytest.mark.parametrize("value", ["", "big", "64x", "1x2x3", (64,) * 3, 0, -4, (64, 0), 64.5, None, True, {"h": 1}])
def test_parse_size_rejects_with_received(value):
    with pytest.raises(ValueError) as e:
        parse_size(value, name="image_size")
    assert str(e.value).endswith(f"Received: image_size={value!r}")


def test_parse_size_minimum():
    assert parse_size("16", minimum=16) == (16, 16)
    with pytest.raises(ValueError, match=r">= 16"):
        parse_size((15, 64), minimum=16)


@pytest.mark.parametrize(
    "check, args, error",
    [(check_int, ("epochs", 0, 1), ValueError), (check_int, ("epochs", "ten", 1), TypeError),
     (check_int, ("epochs", True, 1), TypeError), (check_int, ("epochs", 11, None, 10), ValueError),
     (check_float, ("lr", 0.0, 0.0, None, True), ValueError), (check_float, ("lr", "x"), TypeError),
     (check_float, ("lr", float("nan")), ValueError), (check_float, ("split", 1.01, 0, 1), ValueError)],
)
def test_checks_reject(check, args, error):
    with pytest.raises(error) as e:
        check(*args)
    assert type(e.value) is error
    assert str(e.value).endswith(f"Received: {args[0]}={args[1]!r}")


def test_checks_accept_and_convert():
    assert check_int("epochs", 10.0, low=1) == 10
    assert check_float("lr", "0.5", low=0, low_open=True) == 0.5
    assert check_choice("color", "bgr", ["rgb", "bgr"]) == "bgr"
    assert check_bool("shuffle", False) is False
    with pytest.raises(ValueError, match=r"one of 'rgb', 'bgr'\. Received: color=\[1\]$"):
        check_choice("color", [1], ["rgb", "bgr"])
    with pytest.raises(TypeError, match=r"Received: shuffle='yes'$"):
        check_bool("shuffle", "yes")


def test_formats_one_list():
    assert formats.is_video("a/B.MKV") and not formats.is_video("a/b.jpg")
    assert formats.is_image("p.PNG") and not formats.is_image("p.mp4")
    assert formats.is_model("m.keras") and formats.is_archive("d.ZIP")
    assert formats.kind_of("x") is None and formats.kind_of("x.webm") == "video"
    lists = [formats.VIDEO_EXTENSIONS, formats.IMAGE_EXTENSIONS, formats.MODEL_EXTENSIONS, formats.ARCHIVE_EXTENSIONS]
    every = [e for exts in lists for e in exts]
    assert len(every) == len(set(every))  # no extension in two kinds
    assert all(e.startswith(".") and e == e.lower() for e in every)
