"""Settings for the whole test session: tests/ and the docstring examples in kvideo/ (--doctest-modules).

The clip cache (``KVIDEO_CACHE_DIR``) points to a per-session temporary folder, so neither the tests nor the
examples touch ``~/.cache/kvideo``.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_clip_cache(tmp_path_factory):
    old = os.environ.get("KVIDEO_CACHE_DIR")
    os.environ["KVIDEO_CACHE_DIR"] = str(tmp_path_factory.mktemp("kvideo_cache"))
    yield
    if old is None:
        os.environ.pop("KVIDEO_CACHE_DIR", None)
    else:
        os.environ["KVIDEO_CACHE_DIR"] = old
