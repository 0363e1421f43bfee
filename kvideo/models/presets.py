"""Architecture presets as data (no Keras import: the CLI reads these at start-up).

``PRETRAINED_ARCHS``: the pretrained-encoder architectures, name -> (head, one-line description). They
are trained by :class:`kvideo.tasks.EmbeddingClassifier` (``kvideo.VideoClassifier(arch)`` returns one);
``"pretrained"`` is kvideo's default.

Example:
    >>> PRETRAINED_ARCHS["pretrained"][0]
    'linear'
"""

DEFAULT_ARCH = "pretrained"

PRETRAINED_ARCHS = {
    "pretrained": ("linear", "ImageNet EfficientNet-Lite0 on frames, frame differences and moving silhouettes + "
                             "motion descriptor, cached; logistic regression: trains in seconds from 1-10 clips "
                             "per label (default)"),
    "pretrained_gru": ("gru", "the same cached features + a bidirectional GRU head"),
    "pretrained_lstm": ("lstm", "the same cached features + a bidirectional LSTM head"),
    "pretrained_attention": ("attention", "the same cached features + attention pooling over time"),
    "pretrained_tcn": ("tcn", "the same cached features + a temporal convolution head"),
    "pretrained_transformer": ("transformer", "the same cached features + a self-attention head"),
}
