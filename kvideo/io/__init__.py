"""Video reading and writing on OpenCV (FFmpeg) and PyAV.

Frames are always uint8 RGB ``(H, W, 3)``; clips ``(T, H, W, 3)``; sizes are ``(height, width)``.

Example:
    >>> import kvideo.io
    >>> clip = kvideo.io.read_clip("clip.mp4", num_frames=16, size=(112, 112))     # doctest: +SKIP
    >>> info = kvideo.io.video_info("clip.mp4")                                     # doctest: +SKIP
"""

from kvideo.errors import VideoReadError
from kvideo.io.reader import (
    SAMPLING_MODES,
    VideoWindow,
    iter_clips,
    iter_frames,
    keyframe_interval,
    read_clip,
    read_frame_pool,
    sample_indices,
    video_info,
)
from kvideo.io.writer import pyav_h264_encoder, write_video

__all__ = [
    "read_clip",
    "read_frame_pool",
    "iter_clips",
    "iter_frames",
    "video_info",
    "write_video",
    "VideoWindow",
    "VideoReadError",
    "SAMPLING_MODES",
    "sample_indices",
    "keyframe_interval",
    "pyav_h264_encoder",
]
