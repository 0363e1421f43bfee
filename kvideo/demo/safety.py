"""Input checks for the demo: accepted file types, safe label names, zip extraction that cannot escape.

Nothing here imports Gradio, so it is tested (and usable) on its own.

Example:
    >>> from kvideo.demo.safety import check_extension
    >>> from kvideo.utils.formats import VIDEO_EXTENSIONS
    >>> check_extension("clip.mp4", VIDEO_EXTENSIONS, what="video")
    'clip.mp4'
    >>> check_label("  wave hello ")
    'wave hello'
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from kvideo.utils.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, extension, sniff
from kvideo.utils.validation import received


# Limits of one uploaded zip of training clips.
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3  # uncompressed
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per entry: a zip bomb has far more

# Largest accepted upload of each kind (bytes); anything larger is refused before it is decoded.
MAX_UPLOAD_BYTES = {"video": 512 * 1024**2, "clip": 512 * 1024**2, "photo": 40 * 1024**2,
                    "photo or video": 512 * 1024**2, "model file": 1024**3, "zip file": 2 * 1024**3}
_DEFAULT_MAX_BYTES = 512 * 1024**2

_LABEL_RE = re.compile(r"^[\w][\w .+-]{0,63}$", re.UNICODE)


class UnsafeInputError(ValueError):
    """An upload is of the wrong type, or a zip tries to escape or is too large."""


def check_extension(path, allowed, what="file") -> str:
    """Return ``path`` if its extension is one of ``allowed``; else raise UnsafeInputError."""
    if path is None:
        raise UnsafeInputError(f"No {what} was given: upload one. {received('path', None)}")
    if extension(path) not in allowed:
        raise UnsafeInputError(
            f"This {what} type is not accepted: upload one of {', '.join(allowed)}. "
            + received("path", Path(str(path)).name)
        )
    return str(path)


def check_upload(path, allowed, what="file", max_bytes=None) -> str:
    """``check_extension`` + the file exists, is at most ``max_bytes`` (:data:`MAX_UPLOAD_BYTES` of ``what``) and
    its first bytes agree with its kind (a photo must be an image; a video must not be an image, a zip, text or a
    program; a zip or a model must be a zip). Returns ``path``; raises UnsafeInputError in one line.

    Example:
        >>> open("/tmp/kvideo_upload.mp4", "w").write("<html></html>")
        13
        >>> check_upload("/tmp/kvideo_upload.mp4", VIDEO_EXTENSIONS, what="video")
        Traceback (most recent call last):
        ...
        kvideo.demo.safety.UnsafeInputError: This video is really a text file (by its content), not a video: upload a video. Received: path='kvideo_upload.mp4'
    """
    path = check_extension(path, allowed, what=what)
    p = Path(path)
    name = received("path", p.name)
    if p.is_dir():
        raise UnsafeInputError(f"This {what} is a folder, not a file: upload one file. {name}")
    if not p.is_file():
        raise UnsafeInputError(f"The {what} upload did not arrive (no such file): upload it again. {name}")
    limit = int(max_bytes if max_bytes is not None else MAX_UPLOAD_BYTES.get(what, _DEFAULT_MAX_BYTES))
    size = p.stat().st_size
    if size > limit:
        raise UnsafeInputError(f"This {what} is too large ({size / 1024**2:.0f} MB; at most {limit / 1024**2:.0f} MB): "
                               f"trim or compress it. {name}")
    kind = sniff(p)
    ext = extension(p)
    if ext in IMAGE_EXTENSIONS:
        bad = None if kind in ("PNG", "JPEG", "BMP", "TIFF", "WebP") else (kind or "not an image")
    elif ext in VIDEO_EXTENSIONS:
        bad = kind
    else:  # .zip, .keras: zip archives
        bad = None if kind == "ZIP" else (kind or "not a zip archive")
    if bad:
        shown = bad if bad.startswith("not ") else f"really a {bad} file"
        raise UnsafeInputError(f"This {what} is {shown} (by its content), not a {_noun(ext)}: upload a {_noun(ext)}. "
                               f"{name}")
    return path


def _noun(ext) -> str:
    return "photo" if ext in IMAGE_EXTENSIONS else "video" if ext in VIDEO_EXTENSIONS else "zip archive"


def check_label(name) -> str:
    """Return a stripped label name usable as a folder name; raise UnsafeInputError otherwise."""
    label = (name or "").strip()
    if not label or not _LABEL_RE.match(label) or label in {".", ".."}:
        raise UnsafeInputError(
            "A label must be 1-64 letters, digits, spaces, '_', '-', '.' or '+', starting with a letter or digit. "
            + received("label", name)
        )
    return label


def _entry_parts(info: zipfile.ZipInfo):
    name = info.filename.replace("\\", "/")
    p = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or p.is_absolute():
        raise UnsafeInputError(f"The zip holds an absolute path: remove it. {received('entry', info.filename)}")
    if any(part == ".." for part in p.parts):
        raise UnsafeInputError(f"The zip holds a path with '..': remove it. {received('entry', info.filename)}")
    mode = (info.external_attr >> 16) & 0xFFFF
    if stat.S_ISLNK(mode):
        raise UnsafeInputError(f"The zip holds a symbolic link: remove it. {received('entry', info.filename)}")
    return [part for part in p.parts if part not in ("", ".")]


def safe_extract_zip(
    zip_path,
    out_dir,
    allowed=VIDEO_EXTENSIONS,
    max_entries=MAX_ZIP_ENTRIES,
    max_total_bytes=MAX_ZIP_TOTAL_BYTES,
) -> list[Path]:
    """Extract the files of ``zip_path`` whose extension is in ``allowed`` into ``out_dir``.

    Rejects (raises UnsafeInputError, extracting nothing) absolute paths, ``..`` parts, symbolic links,
    more than ``max_entries`` entries, more than ``max_total_bytes`` uncompressed, or a suspicious
    compression ratio. Other files (``__MACOSX``, hidden files, README) are skipped. Sizes are checked
    while writing too, so a lying header cannot get past the limit.

    Example:
        >>> files = safe_extract_zip("clips.zip", "/tmp/clips")   # doctest: +SKIP
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise UnsafeInputError(f"This is not a readable zip file: upload a .zip. {received('error', str(e))}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise UnsafeInputError(
                f"The zip holds too many entries (at most {max_entries}): split it. {received('entries', len(infos))}"
            )
        plan = []
        total = 0
        for info in infos:
            parts = _entry_parts(info)  # raises on escape attempts, even for skipped entries
            if info.is_dir() or not parts:
                continue
            if parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
                continue
            if extension(parts[-1]) not in allowed:
                continue
            total += info.file_size
            if total > max_total_bytes:
                raise UnsafeInputError(
                    f"The zip is too large uncompressed (at most {max_total_bytes} bytes): split it. "
                    + received("total_bytes", f">{max_total_bytes}")
                )
            if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO and info.file_size > 10 * 1024**2:
                raise UnsafeInputError(
                    f"A zip entry has a suspicious compression ratio: re-create the zip. {received('entry', info.filename)}"
                )
            target = out_dir.joinpath(*parts).resolve()
            if os.path.commonpath([str(target), str(out_dir)]) != str(out_dir):
                raise UnsafeInputError(f"A zip entry would land outside its folder. {received('entry', info.filename)}")
            plan.append((info, target))
        written = []
        budget = max_total_bytes
        for info, target in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    budget -= len(chunk)
                    if budget < 0:
                        raise UnsafeInputError(
                            f"The zip is too large uncompressed (at most {max_total_bytes} bytes). "
                            + received("entry", info.filename)
                        )
                    dst.write(chunk)
            written.append(target)
    return written


def labeled_folders(root) -> Path:
    """Return the folder that holds ``<label>/<clip>`` inside an extracted zip.

    A zip made by compressing a folder has one extra top level (``clips/<label>/<clip>``): descend into it.
    """
    root = Path(root)
    cur = root
    for _ in range(3):
        subdirs = [d for d in cur.iterdir() if d.is_dir()]
        files = [f for f in cur.iterdir() if f.is_file()]
        if len(subdirs) == 1 and not files and any(p.is_dir() for p in subdirs[0].iterdir()):
            cur = subdirs[0]
        else:
            break
    return cur
