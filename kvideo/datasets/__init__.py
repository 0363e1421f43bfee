"""Built-in sample data: synthetic motion clips whose classes differ only in frame order.

Example:
    >>> import kvideo
    >>> root = kvideo.datasets.make_sample_videos("/tmp/kvideo_clips_doc", per_class=1, num_frames=4, size=(32, 32))
    >>> sorted(p.name for p in root.iterdir())
    ['grow', 'left', 'right', 'shrink']
"""

from kvideo.datasets.synthetic import SAMPLE_CLASSES, make_sample_clip, make_sample_videos, render_motion

__all__ = ["SAMPLE_CLASSES", "make_sample_videos", "make_sample_clip", "render_motion"]
