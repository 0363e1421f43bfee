"""High-level tasks: ``VideoClassifier`` (build, fit, evaluate, predict, save/load, fine-tune); its default
architecture, ``"pretrained"``, is an ``EmbeddingClassifier`` (frozen pretrained encoder, cached embeddings).

Modules: ``base`` (the ``Task`` every classifier shares), ``preprocessor`` (``VideoPreprocessor``:
video -> model input), ``inputs`` (folder | dataset | arrays routing), ``metrics``, ``training``
(compile + fit loop), ``callbacks`` (best-weights early stopping), ``saving`` (``.keras`` + ``kvideo.json``,
``load_task``), ``video_classifier``, ``embedding_classifier`` + ``embedding_data`` + ``head_fit`` (the
pretrained-encoder classifier: routing to cached embeddings, head fitting).

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
from kvideo.tasks.embedding_classifier import EmbeddingClassifier  # noqa: E402  (subclasses VideoClassifier)

__all__ = ["VideoClassifier", "EmbeddingClassifier", "VideoPreprocessor", "Task", "load_task", "register_task"]
