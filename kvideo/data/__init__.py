"""Video datasets for Keras 3 (any backend): ``video_dataset_from_directory`` and ``VideoDataset``.

Modules: ``indexing`` (find the files of ``data/<label>/``, split them), ``dataset`` (``VideoDataset``),
``from_directory`` (the public function), ``cache`` (decoded clips on disk), ``augment``.

Example:
    >>> import kvideo
    >>> root = kvideo.datasets.make_sample_videos("/tmp/kvideo_data_doc", classes=["up", "down"], per_class=2,
    ...                                           num_frames=6, size=(32, 32))
    >>> ds = kvideo.data.video_dataset_from_directory(root, num_frames=4, image_size=(16, 16), batch_size=4,
    ...                                               cache=False, verbose=False)
    >>> ds.class_names, ds[0][0].shape
    (['down', 'up'], (4, 4, 16, 16, 3))
"""

from kvideo.data.augment import ClipAugment, resolve_augment
from kvideo.data.cache import ClipCache, clear_cache, default_cache_dir, file_fingerprint
from kvideo.data.dataset import VideoDataset
from kvideo.data.from_directory import video_dataset_from_directory
from kvideo.data.indexing import ALLOWED_FORMATS, index_directory, split_indices

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
