"""Design study for the pretrained-encoder classifier: which features and head hold on unseen actors.

Computes every clip's two-stream feature sequence once (cached under $KVIDEO_CACHE_DIR/embeddings),
then scores variants with the leave-actors-out protocols of issue 9:

* ``6v3``: train on actors 0-5, test on 6-8 (also the other two rotations of the 9 actors);
* ``1vN``: train on one actor per label, test on all others (every actor in turn);
* ``k-shot``: k = 1, 3, 5 clips per label from the training actors.

Usage:
    python benchmarks/bench_embed_design.py DATASET_DIR [--frames 16] [--size 224] [--out results.json]

DATASET_DIR holds ``<label>/<actor>_<k>.mp4`` (``kvideo.datasets.actors``) or, with ``--by-seed``,
any ``<label>/*.mp4`` folder split by file order.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load_features(root, frames, size, weights, motion=True):
    import keras

    from kvideo.data.embeddings import embed_videos
    from kvideo.io import read_clip
    from kvideo.models.pretrained import build_frame_features

    files = sorted(Path(root).glob("*/*.*"))
    labels = [f.parent.name for f in files]
    actors = [re.split(r"[_-]", f.stem)[0] for f in files]
    model = build_frame_features(frames, (size, size), weights=weights, motion=motion)
    extract = lambda clips: keras.ops.convert_to_numpy(model(clips.astype("float32"), training=False))
    read = lambda p: read_clip(p, num_frames=frames, size=(size, size))
    t = time.time()
    feats, failed = embed_videos(files, read, extract, sampling={"num_frames": frames, "size": size},
                                 extractor={"name": "design", "weights": str(weights), "motion": motion},
                                 cache=True, batch_size=4)
    print(f"features for {len(files)} clips in {time.time() - t:.1f} s; failed {len(failed)}", file=sys.stderr)
    X = np.stack([feats[os.fspath(f)] for f in files])
    return X, np.array(labels), np.array(actors)


def pooled(X, stats=("mean", "std", "delta"), motion_weight=1.0, app=True, mot=True, nmot=17):
    t = X.shape[1]
    half = t // 2
    parts = []
    for s in stats:
        if s == "mean":
            parts.append(X.mean(1))
        elif s == "std":
            parts.append(X.std(1))
        else:
            parts.append(X[:, t - half:].mean(1) - X[:, :half].mean(1))
    P = np.stack(parts, 1)  # (N, S, D)
    a, m = P[..., :-nmot], P[..., -nmot:]
    out = []
    if app:
        out.append(a.reshape(len(X), -1))
    if mot:
        out.append(m.reshape(len(X), -1) * motion_weight)
    return np.concatenate(out, 1)


def lr_score(Ftr, ytr, Fte, yte, C=1.0, motion_cols=0, motion_weight=1.0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(Ftr)
    A, B = sc.transform(Ftr), sc.transform(Fte)
    if motion_cols:
        A[:, -motion_cols:] *= motion_weight
        B[:, -motion_cols:] *= motion_weight
    clf = LogisticRegression(C=C, max_iter=3000).fit(A, ytr)
    return float((clf.predict(B) == yte).mean())


def protocols(labels, actors):
    acts = sorted(set(actors))
    out = {}
    for r in range(3):
        test = set(acts[(6 + 3 * r) % 9:(6 + 3 * r) % 9 + 3]) if len(acts) >= 9 else set(acts[-max(1, len(acts) // 3):])
        tr = np.array([a not in test for a in actors])
        out[f"6v3_r{r}"] = (tr, ~tr)
    for a in acts:
        tr = actors == a
        out[f"1vN_{a}"] = (tr, ~tr)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--weights", default="imagenet")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    X, y, actors = load_features(args.root, args.frames, args.size, None if args.weights == "none" else args.weights)
    nmot = 17
    variants = {
        "motion_only": dict(app=False, mot=True),
        "app_only_mean": dict(app=True, mot=False, stats=("mean",)),
        "app_only_mean_std": dict(app=True, mot=False, stats=("mean", "std")),
        "both_mean_std_delta": dict(stats=("mean", "std", "delta")),
        "both_mw3": dict(stats=("mean", "std", "delta"), motion_weight=3.0),
        "both_mw6": dict(stats=("mean", "std", "delta"), motion_weight=6.0),
    }
    res = {}
    for name, kw in variants.items():
        F = pooled(X, nmot=nmot, **kw)
        scores = {}
        for pname, (tr, te) in protocols(y, actors).items():
            scores[pname] = lr_score(F[tr], y[tr], F[te], y[te])
        six = np.mean([v for k, v in scores.items() if k.startswith("6v3")])
        one = np.mean([v for k, v in scores.items() if k.startswith("1vN")])
        res[name] = {"6v3": six, "1vN": one, "detail": scores}
        print(f"{name:24s} 6v3={six:.3f} 1vN={one:.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
