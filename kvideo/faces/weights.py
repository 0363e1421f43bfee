"""Offline-first weights for DeepFace: where they live, putting package-shipped ones in place, one-line errors.

DeepFace keeps every weight file in ``$DEEPFACE_HOME/.deepface/weights`` (``DEEPFACE_HOME`` defaults to
the home folder) and downloads a missing one on first use. Without network access that download
fails; kvideo turns the failure into a one-line :class:`kvideo.MissingWeightsError` naming the file,
the folder and where to get it, and :func:`doctor` reports which models and detectors can run now.

Weights that ship inside pip packages are linked (or copied) into that folder by
:func:`place_packaged_weights`:

* ``face-recognition-models``: ``dlib_face_recognition_resnet_model_v1.dat`` (the "Dlib" model) and
  ``shape_predictor_5_face_landmarks.dat`` (the "dlib" detector);
* OpenCV Haar cascades (the "opencv" detector) from ``KVIDEO_HAARCASCADES`` (a folder), ``cv2/data``
  when the OpenCV wheel has them (OpenCV 5 wheels do not), or Debian's ``opencv-data`` package
  (``apt-get install opencv-data``: ``/usr/share/opencv4/haarcascades``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

from kvideo.errors import MissingWeightsError
from kvideo.utils.validation import received

DEFAULT_MODEL = "Dlib"
DEFAULT_DETECTOR = "dlib"

# model -> (weight files DeepFace 0.0.103 loads from the weights folder on the TensorFlow engine,
#           python modules it needs, where the file comes from)
_GH = "https://github.com/serengil/deepface_models/releases/download/v1.0/"
MODELS: dict[str, dict] = {
    "VGG-Face": {"files": ["vgg_face_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "vgg_face_weights.h5"},
    "Facenet": {"files": ["facenet_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "facenet_weights.h5"},
    "Facenet512": {"files": ["facenet512_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "facenet512_weights.h5"},
    "OpenFace": {"files": ["openface_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "openface_weights.h5"},
    "DeepFace": {
        "files": ["VGGFace2_DeepFace_weights_val-0.9034.h5"],
        "modules": ["tensorflow", "tf_keras"],
        "url": "https://github.com/swghosh/DeepFace/releases/download/weights-vggface2-2d-aligned/"
        "VGGFace2_DeepFace_weights_val-0.9034.h5.zip (unzip it)",
    },
    "DeepID": {"files": ["deepid_keras_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "deepid_keras_weights.h5"},
    "ArcFace": {"files": ["arcface_weights.h5"], "modules": ["tensorflow", "tf_keras"], "url": _GH + "arcface_weights.h5"},
    "SFace": {
        "files": ["face_recognition_sface_2021dec.onnx"],
        "modules": ["onnxruntime"],
        "url": "https://github.com/opencv/opencv_zoo/raw/main/models/face_recognition_sface/face_recognition_sface_2021dec.onnx",
    },
    "GhostFaceNet": {
        "files": ["ghostfacenet_v1.h5"],
        "modules": ["tensorflow", "tf_keras"],
        "url": "https://github.com/HamadYA/GhostFaceNets/releases/download/v1.2/GhostFaceNet_W1.3_S1_ArcFace.h5 (save it as ghostfacenet_v1.h5)",
    },
    "Dlib": {
        "files": ["dlib_face_recognition_resnet_model_v1.dat"],
        "modules": ["dlib"],
        "url": "pip install face-recognition-models (then `kvideo faces doctor` puts it in place), "
        "or https://dlib.net/files/dlib_face_recognition_resnet_model_v1.dat.bz2 (bunzip2 it)",
    },
    "Buffalo_L": {
        "files": ["buffalo_l/w600k_r50.onnx"],
        "modules": ["insightface", "onnxruntime"],
        "url": "insightface's buffalo_l.zip (w600k_r50.onnx into buffalo_l/)",
    },
}

_YOLO = {
    "yolov8n": ("yolov8n-face.pt", "https://drive.google.com/uc?id=1qcr9DbgsX3ryrz2uU8w4Xm3cOrRywXqb"),
    "yolov8m": ("yolov8m-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov8m-face.pt"),
    "yolov8l": ("yolov8l-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov8l-face.pt"),
    "yolov11n": ("yolov11n-face.pt", "https://github.com/akanametov/yolo-face/releases/download/1.0.0/yolov11n-face.pt"),
    "yolov11s": ("yolov11s-face.pt", "https://github.com/akanametov/yolo-face/releases/download/1.0.0/yolov11s-face.pt"),
    "yolov11m": ("yolov11m-face.pt", "https://github.com/akanametov/yolo-face/releases/download/1.0.0/yolov11m-face.pt"),
    "yolov11l": ("yolov11l-face.pt", "https://github.com/akanametov/yolo-face/releases/download/1.0.0/yolov11l-face.pt"),
    "yolov12n": ("yolov12n-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov12n-face.pt"),
    "yolov12s": ("yolov12s-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov12s-face.pt"),
    "yolov12m": ("yolov12m-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov12m-face.pt"),
    "yolov12l": ("yolov12l-face.pt", "https://github.com/YapaLab/yolo-face/releases/download/1.0.0/yolov12l-face.pt"),
}

HAAR_FILES = ["haarcascade_frontalface_default.xml", "haarcascade_eye.xml"]

DETECTORS: dict[str, dict] = {
    "opencv": {
        "files": HAAR_FILES,
        "modules": ["cv2"],
        "url": "`apt-get install opencv-data` then `kvideo faces doctor` (OpenCV 5 wheels ship no cascades), or "
        "https://github.com/opencv/opencv/raw/4.9.0/data/haarcascades/<file>, or set KVIDEO_HAARCASCADES to a folder "
        "holding them",
    },
    "ssd": {
        "files": ["deploy.prototxt", "res10_300x300_ssd_iter_140000.caffemodel"],
        "modules": ["cv2"],
        "url": "https://github.com/opencv/opencv/raw/3.4.0/samples/dnn/face_detector/deploy.prototxt and "
        "https://github.com/opencv/opencv_3rdparty/raw/dnn_samples_face_detector_20170830/res10_300x300_ssd_iter_140000.caffemodel",
    },
    "dlib": {
        "files": ["shape_predictor_5_face_landmarks.dat"],
        "modules": ["dlib"],
        "url": "pip install face-recognition-models (then `kvideo faces doctor` puts it in place), "
        "or https://dlib.net/files/shape_predictor_5_face_landmarks.dat.bz2 (bunzip2 it)",
    },
    "mtcnn": {"files": [], "modules": ["mtcnn"], "url": "pip install mtcnn (weights ship in the package)"},
    "retinaface": {
        "files": ["retinaface.h5"],
        "modules": ["retinaface"],
        "url": _GH + "retinaface.h5",
    },
    "mediapipe": {"files": [], "modules": ["mediapipe"], "url": "pip install mediapipe (weights ship in the package)"},
    "yunet": {
        "files": ["face_detection_yunet_2023mar.onnx"],
        "modules": ["cv2"],
        "url": "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx",
    },
    "fastmtcnn": {"files": [], "modules": ["facenet_pytorch"], "url": "pip install facenet-pytorch (weights ship in the package)"},
    "centerface": {
        "files": ["centerface.onnx"],
        "modules": ["cv2"],
        "url": "https://github.com/Star-Clouds/CenterFace/raw/master/models/onnx/centerface.onnx",
    },
    "skip": {"files": [], "modules": [], "url": "nothing to download: the whole image is taken as the face"},
}
for _name, (_file, _url) in _YOLO.items():
    DETECTORS[_name] = {"files": [_file], "modules": ["ultralytics"], "url": _url}

# Package-shipped files: weight file name -> python package that ships it, relative path inside it.
_PACKAGED = {
    "dlib_face_recognition_resnet_model_v1.dat": ("face_recognition_models", "models/dlib_face_recognition_resnet_model_v1.dat"),
    "shape_predictor_5_face_landmarks.dat": ("face_recognition_models", "models/shape_predictor_5_face_landmarks.dat"),
}


def deepface_home() -> Path:
    """The folder DeepFace treats as home: ``$DEEPFACE_HOME`` or the user's home folder."""
    return Path(os.environ.get("DEEPFACE_HOME") or os.path.expanduser("~"))


def weights_dir() -> Path:
    """Where DeepFace looks for weight files: ``$DEEPFACE_HOME/.deepface/weights``.

    Example:
        >>> from kvideo.faces import weights_dir
        >>> str(weights_dir()).endswith(".deepface/weights")
        True
    """
    return deepface_home() / ".deepface" / "weights"


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _haar_sources() -> list[Path]:
    """Folders that may hold OpenCV's Haar cascades, most specific first."""
    out = []
    env = os.environ.get("KVIDEO_HAARCASCADES")
    if env:
        out.append(Path(env))
    cv2_dir = _package_dir("cv2")
    if cv2_dir is not None:
        out.append(cv2_dir / "data")
    # Debian/Ubuntu `apt-get install opencv-data` (plain XML files that OpenCV 5's CascadeClassifier loads)
    out += [Path("/usr/share/opencv4/haarcascades"), Path("/usr/share/opencv/haarcascades"),
            Path("/usr/local/share/opencv4/haarcascades")]
    return out


def packaged_weight(file_name: str) -> Path | None:
    """The path of ``file_name`` inside an installed package, or None when no package ships it."""
    if file_name in _PACKAGED:
        package, rel = _PACKAGED[file_name]
        d = _package_dir(package)
        if d is not None and (d / rel).is_file():
            return d / rel
        return None
    if file_name in HAAR_FILES:
        for d in _haar_sources():
            if (d / file_name).is_file():
                return d / file_name
    return None


def _place(src: Path, dst: Path) -> str:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() and not dst.exists():  # a dangling link from an uninstalled package
        dst.unlink()
    if dst.exists():
        return "present"
    tmp = dst.with_name(f".{dst.name}.kvideo-tmp")
    if tmp.exists() or tmp.is_symlink():
        tmp.unlink()
    try:
        os.symlink(src, tmp)
        how = "linked"
    except OSError:  # e.g. file systems without symlinks
        shutil.copyfile(src, tmp)
        how = "copied"
    os.replace(tmp, dst)
    return how


def place_packaged_weights(files=None) -> dict:
    """Link (or copy) weights that pip packages ship into DeepFace's weights folder.

    Returns ``{file: "linked" | "copied" | "present" | "not shipped"}``. Safe to call often.

    Example:
        >>> from kvideo.faces import place_packaged_weights
        >>> place_packaged_weights()  # writes into ~/.deepface/weights  # doctest: +SKIP
        {'dlib_face_recognition_resnet_model_v1.dat': 'linked', ...}
    """
    names = list(files) if files is not None else list(_PACKAGED) + HAAR_FILES
    out = {}
    wdir = weights_dir()
    for name in names:
        src = packaged_weight(name)
        if src is None:
            out[name] = "present" if (wdir / name).is_file() else "not shipped"
            continue
        out[name] = _place(src, wdir / name)
    return out


def _module_ok(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _status(table: dict, name: str, kind: str) -> dict:
    entry = table[name]
    wdir = weights_dir()
    missing_modules = [m for m in entry["modules"] if not _module_ok(m)]
    missing_files = [f for f in entry["files"] if not (wdir / f).is_file()]
    if name == "opencv":
        import cv2

        if not hasattr(cv2, "CascadeClassifier"):
            missing_modules.append("cv2.CascadeClassifier (opencv-contrib)")
    usable = not missing_modules and not missing_files
    out = {"usable": usable, "files": list(entry["files"])}
    if missing_files:
        out["missing_files"] = missing_files
    if missing_modules:
        out["missing_modules"] = missing_modules
    if not usable:
        parts = []
        if missing_modules:
            parts.append("install " + ", ".join(missing_modules))
        if missing_files:
            parts.append(f"put {', '.join(missing_files)} in {wdir} (from {entry['url']})")
        out["how_to_fix"] = f"{kind} {name!r}: " + "; ".join(parts)
    return out


def check(model: str | None = None, detector: str | None = None) -> None:
    """Raise a one-line MissingDependencyError when ``model``/``detector`` lacks a Python package.

    Puts package-shipped weights in place first and checks the Python packages a model/detector
    needs. A weight FILE that is absent is not an error here: DeepFace may still download it when
    online, and when it cannot, :func:`translate_error` turns its failure into MissingWeightsError.
    """
    place_packaged_weights()
    for kind, table, name in (("model", MODELS, model), ("detector", DETECTORS, detector)):
        if name is None or name not in table:
            continue
        st = _status(table, name, kind)
        if st["usable"]:
            continue
        if st.get("missing_modules"):
            from kvideo.errors import MissingDependencyError

            raise MissingDependencyError(
                f"Face {kind} {name!r} needs {', '.join(st['missing_modules'])}: install it or pick another {kind} "
                f"(`kvideo faces doctor` lists the usable ones). {received(kind, name)}",
                reason=f"missing {', '.join(st['missing_modules'])}",
            )


def doctor(place: bool = True) -> dict:
    """Report which DeepFace models and detectors can run now, after placing package-shipped weights.

    Returns ``{"weights_dir", "placed", "models": {name: {"usable", "files", ...}}, "detectors": {...},
    "usable_models", "usable_detectors", "defaults": {"model", "detector"}, "problems": [one line each]}``.

    Example:
        >>> from kvideo.faces import doctor
        >>> report = doctor(place=False)  # place=True (default) also links shipped weights into place
        >>> sorted(report)[:3], "Dlib" in report["models"]
        (['defaults', 'detectors', 'models'], True)
    """
    placed = place_packaged_weights() if place else {}
    models = {name: _status(MODELS, name, "model") for name in MODELS}
    detectors = {name: _status(DETECTORS, name, "detector") for name in DETECTORS}
    problems = [v["how_to_fix"] for v in list(models.values()) + list(detectors.values()) if not v["usable"]]
    return {
        "weights_dir": str(weights_dir()),
        "placed": placed,
        "models": models,
        "detectors": detectors,
        "usable_models": [k for k, v in models.items() if v["usable"]],
        "usable_detectors": [k for k, v in detectors.items() if v["usable"]],
        "defaults": {
            "model": DEFAULT_MODEL,
            "detector": DEFAULT_DETECTOR,
            "usable": models[DEFAULT_MODEL]["usable"] and detectors[DEFAULT_DETECTOR]["usable"],
        },
        "problems": problems,
    }


_DOWNLOAD_RE = re.compile(r"while downloading (\S+) from (.*?)\. Consider downloading it manually to (\S+?)\.?$", re.S)


def translate_error(exc: BaseException, model=None, detector=None) -> BaseException | None:
    """Turn DeepFace's failed-download error into a one-line MissingWeightsError (None: not a download error)."""
    msg = " ".join(str(exc).split())
    m = _DOWNLOAD_RE.search(msg)
    if m is None:
        if "retinaface.h5" in msg or ("download" in msg.lower() and "weights" in msg.lower()):
            file_name = "retinaface.h5" if "retinaface.h5" in msg else "a weight file"
            source = DETECTORS["retinaface"]["url"] if "retinaface.h5" in msg else "the model's source"
        else:
            return None
    else:
        file_name, source = m.group(1), " (or ".join(u.strip() for u in m.group(2).split(", ")) + ")" * m.group(2).count(", ")
    wdir = weights_dir()
    return MissingWeightsError(
        f"DeepFace needs the weight file {file_name!r}, which is not in {wdir} and could not be downloaded "
        f"(offline?): download it from {source} and put it at {wdir / file_name}, or choose a usable model/detector "
        f"(`kvideo faces doctor`). {received('model', model)}, detector={detector!r}",
        path=wdir / file_name if m is not None or file_name == "retinaface.h5" else None,
    )
