"""Shared pieces of the architecture builders."""

from __future__ import annotations

import keras


def video_input(num_frames, image_size):
    """The model input: (num_frames, H, W, 3) float in 0..255."""
    if int(num_frames) < 2:
        raise ValueError(f"num_frames must be >= 2 for a video model. Received: num_frames={num_frames!r}")
    h, w = _size(image_size)
    return keras.Input((int(num_frames), h, w, 3), name="video")


def _size(image_size):
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    try:
        h, w = (int(v) for v in image_size)
    except Exception:
        raise ValueError(f"image_size must be (height, width). Received: image_size={image_size!r}") from None
    if h < 16 or w < 16:
        raise ValueError(f"image_size must be at least 16x16. Received: image_size={image_size!r}")
    return h, w


def classification_head(x, num_classes, dropout=0.3, hidden=0):
    """Dropout (+ optional hidden Dense) + the softmax Dense named "predictions"."""
    if int(num_classes) < 1:
        raise ValueError(f"num_classes must be >= 1. Received: num_classes={num_classes!r}")
    L = keras.layers
    if hidden:
        x = L.Dense(int(hidden), activation="relu", name="head_dense")(x)
    if dropout:
        x = L.Dropout(float(dropout), name="head_dropout")(x)
    return L.Dense(int(num_classes), activation="softmax", name="predictions")(x)
