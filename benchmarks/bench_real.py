"""Leave-actors-out accuracy on a folder of action clips by several people, run as a user would.

The held-out test of kvideo is real footage of 10 whole-body actions by 9 people (one clip per person and
action, static camera): train on 6 people, test on the 3 others; and train on one person per action, test
on the 8 others. This harness runs those protocols on any folder laid out ``<action>/<actor>_<k>.<ext>``
(e.g. ``kvideo.datasets.actors.make_actor_videos``), through the CLI exactly as a user types it::

    python3 -m kvideo.cli.main train TRAIN_DIR --arch A --out m.keras [EXTRA_ARGS]
    python3 -m kvideo.cli.main evaluate m.keras TEST_DIR --json [EVAL_ARGS]

or, with ``--python-api``, in-process through ``kvideo.VideoClassifier(arch).fit(TRAIN_DIR)`` /
``.evaluate(TEST_DIR)`` (faster: no interpreter start-up per run).

Protocols (``--protocols``):

* ``six``: train on the first ``--train-actors`` (6) actors, test on the others.
* ``one``: train on one actor for every action, test on all the others.
* ``fewshot``: ``--shots`` k (1 3 5) clips per action from the training actors of ``six`` (a different
  random actor per action; k=3 includes the k=1 clips), test on the same held-out actors as ``six``.

``--repeat N`` repeats each protocol over N actor splits: split 0 is the natural order (actor0..actor5 /
actor6..actor8, actor0 for ``one``), split r > 0 a random permutation of the actors (seed r).
When training fails and ``--val-split`` was not given, the run is retried once with ``--val-split 0``
(recorded as ``fallback``): the issue's "validation subset is empty" case on one clip per action.

Results (accuracy, macro F1, train and evaluation wall time per run, mean/std per protocol x arch x k)
go to ``benchmarks/results/real_<name>.json`` (rewritten after every run) and a table is printed.

Examples::

    python3 benchmarks/bench_real.py /work/devdata/actors --name actors --archs convlstm td_gru c3d
    python3 benchmarks/bench_real.py /work/devdata/actors --name actors_e5 --extra-args "--epochs 5" \\
        --protocols six one --repeat 3
    python3 benchmarks/bench_real.py /work/devdata/actors --name api --python-api \\
        --api-kwargs '{"epochs": 5, "validation_split": 0}'
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO_EXTS = {".mp4", ".avi", ".webm", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg"}


# ---------------------------------------------------------------------- dataset and splits
def _natural(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def scan(data_dir):
    """{(action, actor): [paths]} from ``data_dir/<action>/<actor>_<k>.<ext>``."""
    root = Path(data_dir)
    if not root.is_dir():
        sys.exit(f"bench_real: DATA_DIR not found: pass a folder laid out <action>/<actor>_<k>.mp4. "
                 f"Received: data_dir={str(data_dir)!r}")
    clips = {}
    for action_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(action_dir.iterdir()):
            if f.suffix.lower() not in VIDEO_EXTS:
                continue
            if "_" not in f.stem:
                sys.exit(f"bench_real: {f} is not named <actor>_<k>{f.suffix}: rename it so the actor is known. "
                         f"Received: file={f.name!r}")
            clips.setdefault((action_dir.name, f.stem.rsplit("_", 1)[0]), []).append(f)
    if not clips:
        sys.exit(f"bench_real: no videos under {root}/<action>/. Received: data_dir={str(data_dir)!r}")
    return clips


def actor_order(actors, repeat):
    actors = sorted(actors, key=_natural)
    if repeat == 0:
        return actors
    return [actors[i] for i in np.random.default_rng(repeat).permutation(len(actors))]


def splits(clips, protocols, shots, n_train, repeats):
    """Yield dicts {protocol, repeat, k, train: [(action, path)], test: [...], train_actors, test_actors}."""
    actions = sorted({a for a, _ in clips})
    actors = sorted({p for _, p in clips}, key=_natural)
    if n_train >= len(actors):
        sys.exit(f"bench_real: --train-actors must be below the number of actors ({len(actors)}). "
                 f"Received: train_actors={n_train}")

    def files(acts, who):
        return [(a, f) for a in acts for p in who for f in clips.get((a, p), [])]

    for r in range(repeats):
        order = actor_order(actors, r)
        train_pool, test_actors = order[:n_train], order[n_train:]
        if "six" in protocols:
            yield {"protocol": "six", "repeat": r, "k": None, "train_actors": train_pool, "test_actors": test_actors,
                   "train": files(actions, train_pool), "test": files(actions, test_actors)}
        if "one" in protocols:
            yield {"protocol": "one", "repeat": r, "k": 1, "train_actors": order[:1], "test_actors": order[1:],
                   "train": files(actions, order[:1]), "test": files(actions, order[1:])}
        if "fewshot" in protocols:
            pools = {}
            for a in actions:  # a per-action random order of the training clips; k takes the first k (nested)
                pool = files([a], train_pool)
                rng = np.random.default_rng([r, zlib.crc32(a.encode())])
                pools[a] = [pool[i] for i in rng.permutation(len(pool))]
            for k in shots:
                train = [x for a in actions for x in pools[a][:k]]
                yield {"protocol": "fewshot", "repeat": r, "k": int(k), "train_actors": train_pool,
                       "test_actors": test_actors, "train": train, "test": files(actions, test_actors)}


def materialise(items, folder, copy=False):
    """Lay ``items`` [(action, path)] out as ``folder/<action>/<file>`` (symlinks, or copies)."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    for action, src in items:
        dst = folder / action / Path(src).name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if copy:
            shutil.copy2(src, dst)
        else:
            os.symlink(Path(src).resolve(), dst)
    return folder


# ---------------------------------------------------------------------- running
def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _tail(text, n=3):
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])[-600:]


def _last_json(stdout):
    for block in (stdout.strip(), *reversed(stdout.strip().splitlines())):
        try:
            return json.loads(block)
        except (json.JSONDecodeError, ValueError):
            continue
    return None


def run_cli(arch, train_dir, test_dir, work, extra, eval_extra, timeout):
    """Train and evaluate through the CLI; returns a result dict (``status`` ok or error)."""
    model = Path(work) / f"{arch}.keras"
    cli = [sys.executable, "-m", "kvideo.cli.main"]
    out = {"command": None, "fallback": None}
    attempts = [list(extra)]
    if "--val-split" not in extra and "--val-dir" not in extra:
        attempts.append(list(extra) + ["--val-split", "0"])
    for i, args in enumerate(attempts):
        cmd = cli + ["train", str(train_dir), "--arch", arch, "--out", str(model)] + args
        out["command"] = " ".join(shlex.quote(c) for c in cmd[1:])
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout, cwd=str(work))
        except subprocess.TimeoutExpired:
            return {**out, "status": "error", "error": f"train timed out after {timeout} s"}
        out["train_seconds"] = round(time.time() - t0, 2)
        if p.returncode == 0:
            out["fallback"] = "--val-split 0" if i else None
            break
        out.setdefault("first_error", _tail(p.stderr))
    else:
        return {**out, "status": "error", "error": out.get("first_error")}
    cmd = cli + ["evaluate", str(model), str(test_dir), "--json"] + list(eval_extra)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=timeout, cwd=str(work))
    out["eval_seconds"] = round(time.time() - t0, 2)
    result = _last_json(p.stdout) if p.returncode == 0 else None
    if result is None:
        return {**out, "status": "error", "error": "evaluate: " + _tail(p.stderr or p.stdout)}
    return {**out, "status": "ok", **_metrics(result)}


def _metrics(result):
    keep = {k: result.get(k) for k in ("accuracy", "macro_f1", "top_k_accuracy", "num_videos", "confusion_matrix",
                                       "class_names")}
    if isinstance(result.get("video_level"), dict):
        keep["video_accuracy"] = result["video_level"].get("accuracy")
    return keep


def run_api(arch, train_dir, test_dir, api_kwargs, eval_kwargs):
    """Train and evaluate in-process with ``kvideo.VideoClassifier`` (the three-line Python path)."""
    import inspect

    import keras

    import kvideo

    keras.utils.clear_session()
    init_keys = set(inspect.signature(kvideo.VideoClassifier.__init__).parameters) - {"self", "arch_options"}
    init = {k: v for k, v in api_kwargs.items() if k in init_keys}
    fit = {k: v for k, v in api_kwargs.items() if k not in init}
    out = {"command": f"VideoClassifier({arch!r}, **{init}).fit(TRAIN, **{fit}); .evaluate(TEST, **{eval_kwargs})",
           "fallback": None}
    t0 = time.time()
    try:
        clf = kvideo.VideoClassifier(arch, **init)
        try:
            clf.fit(str(train_dir), verbose=0, **fit)
        except ValueError as e:
            if "validation_split" in fit or "validation_data" in fit:
                raise
            out["first_error"] = str(e)[-600:]
            clf = kvideo.VideoClassifier(arch, **init)
            clf.fit(str(train_dir), verbose=0, validation_split=0, **fit)
            out["fallback"] = "validation_split=0"
        out["train_seconds"] = round(time.time() - t0, 2)
        t0 = time.time()
        result = clf.evaluate(str(test_dir), verbose=False, **eval_kwargs)
        out["eval_seconds"] = round(time.time() - t0, 2)
    except Exception as e:  # noqa: BLE001 - a failed run is a result
        return {**out, "status": "error", "error": f"{type(e).__name__}: {str(e)[-600:]}"}
    return {**out, "status": "ok", **_metrics(result)}


# ---------------------------------------------------------------------- reporting
def summarise(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["protocol"], r["arch"], r["k"]), []).append(r)
    rows = []
    for (protocol, arch, k), rs in groups.items():
        ok = [r for r in rs if r["status"] == "ok"]
        acc = [r["accuracy"] for r in ok]
        f1 = [r["macro_f1"] for r in ok]
        secs = [r["train_seconds"] for r in ok]
        rows.append({"protocol": protocol, "arch": arch, "k": k, "runs": len(rs), "ok": len(ok),
                     "fallbacks": sum(1 for r in ok if r.get("fallback")),
                     "accuracy_mean": float(np.mean(acc)) if acc else None,
                     "accuracy_std": float(np.std(acc)) if acc else None,
                     "macro_f1_mean": float(np.mean(f1)) if f1 else None,
                     "train_seconds_mean": float(np.mean(secs)) if secs else None})
    return rows


def table(rows):
    head = f"{'protocol':<9} {'k':>2} {'arch':<14} {'runs':>4} {'accuracy':>15} {'macro F1':>8} {'train s':>8}  note"
    lines = [head, "-" * len(head)]
    for r in rows:
        acc = "error" if r["accuracy_mean"] is None else f"{r['accuracy_mean']:.3f} +- {r['accuracy_std']:.3f}"
        f1 = "-" if r["macro_f1_mean"] is None else f"{r['macro_f1_mean']:.3f}"
        secs = "-" if r["train_seconds_mean"] is None else f"{r['train_seconds_mean']:.0f}"
        note = []
        if r["ok"] < r["runs"]:
            note.append(f"{r['runs'] - r['ok']} failed")
        if r["fallbacks"]:
            note.append(f"{r['fallbacks']} needed val-split 0")
        k = "-" if r["k"] is None else str(r["k"])
        lines.append(f"{r['protocol']:<9} {k:>2} {r['arch']:<14} {r['runs']:>4} {acc:>15} {f1:>8} {secs:>8}  "
                     + ", ".join(note))
    return "\n".join(lines)


def _save(path, payload):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name)
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, indent=1)
    os.replace(tmp, path)


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", help="folder laid out <action>/<actor>_<k>.mp4")
    ap.add_argument("--name", default=None, help="results go to benchmarks/results/real_<name>.json "
                                                 "(default: the data folder's name)")
    ap.add_argument("--archs", nargs="+", default=["convlstm"])
    ap.add_argument("--protocols", nargs="+", default=["six", "one", "fewshot"], choices=["six", "one", "fewshot"])
    ap.add_argument("--shots", nargs="+", type=int, default=[1, 3, 5], help="clips per action for fewshot")
    ap.add_argument("--train-actors", type=int, default=6, help="actors in the training pool (six, fewshot)")
    ap.add_argument("--repeat", type=int, default=1, help="number of actor splits (0 = natural order)")
    ap.add_argument("--extra-args", default="", help="extra flags for `train`, e.g. \"--epochs 5 --size 64\"")
    ap.add_argument("--eval-args", default="", help="extra flags for `evaluate`, e.g. \"--clips-per-video 3\"")
    ap.add_argument("--python-api", action="store_true", help="train/evaluate in-process with VideoClassifier")
    ap.add_argument("--api-kwargs", default="{}", help="JSON kwargs for VideoClassifier(...) and .fit(...) "
                                                       "(split by the constructor's signature)")
    ap.add_argument("--eval-kwargs", default="{}", help="JSON kwargs for .evaluate(...) in --python-api mode")
    ap.add_argument("--work", default=None, help="scratch folder for split folders and models (default: a temp dir)")
    ap.add_argument("--copy", action="store_true", help="copy clips into the split folders instead of symlinking")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per train/evaluate command")
    ap.add_argument("--out", default=None, help="results JSON path (overrides --name)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    clips = scan(args.data_dir)
    name = args.name or Path(args.data_dir).resolve().name
    out_path = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"real_{name}.json"
    extra, eval_extra = shlex.split(args.extra_args), shlex.split(args.eval_args)
    api_kwargs, eval_kwargs = json.loads(args.api_kwargs), json.loads(args.eval_kwargs)
    work = Path(args.work or tempfile.mkdtemp(prefix="kvideo_bench_real_"))
    work.mkdir(parents=True, exist_ok=True)
    payload = {"setup": {"data_dir": str(Path(args.data_dir).resolve()), "archs": args.archs,
                         "protocols": args.protocols, "shots": args.shots, "train_actors": args.train_actors,
                         "repeat": args.repeat, "mode": "python-api" if args.python_api else "cli",
                         "extra_args": extra, "eval_args": eval_extra, "api_kwargs": api_kwargs,
                         "eval_kwargs": eval_kwargs, "actions": sorted({a for a, _ in clips}),
                         "actors": sorted({p for _, p in clips}, key=_natural), "clips": sum(map(len, clips.values())),
                         "git_commit": _git_commit(), "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                         "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                         "command": " ".join(shlex.quote(a) for a in sys.argv)},
               "runs": [], "summary": []}
    plan = list(splits(clips, args.protocols, args.shots, args.train_actors, args.repeat))
    total, done = len(plan) * len(args.archs), 0
    for sp in plan:
        tag = f"{sp['protocol']}_r{sp['repeat']}" + (f"_k{sp['k']}" if sp["k"] else "")
        train_dir = materialise(sp["train"], work / tag / "train", args.copy)
        test_dir = materialise(sp["test"], work / tag / "test", args.copy)
        for arch in args.archs:
            done += 1
            print(f"[{done}/{total}] {tag} {arch}: train {len(sp['train'])} clips, test {len(sp['test'])} ...",
                  file=sys.stderr, flush=True)
            if args.python_api:
                res = run_api(arch, train_dir, test_dir, api_kwargs, eval_kwargs)
            else:
                res = run_cli(arch, train_dir, test_dir, work / tag, extra, eval_extra, args.timeout)
            run = {"protocol": sp["protocol"], "repeat": sp["repeat"], "k": sp["k"], "arch": arch,
                   "train_actors": sp["train_actors"], "test_actors": sp["test_actors"],
                   "n_train": len(sp["train"]), "n_test": len(sp["test"]), **res}
            payload["runs"].append(run)
            payload["summary"] = summarise(payload["runs"])
            _save(out_path, payload)
            msg = (f"acc {res['accuracy']:.3f} F1 {res['macro_f1']:.3f} train {res['train_seconds']:.0f}s"
                   if res["status"] == "ok" else f"ERROR {res.get('error')}")
            print(f"    {msg}" + (f" (fallback {res['fallback']})" if res.get("fallback") else ""),
                  file=sys.stderr, flush=True)
    payload["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    _save(out_path, payload)
    print(table(payload["summary"]))
    print(f"results: {out_path}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return payload


if __name__ == "__main__":
    main()
