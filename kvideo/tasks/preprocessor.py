"""``VideoPreprocessor``: where a video (file or array) becomes a model input. One path for all.

Training (through ``kvideo.data``), prediction, evaluation, the timeline and the demo all read
frames with :mod:`kvideo.io` (the one sampler and resizer) at the preprocessor's ``num_frames``
and ``image_size``; arrays handed in by users are brought to the same shape with the same rules
(``kvideo.io.sample_indices``; ``cv2.INTER_AREA`` when shrinking, ``cv2.INTER_LINEAR`` when
enlarging). Then the input range and an encoder's own normalization (mean/std) apply.

Example:
    >>> import numpy as np
    >>> pre = VideoPreprocessor(num_frames=4, image_size=(16, 16))
    >>> clips = np.zeros((2, 10, 32, 24, 3), np.uint8)       # 2 clips, 10 frames of 32x24
    >>> pre.conform(clips).shape
    (2, 4, 16, 16, 3)
    >>> pre(clips).dtype, pre(clips).shape
    (dtype('float32'), (2, 4, 16, 16, 3))
    >>> VideoPreprocessor.from_config(pre.get_config()) == pre
    True
"""

from __future__ import annotations

import warnings

import numpy as np

from kvideo.utils.validation import argument_error, check_choice, check_int, parse_size

COLORS = ("rgb", "bgr")
CROPS = (None, "center")
SAMPLINGS = ("uniform", "random")


class VideoPreprocessor:
    """Sampling, resizing, color, input range and normalization of clips; serialisable.

    Args:
        num_frames: frames per clip (spread over the whole video, or over each timeline window).
        image_size: ``(height, width)`` of the frames (an int for a square; ``"64x48"`` works too).
        sampling: ``"uniform"`` (centres of equal segments: deterministic) or ``"random"``
            (one random frame per segment) when reading a file.
        color: channel order of the model input, ``"rgb"`` or ``"bgr"`` (frames are read as RGB).
        input_range: ``(low, high)`` the 0..255 pixel values are mapped to, e.g. ``(0, 1)`` or ``(-1, 1)``.
        normalization: ``None`` or ``{"mean": [r, g, b], "std": [r, g, b]}`` applied after the range
            (a pretrained encoder's own statistics, in ``input_range`` units).
        crop: ``None`` (the whole frame, aspect ratio not kept) or ``"center"`` (the largest centre
            crop with the aspect ratio of ``image_size``, then resized: nothing is stretched).

    Kvideo's own Keras models rescale their input themselves: they take the defaults (RGB, 0..255,
    no normalization, no crop).
    """

    def __init__(self, num_frames=16, image_size=(112, 112), sampling="uniform", color="rgb",
                 input_range=(0, 255), normalization=None, crop=None):
        self.num_frames = check_int("num_frames", num_frames, low=1)
        self.image_size = parse_size(image_size, name="image_size")
        self.sampling = check_choice("sampling", sampling, SAMPLINGS)
        self.color = check_choice("color", str(color).lower(), COLORS)
        self.input_range = _range(input_range)
        self.normalization = _normalization(normalization)
        self.crop = check_choice("crop", crop, CROPS)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments as plain JSON values (the only list of them)."""
        return {"num_frames": self.num_frames, "image_size": list(self.image_size), "sampling": self.sampling,
                "color": self.color, "input_range": list(self.input_range),
                "normalization": None if self.normalization is None else
                {k: list(v) for k, v in self.normalization.items()}, "crop": self.crop}

    @classmethod
    def from_config(cls, config: dict) -> "VideoPreprocessor":
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, VideoPreprocessor) and other.get_config() == self.get_config()

    def __repr__(self):
        return "VideoPreprocessor(" + ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()) + ")"

    @property
    def is_plain(self) -> bool:
        """True when the model input is the resized RGB clip in 0..255 (what kvideo.models take)."""
        return (self.color == "rgb" and self.input_range == (0.0, 255.0) and self.normalization is None
                and self.crop is None)

    def describe(self) -> dict:
        """How a raw video becomes a model input, in words (saved beside the model for people to read)."""
        h, w = self.image_size
        resize = ("cv2.resize to {h}x{w}: INTER_AREA when shrinking, INTER_LINEAR when enlarging; "
                  + ("centre crop to the aspect ratio first" if self.crop else "aspect ratio not kept")).format(h=h, w=w)
        return {"num_frames": self.num_frames, "image_size": [h, w],
                "sampling": f"{self.sampling} (kvideo.io.sample_indices over the video or window)",
                "color": self.color.upper(), "input_range": list(self.input_range), "resize": resize,
                "normalization": self.get_config()["normalization"]}

    # ------------------------------------------------------------------ files
    def _read_size(self):
        return None if self.crop else self.image_size  # a crop needs the whole frame first

    def read(self, path, start=None, end=None, seed=None) -> np.ndarray:
        """A uint8 RGB clip ``(num_frames, height, width, 3)`` from a video file (via ``kvideo.io.read_clip``).

        ``start``/``end`` (seconds) limit the part of the video sampled.
        """
        from kvideo.io import read_clip

        kw = {} if seed is None else {"seed": seed}
        clip = read_clip(path, num_frames=self.num_frames, size=self._read_size(), sampling=self.sampling,
                         start=start, end=end, **kw)
        return self.conform(clip)[0] if self.crop else clip

    def iter_windows(self, path, window_frames, stride):
        """``kvideo.io.VideoWindow`` s of ``window_frames`` source frames every ``stride``, ``num_frames`` each.

        Bounded memory; ``.frames`` of each window is a uint8 clip of this preprocessor's shape.
        """
        from kvideo.io import iter_clips

        for w in iter_clips(path, clip_frames=int(window_frames), stride=int(stride), size=self._read_size(),
                            num_frames=self.num_frames):
            yield w._replace(frames=self.conform(w.frames)[0]) if self.crop else w

    # ------------------------------------------------------------------ arrays
    def conform(self, clips) -> np.ndarray:
        """A batch ``(N, num_frames, height, width, 3)`` from one clip ``(T, H, W, C)`` or a batch of them.

        Frames are picked with ``kvideo.io.sample_indices(..., "uniform")`` when ``T != num_frames``;
        grey (C=1) becomes RGB; values stay 0..255 (uint8 stays uint8).
        """
        from kvideo.io import sample_indices

        x = np.asarray(clips)
        if x.ndim == 4:
            x = x[None]
        if x.ndim != 5 or x.shape[-1] not in (1, 3):
            raise argument_error("shape", tuple(x.shape), "(frames, height, width, 3) or (batch, frames, height, "
                                 "width, 3) RGB for a clip array")
        if x.shape[1] < 1:
            raise argument_error("shape", tuple(x.shape), "a clip with at least one frame")
        if x.shape[-1] == 1:
            x = np.repeat(x, 3, axis=-1)
        if x.shape[1] != self.num_frames:
            x = x[:, sample_indices(0, x.shape[1], self.num_frames, "uniform")]
        if self.crop:
            x = _center_crop(x, self.image_size)
        if tuple(x.shape[2:4]) != self.image_size:
            x = np.stack([resize_clip(clip, self.image_size) for clip in x])
        return x

    def __call__(self, clips) -> np.ndarray:
        """The float32 model input ``(N, num_frames, height, width, 3)`` of clips in 0..255.

        A float array that looks scaled to 0..1 is multiplied by 255 (with a warning).
        """
        x = self.conform(clips)
        if np.issubdtype(x.dtype, np.floating) and x.size and 0 < float(np.nanmax(x)) <= 1.0:
            warnings.warn("The clip looks scaled to 0..1; kvideo models expect 0..255: multiplying by 255.",
                          stacklevel=3)
            x = x * 255.0
        x = x.astype("float32")
        if self.color == "bgr":
            x = x[..., ::-1]
        low, high = self.input_range
        if (low, high) != (0.0, 255.0):
            x = low + x * np.float32((high - low) / 255.0)
        if self.normalization is not None:
            x = (x - self.normalization["mean"]) / self.normalization["std"]
        return np.ascontiguousarray(x, dtype="float32")


def resize_clip(clip, size) -> np.ndarray:
    """Resize every frame of ``clip`` (T, H, W, 3) to ``size`` (h, w) with kvideo.io's rule
    (``kvideo.io.capture.resize_frame``: ``cv2.INTER_AREA`` when both sides shrink, ``INTER_LINEAR`` otherwise).

    >>> resize_clip(np.zeros((2, 8, 8, 3), np.uint8), (4, 6)).shape
    (2, 4, 6, 3)
    """
    from kvideo.io.capture import resize_frame

    return np.stack([resize_frame(f, tuple(size)) for f in clip])


def _center_crop(x, size):
    """The largest centre crop of (N, T, H, W, C) frames with the aspect ratio of ``size``."""
    h, w = x.shape[2:4]
    th, tw = size
    if h * tw > w * th:  # too tall
        ch, cw = max(1, round(w * th / tw)), w
    else:
        ch, cw = h, max(1, round(h * tw / th))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return x[:, :, y0:y0 + ch, x0:x0 + cw]


def _range(value):
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise argument_error("input_range", value, "(low, high) numbers, e.g. (0, 255) or (-1, 1)") from None
    if not low < high:
        raise argument_error("input_range", value, "(low, high) with low < high")
    return low, high


def _normalization(value):
    if value is None:
        return None
    what = 'None or {"mean": [r, g, b], "std": [r, g, b]} with std > 0'
    if not isinstance(value, dict) or set(value) != {"mean", "std"}:
        raise argument_error("normalization", value, what)
    try:
        out = {k: np.asarray(value[k], dtype="float32").reshape(-1) for k in ("mean", "std")}
    except (TypeError, ValueError):
        raise argument_error("normalization", value, what) from None
    if any(v.shape not in ((1,), (3,)) for v in out.values()) or (out["std"] <= 0).any():
        raise argument_error("normalization", value, what)
    return {k: tuple(float(x) for x in v) for k, v in out.items()}
