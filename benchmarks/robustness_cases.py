"""Broken inputs for the CLI and the training folder with broken clips, shared by ``robustness_table.py`` and the tests.

``build_mixed_folder(tmp)``: 2 labels x 4 good clips + 3 broken ones + a text file -> ``(root, broken paths)``.
``build_cli_cases(tmp, clips)``: ``{case name: argv}`` of commands that must end in one ``error: ...`` line.
"""

import os
from pathlib import Path


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


def build_cli_cases(t, clips):
    t = Path(t)
    """Broken inputs of every kind for the CLI: {name: argv}."""
    import zipfile

    import keras
    import numpy as np

    import kvideo

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
    (t / "random.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    (t / "empty.mp4").write_bytes(b"")
    (t / "dir.mp4").mkdir()
    import cv2

    cv2.imwrite(str(t / "photo.png"), np.zeros((16, 16, 3), np.uint8))
    (t / "photo.png").rename(t / "photo.mp4")
    (t / "empty_dir").mkdir()
    one = kvideo.datasets.make_sample_videos(t / "one", classes=("left",), per_class=2, num_frames=8, size=(32, 32))
    dead = kvideo.datasets.make_sample_videos(t / "dead", classes=("left", "right"), per_class=2, num_frames=8,
                                              size=(32, 32))
    for f in (dead / "right").iterdir():
        f.write_bytes(b"junk")
    (t / "bad.yaml").write_text("epochs: [1\n")
    (t / "gallery.db").write_bytes(b"SQLite format 3\0" + bytes(200))
    small = ["--arch", "frame_cnn", "--frames", 4, "--size", 32, "--epochs", 1]
    clip = clips / "left" / "left_0.mp4"
    return {
        "predict: missing video": ["predict", good, t / "nope.mp4"],
        "predict: random bytes .mp4": ["predict", good, t / "random.mp4"],
        "predict: empty .mp4": ["predict", good, t / "empty.mp4"],
        "predict: directory as video": ["predict", good, t / "dir.mp4"],
        "predict: image named .mp4": ["predict", good, t / "photo.mp4"],
        "predict: text file as model": ["predict", t / "text.keras", clip],
        "predict: truncated model": ["predict", t / "cut.keras", clip],
        "predict: Lambda layer model": ["predict", t / "lambda.keras", clip],
        "predict: plain Keras model": ["predict", t / "plain.keras", clip],
        "predict: directory as model": ["predict", t / "empty_dir", clip],
        "predict: missing model": ["predict", t / "nope.keras", clip],
        "evaluate: empty folder": ["evaluate", good, t / "empty_dir"],
        "evaluate: missing folder": ["evaluate", good, t / "nope"],
        "train: empty folder": ["train", t / "empty_dir", *small, "--out", t / "o.keras"],
        "train: one class": ["train", one, *small, "--out", t / "o.keras"],
        "train: a label with no readable clip": ["train", dead, *small, "--out", t / "o.keras"],
        "train: --out not .keras": ["train", clips, *small, "--out", t / "o.h5"],
        "train: broken YAML config": ["train", clips, "--config", t / "bad.yaml", "--out", t / "o.keras"],
        "finetune: one class": ["finetune", good, one, "--epochs", 1, "--out", t / "o.keras"],
        "info: missing video": ["info", t / "nope.mp4"],
        "info: random bytes": ["info", t / "random.mp4"],
        "export: truncated model": ["export", t / "cut.keras", "--out", t / "o.onnx"],
        "faces identify: corrupt gallery": ["faces", "identify", t / "gallery.db", clip],
        "faces verify: not images": ["faces", "verify", t / "random.mp4", t / "empty.mp4"],
    }
