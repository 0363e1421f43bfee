"""kvideo.datasets.actors: synthetic articulated actors doing 10 Weizmann-like actions."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

from kvideo.datasets.actors import (
    ACTIONS,
    make_actor,
    make_actor_videos,
    make_background,
    render_actor_clip,
)
from kvideo.io import read_clip, video_info

MOVING = {"jump", "run", "side", "skip", "walk"}
SIZE = (72, 90)


def _render(action, actor_id, seed=0, k=0):
    actor = make_actor(seed, actor_id)
    rng = np.random.default_rng([k, actor_id, zlib.crc32(action.encode())])
    frames, masks = render_actor_clip(action, actor, make_background(SIZE, seed), rng=rng, masks=True)
    return actor, frames, masks


def _describe(actor, masks):
    """Travel of the silhouette, min/max height and max width, in body heights; centred mean silhouette."""
    px = actor["height"] * SIZE[0]
    cx, hts, wds = [], [], []
    centred = np.zeros(masks.shape, np.float32)
    for t, f in enumerate(masks):
        ys, xs = np.nonzero(f)
        assert len(xs) > 5, "the figure must be visible in every frame"
        cx.append(np.median(xs))
        hts.append(ys.max() - ys.min() + 1)
        wds.append(xs.max() - xs.min() + 1)
        centred[t] = np.roll(f, SIZE[1] // 2 - int(xs.mean()), axis=1)
    return {"travel": (max(cx) - min(cx)) / px, "hmin": min(hts) / px, "hmax": max(hts) / px,
            "wmax": max(wds) / px, "mean": centred.mean(0)}


@pytest.fixture(scope="module")
def described():
    out = {}
    for i in (0, 1):
        for a in ACTIONS:
            actor, frames, masks = _render(a, i)
            assert frames.shape[1:] == (*SIZE, 3) and frames.dtype == np.uint8 and masks.shape == frames.shape[:3]
            out[a, i] = _describe(actor, masks)
    return out


def test_actions_look_different(described):
    for i in (0, 1):
        d = {a: described[a, i] for a in ACTIONS}
        for a in ACTIONS:  # translating actions cross the frame, the others stay in place
            assert (d[a]["travel"] > 1.0) if a in MOVING else (d[a]["travel"] < 0.3), (a, d[a]["travel"])
        for a in ("jack", "wave1", "wave2"):  # hands above the head
            assert d[a]["hmax"] > 1.08, a
        for a in ("walk", "run", "pjump", "bend", "side"):
            assert d[a]["hmax"] < 1.07, a
        assert d["bend"]["hmax"] / d["bend"]["hmin"] > 1.3  # bends down and up
        assert d["jack"]["wmax"] > 0.85 and max(d[a]["wmax"] for a in ACTIONS if a != "jack") < 0.82
        assert d["wave2"]["wmax"] > d["wave1"]["wmax"] + 0.08  # two arms out, not one
        for a, b in itertools.combinations(ACTIONS, 2):  # the mean centred silhouettes differ
            assert np.abs(d[a]["mean"] - d[b]["mean"]).mean() > 0.01, (a, b)


def test_actors_differ_and_determinism():
    a0, a1 = make_actor(0, 0), make_actor(0, 1)
    assert a0 == make_actor(0, 0) and a0 != a1 and a0 != make_actor(1, 0)
    assert 0.35 <= a0["height"] <= 0.6 and a0["direction"] in (-1, 1)
    _, f1, m1 = _render("wave2", 0)
    _, f2, m2 = _render("wave2", 0)
    np.testing.assert_array_equal(f1, f2)
    np.testing.assert_array_equal(m1, m2)
    _, f3, _ = _render("wave2", 0, k=1)
    assert f1.shape != f3.shape or np.abs(f1.astype(int) - f3).mean() > 1
    np.testing.assert_array_equal(make_background(SIZE, 3), make_background(SIZE, 3))


def test_make_actor_videos_layout(tmp_path):
    m = make_actor_videos(tmp_path / "a", actions=("walk", "jack"), actors=3, size=(48, 60), seed=2)
    assert [(r["action"], r["actor"]) for r in m] == [(a, f"actor{i}") for a in ("walk", "jack") for i in range(3)]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["jack", "walk"]
    assert sorted(p.name for p in (tmp_path / "a" / "walk").iterdir()) == [f"actor{i}_0.mp4" for i in range(3)]
    for r in m:
        info = video_info(r["path"])
        assert (info["width"], info["height"], info["fps"]) == (60, 48, 25.0)
        assert info["frames"] == r["frames"] and 37 <= r["frames"] <= 100  # 1.5-4 s at 25 fps
    again = make_actor_videos(tmp_path / "b", actions=("jack",), actors=[1], size=(48, 60), seed=2)
    np.testing.assert_array_equal(read_clip(again[0]["path"], sampling="all", size=None),
                                  read_clip(m[4]["path"], sampling="all", size=None))
    with pytest.raises(ValueError, match="Received: actions="):
        make_actor_videos(tmp_path / "c", actions=("dance",))
