"""Built-in sample data: synthetic motion clips whose classes differ only in frame order.

Example:
    >>> import kvideo
    >>> root = kvideo.datasets.make_sample_videos("/tmp/kvideo_clips", per_class=4)   # doctest: +SKIP
    >>> sorted(p.name for p in root.iterdir())                                          # doctest: +SKIP
    ['grow', 'left', 'right', 'shrink']
"""

from kvideo.datasets.synthetic import SAMPLE_CLASSES, make_sample_clip, make_sample_videos, render_motion

__all__ = ["SAMPLE_CLASSES", "make_sample_videos", "make_sample_clip", "render_motion"]
