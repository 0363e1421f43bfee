"""Fuzzing: arbitrary bytes as video files and arbitrary read_clip arguments end in a documented error or a
valid clip; never another exception, never a hang (bounded examples so the default run stays fast)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kvideo.io
from kvideo.errors import KVideoError

FUZZ = settings(max_examples=25, deadline=5000, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="module")
def real_bytes(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    frames = np.random.default_rng(0).integers(0, 255, (12, 32, 48, 3), dtype=np.uint8)
    return open(kvideo.io.write_video(str(d / "real.mp4"), frames, fps=12), "rb").read()


def _check_clip(clip, n, size):
    assert clip.shape == (n, *size, 3) and clip.dtype == np.uint8


@FUZZ
@given(data=st.binary(min_size=0, max_size=4096), keep=st.floats(0, 1), mode=st.sampled_from(["raw", "prefix", "flip"]))
def test_arbitrary_bytes_as_video(tmp_path_factory, real_bytes, data, keep, mode):
    if mode == "prefix":  # a real file cut anywhere, then garbage
        data = real_bytes[: int(len(real_bytes) * keep)] + data
    elif mode == "flip" and data:  # a real file with bytes overwritten
        b = bytearray(real_bytes)
        pos = int(keep * (len(b) - 1))
        b[pos : pos + len(data)] = data[: len(b) - pos]
        data = bytes(b)
    p = tmp_path_factory.mktemp("b") / "x.mp4"
    p.write_bytes(data)
    try:
        clip = kvideo.io.read_clip(p, num_frames=4, size=(16, 16))
    except KVideoError as e:
        assert e.path and e.reason and "\n" not in str(e)
        return
    _check_clip(clip, 4, (16, 16))


@pytest.fixture(scope="module")
def good_path(tmp_path_factory):
    frames = np.random.default_rng(1).integers(0, 255, (10, 24, 32, 3), dtype=np.uint8)
    return kvideo.io.write_video(str(tmp_path_factory.mktemp("g") / "g.mp4"), frames, fps=10)


@FUZZ
@given(
    n=st.one_of(st.integers(-3, 40), st.floats(allow_nan=True), st.none(), st.text(max_size=3)),
    size=st.one_of(st.tuples(st.integers(-2, 64), st.integers(-2, 64)), st.integers(-2, 64), st.none(), st.text(max_size=3)),
    sampling=st.one_of(st.sampled_from(["uniform", "random", "dense", "bogus", ""]), st.integers()),
    start=st.one_of(st.none(), st.floats(-2, 20, allow_nan=False), st.integers(-5, 20)),
)
def test_read_clip_arguments(good_path, n, size, sampling, start):
    try:
        clip = kvideo.io.read_clip(good_path, num_frames=n, size=size, sampling=sampling, start=start, seed=0)
    except (ValueError, TypeError) as e:  # argument errors (KVideoError subclasses ValueError for files)
        assert "\n" not in str(e).strip()
        return
    assert clip.ndim == 4 and clip.shape[0] == n and clip.shape[-1] == 3 and clip.dtype == np.uint8


# ------------------------------------------------------------------------------ gallery files
@FUZZ
@given(data=st.binary(max_size=2048), meta=st.dictionaries(st.sampled_from(["format", "format_version", "model",
       "detector", "x"]), st.text(max_size=8), max_size=5), mode=st.sampled_from(["raw", "sqlite", "sqlite_cut"]))
def test_arbitrary_gallery_files(tmp_path_factory, data, meta, mode):
    from _robust_support import hostile
    from kvideo.faces.gallery import FaceGallery

    p = hostile.gallery_file(tmp_path_factory.mktemp("g") / "people.db", data, mode, meta)
    try:
        g = FaceGallery.open(p, model="Facenet512")
    except (KVideoError, ValueError) as e:
        assert "\n" not in str(e).strip()
        return
    assert g is not None
