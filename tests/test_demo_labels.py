"""The Train tab's label cards (kvideo.demo.labels) and the quick training path (kvideo.demo.quick), without a
browser: record -> trim -> keep, uploads, zips, rename/remove, per-session folders, train in seconds."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from kvideo.demo import labels as L
from kvideo.demo.safety import UnsafeInputError


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    from kvideo.datasets import make_sample_videos
    from kvideo.io import write_video

    root = tmp_path_factory.mktemp("label_clips")
    data = make_sample_videos(root / "clips", classes=("left", "grow"), per_class=3, num_frames=12, size=(32, 32), seed=3)
    t = np.arange(40)[:, None, None, None]
    frames = np.broadcast_to((t * 6) % 255, (40, 48, 64, 3)).astype(np.uint8)  # 4 s at 10 fps, brightness ramps
    rec = write_video(root / "recording.webm", frames, fps=10)
    return {"data": Path(data), "recording": Path(rec), "root": root}


def test_start_add_rename_remove(tmp_path):
    ls = L.new_label_set(tmp_path / "s")
    assert [c.name for c in ls.cards] == ["Class 1", "Class 2"]
    for _ in range(L.MAX_LABELS - 2):
        L.add_label(ls)
    with pytest.raises(ValueError, match="At most 6 labels"):
        L.add_label(ls)
    L.rename_label(ls, 0, "  wave ")
    assert ls.cards[0].name == "wave"
    L.rename_label(ls, 0, "WAVE")  # the same label in other case: allowed
    with pytest.raises(ValueError, match="already called"):
        L.rename_label(ls, 1, "wave")
    with pytest.raises(UnsafeInputError, match="label"):
        L.rename_label(ls, 1, "../etc")
    L.remove_label(ls, 1)
    assert [c.name for c in ls.cards] == ["WAVE", "Class 3", "Class 4", "Class 5", "Class 6"]
    assert L.add_label(ls).name == "Class 1"  # the first free "Class N"
    while len(ls.cards) > 2:
        L.remove_label(ls, len(ls.cards) - 1)
    with pytest.raises(ValueError, match="needs 2 labels"):
        L.remove_label(ls, 0)
    with pytest.raises(ValueError, match="no label number 5"):
        L.rename_label(ls, 4, "x")


def test_keep_trimmed_recording_and_uploads(tmp_path, videos):
    from kvideo.io import video_info

    ls = L.new_label_set(tmp_path / "s")
    kept = L.keep_recording(ls, 0, {"video": {"path": str(videos["recording"])}}, start=1.0, end=3.0)
    info = video_info(kept)
    assert 1.6 <= info["duration"] <= 2.4, info
    assert info["width"] == 64 and info["height"] == 48
    whole = L.keep_recording(ls, 0, str(videos["recording"]), start=0, end=None)
    assert 3.5 <= video_info(whole)["duration"] <= 4.5
    assert L.add_uploads(ls, 1, sorted((videos["data"] / "grow").glob("*.mp4"))) == 3
    assert ls.counts() == {"Class 1": 2, "Class 2": 3}
    assert all(Path(p).is_file() and Path(p).is_relative_to(tmp_path / "s") for _, clips in ls.training_rows() for p in clips)
    L.rename_label(ls, 0, "bright")  # renaming keeps the clips
    assert ls.counts() == {"bright": 2, "Class 2": 3}
    with pytest.raises(ValueError, match="at least 0.2 s after the start"):
        L.keep_recording(ls, 0, str(videos["recording"]), start=2.0, end=2.1)
    with pytest.raises(ValueError, match="Record a clip first"):
        L.keep_recording(ls, 0, None)
    with pytest.raises(UnsafeInputError, match="clip"):
        L.add_uploads(ls, 0, [str(tmp_path / "notes.txt")])
    L.clear_clips(ls, 1)
    assert ls.counts()["Class 2"] == 0


def test_zip_fills_labels_by_name(tmp_path, videos):
    ls = L.new_label_set(tmp_path / "s")
    L.rename_label(ls, 1, "Grow")
    z = tmp_path / "clips.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for lab in ("left", "grow"):
            for f in sorted((videos["data"] / lab).glob("*.mp4")):
                zf.write(f, f"clips/{lab}/{f.name}")
    added = L.add_zip(ls, z)
    assert added == {"left": 3, "Grow": 3}
    assert ls.counts() == {"left": 3, "Grow": 3}  # the empty "Class 1" took the new label's name
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "no videos")
    with pytest.raises(ValueError):
        L.add_zip(ls, bad)


def test_two_sessions_do_not_share_clips(tmp_path, videos):
    a, b = L.new_label_set(tmp_path / "a"), L.new_label_set(tmp_path / "b")
    L.add_uploads(a, 0, [sorted((videos["data"] / "left").glob("*.mp4"))[0]])
    L.rename_label(a, 0, "mine")
    assert b.counts() == {"Class 1": 0, "Class 2": 0}
    a.cleanup()
    assert not (tmp_path / "a").exists() and b.counts()["Class 1"] == 0


def test_train_quick_on_cards_feeds_state(tmp_path, videos):
    from kvideo.demo.quick import quick_classifier, train_quick
    from kvideo.demo.state import DemoState
    from kvideo.tasks import VideoClassifier

    state = DemoState(model=object(), workdir=tmp_path / "work", samples=False)
    ls = L.new_label_set(tmp_path / "s")
    L.rename_label(ls, 0, "left")
    L.rename_label(ls, 1, "grow")
    for i, lab in enumerate(("left", "grow")):
        L.add_uploads(ls, i, sorted((videos["data"] / lab).glob("*.mp4")))
    seen = []
    make = lambda: quick_classifier(num_frames=4, image_size=32, weights=None, cache=False)  # noqa: E731
    updates = list(train_quick(state, ls.training_rows(), lambda f, t: seen.append(f), make_classifier=make))
    assert "looked at 6/6 clips" in "".join(u.message for u in updates)
    last = updates[-1]
    assert last.model_path and Path(last.model_path).is_file() and "Done in" in last.message
    assert last.curves is not None and last.curves.ndim == 3
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    clf = state.trained_model(last.model_path)  # kept loaded: the same object the Live tab will use
    assert clf.class_names == ["grow", "left"] and clf.num_frames == 4
    again = VideoClassifier.load(last.model_path)
    assert type(again).__name__ == "EmbeddingClassifier" and again.class_names == ["grow", "left"]
    L.clear_clips(ls, 1)
    with pytest.raises(ValueError, match="has no clips"):
        list(train_quick(state, ls.training_rows(), make_classifier=make))
