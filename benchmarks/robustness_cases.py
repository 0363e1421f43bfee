"""Broken and odd inputs (videos, training folders, model files, CLI commands): the one home of the case makers that
``robustness_table.py`` and the tests share. Demo uploads and face galleries are in ``robustness_hostile.py``.

Every maker writes under the folder it is given and returns paths:

- ``build_video_cases(tmp)``: ``[(name, path)]`` of broken and odd videos (+ ``build_odd_videos``: rotation tag,
  grayscale, 10/16-bit, VFR, a lying frame count); ``CLEAN_ERROR_VIDEOS``: the ones that must end in an error.
- ``build_mixed_folder(tmp)``: 2 labels x 4 good clips + 3 broken ones + a text file -> ``(root, broken paths)``.
- ``build_odd_folder(tmp)``: hidden / tool folders, a symlink loop, a non-ASCII label, non-video files.
- ``build_model_files(tmp)``: ``{name: path}`` of a good model and of files that are not usable kvideo models.
- ``build_cli_cases(tmp, clips)``: ``{case name: argv}`` of commands that must end in one ``error: ...`` line.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import numpy as np

CLEAN_ERROR_VIDEOS = {"missing file", "empty file", "random bytes .mp4", "header only (64 bytes)",
                      "directory named .mp4", "PNG image named .mp4", "zero decodable frames (8 blanked)"}
ODD_VIDEOS = ("portrait phone video (rotation 90)", "grayscale (gray)", "16-bit grayscale (gray16le)",
              "10-bit (yuv420p10le)", "variable frame rate", "container says 1000 frames, holds 8")
GREY_LEVELS = [20 * i for i in range(8)]  # the flat grey of each frame of the PyAV-made odd videos
VFR_PTS_MS = [0, 10, 20, 300, 310, 900, 905, 2000]  # the variable-frame-rate video's timestamps


# ------------------------------------------------------------------------------------------------- videos
def good_video(path, frames=24, h=48, w=64):
    """A small random-pixel video (``kvideo.io.write_video``, codec from the extension)."""
    from kvideo.io import write_video

    rng = np.random.default_rng(0)
    return write_video(str(path), rng.integers(0, 255, (frames, h, w, 3), dtype=np.uint8), fps=12)


def build_video_cases(tmp):
    """``[(name, path)]`` of broken or odd video inputs, all created under ``tmp``."""
    import cv2

    tmp = Path(tmp)
    data = Path(good_video(tmp / "good.mp4")).read_bytes()
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "random.mp4").write_bytes(np.random.default_rng(1).bytes(4096))
    (tmp / "trunc30.mp4").write_bytes(data[: int(len(data) * 0.3)])
    (tmp / "header.mp4").write_bytes(data[:64])
    cv2.imwrite(str(tmp / "img.png"), np.zeros((32, 32, 3), np.uint8))
    os.replace(tmp / "img.png", tmp / "image.mp4")
    (tmp / "adir.mp4").mkdir()
    sp = tmp / "dir with spaces é ü"
    sp.mkdir()
    cases = [("missing file", tmp / "nope.mp4"), ("empty file", tmp / "empty.mp4"),
             ("random bytes .mp4", tmp / "random.mp4"), ("first 30% of a real file", tmp / "trunc30.mp4"),
             ("header only (64 bytes)", tmp / "header.mp4"), ("PNG image named .mp4", tmp / "image.mp4"),
             ("directory named .mp4", tmp / "adir.mp4"),
             ("zero decodable frames (8 blanked)", undecodable_avi(tmp / "blank.avi")),
             ("1x1 pixels", Path(good_video(tmp / "one.avi", 8, 1, 1))),
             ("2x2 pixels", Path(good_video(tmp / "two.avi", 8, 2, 2))),
             ("odd size 171x97", Path(good_video(tmp / "odd.avi", 8, 97, 171))),
             ("fewer frames (3) than num_frames", Path(good_video(tmp / "short.avi", 3))),
             ("path with spaces and non-ASCII", Path(good_video(sp / "vidéo ü.avi", 8)))]
    return cases + build_odd_videos(tmp)


def pyav_video(path, codec, pix_fmt, values, pts=None, w=64, h=48):
    """Frames of flat grey ``values`` (top-left 10x20 block white) encoded by PyAV; ``pts`` in milliseconds."""
    from fractions import Fraction

    import av

    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=12)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        if pts is not None:
            s.codec_context.time_base = s.time_base = Fraction(1, 1000)
        for i, v in enumerate(values):
            img = np.full((h, w, 3), v, np.uint8)
            img[:10, :20] = 255
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pts is not None:
                f.pts, f.time_base = pts[i], Fraction(1, 1000)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode():
            out.mux(pkt)
    return Path(path)


def rotate_mp4(src, dst, degrees=90):
    """Copy an mp4, setting its track's display matrix (what phones write) to a ``degrees`` rotation."""
    d = bytearray(Path(src).read_bytes())
    p = d.find(b"tkhd")
    off = p + 8 + (20 if d[p + 4] == 0 else 32) + 16
    one, minus = 0x10000, 0xFFFF0000
    a, b, c, e = {90: (0, one, minus, 0), 180: (minus, 0, 0, minus), 270: (0, minus, one, 0)}[degrees]
    d[off:off + 36] = struct.pack(">9I", a, b, 0, c, e, 0, 0, 0, 0x40000000)
    Path(dst).write_bytes(bytes(d))
    return Path(dst)


def undecodable_avi(path, frames=8):
    """An AVI whose container is fine (8 frames listed) but whose every frame's data is zeroed: nothing decodes."""
    src = Path(good_video(path, frames))
    d = bytearray(src.read_bytes())
    i, end = d.find(b"movi"), d.find(b"idx1")
    while 0 <= (i := d.find(b"00dc", i)) < end:
        size = struct.unpack("<I", d[i + 4:i + 8])[0]
        d[i + 8:i + 8 + size] = bytes(size)
        i += 8 + size
    src.write_bytes(bytes(d))
    return src


def lying_avi(path, frames=8, claimed=1000):
    """An AVI of ``frames`` frames whose headers claim ``claimed``."""
    src = Path(good_video(path, frames))
    d = bytearray(src.read_bytes())
    for tag, at in ((b"avih", 16), (b"strh", 32)):
        p = d.find(tag) + 8 + at
        d[p:p + 4] = struct.pack("<I", claimed)
    src.write_bytes(bytes(d))
    return src


def build_odd_videos(tmp):
    """Phone and camera oddities that must decode: rotation tag, grayscale, 10/16-bit, VFR, a lying frame count."""
    tmp = Path(tmp)
    cases = []
    try:
        plain = pyav_video(tmp / "landscape.mp4", "libx264", "yuv420p", GREY_LEVELS)
        cases.append(("portrait phone video (rotation 90)", rotate_mp4(plain, tmp / "portrait.mp4")))
        cases.append(("grayscale (gray)", pyav_video(tmp / "gray.mkv", "ffv1", "gray", GREY_LEVELS)))
        cases.append(("16-bit grayscale (gray16le)", pyav_video(tmp / "gray16.mkv", "ffv1", "gray16le", GREY_LEVELS)))
        cases.append(("10-bit (yuv420p10le)", pyav_video(tmp / "ten.mkv", "ffv1", "yuv420p10le", GREY_LEVELS)))
        cases.append(("variable frame rate", pyav_video(tmp / "vfr.mp4", "libx264", "yuv420p", GREY_LEVELS,
                                                        pts=VFR_PTS_MS)))
    except ImportError:  # PyAV missing: these cases need it to be made
        pass
    cases.append(("container says 1000 frames, holds 8", lying_avi(tmp / "lying.avi")))
    return cases


def long_avi(path, frames, size=(64, 96)):
    """An MJPG AVI of ``frames`` flat frames (fast to write): for streaming in flat memory."""
    import cv2

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (size[1], size[0]))
    img = np.zeros((*size, 3), np.uint8)
    for i in range(frames):
        img[:] = i % 255
        out.write(img)
    out.release()
    return Path(path)


# ------------------------------------------------------------------------------------------- training folders
def build_mixed_folder(tmp):
    """Two labels x 4 good clips, plus 3 broken ones (random bytes, empty, the first third of a clip) and a text file."""
    from kvideo.datasets import make_sample_videos

    root = make_sample_videos(Path(tmp) / "clips", classes=("left", "right"), per_class=4,
                              num_frames=8, size=(32, 32))
    (root / "left" / "broken random ü.mp4").write_bytes(os.urandom(3000))
    (root / "right" / "empty.mp4").write_bytes(b"")
    data = (root / "right" / "right_0.mp4").read_bytes()
    (root / "right" / "cut.mp4").write_bytes(data[: len(data) // 3])
    (root / "left" / "notes.txt").write_text("not a video")
    broken = sorted(str(root / p) for p in ("left/broken random ü.mp4", "right/empty.mp4", "right/cut.mp4"))
    return root, broken


def build_odd_folder(tmp):
    """Labels ``left`` and ``tourne à droite`` (2 clips each) beside ``.ipynb_checkpoints``, ``__MACOSX`` and
    ``.git`` folders holding clips, a text file, a ``Thumbs.db`` and a symlink loop back to the top."""
    from kvideo.datasets import make_sample_videos

    root = make_sample_videos(Path(tmp) / "clips", classes=("left", "right"), per_class=2, num_frames=8,
                              size=(32, 32))
    os.rename(root / "right", root / "tourne à droite")
    for tool in (".ipynb_checkpoints", "__MACOSX", ".git"):
        (root / tool).mkdir()
        shutil.copy(root / "left" / "left_0.mp4", root / tool / "x.mp4")
    (root / "left" / "notes.txt").write_text("not a video")
    (root / "left" / "Thumbs.db").write_bytes(b"\0" * 10)
    os.symlink(root, root / "left" / "loop")
    return root


def build_small_folders(tmp):
    """``{"empty": an empty folder, "one class": 1 label, "dead label": a label whose clips are all junk}``."""
    from kvideo.datasets import make_sample_videos

    t = Path(tmp)
    (t / "empty_dir").mkdir(parents=True, exist_ok=True)
    one = make_sample_videos(t / "one", classes=("left",), per_class=2, num_frames=8, size=(32, 32))
    dead = make_sample_videos(t / "dead", classes=("left", "right"), per_class=2, num_frames=8, size=(32, 32))
    for f in (dead / "right").iterdir():
        f.write_bytes(b"junk")
    return {"empty": t / "empty_dir", "one class": one, "dead label": dead}


# -------------------------------------------------------------------------------------------------- models
def build_model_files(tmp):
    """``{name: path}``: ``good`` (a frame_cnn, 4 frames, 32x32, labels left/right) and files that are not usable
    kvideo models (text, truncated, a Lambda layer, a plain Keras model, a folder, a missing file)."""
    import zipfile

    import keras

    import kvideo

    t = Path(tmp)
    model = kvideo.VideoClassifier("frame_cnn", class_names=["left", "right"], num_frames=4, image_size=32)
    good = model.save(t / "good.keras")
    (t / "text.keras").write_text("hello")
    data = good.read_bytes()
    (t / "cut.keras").write_bytes(data[: len(data) // 2])
    inp = keras.Input((4, 32, 32, 3))
    x = keras.layers.GlobalAveragePooling3D()(keras.layers.Lambda(lambda z: z * 2)(inp))
    keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x)).save(t / "lambda.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(t / "plain.keras")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(t / "lambda.keras", "a") as zout:
        zout.writestr("kvideo.json", zin.read("kvideo.json"))  # a kvideo file whose model runs code
    (t / "model_dir.keras").mkdir(exist_ok=True)
    return {"good": good, "text file named .keras": t / "text.keras", "truncated .keras": t / "cut.keras",
            "Lambda layer (code)": t / "lambda.keras", "plain Keras model": t / "plain.keras",
            "directory named .keras": t / "model_dir.keras", "missing model": t / "nope.keras"}


def build_cli_cases(t, clips):
    """Broken inputs of every kind for the CLI: ``{name: argv}`` (each must end in one ``error: ...`` line)."""
    import cv2

    t = Path(t)
    models = build_model_files(t)
    good = models["good"]
    (t / "random.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    (t / "empty.mp4").write_bytes(b"")
    (t / "dir.mp4").mkdir()
    cv2.imwrite(str(t / "photo.png"), np.zeros((16, 16, 3), np.uint8))
    (t / "photo.png").rename(t / "photo.mp4")
    folders = build_small_folders(t)
    (t / "bad.yaml").write_text("epochs: [1\n")
    (t / "gallery.db").write_bytes(b"SQLite format 3\0" + bytes(200))
    small = ["--arch", "frame_cnn", "--frames", 4, "--size", 32, "--epochs", 1]
    clip = Path(clips) / "left" / "left_0.mp4"
    return {
        "predict: missing video": ["predict", good, t / "nope.mp4"],
        "predict: random bytes .mp4": ["predict", good, t / "random.mp4"],
        "predict: empty .mp4": ["predict", good, t / "empty.mp4"],
        "predict: directory as video": ["predict", good, t / "dir.mp4"],
        "predict: image named .mp4": ["predict", good, t / "photo.mp4"],
        **{f"predict: {name}": ["predict", path, clip] for name, path in models.items() if name != "good"},
        "evaluate: empty folder": ["evaluate", good, folders["empty"]],
        "evaluate: missing folder": ["evaluate", good, t / "nope"],
        "train: empty folder": ["train", folders["empty"], *small, "--out", t / "o.keras"],
        "train: one class": ["train", folders["one class"], *small, "--out", t / "o.keras"],
        "train: a label with no readable clip": ["train", folders["dead label"], *small, "--out", t / "o.keras"],
        "train: --out not .keras": ["train", clips, *small, "--out", t / "o.h5"],
        "train: broken YAML config": ["train", clips, "--config", t / "bad.yaml", "--out", t / "o.keras"],
        "finetune: one class": ["finetune", good, folders["one class"], "--epochs", 1, "--out", t / "o.keras"],
        "info: missing video": ["info", t / "nope.mp4"],
        "info: random bytes": ["info", t / "random.mp4"],
        "export: truncated model": ["export", models["truncated .keras"], "--out", t / "o.onnx"],
        "faces identify: corrupt gallery": ["faces", "identify", t / "gallery.db", clip],
        "faces verify: not images": ["faces", "verify", t / "random.mp4", t / "empty.mp4"],
    }
