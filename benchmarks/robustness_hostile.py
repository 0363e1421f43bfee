"""Hostile uploads for the demo and damaged face galleries: the case makers ``robustness_table.py`` and the tests
share (videos, folders and models are in ``robustness_cases.py``).

- ``wrong_type_uploads(tmp)``: ``{name: (path, allowed extensions, words of the expected error)}``.
- ``make_zip(path, entries, symlink=None)``, ``zip_bomb(path)``, ``hostile_zips(tmp)``: zips that must be refused.
- ``damaged_galleries(tmp)``: ``(good gallery, {name: damaged copy})``; ``other_model_gallery(good, path)``.
"""

from __future__ import annotations

import shutil
import sqlite3
import stat
import zipfile
from pathlib import Path

import numpy as np


def wrong_type_uploads(tmp):
    """Uploads whose content is not what their extension says."""
    import cv2

    from kvideo.utils.formats import ARCHIVE_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    t = Path(tmp)
    cv2.imwrite(str(t / "p.png"), np.zeros((8, 8, 3), np.uint8))
    cases = {  # file name: (bytes, allowed, expected words)
        "photo.mp4": ((t / "p.png").read_bytes(), VIDEO_EXTENSIONS, "really a PNG file"),
        "page.webm": (b"<!doctype html><script>alert(1)</script>", VIDEO_EXTENSIONS, "really a text file"),
        "prog.mp4": (b"\x7fELF\x02\x01\x01" + bytes(100), VIDEO_EXTENSIONS, "really a executable file"),
        "archive.mov": (b"PK\x03\x04" + bytes(100), VIDEO_EXTENSIONS, "really a ZIP file"),
        "face.jpg": (b"\x00\x00\x00\x18ftypmp42" + bytes(100), IMAGE_EXTENSIONS, "not an image"),
        "clips.zip": (b"just text", ARCHIVE_EXTENSIONS, "really a text file"),
        "script.exe": (b"MZ" + bytes(100), VIDEO_EXTENSIONS, "type is not accepted"),
    }
    out = {}
    for name, (data, allowed, words) in cases.items():
        (t / name).write_bytes(data)
        out[name] = (t / name, allowed, words)
    return out


def make_zip(path, entries, symlink=None):
    """A zip of ``{entry name: bytes}``; ``symlink``: the name of an extra entry that is a link to /etc/passwd."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return Path(path)


def zip_bomb(path, megabytes=64):
    """A zip whose one clip inflates ``megabytes`` MB of zeros from ~1/1000 of that."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/clip.mp4", bytes(megabytes * 1024**2))
    return Path(path)


def hostile_zips(tmp):
    """``{name: (zip path, words of the expected error)}``: zip-slip, absolute paths, a symlink, a bomb, not a zip."""
    t = Path(tmp)
    return {
        "zip-slip (../ entry)": (make_zip(t / "slip.zip", {"left/ok.mp4": b"x", "../../evil.mp4": b"y"}), "'..'"),
        "absolute path entry": (make_zip(t / "abs.zip", {"left/ok.mp4": b"x", "/tmp/evil.mp4": b"y"}), "absolute"),
        "symlink in zip": (make_zip(t / "link.zip", {"left/a.mp4": b"x"}, symlink="left/passwd.mp4"),
                           "symbolic link"),
        "zip bomb (64 MB of zeros)": (zip_bomb(t / "bomb.zip"), "suspicious compression ratio"),
        "text named .zip": (_text(t / "text.zip"), "not a readable zip"),
    }


def _text(path):
    Path(path).write_text("just text, named .zip")
    return Path(path)


def damaged_galleries(tmp):
    """A fresh (empty) gallery and ``{name: path}`` of damaged copies: truncated, random bytes, empty, header only,
    an SQLite file that is not a gallery."""
    from kvideo.faces import FaceGallery

    t = Path(tmp)
    db = t / "g.db"
    FaceGallery.create(db)
    data = db.read_bytes()
    blobs = {"truncated.db": data[: len(data) // 3], "random.db": np.random.default_rng(0).bytes(4096),
             "empty.db": b"", "header.db": data[:100], "other_sqlite.db": b"SQLite format 3\0" + bytes(200)}
    out = {}
    for name, blob in blobs.items():
        (t / name).write_bytes(blob)
        out[name] = t / name
    return db, out


def other_model_gallery(good, path):
    """A copy of the gallery ``good`` that says it was made with ArcFace (512-wide embeddings)."""
    shutil.copy(good, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = 'ArcFace' WHERE key = 'model'")
        conn.execute("UPDATE meta SET value = '512' WHERE key = 'embedding_size'")
    conn.close()
    return Path(path)


def gallery_file(path, data=b"", mode="raw", meta=()):
    """A file that pretends to be a face gallery: ``data`` as is (``raw``), or an SQLite ``meta`` table with
    ``format`` = kvideo's and ``meta`` pairs (``sqlite``), cut in half and followed by ``data`` (``sqlite_cut``)."""
    from kvideo.faces.gallery import FORMAT

    p = Path(path)
    if mode == "raw":
        p.write_bytes(data)
        return p
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), *dict(meta).items()])
    conn.commit()
    conn.close()
    if mode == "sqlite_cut":
        b = p.read_bytes()
        p.write_bytes(b[: len(b) // 2] + data)
    return p
