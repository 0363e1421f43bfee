"""Video datasets for Keras 3 (any backend): ``video_dataset_from_directory`` and ``VideoDataset``.

Example:
    >>> import kvideo
    >>> root = kvideo.datasets.make_sample_videos("/tmp/clips", per_class=8)            # doctest: +SKIP
    >>> train, val = kvideo.data.video_dataset_from_directory(
    ...     root, num_frames=16, image_size=(64, 64), validation_split=0.25, subset="both", seed=1)  # doctest: +SKIP
"""

from kvideo.data.augment import ClipAugment, resolve_augment
from kvideo.data.cache import ClipCache, clear_cache, default_cache_dir, file_fingerprint
from kvideo.data.dataset import (
    ALLOWED_FORMATS,
    VideoDataset,
    index_directory,
    split_indices,
    video_dataset_from_directory,
)

__all__ = [
    "video_dataset_from_directory",
    "VideoDataset",
    "ClipAugment",
    "ClipCache",
    "clear_cache",
    "default_cache_dir",
    "file_fingerprint",
    "index_directory",
    "split_indices",
    "resolve_augment",
    "ALLOWED_FORMATS",
]
