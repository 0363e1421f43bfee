"""``kvideo train | evaluate | predict | finetune | models``: video classification from the command line.

Examples::

    kvideo models --json
    kvideo train clips/train --arch convlstm --frames 16 --size 64 --epochs 20 --out motion.keras --json
    kvideo train clips/train --config configs/convlstm.yaml --epochs 5 --out motion.keras   # flags win
    kvideo evaluate motion.keras clips/test --json
    kvideo predict motion.keras clip.mp4 --top-k 3 --timeline --json
    kvideo finetune motion.keras my_clips/ --epochs 5 --out mine.keras --json
"""

from __future__ import annotations

import inspect
import sys
import time
from pathlib import Path

from kvideo.cli._common import add_common, default_of, size_type
from kvideo.cli import predict as predict_cmd, resume
from kvideo.cli.devices import format_worker as devices_fmt_worker
from kvideo.utils.validation import argument_error, parse_size, received

# config key -> (accepted python types, help, where the default comes from). Keys are the flag names with "_"
# for "-". Defaults are read from the Python signatures (see ``_defaults``): the CLI never keeps its own copy.
_CLF, _FIT, _FINE, _PRE = "VideoClassifier", "fit", "fine_tune", "VideoPreprocessor"
TRAIN_KEYS = {
    "arch": ((str,), "architecture, one of `kvideo models`", (_CLF, "arch")),
    "frames": ((int,), "frames sampled uniformly from each video (num_frames)", (_CLF, "num_frames")),
    "size": ((int, list), "frame size: an int (square) or [height, width]", (_CLF, "image_size")),
    "epochs": ((int,), "maximum training epochs", (_FIT, "epochs")),
    "batch_size": ((int,), "clips per batch", (_FIT, "batch_size")),
    "val_split": ((float, int), "fraction of each class held out for validation (0 = none)",
                  (_FIT, "validation_split")),
    "val_dir": ((str,), "a separate validation folder (instead of val_split)", (_FIT, "validation_data")),
    "learning_rate": ((float, int), "Adam learning rate", (_FIT, "learning_rate")),
    "early_stopping": ((bool,), "stop when the validation loss stops improving", (_FIT, "early_stopping")),
    "patience": ((int,), "epochs without improvement before stopping", (_FIT, "patience")),
    "class_weight": ((str, type(None)), "'auto' (balance when counts differ > 1.5x), 'balanced' or null",
                     (_FIT, "class_weight")),
    "augment": ((bool,), "random crop + brightness on training clips (never flips)", (_FIT, "augment")),
    "sampling": ((str,), "'uniform' or 'random' frame sampling of training clips", (_PRE, "sampling")),
    "backbone": ((str,), "frame encoder: small_cnn or a keras.applications name", (_CLF, "backbone")),
    "weights": ((str, type(None)), "backbone weights: null, imagenet or a file path", None),
    "seed": ((int,), "seed of the validation split and shuffling", (_FIT, "seed")),
    "options": ((dict,), "architecture options passed to kvideo.models.build (see configs/*.yaml)", None),
}
_FINETUNE_ONLY = {
    "learning_rate": ((float, int), "learning rate of the head while the backbone is frozen", (_FINE, "learning_rate")),
    "fine_tune_learning_rate": ((float, int), "learning rate after unfreezing", (_FINE, "fine_tune_learning_rate")),
    "freeze_backbone": ((bool,), "freeze the frame encoder (layers named encoder*)", (_FINE, "freeze_backbone")),
    "unfreeze_after": ((int, type(None)), "unfreeze everything after this many epochs", (_FINE, "unfreeze_after")),
}
FINETUNE_KEYS = {
    **{k: (*TRAIN_KEYS[k][:2], (_FINE, TRAIN_KEYS[k][2][1]))
       for k in ("epochs", "batch_size", "val_split", "val_dir", "early_stopping", "patience", "class_weight",
                 "augment", "seed")},
    **_FINETUNE_ONLY,
}


def task_class(arch):
    """The class that trains ``arch``: EmbeddingClassifier for the pretrained-encoder archs, else VideoClassifier."""
    from kvideo.presets import PRETRAINED_ARCHS
    from kvideo.tasks import EmbeddingClassifier, VideoClassifier

    return EmbeddingClassifier if arch in PRETRAINED_ARCHS else VideoClassifier


def _defaults(schema, cls=None):
    """The default of every key, read from the signature its value is passed to (one home per default).

    ``cls`` is the task class (defaults differ per architecture: the pretrained ones read 224x224 frames
    and fit without a validation split); keys its signatures lack default to None.
    """
    from kvideo.tasks import VideoClassifier, VideoPreprocessor

    cls = cls or task_class(inspect.signature(VideoClassifier.__init__).parameters["arch"].default)
    signatures = {_CLF: cls.__init__, _FIT: cls.fit, _FINE: cls.fine_tune, _PRE: VideoPreprocessor.__init__}
    out = {}
    for key, (_, _, source) in schema.items():
        params = inspect.signature(signatures[source[0]]).parameters if source is not None else {}
        if source is None or source[1] not in params:  # architecture options, or a key this class does not take
            out[key] = {} if key == "options" else None
            continue
        value = params[source[1]].default
        if key == "arch":
            value = VideoClassifier.__init__.__defaults__[0] if value is inspect.Parameter.empty else value
        if key == "size" and value is not None:
            value = list(parse_size(value, "size"))
        elif key == "augment":
            value = bool(value)  # None (no augmentation) is the flag's off
        out[key] = value
    return out


MIN_SIZE = 16  # the models' smallest frame side
TRAIN_DEFAULTS = _defaults(TRAIN_KEYS)  # of the default architecture (shown in --help)


def _train_defaults(arch):
    return TRAIN_DEFAULTS if arch is None else _defaults(TRAIN_KEYS, task_class(arch))
def _finetune_defaults():
    from kvideo.tasks import VideoClassifier

    return _defaults(FINETUNE_KEYS, VideoClassifier)


FINETUNE_DEFAULTS = _finetune_defaults()  # shown in --help; `finetune` reads those of the loaded model's class


def _load_config(path, schema):
    import yaml

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Config file not found: pass an existing YAML file (see configs/). "
                                f"{received('config', str(path))}")
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"Config {str(path)!r} is not valid YAML: {' '.join(str(e).split())}. "
                         f"{received('config', str(path))}") from None
    if not isinstance(data, dict):
        raise argument_error("config", str(path), f"a YAML mapping of key: value (not a {type(data).__name__})")
    for key, value in data.items():
        if key not in schema:
            raise ValueError(f"Unknown key {key!r} in config {str(path)!r}: valid keys are {sorted(schema)}. "
                             f"{received(key, value)}")
        types = schema[key][0]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = "/".join("null" if t is type(None) else t.__name__ for t in types)
            raise argument_error(key, value, f"{names} (config key {key!r} in {str(path)!r})")
    if "size" in data:
        data["size"] = list(parse_size(data["size"], "size", minimum=MIN_SIZE))
    return data


def _merge(args, schema, defaults):
    """defaults < config file < command-line flags (flags default to None so we know they were given).

    ``defaults`` is a dict, or a function ``arch -> dict`` (the defaults of the architecture chosen).
    """
    given = _load_config(args.config, schema) if getattr(args, "config", None) else {}
    if callable(defaults):
        defaults = defaults(getattr(args, "arch", None) or given.get("arch"))
    cfg = dict(defaults)
    cfg.update(given)
    for key in schema:
        value = getattr(args, key, None)
        if value is not None:
            cfg[key] = value
    return cfg


def _verbose():
    return 1 if sys.stderr.isatty() else 2


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def _check_out(out):
    if not str(out).endswith(".keras"):
        raise argument_error("--out", str(out), "a .keras file")


def _check_dir(path, what="DATA_DIR"):
    if not Path(path).is_dir():
        raise FileNotFoundError(f"{what} not found: pass a folder laid out as <folder>/<label>/<videos>. "
                                f"{received(what.lower(), str(path))}")


def _skipped(info):  # unreadable training files, dropped (named in one warning)
    return {"skipped_videos": list(info.get("skipped_videos") or []), "num_skipped_videos": len(info.get("skipped_videos") or [])}


def _summary(hist):
    if not hist:
        return {}
    return {k: v[-1] for k, v in hist.items() if v}


def _plots(clf, directory, result=None):
    if not directory:
        return []
    d = Path(directory)
    out = []
    if clf.history:
        out.append(str(clf.plot_history(d / "history.png")))
    if result is not None:
        out.append(str(clf.plot_confusion_matrix(d / "confusion_matrix.png", result)))
    return out


# ---------------------------------------------------------------------- commands
def cmd_train(args):
    from kvideo.tasks import VideoClassifier

    from kvideo.cli import devices as devices_cli

    devices_line = devices_cli.apply_device_flags(args)
    cfg = _merge(args, TRAIN_KEYS, _train_defaults)
    _check_dir(args.data_dir)
    _check_out(args.out)
    options = dict(cfg["options"] or {})
    if cfg["weights"] is not None:
        options["weights"] = cfg["weights"]
    if cfg["backbone"] is not None:
        if task_class(cfg["arch"]) is not VideoClassifier:
            raise argument_error("--backbone", cfg["backbone"], "left out for the pretrained architectures (their "
                                 "encoder is options.encoder), or used with an end-to-end --arch such as convlstm")
        options["backbone"] = cfg["backbone"]
    clf = VideoClassifier(cfg["arch"], num_frames=int(cfg["frames"]), image_size=tuple(cfg["size"]), **options)
    augment = True if cfg["augment"] else None
    data, cluster = args.data_dir, getattr(args, "cluster", None)
    if cluster is not None:  # multi-worker: this worker's shard, the class weights of all files
        data, cfg["val_dir"], cfg["class_weight"] = devices_cli.worker_data(cluster, data, clf, cfg, augment)
    elif cfg["sampling"] != "uniform":  # fit() reads folders uniformly: hand it datasets that sample at random
        from kvideo.tasks.inputs import folder_dataset

        split = cfg["val_dir"] is None and cfg["val_split"]
        data = folder_dataset(args.data_dir, clf.preprocessor, shuffle=True, batch_size=cfg["batch_size"],
                              seed=cfg["seed"], validation_split=float(cfg["val_split"]) if split else None,
                              subset="both" if split else None, sampling=cfg["sampling"], augment=augment)
        if split:
            data, cfg["val_dir"] = data
    devices_cli.announce(devices_line)
    _log(f"training {cfg['arch']} on {args.data_dir} ({cfg['frames']} frames, {cfg['size'][0]}x{cfg['size'][1]}, "
         f"up to {cfg['epochs']} epochs)")
    t0, ckpt = time.time(), (resume.fit_kwargs(args, clf) if cluster is None else {})
    hist = clf.fit(data, validation_data=cfg["val_dir"], epochs=int(cfg["epochs"]), batch_size=int(cfg["batch_size"]),
                   learning_rate=float(cfg["learning_rate"]), validation_split=float(cfg["val_split"] or 0),
                   early_stopping=bool(cfg["early_stopping"]), patience=int(cfg["patience"]),
                   class_weight=cfg["class_weight"], augment=augment, verbose=_verbose(), seed=int(cfg["seed"]), **ckpt)
    seconds = time.time() - t0
    path = clf.save(args.out) if cluster is None else devices_cli.save_model(clf, args.out, cluster)
    resume.finish(ckpt)
    best = clf.train_info.get("best_epoch")
    best_metrics = {k: v[best - 1] for k, v in hist.items() if best and len(v) >= best}
    result = {"model": str(path), "arch": clf.arch, "class_names": clf.class_names, "num_frames": clf.num_frames,
            "image_size": list(clf.image_size), "epochs_run": clf.train_info.get("epochs_run"), "best_epoch": best,
            "resumed_from_epoch": clf.train_info.get("resumed_from_epoch"), **_skipped(clf.train_info),
            "final": _summary(hist), "best": best_metrics, "train_seconds": round(seconds, 2),
            "train_info": clf.train_info, "config": {k: v for k, v in cfg.items() if k != "val_dir" or isinstance(v, (str, type(None)))},
            "history": hist, "plots": _plots(clf, args.plots) if path else []}
    return result if cluster is None else devices_cli.worker_result(clf, cluster, result)


def cmd_evaluate(args):
    from kvideo.tasks import VideoClassifier

    _check_dir(args.data_dir)
    clf = VideoClassifier.load(args.model)
    result = clf.evaluate(args.data_dir, clips_per_video=args.clips_per_video, top_k=args.top_k,
                          batch_size=args.batch_size, verbose=True)
    result = {"model": str(args.model), "data_dir": str(args.data_dir), **result}
    result["plots"] = _plots(clf, args.plots, result) if args.plots else []
    return result


def cmd_finetune(args):
    from kvideo.tasks import VideoClassifier

    _check_dir(args.data_dir)
    _check_out(args.out)
    clf = VideoClassifier.load(args.model)
    cfg = _merge(args, FINETUNE_KEYS, _defaults(FINETUNE_KEYS, type(clf)))
    old = list(clf.class_names)
    _log(f"fine-tuning {args.model} ({clf.arch}, classes {old}) on {args.data_dir}")
    t0 = time.time()
    hist = clf.fine_tune(args.data_dir, epochs=int(cfg["epochs"]), freeze_backbone=bool(cfg["freeze_backbone"]),
                         unfreeze_after=cfg["unfreeze_after"], learning_rate=float(cfg["learning_rate"]),
                         fine_tune_learning_rate=float(cfg["fine_tune_learning_rate"]),
                         batch_size=int(cfg["batch_size"]), validation_data=cfg["val_dir"],
                         validation_split=float(cfg["val_split"] or 0), early_stopping=bool(cfg["early_stopping"]),
                         patience=int(cfg["patience"]), class_weight=cfg["class_weight"],
                         augment=True if cfg["augment"] else None, verbose=_verbose(), seed=int(cfg["seed"]))
    seconds = time.time() - t0
    path = clf.save(args.out)
    return {"model": str(path), "base_model": str(args.model), "arch": clf.arch, "class_names": clf.class_names,
            "previous_class_names": old, "new_head": old != clf.class_names,
            "epochs_run": len(next(iter(hist.values()), [])), "final": _summary(hist),
            "train_seconds": round(seconds, 2), "train_info": clf.train_info, "history": hist,
            "plots": _plots(clf, args.plots)}


def cmd_models(args):
    from kvideo.presets import BACKBONES, DEFAULT_ARCH, END_TO_END_ARCHS, architectures, builder_options

    # read from the builders' source: listing the architectures imports no Keras
    options = {name: {k: list(v) if isinstance(v, tuple) else v for k, v in builder_options(name).items()}
               for name in END_TO_END_ARCHS}
    return {"architectures": architectures(), "default": DEFAULT_ARCH, "backbones": BACKBONES, "options": options}


# ---------------------------------------------------------------------- formatting
def _fmt_metrics(r):
    lines = [f"accuracy {r['accuracy']:.3f}   macro F1 {r['macro_f1']:.3f}   top-{r['top_k']} {r['top_k_accuracy']:.3f}"
             f"   ({r['num_clips']} clips, {r['num_videos']} videos)"]
    if "video_level" in r:
        lines.append(f"video-level accuracy {r['video_level']['accuracy']:.3f}")
    lines.append(f"{'label':<16}{'precision':>10}{'recall':>10}{'f1':>8}{'support':>9}")
    for name, m in r["per_class"].items():
        lines.append(f"{name:<16}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>8.3f}{m['support']:>9d}")
    return "\n".join(lines)


def _fmt_train(r):
    if r.get("model") is None:  # a multi-worker run's worker other than 0
        return devices_fmt_worker(r)
    f = r["final"]
    best = r.get("best") or {}
    parts = [f"saved {r['model']} ({r['arch']}, classes {', '.join(r['class_names'])})",
             f"{r['epochs_run']} epochs in {r['train_seconds']:.0f}s; best epoch {r['best_epoch']}: "
             + ", ".join(f"{k} {v:.3f}" for k, v in (best or f).items())]
    parts += [devices_fmt_worker(r)] if "distributed" in r else []
    return "\n".join(parts + [f"plot: {p}" for p in r.get("plots", [])])


def _fmt_models(r):
    width = max(len(n) for n in r["architectures"])
    lines = [f"{n:<{width}}  {d}" for n, d in r["architectures"].items()]
    lines.append("backbones: " + ", ".join(r["backbones"]))
    return "\n".join(lines)


# ---------------------------------------------------------------------- parsers
def _add_train_flags(p, schema):
    d = TRAIN_DEFAULTS if "arch" in schema else FINETUNE_DEFAULTS
    if "arch" in schema:
        p.add_argument("--arch", default=None, help=f"architecture (default {d['arch']}; see `kvideo models`)")
        p.add_argument("--frames", type=int, default=None, help=f"frames per clip (default {d['frames']})")
        p.add_argument("--size", type=size_type(MIN_SIZE), default=None,
                       help="frame size N or HxW (default {}x{})".format(*d["size"]))
        p.add_argument("--backbone", default=None, help="frame encoder of the end-to-end archs (default small_cnn)")
        p.add_argument("--weights", default=None, help="backbone weights: imagenet or a file")
        p.add_argument("--sampling", default=None, choices=["uniform", "random"],
                       help=f"frame sampling of training clips (default {d['sampling']})")
    p.add_argument("--epochs", type=int, default=None, help=f"maximum epochs (default {d['epochs']})")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None,
                   help=f"clips per batch (default {d['batch_size']})")
    p.add_argument("--val-split", dest="val_split", type=float, default=None,
                   help=f"fraction held out for validation (default {d['val_split']}; 0 = none)")
    p.add_argument("--val-dir", dest="val_dir", default=None, help="separate validation folder")
    p.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, default=None,
                   help=f"learning rate (default {d['learning_rate']})")
    p.add_argument("--patience", type=int, default=None, help=f"early-stopping patience (default {d['patience']})")
    p.add_argument("--no-early-stopping", dest="early_stopping", action="store_const", const=False, default=None,
                   help="train all epochs (the best epoch is still restored)")
    p.add_argument("--class-weight", dest="class_weight", default=None, choices=["auto", "balanced", "none"],
                   help=f"class weighting (default {d['class_weight']})")
    p.add_argument("--augment", dest="augment", action="store_const", const=True, default=None,
                   help="random crop + brightness (never flips)")
    p.add_argument("--seed", type=int, default=None, help=f"seed for the split and shuffling (default {d['seed']})")
    p.add_argument("--config", default=None, help="YAML config (see configs/); flags win")
    p.add_argument("--plots", default=None, metavar="DIR", help="write training curves PNG to DIR")


def _fix_none(args):
    if getattr(args, "class_weight", None) == "none":
        args.class_weight = None
    return args


def register(subparsers):
    from kvideo.tasks import Task

    p = subparsers.add_parser("train", help="train a video classifier on DATA_DIR/<label>/*.mp4",
                              description="Train a video classifier; prints final metrics and the history.")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--out", required=True, metavar="MODEL.keras", help="where to save the model")
    _add_train_flags(p, TRAIN_KEYS)
    resume.add_resume_flag(p)
    from kvideo.cli.devices import add_cluster_flags, add_device_flags, start_cluster

    add_device_flags(p)
    add_cluster_flags(p)
    add_common(p)
    p.set_defaults(func=lambda a: cmd_train(_fix_none(a)), format=_fmt_train,
                   prepare=lambda a: start_cluster(a, lambda b: _merge(b, TRAIN_KEYS, _train_defaults)["arch"]))

    p = subparsers.add_parser("evaluate", help="evaluate a model on DATA_DIR/<label>/*.mp4",
                              description="Accuracy, macro F1, per-class metrics and confusion matrix.")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("data_dir", metavar="DATA_DIR")
    ev = {k: default_of(Task.evaluate, k) for k in ("clips_per_video", "top_k", "batch_size")}
    p.add_argument("--clips-per-video", dest="clips_per_video", type=int, default=ev["clips_per_video"],
                   help=f"score N clips per video and add video-level metrics (default {ev['clips_per_video']})")
    p.add_argument("--top-k", dest="top_k", type=int, default=ev["top_k"],
                   help=f"k of the top-k accuracy (default {ev['top_k']})")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=ev["batch_size"],
                   help=f"clips per batch (default {ev['batch_size']})")
    p.add_argument("--plots", default=None, metavar="DIR", help="write the confusion matrix PNG to DIR")
    add_common(p)
    p.set_defaults(func=cmd_evaluate, format=_fmt_metrics)

    predict_cmd.register(subparsers)

    p = subparsers.add_parser("finetune", help="fine-tune a model on new data (new labels allowed)",
                              description="Fine-tune MODEL.keras on DATA_DIR; new labels replace the head.")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("data_dir", metavar="DATA_DIR")
    p.add_argument("--out", required=True, metavar="NEW.keras")
    _add_train_flags(p, FINETUNE_KEYS)
    p.add_argument("--fine-tune-lr", dest="fine_tune_learning_rate", type=float, default=None,
                   help=f"learning rate after unfreezing (default {FINETUNE_DEFAULTS['fine_tune_learning_rate']})")
    p.add_argument("--no-freeze-backbone", dest="freeze_backbone", action="store_const", const=False, default=None,
                   help="train the frame encoder from the start")
    p.add_argument("--unfreeze-after", dest="unfreeze_after", type=int, default=None,
                   help="unfreeze the encoder after N epochs")
    add_common(p)
    p.set_defaults(func=lambda a: cmd_finetune(_fix_none(a)), format=_fmt_train_ft)

    p = subparsers.add_parser("models", help="list the architectures", description="List architectures and backbones.")
    add_common(p)
    p.set_defaults(func=cmd_models, format=_fmt_models)


def _fmt_train_ft(r):
    head = "new head" if r["new_head"] else "same labels"
    return (f"saved {r['model']} ({r['arch']}, {head}: {', '.join(r['class_names'])}), {r['epochs_run']} epochs in "
            f"{r['train_seconds']:.0f}s; final " + ", ".join(f"{k} {v:.3f}" for k, v in r["final"].items()))
