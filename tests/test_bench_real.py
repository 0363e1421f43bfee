"""benchmarks/bench_real.py: the leave-actors-out splits (no training here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_real.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_real", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture()
def layout(tmp_path):
    for action in ("jack", "walk"):
        for i in range(11):  # actor10 sorts after actor9 (natural order)
            (tmp_path / action).mkdir(exist_ok=True)
            (tmp_path / action / f"actor{i}_0.mp4").write_bytes(b"")
    return tmp_path


def _actors(items):
    return sorted({Path(p).stem.rsplit("_", 1)[0] for _, p in items})


def test_splits_keep_test_actors_unseen(bench, layout):
    clips = bench.scan(layout)
    assert len(clips) == 22 and ("walk", "actor10") in clips
    plan = list(bench.splits(clips, ["six", "one", "fewshot"], [1, 3, 5], n_train=6, repeats=2))
    assert [(s["protocol"], s["repeat"], s["k"]) for s in plan[:5]] == [
        ("six", 0, None), ("one", 0, 1), ("fewshot", 0, 1), ("fewshot", 0, 3), ("fewshot", 0, 5)]
    six = plan[0]
    assert six["train_actors"] == [f"actor{i}" for i in range(6)]
    assert six["test_actors"] == [f"actor{i}" for i in range(6, 11)]
    assert len(six["train"]) == 12 and len(six["test"]) == 10
    for s in plan:
        assert not set(_actors(s["train"])) & set(_actors(s["test"]))
        assert set(_actors(s["train"])) <= set(s["train_actors"])
    one = plan[1]
    assert _actors(one["train"]) == ["actor0"] and len(one["test"]) == 20
    k1, k3, k5 = plan[2:5]
    assert [len(s["train"]) for s in (k1, k3, k5)] == [2, 6, 10]
    assert set(k1["train"]) <= set(k3["train"]) <= set(k5["train"])  # nested shots
    assert plan[5]["train_actors"] != six["train_actors"]  # split 1 permutes the actors


def test_materialise_and_errors(bench, layout, tmp_path):
    clips = bench.scan(layout)
    six = next(bench.splits(clips, ["six"], [1], n_train=6, repeats=1))
    folder = bench.materialise(six["train"], tmp_path / "work" / "train")
    assert sorted(p.name for p in folder.iterdir()) == ["jack", "walk"]
    assert (folder / "walk" / "actor3_0.mp4").is_symlink()
    with pytest.raises(SystemExit, match="train-actors"):
        list(bench.splits(clips, ["six"], [1], n_train=11, repeats=1))
    (layout / "walk" / "noactor.mp4").write_bytes(b"")
    with pytest.raises(SystemExit, match="noactor"):
        bench.scan(layout)
