"""Video classification architectures on Keras 3 (backend-agnostic).

Every model takes (num_frames, H, W, 3) float clips in 0..255 (it rescales inside) and ends in a
softmax Dense named ``"predictions"``; frame-encoder layers are named ``encoder*``, temporal layers
``temporal*`` and the classifier ``head*`` so fine-tuning can freeze or replace them.

Example:
    >>> import kvideo.models
    >>> list(kvideo.models.available())[6:]
    ['frame_cnn', 'td_lstm', 'td_gru', 'convlstm', 'c3d', 'transformer']
    >>> model = kvideo.models.build("convlstm", num_classes=4, num_frames=8, image_size=(32, 32))
    >>> model.output_shape
    (None, 4)
"""

from kvideo.models.encoders import BACKBONES, frame_encoder
from kvideo.models.layers import FrameWise, PositionalEmbedding, TemporalDifference
from kvideo.models.temporal import TemporalStats
from kvideo.models.motion import MotionDescriptor
from kvideo.models.pretrained import PRETRAINED_ARCHS, ChannelSlice
from kvideo.models.registry import RENAMED_OPTIONS, arch_options, available, build, canonical_options, get_builder

__all__ = ["available", "build", "get_builder", "arch_options", "canonical_options", "RENAMED_OPTIONS", "BACKBONES",
           "frame_encoder", "FrameWise", "PositionalEmbedding", "TemporalDifference", "PRETRAINED_ARCHS", "MotionDescriptor",
           "TemporalStats", "ChannelSlice"]
