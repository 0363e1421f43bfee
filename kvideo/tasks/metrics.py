"""Classification metrics and class weights of the tasks (scikit-learn underneath).

Example:
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> m = classification_metrics([0, 1, 1], probs, ["left", "right"], top_k=1)
    >>> m["accuracy"], m["confusion_matrix"]
    (0.6666666666666666, [[1, 0], [1, 1]])
    >>> class_weights([0, 0, 0, 0, 1], "auto")
    {0: 0.625, 1: 2.5}
"""

from __future__ import annotations

import numpy as np

from kvideo.utils.validation import argument_error

CLASS_WEIGHT_MODES = ("auto", "balanced")


def classification_metrics(y, probs, class_names, top_k=3) -> dict:
    """Accuracy, top-k accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix.

    ``y``: true class indices (N,); ``probs``: (N, C) scores in ``class_names`` order. Macro F1 averages
    the classes present in ``y`` (an absent class would count as 0). Confusion matrix rows are true
    labels, columns predicted ones.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    n = len(class_names)
    y = np.asarray(y).astype(int)
    probs = np.asarray(probs)
    pred = probs.argmax(1)
    labels = list(range(n))
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    k = max(1, min(int(top_k), n))
    topk = np.argsort(-probs, axis=1)[:, :k]
    present = sorted(set(y.tolist()))
    return {
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "top_k_accuracy": float(np.mean([yi in row for yi, row in zip(y, topk)])) if len(y) else float("nan"),
        "top_k": k,
        "macro_f1": float(np.mean([f[i] for i in present])) if present else float("nan"),
        "per_class": {class_names[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                       "support": int(s[i])} for i in labels},
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
        "class_names": list(class_names),
    }


def video_level_metrics(video_ids, labels, probs, class_names, top_k=3) -> dict:
    """The metrics of the per-video mean of clip probabilities (``video_ids[i]``: the video of clip i).

    ``labels``: the true class of each video, in video-id order.
    """
    video_ids = np.asarray(video_ids)
    probs = np.asarray(probs)
    n = len(labels)
    summed = np.zeros((n, probs.shape[1]))
    np.add.at(summed, video_ids, probs)
    return classification_metrics(labels, summed / np.bincount(video_ids, minlength=n)[:, None], class_names, top_k)


def class_weights(labels, mode="auto"):
    """``{class index: weight}`` for ``keras.Model.fit``, or None.

    ``mode``: ``"auto"`` (balanced weights only when class counts differ by more than 1.5x),
    ``"balanced"`` (always ``n / (k * count)``), ``None``/``False`` (none) or a ready dict.
    ``labels``: class indices (or one-hot rows); None gives None.
    """
    if mode is None or mode is False:
        return None
    if isinstance(mode, dict):
        return {int(k): float(v) for k, v in mode.items()}
    if mode not in CLASS_WEIGHT_MODES:
        raise argument_error("class_weight", mode, "'auto', 'balanced', None or a {class index: weight} dict")
    if labels is None:
        return None
    labels = np.asarray(labels).astype(int)
    if labels.ndim > 1:
        labels = labels.argmax(-1)
    counts = np.bincount(labels)
    present = counts[counts > 0]
    if mode == "auto" and present.max() <= 1.5 * present.min():
        return None  # balanced enough
    n, k = counts.sum(), len(present)
    return {i: float(n / (k * c)) for i, c in enumerate(counts) if c > 0}
