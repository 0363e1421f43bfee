"""High-level tasks: ``VideoClassifier`` (build, fit, evaluate, predict, save/load, fine-tune).

Example:
    >>> import kvideo
    >>> clf = kvideo.VideoClassifier("convlstm", num_frames=16, image_size=(64, 64))   # doctest: +SKIP
    >>> clf.fit("clips/train", epochs=10)                                              # doctest: +SKIP
"""

from kvideo.tasks.video_classifier import VideoClassifier

__all__ = ["VideoClassifier"]
