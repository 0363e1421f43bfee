"""The cases of ``robustness_table.py`` for videos, training folders, model files and fuzzing: each area is a
function ``(table, tmp)`` that makes its inputs (``robustness_cases``), runs them through the API and the CLI and adds
one row per case and entry point, with how the case is documented to end."""

from __future__ import annotations

import itertools
import os
import shutil
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import robustness_cases as rc
from robustness_table import CRASH, ERROR, FALLBACK, judge, run_cli

_FRESH = itertools.count()
_MODEL = {}  # a tiny model per temp root, shared by the areas of one run


def tiny_model(tmp):
    root = Path(tmp).parent
    if root not in _MODEL:
        (root / "models").mkdir(exist_ok=True)
        _MODEL[root] = rc.build_model_files(root / "models")
    return _MODEL[root]


# --------------------------------------------------------------------------------------------------- videos
def clip_ok(clip, n=8, size=(32, 32)):
    assert clip.shape == (n, *size, 3) and clip.dtype == np.uint8, f"clip {clip.shape} {clip.dtype}"
    return f"clip {clip.shape} uint8"


def check_odd(name, path):
    """The right answer of each odd video (not just any clip): upright, levels kept, frames in order."""
    import kvideo

    if name.startswith("portrait"):
        clip = kvideo.read_clip(path, num_frames=8, size=None)
        assert clip.shape[1:3] == (64, 48), f"not upright: frames {clip.shape[1:3]}"
        return "upright: 48x64 landscape frames tagged 90 deg come out 64 high x 48 wide"
    if name.startswith(("grayscale", "16-bit", "10-bit", "variable")):
        clip = kvideo.read_clip(path, num_frames=8, size=None)
        err = float(np.abs(clip[:, 30:, 30:].reshape(8, -1).mean(1) - rc.GREY_LEVELS).max())
        assert err < 4, f"grey levels off by {err:.1f}"
        if name.startswith("variable"):
            d = kvideo.video_info(path)["duration"]
            assert 2.0 <= d < 2.2, f"duration {d:.2f} s, timestamps run to 2.0 s"
            return f"8 frames in order (levels off by {err:.1f}); duration {d:.2f} s from the timestamps"
        return f"8-bit RGB, grey levels kept (off by {err:.1f} at most)"
    fresh = Path(path).with_name(f"lying_{os.getpid()}_{next(_FRESH)}.avi")  # a path read for the first time (counts are cached per file)
    shutil.copy(path, fresh)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        clip = kvideo.read_clip(fresh, num_frames=4, size=(32, 32))
    said = [str(x.message) for x in w if "only 8 decode" in str(x.message)]
    assert said and clip.shape == (4, 32, 32, 3), "no warning about the lying frame count"
    n = kvideo.video_info(fresh)["frames"]
    assert n == 8, f"video_info says {n} frames"
    return f"clip (4, 32, 32, 3), video_info: 8 frames; warning: {said[0]}"


def area_video(table, tmp):
    from kvideo.io import read_clip

    model = tiny_model(tmp)["good"]
    for name, path in rc.build_video_cases(tmp):
        expected = ERROR if name in rc.CLEAN_ERROR_VIDEOS else FALLBACK
        table.add("video", name, "API read_clip", judge(lambda p=path: read_clip(p, num_frames=8, size=(32, 32)),
                                                         clip_ok), expected)
        if name in rc.ODD_VIDEOS:
            table.add("video", name, "API read_clip (right answer)",
                      judge(lambda n=name, p=path: check_odd(n, p), lambda d: d), FALLBACK)
        table.add("video", name, "CLI info", run_cli(["info", path], _info_detail), expected)
        table.add("video", name, "CLI predict", run_cli(["predict", model, path], _top_label), expected)
    table.add("video", "very long video (2000 frames), streamed", "API iter_clips",
              judge(lambda: _flat_memory(tmp), lambda d: d), FALLBACK)


def _info_detail(r):
    return f"{r['frames']} frames, {r['width']} wide x {r['height']} high, {r['duration']:.2f} s"


def _top_label(r):
    assert r["predictions"] and r["predictions"][0]["label"] in r["class_names"], r
    return f"top label {r['predictions'][0]['label']}"


def _flat_memory(tmp):
    import kvideo

    def peak(path):
        tracemalloc.start()
        n = sum(len(w.frames) for w in kvideo.iter_clips(path, clip_frames=16, stride=16, size=(32, 32)))
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return n, top

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (_, p1), (n2, p2) = peak(rc.long_avi(tmp / "short.avi", 200)), peak(rc.long_avi(tmp / "long.avi", 2000))
    assert n2 == 2000 and p2 < 1.5 * p1 + 256 * 1024, f"peak {p1} B for 200 frames, {p2} B for 2000"
    return f"2000 frames streamed; peak Python memory {p2 / 1024:.0f} KiB (200 frames: {p1 / 1024:.0f} KiB)"


# ------------------------------------------------------------------------------------------ training folders
SMALL = ["--arch", "frame_cnn", "--frames", 4, "--size", 32, "--epochs", 1]


def _dataset(root, **kw):
    import kvideo

    return kvideo.video_dataset_from_directory(root, num_frames=4, image_size=16, cache=False, verbose=False, **kw)


def area_datasets(table, tmp):
    folders = rc.build_small_folders(tmp)
    mixed, broken = rc.build_mixed_folder(tmp / "mixed")
    odd = rc.build_odd_folder(tmp / "odd")
    out = tmp / "o.keras"
    for name, key in (("empty folder", "empty"), ("one class only", "one class"),
                      ("a label with no readable clip", "dead label")):
        table.add("datasets", name, "API video_dataset_from_directory", judge(lambda k=key: _dataset(folders[k])),
                  ERROR)
        table.add("datasets", name, "CLI train", run_cli(["train", folders[key], *SMALL, "--out", out]), ERROR)

    def skipped(ds):
        assert len(ds.file_paths) == 8 and sorted(p for p, _ in ds.skipped) == broken, ds.skipped
        return f"8 good clips kept, 3 unreadable skipped: {', '.join(Path(p).name for p in broken)}"

    def skipped_cli(r):
        assert r["num_skipped_videos"] == 3 and r["skipped_videos"] == broken, r.get("skipped_videos")
        return f"trained; num_skipped_videos 3: {', '.join(Path(p).name for p in r['skipped_videos'])}"

    name = "3 unreadable clips among 8 good ones (+ a .txt)"
    table.add("datasets", name, "API video_dataset_from_directory", judge(lambda: _dataset(mixed), skipped), FALLBACK)
    table.add("datasets", name, "CLI train", run_cli(["train", mixed, *SMALL, "--out", out], skipped_cli), FALLBACK)

    def odd_ok(ds):
        assert ds.class_names == ["left", "tourne à droite"] and len(ds.file_paths) == 4, (ds.class_names,
                                                                                          ds.file_paths)
        return "labels ['left', 'tourne à droite'], 4 clips; .txt, Thumbs.db, symlink loop ignored"

    name = "hidden / tool folders, non-video files, non-ASCII label"
    table.add("datasets", name, "API video_dataset_from_directory", judge(lambda: _dataset(odd), odd_ok), FALLBACK)
    table.add("datasets", name, "CLI train", run_cli(["train", odd, *SMALL, "--val-split", 0, "--out", out],
                                                     lambda r: f"labels {r['class_names']}"), FALLBACK)

    def finite(ds):
        assert len(ds.file_paths) <= 8, len(ds.file_paths)
        return f"{len(ds.file_paths)} clips listed (each real folder once)"

    table.add("datasets", "symlink loop, links followed", "API video_dataset_from_directory",
              judge(lambda: _dataset(odd, follow_links=True), finite), FALLBACK)
    table.add("datasets", "a clip breaks during an epoch", "API dataset batches",
              judge(lambda: _break_mid_epoch(tmp), lambda d: d), FALLBACK)


def _break_mid_epoch(tmp):
    """A clip made unreadable after the dataset listed it: dropped with a warning, a clip of the SAME label in its
    place (never an all-zero clip under a real label)."""
    from kvideo.datasets import make_sample_videos

    root = make_sample_videos(tmp / "epoch", classes=("left", "right"), per_class=3, num_frames=8, size=(32, 32))
    ds = _dataset(root, shuffle=False, batch_size=6)
    victim = ds.file_paths.index(str(root / "left" / "left_1.mp4"))
    (root / "left" / "left_1.mp4").write_text("corrupted after the dataset was made")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        x, y = next(iter(ds))
    said = [str(m.message) for m in w if "left_1.mp4" in str(m.message)]
    x, y = np.asarray(x), np.asarray(y)
    assert said and int(np.asarray(y[victim]).argmax() if y.ndim > 1 else y[victim]) == ds.labels[victim], said
    assert x[victim].max() > 0, "an all-zero clip"
    return "dropped, named in a warning; a readable clip of the same label took its slot"


# --------------------------------------------------------------------------------------------------- models
def area_models(table, tmp):
    import kvideo

    files = tiny_model(tmp)
    clips = rc.build_mixed_folder(tmp / "clips")[0]
    clip = clips / "left" / "left_0.mp4"
    for name, path in files.items():
        if name == "good":
            continue
        table.add("models", name, "API VideoClassifier.load", judge(lambda p=path: kvideo.VideoClassifier.load(p)),
                  ERROR)
        table.add("models", name, "CLI predict", run_cli(["predict", path, clip]), ERROR)
    table.add("models", "truncated .keras", "CLI export", run_cli(["export", files["truncated .keras"], "--out",
                                                                   tmp / "o.onnx"]), ERROR)
    clf = kvideo.VideoClassifier.load(files["good"])
    for shape, dtype in (((7, 50, 20, 3), np.uint8), ((4, 32, 32, 1), np.uint8), ((2, 4, 32, 32, 3), np.float32),
                         ((4, 32, 32, 3), np.uint16)):
        table.add("models", f"input of shape {shape} {np.dtype(dtype).name}", "API predict",
                  judge(lambda s=shape, d=dtype: clf.predict(np.zeros(s, d), top_k=2),
                        lambda r: f"conformed: {len(r)} {'clips' if isinstance(r[0], list) else 'labels'}"), FALLBACK)
    table.add("models", "input of shape (32, 32, 3) (one image)", "API predict",
              judge(lambda: clf.predict(np.zeros((32, 32, 3), np.uint8))), ERROR)
    other = kvideo.datasets.make_sample_videos(tmp / "other", classes=("up", "down"), per_class=2, num_frames=5,
                                               size=(40, 56))
    name = "fine-tune on clips of other size and length"
    table.add("models", name, "API fine_tune",
              judge(lambda: kvideo.VideoClassifier.load(files["good"]).fine_tune(other, epochs=1, verbose=0,
                                                                                 validation_split=None),
                    lambda h: f"{len(h['loss'])} epoch run at the model's own 4 frames x 32x32"), FALLBACK)
    table.add("models", name, "CLI finetune", run_cli(["finetune", files["good"], other, "--epochs", 1,
                                                       "--val-split", 0, "--out", tmp / "ft.keras"],
                                                      lambda r: f"labels {r.get('class_names')}"), FALLBACK)


# -------------------------------------------------------------------------------------------------- fuzzing
def _fuzz_bytes(tmp, n=40):
    """``n`` files of random bytes / a real file cut anywhere / a real file with bytes overwritten, through read_clip."""
    from kvideo.errors import KVideoError
    from kvideo.io import read_clip

    rng = np.random.default_rng(11)
    real = Path(rc.good_video(tmp / "real.mp4", 12, 32, 48)).read_bytes()
    tally = {"errors": 0, "clips": 0}
    for i in range(n):
        junk = rng.bytes(int(rng.integers(0, 4096)))
        mode = ("raw", "prefix", "flip")[i % 3]
        data = junk if mode == "raw" else real[: int(len(real) * rng.random())] + junk if mode == "prefix" else \
            _flip(real, junk, rng)
        p = tmp / f"f{i}.mp4"
        p.write_bytes(data)
        try:
            clip_ok(read_clip(p, num_frames=4, size=(16, 16)), 4, (16, 16))
            tally["clips"] += 1
        except KVideoError as e:
            assert e.path and "\n" not in str(e), repr(e)
            tally["errors"] += 1
    return f"{n} files: {tally['errors']} clean errors, {tally['clips']} valid clips"


def _flip(real, junk, rng):
    b = bytearray(real)
    pos = int(rng.integers(0, len(b)))
    b[pos:pos + len(junk)] = junk[: len(b) - pos]
    return bytes(b)


def _fuzz_args(tmp, n=60):
    from kvideo.io import read_clip

    rng = np.random.default_rng(12)
    path = rc.good_video(tmp / "args.mp4", 10, 24, 32)
    pick = lambda *xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    tally = {"errors": 0, "clips": 0}
    for _ in range(n):
        kw = dict(num_frames=pick(int(rng.integers(-3, 40)), float("nan"), None, "x", 2.5),
                  size=pick((int(rng.integers(-2, 64)), int(rng.integers(-2, 64))), int(rng.integers(-2, 64)), None,
                            "ab"),
                  sampling=pick("uniform", "random", "dense", "bogus", "", 3),
                  start=pick(None, float(rng.uniform(-2, 20)), int(rng.integers(-5, 20))))
        try:
            clip = read_clip(path, seed=0, **kw)
            assert clip.ndim == 4 and clip.shape[-1] == 3 and clip.dtype == np.uint8, (kw, clip.shape)
            tally["clips"] += 1
        except (ValueError, TypeError) as e:
            assert "\n" not in str(e).strip(), repr(e)
            tally["errors"] += 1
    return f"{n} argument sets: {tally['errors']} clean errors, {tally['clips']} valid clips"


def area_fuzz(table, tmp):
    table.add("fuzzing", "arbitrary bytes as a video file", "API read_clip", judge(lambda: _fuzz_bytes(tmp),
                                                                                   lambda d: d), FALLBACK)
    table.add("fuzzing", "arbitrary read_clip arguments", "API read_clip", judge(lambda: _fuzz_args(tmp),
                                                                                 lambda d: d), FALLBACK)
    rng = np.random.default_rng(13)
    outcomes = []
    for i in range(6):
        p = tmp / f"c{i}.mp4"
        p.write_bytes(rng.bytes(int(rng.integers(1, 3000))))
        outcomes.append(run_cli(["info", p]))
    bad = [d for k, d in outcomes if k == CRASH]
    table.add("fuzzing", "arbitrary bytes as a video file (6)", "CLI info",
              (CRASH, bad[0]) if bad else (FALLBACK, f"{sum(k == ERROR for k, _ in outcomes)} `error:` lines, "
                                                      f"{sum(k == FALLBACK for k, _ in outcomes)} exit 0 with JSON"),
              FALLBACK)


AREAS = {"video": area_video, "datasets": area_datasets, "models": area_models, "fuzzing": area_fuzz}
