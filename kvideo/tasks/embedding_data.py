"""Data and head training of :class:`~kvideo.tasks.embedding_classifier.EmbeddingClassifier`.

``embed_data`` turns a folder, a dataset or ``(x, y)`` arrays into cached feature sequences (with a
progress bar and a list of the files it could not read); ``fit_head`` fits the linear head with
scikit-learn or a Keras head with Adam, with class weights and an optional validation split.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from kvideo.tasks import inputs
from kvideo.utils.validation import argument_type_error, check_float, received


def _show(verbose) -> bool:
    return verbose is True or verbose == 1 or (verbose == "auto" and sys.stderr.isatty())


def _files(data, class_names):
    """``(paths, labels, class_names)`` of a folder or a dataset."""
    if inputs.is_path(data):
        from kvideo.data import index_directory

        inputs.check_folder(data)
        paths, labels, names = index_directory(data, class_names=class_names)
        return [str(p) for p in paths], np.asarray(labels, int), [str(c) for c in names]
    if hasattr(data, "file_paths") and hasattr(data, "class_names"):
        names = [str(c) for c in data.class_names]
        labels = np.asarray(data.labels).astype(int)
        if labels.ndim > 1:
            labels = labels.argmax(-1)
        return [str(p) for p in data.file_paths], labels, names
    raise argument_type_error("data", data, inputs.DATA_KINDS)


def embed_data(clf, data, class_names=None, verbose="auto", progress=None):
    """``(sequences (N, T, D), labels (N,), class_names, info)`` of ``data`` for ``clf``'s extractor;
    ``progress(done, total)`` is called as videos are embedded (or found in the cache)."""
    from kvideo.data.embeddings import embed_videos

    if inputs.is_arrays(data):
        x, y = data
        clips = clf.preprocessor.conform(np.asarray(x))
        names = class_names or clf.class_names
        y = np.asarray(y).astype(int)
        if names is None:
            names = [str(i) for i in range(int(y.max()) + 1)]
        return clf._extract(clips), y, list(names), {"num_train_videos": int(len(y))}
    paths, labels, names = _files(data, class_names)
    if not paths:
        raise ValueError(f"No video files found: put clips in <folder>/<label>/*.mp4. {received('data', str(data))}")
    bar = None
    if _show(verbose):
        from tqdm.auto import tqdm

        bar = tqdm(total=len(paths), desc="embedding videos", unit="video", file=sys.stderr)

    def report(done, total):
        if bar is not None:
            bar.n = done
            bar.refresh()
        if progress is not None:
            progress(done, total)

    extract = lambda clips: clf._extract(np.asarray(clips, "float32"))  # noqa: E731
    feats, failed = embed_videos(paths, clf.preprocessor.read, extract, sampling=clf.preprocessor.get_config(),
                                 extractor=clf.extractor_id(), cache=clf.cache, progress=report,
                                 batch_size=8)
    if bar is not None:
        bar.close()
    if failed:
        listed = "; ".join(f"{p}: {r}" for p, r in list(failed.items())[:10])
        warnings.warn(f"Skipped {len(failed)} unreadable video(s): {listed}", stacklevel=3)
    keep = [i for i, p in enumerate(paths) if p in feats]
    if not keep:
        raise ValueError(f"None of the {len(paths)} videos could be read. {received('data', str(data))}")
    seqs = np.stack([feats[paths[i]] for i in keep])
    info = {"num_train_videos": len(keep), "skipped_videos": sorted(failed)}
    return seqs, labels[keep], names, info


def _class_weights(y, num_classes, class_weight):
    counts = np.bincount(y, minlength=num_classes).astype(float)
    present = counts[counts > 0]
    if class_weight is None:
        return None
    if class_weight == "auto" and present.max() <= 1.5 * present.min():
        return None
    if class_weight in ("auto", "balanced"):
        w = np.where(counts > 0, len(y) / (len(present) * np.maximum(counts, 1)), 0.0)
        return {i: float(w[i]) for i in range(num_classes)}
    if isinstance(class_weight, dict):
        return {int(k): float(v) for k, v in class_weight.items()}
    raise argument_type_error("class_weight", class_weight, '"auto", "balanced", None or a {class: weight} dict')


def _split(y, fraction, seed):
    from kvideo.data import split_indices

    train_idx, val_idx = split_indices(y, len(y), fraction, seed)
    return np.asarray(train_idx, int), np.asarray(val_idx, int)


def fit_head(clf, head, seqs, y, val, *, epochs, batch_size, learning_rate, validation_split, patience,
             class_weight, verbose, seed):
    """Fit ``head`` on cached sequences; returns ``(history, info)``."""
    import time

    from kvideo.tasks.head_fit import fit_keras_head, fit_linear_head

    n = len(clf.class_names)
    cw = _class_weights(y, n, class_weight)
    if val is None and validation_split:
        fraction = check_float("validation_split", validation_split, low=0.0, high=0.9)
        tr, va = _split(y, fraction, seed)
        if len(va) and len(tr):
            val = (seqs[va], y[va])
            seqs, y = seqs[tr], y[tr]
    start = time.perf_counter()
    if clf.head_kind == "linear":
        sw = None if cw is None else np.asarray([cw[int(c)] for c in y])
        motion_weight, cv = _motion_weight(clf, head, seqs, y, n)
        acc = fit_linear_head(head, seqs, y, n, C=clf.C, sample_weight=sw,
                              feature_weights=clf.feature_weights(motion_weight))
        hist = {"accuracy": [acc]}
        if val is not None:
            probs = np.asarray(head.predict(val[0], verbose=0))
            hist["val_accuracy"] = [float((probs.argmax(1) == val[1]).mean())]
            hist["val_loss"] = [float(-np.mean(np.log(np.clip(probs[np.arange(len(val[1])), val[1]], 1e-7, 1))))]
    else:
        hist = fit_keras_head(head, seqs, y, validation=val, epochs=epochs, batch_size=batch_size,
                              learning_rate=learning_rate, patience=patience, class_weight=cw,
                              verbose=1 if _show(verbose) else 0, seed=seed)
    if clf.head_kind == "linear":
        extra = {"motion_weight": motion_weight, "motion_weight_cv": cv}
    else:
        extra = {}
    info = {**extra, "head": clf.head_kind, "head_fit_seconds": round(time.perf_counter() - start, 3),
            "num_val_videos": 0 if val is None else int(len(val[1])), "epochs_run": len(hist.get("accuracy", []))}
    return hist, info



def _motion_weight(clf, head, seqs, y, n):
    """``(motion weight, {candidate: cross-validated accuracy})`` for the linear head."""
    from kvideo.models.temporal import build_head
    from kvideo.tasks.embedding_classifier import DEFAULT_MOTION_WEIGHT, MOTION_WEIGHTS
    from kvideo.tasks.head_fit import choose_by_cross_validation

    if not clf.motion or clf.motion_weight != "auto":
        return (None if not clf.motion else float(clf.motion_weight)), {}
    stats = head.get_layer("temporal_stats")
    make = lambda: build_head("linear", n, seqs.shape[1], seqs.shape[2], delta_last=stats.delta_last)  # noqa: E731
    candidates = {w: clf.feature_weights(w) for w in MOTION_WEIGHTS}
    best, scores = choose_by_cross_validation(make, seqs, y, n, candidates, C=clf.C)
    return (DEFAULT_MOTION_WEIGHT if best is None else float(best)), {str(k): v for k, v in scores.items()}


def train_end_to_end(clf, data, *, epochs, learning_rate, verbose):
    """Unfreeze the encoder and train the whole model on the clips of ``data`` (a folder or arrays)."""
    import keras

    if inputs.is_arrays(data):
        clips, y = clf.preprocessor.conform(np.asarray(data[0])), np.asarray(data[1]).astype(int)
    else:
        paths, y, _ = _files(data, clf.class_names)
        clips = np.stack([clf.preprocessor.read(p) for p in paths])
    x = clf._inputs(clips)
    wrapper = clf.model.get_layer("frame_features").get_layer("frame_encoder")
    wrapper.trainable = wrapper.layer.trainable = True  # a Wrapper does not pass `trainable` on
    for layer in _sublayers(wrapper.layer):  # batch-norm keeps its inference statistics (Keras' fine-tuning guide)
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    try:
        clf.model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        hist = clf.model.fit(x, y, epochs=epochs, batch_size=2, verbose=1 if _show(verbose) else 0)
    finally:
        wrapper.trainable = wrapper.layer.trainable = False
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


def _sublayers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _sublayers(layer)
