"""``c3d``: a small 3D-CNN with batch norm."""

from __future__ import annotations

import keras

from kvideo.models._common import classification_head, motion_stem, pool_spatial_map
from kvideo.models.encoders import BN_MOMENTUM


def build_c3d(num_classes, *, num_frames=16, image_size=(112, 112), backbone="small_cnn", weights=None,
              filters=(16, 32, 64), stem_filters=16, stem_size=16, motion="diff", dropout=0.3, spatial_pool="avg",
              grid=4):
    """Frame differences -> per-frame conv stem (``encoder*``) -> Conv3D + batch norm + pooling blocks
    -> global average pool -> softmax. ``motion``/``spatial_pool`` as in ``build_convlstm``.

    Example:
        >>> m = build_c3d(2, num_frames=8, image_size=(32, 32), spatial_pool="grid", grid=2)
        >>> [layer.name for layer in m.layers if layer.name.startswith("head")], m.output_shape
        (['head_gridpool', 'head_flatten', 'head_dense', 'head_dropout'], (None, 2))
    """
    L = keras.layers
    inputs, x = motion_stem(num_frames, image_size, backbone=backbone, weights=weights, stem_filters=stem_filters,
                            stem_size=stem_size, motion=motion)
    for i, f in enumerate(filters, start=1):
        x = L.Conv3D(int(f), 3, padding="same", use_bias=False, name=f"temporal_conv{i}")(x)
        x = L.BatchNormalization(momentum=BN_MOMENTUM, name=f"temporal_bn{i}")(x)
        x = L.Activation("relu", name=f"temporal_relu{i}")(x)
        t = 2 if int(x.shape[1]) >= 4 else 1
        s = 2 if int(x.shape[2]) >= 8 else 1
        x = L.MaxPooling3D((t, s, s), name=f"temporal_pool{i}")(x)
    x = pool_spatial_map(x, spatial_pool, grid, ndim=3)
    outputs = classification_head(x, num_classes, dropout=dropout, hidden=64)
    return keras.Model(inputs, outputs, name="c3d")
