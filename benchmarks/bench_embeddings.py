"""What the embedding cache buys: one training epoch with the frozen encoder run every epoch vs on cached
sequences, for the default pretrained classifier (3 streams x 16 frames at 224x224, EfficientNet-Lite0).

Measures, on DATA_DIR/<label>/*.mp4:
* ``encode_seconds``: decode + streams + encoder for every clip (what an epoch costs without the cache);
* ``cache_read_seconds``: reading every clip's cached float16 sequence;
* ``head_epoch_seconds``: one epoch of a GRU head on the cached sequences (Keras ``fit``, 1 epoch);
* ``linear_fit_seconds``: fitting the default logistic-regression head on them;
* ``speedup_per_epoch`` = (encode + head epoch) / (cache read + head epoch).

Usage:
    python benchmarks/bench_embeddings.py DATA_DIR [--out benchmarks/results/embeddings.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    os.environ["KVIDEO_CACHE_DIR"] = tempfile.mkdtemp(prefix="kvideo_bench_emb_")
    from kvideo.data import index_directory
    from kvideo.models.temporal import build_head
    from kvideo.tasks import EmbeddingClassifier
    from kvideo.tasks.embedding_data import embed_data
    from kvideo.tasks.head_fit import fit_keras_head, fit_linear_head

    paths, labels, names = index_directory(args.data_dir)
    clf = EmbeddingClassifier()
    clf.features  # noqa: B018  build (and convert the weights) outside the timings
    t = time.perf_counter()
    seqs, y, names, _ = embed_data(clf, args.data_dir, verbose=False)
    encode = time.perf_counter() - t
    t = time.perf_counter()
    seqs2, _, _, _ = embed_data(clf, args.data_dir, verbose=False)
    cache_read = time.perf_counter() - t
    assert np.array_equal(seqs, seqs2)  # the cache returns exactly what the cold run trained on
    head = build_head("gru", len(names), seqs.shape[1], seqs.shape[2])
    fit_keras_head(head, seqs, y, epochs=1)  # compile + first-call tracing outside the timing
    t = time.perf_counter()
    head.fit(seqs, y, epochs=1, batch_size=16, verbose=0)
    head_epoch = time.perf_counter() - t
    lin = build_head("linear", len(names), seqs.shape[1], seqs.shape[2], delta_last=17)
    t = time.perf_counter()
    fit_linear_head(lin, seqs, y, len(names), feature_weights=clf.feature_weights())
    linear_fit = time.perf_counter() - t
    res = {"clips": len(paths), "frames_per_clip": clf.num_frames, "streams": list(clf.streams),
           "encoder_frames_per_clip": clf.num_frames * len(clf.streams), "image_size": list(clf.image_size),
           "encode_seconds": round(encode, 2), "cache_read_seconds": round(cache_read, 3),
           "head_epoch_seconds": round(head_epoch, 3), "linear_fit_seconds": round(linear_fit, 2),
           "speedup_per_epoch": round((encode + head_epoch) / (cache_read + head_epoch), 1),
           "cache_bytes_per_clip": int(seqs.shape[1] * seqs.shape[2] * 2), "cpu_count": os.cpu_count()}
    print(json.dumps(res, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
