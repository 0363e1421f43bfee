"""kvideo.data: video_dataset_from_directory / VideoDataset / cache / augmentation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

import kvideo
from kvideo.data import ClipAugment, VideoDataset, clear_cache, split_indices, video_dataset_from_directory
from kvideo.data import cache as cache_mod
import kvideo.io

CLASSES = ["grow", "left", "right", "shrink"]
KW = dict(num_frames=8, image_size=(32, 32), batch_size=5, verbose=False)


@pytest.fixture
def count_decodes(monkeypatch):
    """Counts calls of the decoders the dataset uses."""
    calls = []
    orig_clip, orig_pool = kvideo.io.read_clip, kvideo.io.read_frame_pool

    def read_clip(path, *a, **k):
        calls.append(str(path))
        return orig_clip(path, *a, **k)

    def read_frame_pool(path, *a, **k):
        calls.append(str(path))
        return orig_pool(path, *a, **k)

    monkeypatch.setattr(kvideo.io, "read_clip", read_clip)
    monkeypatch.setattr(kvideo.io, "read_frame_pool", read_frame_pool)
    return calls


def _epoch(ds):
    out = [ds[i] for i in range(len(ds))]
    ds.on_epoch_end()
    return out


# ------------------------------------------------------------------------------ basics
def test_from_directory_basics(sample_videos, tmp_path):
    ds = video_dataset_from_directory(sample_videos, cache=tmp_path, **KW)
    assert isinstance(ds, VideoDataset) and isinstance(ds, keras.utils.PyDataset)
    assert ds.class_names == CLASSES
    assert len(ds.file_paths) == 24 and len(ds) == 5  # ceil(24 / 5)
    assert ds.labels.dtype == np.int32 and np.bincount(ds.labels).tolist() == [6, 6, 6, 6]
    for p, y in zip(ds.file_paths, ds.labels):
        assert Path(p).parent.name == CLASSES[y]
    assert (ds.num_frames, ds.image_size) == (8, (32, 32))
    batches = _epoch(ds)
    x, y = batches[0]
    assert x.shape == (5, 8, 32, 32, 3) and x.dtype == np.float32 and y.dtype == np.int32 and y.shape == (5,)
    assert 0 <= x.min() and x.max() <= 255 and x.max() > 100
    assert batches[-1][0].shape[0] == 4  # last partial batch
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen.tolist()) == sorted(ds.labels.tolist())
    # a batch's labels are those of its files
    files = ds.batch_indices(1)
    _, y1 = ds[1]
    np.testing.assert_array_equal(y1, ds.labels[files])
    assert kvideo.video_dataset_from_directory is video_dataset_from_directory


def test_shuffle_per_epoch_reproducible(sample_videos, tmp_path):
    a = video_dataset_from_directory(sample_videos, seed=3, cache=tmp_path, **KW)
    b = video_dataset_from_directory(sample_videos, seed=3, cache=tmp_path, **KW)
    o0, o1 = a.batch_indices(0, 0), a.batch_indices(0, 1)
    np.testing.assert_array_equal(o0, b.batch_indices(0, 0))
    assert not np.array_equal(a._order(0), a._order(1))
    fixed = video_dataset_from_directory(sample_videos, shuffle=False, cache=tmp_path, **KW)
    np.testing.assert_array_equal(fixed._order(0), np.arange(24))
    np.testing.assert_array_equal(fixed._order(5), np.arange(24))
    assert o0.shape == o1.shape


def test_label_modes(sample_videos, tmp_path):
    cat = video_dataset_from_directory(sample_videos, label_mode="categorical", cache=tmp_path, **KW)
    x, y = cat[0]
    assert y.shape == (5, 4) and y.dtype == np.float32 and np.all(y.sum(1) == 1)
    two = video_dataset_from_directory(sample_videos, class_names=["right", "left"], label_mode="binary", cache=tmp_path, **KW)
    x, y = two[0]
    assert y.shape == (5, 1) and set(np.unique(y)) <= {0.0, 1.0}
    assert two.class_names == ["right", "left"] and len(two.file_paths) == 12
    assert all(Path(p).parent.name == "right" for p, l in zip(two.file_paths, two.labels) if l == 0)
    none = video_dataset_from_directory(sample_videos, label_mode=None, cache=tmp_path, **KW)
    assert isinstance(none[0], np.ndarray) and none[0].shape == (5, 8, 32, 32, 3)
    nolab = video_dataset_from_directory(sample_videos, labels=None, cache=tmp_path, **KW)
    assert nolab.class_names is None and nolab.labels is None and isinstance(nolab[0], np.ndarray)
    with pytest.raises(ValueError, match="binary"):
        video_dataset_from_directory(sample_videos, label_mode="binary", cache=tmp_path, **KW)


def test_explicit_labels_list(sample_videos, tmp_path):
    n = 24
    ds = video_dataset_from_directory(sample_videos, labels=[i % 3 for i in range(n)], cache=tmp_path, **KW)
    assert ds.file_paths == sorted(ds.file_paths)
    assert ds.labels.tolist() == [i % 3 for i in range(n)] and ds.class_names == ["0", "1", "2"]
    with pytest.raises(ValueError, match="one per video file"):
        video_dataset_from_directory(sample_videos, labels=[0, 1], cache=tmp_path, **KW)


# ------------------------------------------------------------------------------ split
def test_split_stratified_reproducible_and_disjoint(sample_videos, tmp_path):
    tr, va = video_dataset_from_directory(sample_videos, validation_split=0.34, subset="both", seed=7, cache=tmp_path, **KW)
    assert set(tr.file_paths).isdisjoint(va.file_paths)
    assert len(tr.file_paths) + len(va.file_paths) == 24
    assert np.bincount(va.labels, minlength=4).tolist() == [2, 2, 2, 2]  # stratified
    assert tr.class_names == va.class_names == CLASSES
    tr2 = video_dataset_from_directory(sample_videos, validation_split=0.34, subset="training", seed=7, cache=tmp_path, **KW)
    va2 = video_dataset_from_directory(sample_videos, validation_split=0.34, subset="validation", seed=7, cache=tmp_path, **KW)
    assert tr2.file_paths == tr.file_paths and va2.file_paths == va.file_paths
    _, va3 = video_dataset_from_directory(sample_videos, validation_split=0.34, subset="both", seed=8, cache=tmp_path, **KW)
    assert va3.file_paths != va.file_paths
    assert not va.shuffle and va.augment is None and va.sampling == "uniform"


def test_split_indices_function():
    labels = np.array([0] * 10 + [1] * 5)
    tr, va = split_indices(labels, 15, 0.2, seed=0)
    assert np.bincount(labels[va]).tolist() == [2, 1]
    assert sorted(tr.tolist() + va.tolist()) == list(range(15))
    tr2, va2 = split_indices(labels, 15, 0.2, seed=0)
    assert va.tolist() == va2.tolist()
    tr, va = split_indices(None, 10, 0.3, seed=0)
    assert len(va) == 3


# ------------------------------------------------------------------------------ errors
def test_directory_errors(sample_videos, tmp_path):
    with pytest.raises(ValueError, match=r"`directory` must be an existing folder .*Received: directory='.*nope'$"):
        video_dataset_from_directory(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"must be a folder with video files inside class subfolders"):
        video_dataset_from_directory(tmp_path)
    one = tmp_path / "one"
    shutil.copytree(sample_videos / "left", one / "left")
    with pytest.raises(ValueError, match=r"at least 2 class subfolders \(found 1: \['left'\]\)"):
        video_dataset_from_directory(one)
    flat = tmp_path / "flat"
    shutil.copytree(sample_videos / "left", flat)
    with pytest.raises(ValueError, match=r"must be a folder with video files inside class subfolders"):
        video_dataset_from_directory(flat)
    assert len(video_dataset_from_directory(flat, labels=None, cache=tmp_path / "c", **KW).file_paths) == 6


@pytest.mark.parametrize(
    "kwargs,error,tail",
    [
        (dict(validation_split=1.5, subset="training", seed=1), ValueError, "Received: validation_split=1.5"),
        (dict(validation_split=0.2), ValueError, "Received: subset=None"),
        (dict(subset="training"), ValueError, "Received: subset='training'"),
        (dict(validation_split=0.2, subset="test", seed=1), ValueError, "Received: subset='test'"),
        (dict(validation_split=0.2, subset="training"), ValueError, "Received: seed=None"),
        (dict(label_mode="sparse"), ValueError, "Received: label_mode='sparse'"),
        (dict(sampling="all"), ValueError, "Received: sampling='all'"),
        (dict(batch_size=0), ValueError, "Received: batch_size=0"),
        (dict(batch_size=2.5), TypeError, "Received: batch_size=2.5"),
        (dict(image_size=(0, 3)), ValueError, "Received: image_size=(0, 3)"),
        (dict(class_names=["left", "diagonal"]), ValueError, "['diagonal'] missing"),
        (dict(labels=None, class_names=["left"]), ValueError, "Received: class_names=['left']"),
        (dict(labels="folders"), ValueError, "Received: labels='folders'"),
        (dict(cache=3), TypeError, "Received: cache=3"),
        (dict(augment="yes"), TypeError, "Received: augment='yes'"),
        (dict(augment={"rotate": 1}), ValueError, "Received: augment={'rotate': 1}"),
        (dict(augment={"flip": 2}), ValueError, "Received: flip=2.0"),
        (dict(validation_split=0.01, subset="validation", seed=1), ValueError, "Received: validation_split=0.01"),
    ],
)
def test_bad_arguments(sample_videos, kwargs, error, tail):
    with pytest.raises(error) as e:
        video_dataset_from_directory(sample_videos, **{**KW, **kwargs})
    msg = str(e.value)
    assert type(e.value) is error and tail in msg and "\n" not in msg
    if tail.startswith("Received:"):
        assert msg.endswith(tail)


# ------------------------------------------------------------------------------ cache
def test_cache_avoids_decoding_and_stores_npy(sample_videos, tmp_path, count_decodes):
    cache = tmp_path / "cache"
    ds = video_dataset_from_directory(sample_videos, cache=cache, shuffle=False, **KW)
    first = _epoch(ds)
    assert len(count_decodes) == 24
    files = sorted(cache.glob("*/*.npy"))
    assert len(files) == 24
    arr = np.load(files[0], allow_pickle=False)
    assert arr.dtype == np.uint8 and arr.shape == (8, 32, 32, 3)
    assert not list(cache.glob("*/*.tmp"))
    count_decodes.clear()
    cache_mod._fingerprints.clear()
    ds2 = video_dataset_from_directory(sample_videos, cache=cache, shuffle=False, **KW)
    second = _epoch(ds2)
    assert count_decodes == []  # served from disk
    for (x1, y1), (x2, y2) in zip(first, second):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    # other parameters -> other entries
    video_dataset_from_directory(sample_videos, cache=cache, num_frames=4, image_size=(16, 16), verbose=False)[0]
    assert len(count_decodes) == 8  # one batch (batch_size=8) decoded afresh
    assert clear_cache(cache) == len(list(files)) + len(count_decodes)
    assert not list(cache.glob("*/*.npy"))


def test_changed_file_is_decoded_again(sample_videos, tmp_path, count_decodes):
    root = tmp_path / "data"
    shutil.copytree(sample_videos, root)
    cache = tmp_path / "cache"
    ds = video_dataset_from_directory(root, cache=cache, shuffle=False, **KW)
    _epoch(ds)
    i = ds.file_paths.index(str(root / "left" / "left_0.mp4"))
    before = ds.load_clip(i)
    count_decodes.clear()
    assert np.array_equal(ds.load_clip(i), before) and count_decodes == []
    from kvideo.datasets import make_sample_clip
    from kvideo.io import write_video

    # new content, same path (same size and codec)
    write_video(root / "left" / "left_0.mp4", make_sample_clip("left", 16, (32, 32), seed=99), fps=12, codec="mp4v")
    after = ds.load_clip(i)
    assert count_decodes == [str(root / "left" / "left_0.mp4")]
    assert not np.array_equal(after, before)
    # a copy of a dataset elsewhere reuses the cache (content-keyed)
    count_decodes.clear()
    shutil.copytree(root, tmp_path / "copy")
    _epoch(video_dataset_from_directory(tmp_path / "copy", cache=cache, **KW))
    assert count_decodes == []


def test_cache_modes(sample_videos, tmp_path, monkeypatch, count_decodes):
    off = video_dataset_from_directory(sample_videos, cache=False, **KW)
    assert off.cache_dir is None
    _epoch(off)
    _epoch(off)
    assert len(count_decodes) == 48  # decoded every epoch
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "env"))
    on = video_dataset_from_directory(sample_videos, cache=True, **KW)
    assert on.cache_dir == tmp_path / "env" / "clips"  # KVIDEO_CACHE_DIR is the root of every kvideo cache
    on[0]
    assert len(list((tmp_path / "env" / "clips").glob("*/*.npy"))) == 5
    monkeypatch.delenv("KVIDEO_CACHE_DIR")
    assert cache_mod.default_cache_dir() == Path.home() / ".cache" / "kvideo" / "clips"


def test_damaged_cache_entry_is_a_miss(sample_videos, tmp_path):
    cache = tmp_path / "c"
    ds = video_dataset_from_directory(sample_videos, cache=cache, shuffle=False, **KW)
    x0, _ = ds[0]
    for f in cache.glob("*/*.npy"):
        f.write_bytes(b"garbage")
    x1, _ = ds[0]
    np.testing.assert_array_equal(x0, x1)


def test_random_sampling_changes_every_epoch_without_decoding(sample_videos, tmp_path, count_decodes):
    ds = video_dataset_from_directory(sample_videos, sampling="random", seed=1, shuffle=False, cache=tmp_path, **KW)
    e0 = _epoch(ds)
    n0 = len(count_decodes)
    e1 = _epoch(ds)
    assert n0 == 24 and len(count_decodes) == 24  # second epoch: pool from the cache
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(e0, e1))
    again = video_dataset_from_directory(sample_videos, sampling="random", seed=1, shuffle=False, cache=tmp_path, **KW)
    for a, b in zip(e0, _epoch(again)):
        np.testing.assert_array_equal(a[0], b[0])  # reproducible with the seed


# ------------------------------------------------------------------------------ augmentation
def test_clip_augment_is_clip_consistent():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    clip = np.stack([frame] * 6)
    for seed in range(5):
        out = ClipAugment(flip=True)(clip, np.random.default_rng(seed))
        assert out.dtype == np.float32 and out.shape == clip.shape
        assert all(np.array_equal(out[0], f) for f in out[1:])  # same transform on every frame
        assert 0 <= out.min() and out.max() <= 255
    assert not np.array_equal(ClipAugment()(clip, np.random.default_rng(1)), clip)


def test_flip_off_by_default_and_on_when_asked():
    ramp = np.tile(np.arange(32, dtype=np.uint8)[None, None, :, None] * 8, (2, 16, 1, 3))
    plain = ClipAugment(crop=None, brightness=0, contrast=0)
    assert all(np.array_equal(plain(ramp, np.random.default_rng(s)), ramp) for s in range(10))
    flip = ClipAugment(crop=None, brightness=0, contrast=0, flip=True)
    outs = [flip(ramp, np.random.default_rng(s)) for s in range(20)]
    assert any(np.array_equal(o, ramp[:, :, ::-1]) for o in outs) and any(np.array_equal(o, ramp) for o in outs)


def test_augment_applies_to_training_only(sample_videos, tmp_path):
    tr, va = video_dataset_from_directory(sample_videos, validation_split=0.25, subset="both", seed=1,
                                          augment=True, shuffle=False, cache=tmp_path, **KW)
    assert isinstance(tr.augment, ClipAugment) and tr.augment.flip == 0 and va.augment is None
    raw = np.stack([tr.load_clip(i) for i in tr.batch_indices(0)]).astype(np.float32)
    x, _ = tr[0]
    assert not np.array_equal(x, raw)
    xv, _ = va[0]
    np.testing.assert_array_equal(xv, np.stack([va.load_clip(i) for i in va.batch_indices(0)]).astype(np.float32))
    flip = video_dataset_from_directory(sample_videos, augment={"flip": True, "crop": None}, cache=tmp_path, **KW)
    assert flip.augment.flip == 0.5 and flip.augment.crop is None
    calls = []
    fn = video_dataset_from_directory(sample_videos, augment=lambda c: calls.append(1) or c * 0, cache=tmp_path, **KW)
    assert fn[0][0].max() == 0 and len(calls) == 5


# ------------------------------------------------------------------------------ unreadable files
def test_unreadable_files_one_warning_and_skipped(sample_videos, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(sample_videos, root)
    (root / "left" / "empty.mp4").write_bytes(b"")
    (root / "right" / "notes.mp4").write_text("not a video\n" * 100)
    data = (root / "grow" / "grow_0.mp4").read_bytes()
    (root / "grow" / "cut.mp4").write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ds = video_dataset_from_directory(root, cache=tmp_path / "c", **KW)
    msgs = [str(x.message) for x in w if "unreadable" in str(x.message)]
    assert len(msgs) == 1
    assert "3 unreadable" in msgs[0] and "empty.mp4" in msgs[0] and "notes.mp4" in msgs[0] and "cut.mp4" in msgs[0]
    assert len(ds.file_paths) == 24 and len(ds.skipped) == 3
    assert not any(p.endswith(("empty.mp4", "notes.mp4", "cut.mp4")) for p in ds.file_paths)


def test_file_failing_mid_epoch_is_replaced_not_fatal(sample_videos, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(sample_videos, root)
    ds = video_dataset_from_directory(root, cache=False, shuffle=False, **KW)
    victim = ds.file_paths.index(str(root / "left" / "left_2.mp4"))
    (root / "left" / "left_2.mp4").write_text("corrupted after the dataset was made")
    with pytest.warns(UserWarning, match="left_2.mp4"):
        batches = _epoch(ds)
    assert sum(len(b[1]) for b in batches) == 24
    b, k = divmod(victim, ds.batch_size)
    x, y = batches[b]
    assert y[k] == ds.labels[victim]  # the substitute has the same class
    assert x[k].max() > 0


def test_no_zero_clip_under_a_real_label_when_a_whole_class_breaks(sample_videos, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(sample_videos, root)
    ds = video_dataset_from_directory(root, cache=False, shuffle=False, **KW)
    broken = sorted((root / "left").glob("*.mp4"))
    for f in broken:
        f.write_text("corrupted after the dataset was made")
    left = ds.class_names.index("left")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batches = _epoch(ds)
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    assert len(ys) == 24
    assert not np.any(ys == left)  # the broken class's slots carry other readable clips with their own labels
    assert all(x.max() > 0 for x in xs)  # nothing made up


# ------------------------------------------------------------------------------ Keras integration
def _tiny_model(num_classes):
    return keras.Sequential([
        keras.Input((8, 32, 32, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.GlobalAveragePooling3D(),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])


def test_fit_with_worker_threads(sample_videos, tmp_path):
    tr, va = video_dataset_from_directory(sample_videos, validation_split=0.25, subset="both", seed=2, workers=2,
                                          cache=tmp_path, augment=True, **KW)
    model = _tiny_model(4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(tr, validation_data=va, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.isfinite(hist.history["val_loss"]).all()
    assert tr.epoch >= 2  # on_epoch_end ran after each epoch (Keras 3 with workers calls it once more at the end)
    assert model.predict(va, verbose=0).shape == (len(va.file_paths), 4)


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_dataset_under_other_backend(sample_videos, tmp_path, backend):
    """The dataset has no tf.data: fit/evaluate work under JAX (in a subprocess with KERAS_BACKEND)."""
    pytest.importorskip(backend)
    code = textwrap.dedent(
        f"""
        import keras, numpy as np
        assert keras.backend.backend() == {backend!r}
        from kvideo.data import video_dataset_from_directory
        tr, va = video_dataset_from_directory({str(sample_videos)!r}, num_frames=8, image_size=(32, 32), batch_size=6,
            validation_split=0.25, subset="both", seed=0, cache={str(tmp_path)!r}, augment=True, verbose=False)
        m = keras.Sequential([keras.Input((8, 32, 32, 3)), keras.layers.Rescaling(1 / 255),
            keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(4, activation="softmax")])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = m.fit(tr, validation_data=va, epochs=1, verbose=0)
        assert np.isfinite(h.history["loss"]).all(), h.history
        print("OK", keras.backend.backend(), len(tr), len(va))
        """
    )
    env = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                       cwd=str(Path(__file__).resolve().parents[1]))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"OK {backend} 3 2" in r.stdout  # 16 training, 8 validation files


def test_multiprocessing_workers(sample_videos, tmp_path):
    """use_multiprocessing=True: the dataset (and its augmentation) pickles into worker processes."""
    ds = video_dataset_from_directory(sample_videos, workers=2, use_multiprocessing=True, seed=0, augment=True,
                                      cache=tmp_path, **KW)
    model = _tiny_model(4)
    model.compile("adam", "sparse_categorical_crossentropy")
    hist = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
