"""Video reading and writing on OpenCV (FFmpeg) and PyAV.

Frames are always uint8 RGB ``(H, W, 3)``; clips ``(T, H, W, 3)``; sizes are ``(height, width)``.
Modules: ``capture`` (open a file, ``probe``, ``video_info``), ``sampling`` (which frames), ``reader`` (decode them,
grabbing or seeking), ``pyav_seek`` (the sparse PyAV path), ``writer`` (``write_video``).

Example:
    >>> import numpy as np, kvideo.io
    >>> path = kvideo.io.write_video("/tmp/kvideo_io_doc.avi", np.zeros((12, 32, 48, 3), np.uint8), fps=12)
    >>> kvideo.io.read_clip(path, num_frames=4, size=(16, 16)).shape
    (4, 16, 16, 3)
    >>> kvideo.io.video_info(path)["frames"]
    12
"""

from kvideo.errors import VideoReadError
from kvideo.io.capture import probe, video_info
from kvideo.io.reader import VideoWindow, iter_clips, iter_frames, keyframe_interval, read_clip, read_frame_pool
from kvideo.io.sampling import SAMPLING_MODES, SEEK_MODES, sample_indices
from kvideo.io.writer import pyav_h264_encoder, write_video

__all__ = [
    "read_clip",
    "read_frame_pool",
    "iter_clips",
    "iter_frames",
    "probe",
    "video_info",
    "write_video",
    "VideoWindow",
    "VideoReadError",
    "SAMPLING_MODES",
    "SEEK_MODES",
    "sample_indices",
    "keyframe_interval",
    "pyav_h264_encoder",
]
