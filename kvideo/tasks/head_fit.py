"""Training a head (:func:`kvideo.models.temporal.build_head`) on cached feature sequences.

``fit_linear_head`` fits scikit-learn's multinomial logistic regression on the head's own pooled
features and writes the result into the Keras layers (standardisation into ``head_norm``,
coefficients into ``predictions``), so the fitted head is an ordinary Keras model: it saves,
loads with ``safe_mode`` and runs on every backend. ``fit_keras_head`` trains the other heads with
Adam, early stopping and best weights.
"""

from __future__ import annotations

import numpy as np


def _set_norm(layer, mean, variance):
    layer.set_weights([np.asarray(mean, np.float32), np.asarray(variance, np.float32),
                       np.asarray(1, dtype=layer.get_weights()[2].dtype)])
    if hasattr(layer, "finalize_state"):
        layer.finalize_state()


def fit_linear_head(head, sequences, y, num_classes, *, C=1.0, sample_weight=None, feature_weights=None,
                    max_iter=3000):
    """Fit ``head`` (a ``linear`` head) on ``sequences`` (N, T, D) with integer labels ``y``.

    Returns the training accuracy. ``C`` is the inverse L2 strength of the logistic regression.
    ``feature_weights`` (one per feature of a step, default all 1) multiply the standardised features
    (folded into the normalisation layer), so that, e.g., 17 motion numbers are not drowned by
    thousands of appearance ones.

    Example:
        >>> from kvideo.models.temporal import build_head
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(12, 4, 3)).astype("float32"); y = np.arange(12) % 2; x[y == 1] += 2.0
        >>> head = build_head("linear", num_classes=2, num_steps=4, num_features=3)
        >>> fit_linear_head(head, x, y, 2)
        1.0
    """
    import keras
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y, dtype=np.int64)
    stats = head.get_layer("temporal_stats")
    pooled = keras.ops.convert_to_numpy(stats(np.asarray(sequences, np.float32))).astype(np.float64)
    mean = pooled.mean(0)
    std = pooled.std(0)
    std[std < 1e-6] = 1.0  # constant features: left as they are (sklearn's StandardScaler rule)
    if feature_weights is not None:  # pooled = [stat 1 of every feature, stat 2 ..., delta of the last k]
        fw = np.asarray(feature_weights, np.float64)
        n_full = pooled.shape[1] // len(fw)
        w = np.concatenate([np.tile(fw, n_full), fw[len(fw) - (pooled.shape[1] - n_full * len(fw)):]])
        std = std / np.maximum(w, 1e-6)
    z = (pooled - mean) / std
    present = np.unique(y)
    coef = np.zeros((num_classes, z.shape[1]))
    bias = np.full(num_classes, -30.0)  # a label with no training clip is never predicted
    if len(present) == 1:
        bias[present[0]] = 0.0
    else:
        lr = LogisticRegression(C=float(C), max_iter=max_iter)
        lr.fit(z, y, sample_weight=sample_weight)
        w, b = lr.coef_, lr.intercept_
        if len(present) == 2 and w.shape[0] == 1:  # binary: sklearn keeps one row
            w, b = np.concatenate([-w / 2, w / 2]), np.array([-b[0] / 2, b[0] / 2])
        coef[lr.classes_], bias[lr.classes_] = w, b
    _set_norm(head.get_layer("head_norm"), mean, std ** 2)
    head.get_layer("predictions").set_weights([coef.T.astype(np.float32), bias.astype(np.float32)])
    probs = keras.ops.convert_to_numpy(head(np.asarray(sequences, np.float32)))
    return float((probs.argmax(1) == y).mean())


def choose_by_cross_validation(make_head, sequences, y, num_classes, candidates, *, C=1.0, folds=5, seed=0):
    """Pick the best ``feature_weights`` among ``candidates`` ({name: weights}) by stratified k-fold
    accuracy of the linear head; returns ``(name, {name: accuracy})``, or ``(None, {})`` when a label
    has fewer than 2 clips (no fold could hold it out).

    Example:
        >>> from kvideo.models.temporal import build_head
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(20, 4, 3)).astype("float32"); y = np.arange(20) % 2; x[y == 1, :, 2] += 1.0
        >>> make = lambda: build_head("linear", num_classes=2, num_steps=4, num_features=3)
        >>> choose_by_cross_validation(make, x, y, 2, {"third": [0.1, 0.1, 4.0], "flat": [1, 1, 1]})[0]
        'third'
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=np.int64)
    counts = np.bincount(y, minlength=num_classes)
    k = int(min(folds, counts[counts > 0].min()))
    if k < 2 or len(candidates) < 2:
        return None, {}
    scores = {}
    split = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    for name, weights in candidates.items():
        right = 0
        for tr, va in split:
            head = make_head()
            fit_linear_head(head, sequences[tr], y[tr], num_classes, C=C, feature_weights=weights)
            right += int((np.asarray(head.predict(sequences[va], verbose=0)).argmax(1) == y[va]).sum())
        scores[name] = right / len(y)
    best = max(scores, key=lambda n: (scores[n], -list(candidates).index(n)))  # ties: the first candidate
    return best, scores


def fit_keras_head(head, sequences, y, *, validation=None, epochs=60, batch_size=16, learning_rate=1e-3,
                   patience=10, class_weight=None, verbose=0, seed=0):
    """Train a Keras head on cached sequences; returns the Keras history dict.

    ``validation`` is ``(sequences, y)`` or None (then the training loss is monitored).

    Example:
        >>> from kvideo.models.temporal import build_head
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(16, 4, 3)).astype("float32"); y = np.arange(16) % 2; x[y == 1] += 2.0
        >>> head = build_head("attention", num_classes=2, num_steps=4, num_features=3, units=8)
        >>> sorted(fit_keras_head(head, x, y, epochs=2))
        ['accuracy', 'loss']
    """
    import keras

    keras.utils.set_random_seed(seed)
    x = np.asarray(sequences, np.float32)
    head.get_layer("head_norm").adapt(x)
    head.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    monitor = "val_loss" if validation is not None else "loss"
    stop = keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)
    val = None if validation is None else (np.asarray(validation[0], np.float32), np.asarray(validation[1]))
    hist = head.fit(x, np.asarray(y), validation_data=val, epochs=epochs, batch_size=batch_size,
                    callbacks=[stop], class_weight=class_weight, verbose=verbose, shuffle=True)
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}
