"""Quick design experiments behind the kvideo.models defaults (arrays in memory, no video files).

Trains ``arch`` for a fixed number of epochs on ``make_sample_clip`` clips of the six order-only
classes (``npc`` per class, seed 1; 24 source frames uniformly subsampled to T) and prints the
held-out accuracy (20 clips per class, seed 2) after every epoch::

    python benchmarks/bench_models_tune.py convlstm 8 '{"npc": 30, "pooling": "avg", "motion": "diff"}'
    python benchmarks/bench_models_tune.py td_gru 8 '{"npc": 30, "motion": "diff"}'

The JSON holds architecture options plus ``npc``, ``lr``, ``bs``, ``T``, ``H``. (Used to produce
section 2 of benchmarks/models.md; the earlier runs with ``motion=False`` / BN momentum 0.99 were
made with the same script before those defaults changed.)
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLASSES = ("left", "right", "cw", "ccw", "grow", "shrink")


def make(n_per_class, T=16, H=64, seed=0, src_T=24):
    from kvideo.datasets import make_sample_clip

    idx = np.linspace(0, src_T - 1, T).round().astype(int)
    X, y = [], []
    for i, c in enumerate(CLASSES):
        for j in range(n_per_class):
            X.append(make_sample_clip(c, src_T, (H, H), seed=[seed, i, j])[idx])
            y.append(i)
    return np.stack(X).astype("float32"), np.array(y)


def main():
    import keras

    import kvideo.models as km

    arch, epochs = sys.argv[1], int(sys.argv[2])
    opts = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    lr, bs, npc = opts.pop("lr", 1e-3), opts.pop("bs", 8), opts.pop("npc", 40)
    T, H = opts.pop("T", 16), opts.pop("H", 64)
    Xtr, ytr = make(npc, T, H, seed=1)
    Xte, yte = make(20, T, H, seed=2)
    keras.utils.set_random_seed(0)
    m = km.build(arch, 6, num_frames=T, image_size=(H, H), **opts)
    m.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    t0, best = time.time(), 0.0
    for ep in range(1, epochs + 1):
        h = m.fit(Xtr, ytr, batch_size=bs, epochs=1, shuffle=True, verbose=0)
        pred = m.predict(Xte, verbose=0).argmax(1)
        acc = float((pred == yte).mean())
        best = max(best, acc)
        print(f"{arch} ep{ep} t={time.time() - t0:.0f}s loss={h.history['loss'][0]:.3f} "
              f"train_acc={h.history['accuracy'][0]:.2f} test={acc:.3f}", flush=True)
    kind = float((pred // 2 == yte // 2).mean())
    print(json.dumps({"arch": arch, "options": opts, "test": acc, "best": best, "motion_kind": kind,
                      "epochs": epochs}), flush=True)


if __name__ == "__main__":
    main()
