"""Architecture presets as data. A leaf module (no Keras, nothing from kvideo.models): the CLI reads it at
start-up, and importing anything under kvideo.models would import Keras.

``PRETRAINED_ARCHS``: the pretrained-encoder architectures, name -> (head, one-line description). They
are trained by :class:`kvideo.tasks.EmbeddingClassifier` (``kvideo.VideoClassifier(arch)`` returns one);
``"pretrained"`` is kvideo's default.

Example:
    >>> PRETRAINED_ARCHS["pretrained"][0]
    'linear'
"""

DEFAULT_ARCH = "pretrained"

PRETRAINED_ARCHS = {
    "pretrained": ("linear", "ImageNet EfficientNet-Lite0 on frames, differences, silhouettes + motion, cached; "
                             "logistic regression (default)"),
    "pretrained_gru": ("gru", "the same cached features + a bidirectional GRU head"),
    "pretrained_lstm": ("lstm", "the same cached features + a bidirectional LSTM head"),
    "pretrained_attention": ("attention", "the same cached features + attention pooling over time"),
    "pretrained_tcn": ("tcn", "the same cached features + a temporal convolution head"),
    "pretrained_transformer": ("transformer", "the same cached features + a self-attention head"),
}
