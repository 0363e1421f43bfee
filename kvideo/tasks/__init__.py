"""High-level tasks: ``VideoClassifier`` (build, fit, evaluate, predict, save/load, fine-tune).

Modules: ``base`` (the ``Task`` every classifier shares), ``preprocessor`` (``VideoPreprocessor``:
video -> model input), ``inputs`` (folder | dataset | arrays routing), ``metrics``, ``training``
(compile + fit loop), ``callbacks`` (best-weights early stopping), ``saving`` (``.keras`` + ``kvideo.json``,
``load_task``), ``video_classifier``.

Example (needs a folder of clips and a saved model):
    >>> import kvideo
    >>> clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))   # doctest: +SKIP
    >>> clf.fit("clips/train", epochs=10)                                              # doctest: +SKIP
    >>> task = kvideo.tasks.load_task("motion.keras")   # any saved task (needs a file)   # doctest: +SKIP
"""

from kvideo.tasks.base import Task
from kvideo.tasks.preprocessor import VideoPreprocessor
from kvideo.tasks.saving import load_task, register_task
from kvideo.tasks.video_classifier import VideoClassifier

__all__ = ["VideoClassifier", "VideoPreprocessor", "Task", "load_task", "register_task"]
