"""FaceGallery: enrolled people's face embeddings in one SQLite file.

File format (``format_version`` 1), no pickle anywhere:

* ``meta(key TEXT PRIMARY KEY, value TEXT)``: ``format`` = ``kvideo-face-gallery``, ``format_version``,
  ``model``, ``detector``, ``embedding_size``, ``metric``, ``align`` (how faces are aligned
  before embedding), ``threshold``, ``kvideo_version``, ``created``;
* ``faces(id, identity, source, origin, sha256, how, box, embedding, added)``: one row per enrolled
  photo; ``embedding`` is a little-endian float32 blob of ``embedding_size`` values, ``box`` a JSON
  ``[x, y, w, h]``, ``origin`` ``"enroll"`` (a file found by :meth:`FaceGallery.enroll`, ``source`` its
  absolute path) or ``"add"`` (:meth:`FaceGallery.add`).

Atomicity: a new gallery is built in a temporary file that replaces ``path`` only once complete
(``kvideo.utils.files.atomic_path``), so a half-created gallery never exists. Every later change
(an enroll, add or remove) is ONE SQLite transaction: SQLite's rollback journal makes it all or
nothing even on a crash or Ctrl-C, and unlike copy-then-``os.replace`` it does not rewrite the whole
file for each change (a gallery of thousands of photos stays cheap to update incrementally).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from kvideo.errors import KVideoError
from kvideo.faces.embed import (
    IMAGE_EXTENSIONS,
    confidence_from_distance,
    default_metric,
    default_threshold,
    distances,
    get_engine,
    identity_distances,
    load_image,
)

FORMAT = "kvideo-face-gallery"
FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE faces (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    how TEXT NOT NULL,
    box TEXT NOT NULL,
    embedding BLOB NOT NULL,
    added REAL NOT NULL
);
CREATE INDEX faces_identity ON faces(identity);
CREATE INDEX faces_source ON faces(origin, source);
"""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _progress(iterable, total, desc, enabled=True):
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, file=sys.stderr, disable=total < 2, leave=False)
    except ImportError:  # pragma: no cover
        return iterable


class FaceGallery:
    """People's faces, enrolled from photos, to identify in photos and videos.

    Example:
        >>> from kvideo.faces import FaceGallery
        >>> g = FaceGallery.create("people.db")            # doctest: +SKIP
        >>> report = g.enroll("photos/")                    # photos/<name>/*.jpg   # doctest: +SKIP
        >>> g.identify("group.jpg")                         # doctest: +SKIP
        [{'box': [120, 40, 88, 88], 'identity': 'alice', 'distance': 0.38, 'confidence': 0.99}]
    """

    def __init__(self, path, _meta: dict):
        self.path = Path(path)
        self.meta = _meta
        self.model = _meta["model"]
        self.detector = _meta["detector"]
        self.metric = _meta["metric"]
        self.threshold = float(_meta["threshold"])
        self.embedding_size = int(_meta["embedding_size"])
        self.align = _meta.get("align", "deepface")
        self._cache = None  # (identities array, embeddings matrix), invalidated on writes

    # -- creating and opening -------------------------------------------------------------------
    @classmethod
    def create(cls, path, model: str | None = None, detector: str | None = None, threshold: float | None = None,
               metric: str | None = None, overwrite: bool = False) -> "FaceGallery":
        """Create an empty gallery file at ``path`` recording the model, detector, metric and threshold.

        Example:
            >>> g = FaceGallery.create("people.db", model="Dlib", detector="dlib")  # doctest: +SKIP
        """
        from kvideo.utils.files import atomic_path
        from kvideo.version import __version__

        path = Path(path)
        if path.exists() and not overwrite:
            raise KVideoError(
                f"A file already exists at {str(path)!r}: open it with FaceGallery.open, or pass overwrite=True. "
                f"Received: path={str(path)!r}"
            )
        engine = get_engine(model, detector)
        metric = metric or default_metric(engine.model)
        thr = float(threshold) if threshold is not None else default_threshold(engine.model, metric)
        size = engine.embedding_size
        meta = {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "model": engine.model,
            "detector": engine.detector,
            "embedding_size": str(size),
            "metric": metric,
            "align": engine.align,
            "threshold": repr(thr),
            "kvideo_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with atomic_path(path, suffix=".db") as tmp:
            conn = sqlite3.connect(tmp)
            try:
                conn.executescript(_SCHEMA)
                conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
                conn.commit()
            finally:
                conn.close()
        return cls(path, meta)

    @classmethod
    def open(cls, path, model: str | None = None, detector: str | None = None) -> "FaceGallery":
        """Open an existing gallery; passing ``model``/``detector`` checks they match the gallery's.

        Example:
            >>> g = FaceGallery.open("people.db")  # doctest: +SKIP
            >>> g.identities()                     # doctest: +SKIP
            ['alice', 'bob']
        """
        path = Path(path)
        if not path.is_file():
            raise KVideoError(
                f"No face gallery at {str(path)!r}: create one with `kvideo faces enroll FOLDER --db {path}`. "
                f"Received: path={str(path)!r}"
            )
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            finally:
                conn.close()
        except sqlite3.DatabaseError as e:
            raise KVideoError(
                f"{str(path)!r} is not a kvideo face gallery ({e}). Received: path={str(path)!r}"
            ) from None
        if meta.get("format") != FORMAT:
            raise KVideoError(f"{str(path)!r} is not a kvideo face gallery (no format marker). Received: path={str(path)!r}")
        if int(meta.get("format_version", "0")) > FORMAT_VERSION:
            raise KVideoError(
                f"{str(path)!r} was written by a newer kvideo (gallery format {meta['format_version']}): upgrade kvideo. "
                f"Received: path={str(path)!r}"
            )
        for key, want in (("model", model), ("detector", detector)):
            if want is not None and want != meta[key]:
                raise KVideoError(
                    f"The gallery {str(path)!r} was made with {key} {meta[key]!r}, its embeddings cannot be compared "
                    f"with {key} {want!r}: use {key}={meta[key]!r} or enroll into a new gallery. Received: {key}={want!r}"
                )
        return cls(path, meta)

    @classmethod
    def open_or_create(cls, path, model: str | None = None, detector: str | None = None, **kwargs) -> "FaceGallery":
        """Open ``path`` when it exists (checking model/detector), else create it."""
        if Path(path).exists():
            return cls.open(path, model=model, detector=detector)
        return cls.create(path, model=model, detector=detector, **kwargs)

    # -- helpers --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, write: bool = False):
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
                self._cache = None
            else:
                yield conn
        finally:
            conn.close()

    @property
    def engine(self):
        return get_engine(self.model, self.detector, align=self.align)

    def _blob(self, emb) -> bytes:
        emb = np.asarray(emb, dtype="<f4").reshape(-1)
        if emb.shape[0] != self.embedding_size:
            raise KVideoError(
                f"Embedding size {emb.shape[0]} does not match the gallery's {self.embedding_size} (model "
                f"{self.model!r}). Received: size={emb.shape[0]}"
            )
        return emb.tobytes()

    def _matrix(self):
        if self._cache is None:
            with self._connect() as conn:
                rows = conn.execute("SELECT identity, embedding FROM faces ORDER BY id").fetchall()
            names = np.array([r[0] for r in rows], dtype=object)
            embs = (
                np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows]).astype(np.float32)
                if rows
                else np.zeros((0, self.embedding_size), np.float32)
            )
            if embs.shape[1] != self.embedding_size:
                raise KVideoError(f"The gallery {str(self.path)!r} is corrupt: embeddings of size {embs.shape[1]}, meta says {self.embedding_size}.")
            self._cache = (names, embs)
        return self._cache

    # -- queries --------------------------------------------------------------------------------
    def identities(self) -> list[str]:
        """Names of the enrolled people, sorted."""
        with self._connect() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT identity FROM faces ORDER BY identity")]

    def counts(self) -> dict:
        """``{identity: number of enrolled photos}``."""
        with self._connect() as conn:
            return dict(conn.execute("SELECT identity, COUNT(*) FROM faces GROUP BY identity ORDER BY identity").fetchall())

    def __len__(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0])

    def info(self) -> dict:
        """The gallery's metadata and counts."""
        return {"path": str(self.path), **{k: v for k, v in self.meta.items()}, "identities": self.counts()}

    def match(self, embeddings, threshold: float | None = None) -> list[dict]:
        """Best identity for each embedding: ``[{"identity" (None if too far), "distance", "confidence", "nearest"}]``.

        ``distance`` is the identity distance of :func:`kvideo.faces.embed.identity_distances` (the
        mean of the two closest enrolled photos of that person, or the closest when there is one);
        ``nearest`` names that identity even when it is too far to be accepted.
        """
        thr = self.threshold if threshold is None else float(threshold)
        names, refs = self._matrix()
        embs = np.atleast_2d(np.asarray(embeddings, np.float32))
        if len(names) == 0:
            return [{"identity": None, "distance": None, "confidence": 0.0, "nearest": None} for _ in range(len(embs))]
        uniq, d = identity_distances(distances(embs, refs, self.metric), names)
        out = []
        for row in d:
            j = int(np.argmin(row))
            best = float(row[j])
            ok = best <= thr
            out.append(
                {
                    "identity": uniq[j] if ok else None,
                    "distance": round(best, 4),
                    "confidence": confidence_from_distance(best, thr) if ok else 0.0,
                    "nearest": uniq[j],
                }
            )
        return out

    def identify(self, image, threshold: float | None = None) -> list[dict]:
        """Every face in ``image`` with the enrolled person it is (``identity`` None: nobody close enough).

        Returns ``[{"box": [x, y, w, h], "identity", "distance", "confidence", "how"}]``, largest face
        first. ``threshold`` overrides the gallery's (lower: fewer false accepts, more misses).

        Example:
            >>> FaceGallery.open("people.db").identify("photo.jpg")  # doctest: +SKIP
            [{'box': [61, 40, 120, 120], 'identity': 'alice', 'distance': 0.31, 'confidence': 1.0, 'how': 'detected'}]
        """
        faces = self.engine.faces(image)
        if not faces:
            return []
        matches = self.match(np.stack([f["embedding"] for f in faces]), threshold)
        return [
            {"box": [int(v) for v in f["box"]], "identity": m["identity"], "distance": m["distance"],
             "confidence": m["confidence"], "how": f["how"]}
            for f, m in zip(faces, matches)
        ]

    # -- changes --------------------------------------------------------------------------------
    def add(self, identity: str, image) -> dict:
        """Enroll one photo (path or RGB array) of ``identity`` (its largest face). Returns what was stored.

        Example:
            >>> FaceGallery.open("people.db").add("alice", "alice_3.jpg")  # doctest: +SKIP
            {'identity': 'alice', 'how': 'detected', 'box': [10, 12, 140, 140], 'source': 'alice_3.jpg'}
        """
        identity = self._check_identity(identity)
        rgb = load_image(image)
        if isinstance(image, (str, os.PathLike)):
            source = str(Path(image).resolve())
            sha = _sha256(Path(image).read_bytes())
        else:
            sha = _sha256(rgb.tobytes())
            source = f"array:{sha[:16]}"
        faces = self.engine.faces(rgb, largest_only=True)
        if not faces:
            raise KVideoError(
                f"No face found in the photo for {identity!r}: use a photo with a visible frontal face or a tight face "
                f"crop. Received: image={source!r}"
            )
        f = faces[0]
        with self._connect(write=True) as conn:
            conn.execute(
                "INSERT INTO faces (identity, source, origin, sha256, how, box, embedding, added) VALUES (?,?,?,?,?,?,?,?)",
                (identity, source, "add", sha, f["how"], json.dumps([int(v) for v in f["box"]]), self._blob(f["embedding"]), time.time()),
            )
        return {"identity": identity, "how": f["how"], "box": [int(v) for v in f["box"]], "source": source}

    def remove(self, identity: str) -> int:
        """Forget ``identity``; returns how many photos were removed."""
        with self._connect(write=True) as conn:
            n = conn.execute("DELETE FROM faces WHERE identity = ?", (identity,)).rowcount
        if n == 0:
            raise KVideoError(
                f"No one called {identity!r} in the gallery: known identities are {self.identities()}. Received: identity={identity!r}"
            )
        return int(n)

    @staticmethod
    def _check_identity(identity) -> str:
        if not isinstance(identity, str) or not identity.strip():
            raise KVideoError(f"The identity must be a non-empty name. Received: identity={identity!r}")
        return identity.strip()

    def enroll(self, folder, progress: bool = True) -> dict:
        """Enroll ``folder/<identity>/*.jpg|png|...``, incrementally.

        Photos added, changed (by SHA-256 of the file) or removed since the last enroll of this folder
        are detected; nothing else is recomputed. Each photo's largest face is used; tight face crops
        with no detection use the whole image. Everything is written in one transaction.

        Returns ``{"db", "folder", "model", "detector", "counts": {...}, "identities": {name: photos},
        "photos": [{"path", "identity", "status", "used", "how", "faces", "reason"}]}`` with status
        ``added | updated | unchanged | removed | skipped``.

        Example:
            >>> report = FaceGallery.create("people.db").enroll("photos/")  # doctest: +SKIP
            >>> report["counts"]  # doctest: +SKIP
            {'added': 12, 'updated': 0, 'unchanged': 0, 'removed': 0, 'skipped': 1, ...}
        """
        root = Path(folder)
        if not root.is_dir():
            raise KVideoError(
                f"Cannot enroll {str(root)!r}: not a folder. Use a folder with one sub-folder of photos per person "
                f"(photos/<name>/*.jpg). Received: folder={str(root)!r}"
            )
        root = root.resolve()
        photos, report = [], []
        for entry in sorted(root.iterdir()):
            if entry.is_dir():
                for p in sorted(entry.rglob("*")):
                    if p.is_file() and not p.name.startswith("."):
                        if p.suffix.lower() in IMAGE_EXTENSIONS:
                            photos.append((entry.name, p))
                        else:
                            report.append({"path": str(p), "identity": entry.name, "status": "skipped", "used": False,
                                           "reason": f"not an image file ({p.suffix or 'no extension'})"})
            elif entry.is_file() and entry.suffix.lower() in IMAGE_EXTENSIONS:
                report.append({"path": str(entry), "identity": None, "status": "skipped", "used": False,
                               "reason": "not inside a <identity>/ sub-folder"})
        if not photos:
            raise KVideoError(
                f"No photos to enroll in {str(root)!r}: put them in one sub-folder per person, e.g. "
                f"{root}/alice/1.jpg. Received: folder={str(root)!r}"
            )
        prefix = str(root) + os.sep
        with self._connect() as conn:
            old = {
                r[0]: (r[1], r[2], r[3], r[4], r[5])
                for r in conn.execute("SELECT source, sha256, id, identity, how, box FROM faces WHERE origin = 'enroll'")
                if r[0].startswith(prefix)
            }
        seen = set()
        todo = []  # (identity, path, sha, status)
        for identity, p in photos:
            src = str(p)
            seen.add(src)
            try:
                sha = _sha256(p.read_bytes())
            except OSError as e:
                report.append({"path": src, "identity": identity, "status": "skipped", "used": False, "reason": f"unreadable: {e}"})
                continue
            if src in old and old[src][0] == sha and old[src][2] == identity:
                report.append({"path": src, "identity": identity, "status": "unchanged", "used": True, "how": old[src][3]})
                continue
            todo.append((identity, p, sha, "updated" if src in old else "added"))
        removed = [src for src in old if src not in seen]
        for src in removed:
            report.append({"path": src, "identity": old[src][2], "status": "removed", "used": False,
                           "reason": "no longer in the folder"})

        engine = self.engine
        pending = []  # (index into report, crop)
        for identity, p, sha, status in _progress(todo, len(todo), "enroll: detecting faces", progress):
            src = str(p)
            rec = {"path": src, "identity": identity, "status": status, "sha256": sha}
            try:
                _, faces = engine.locate(p)
            except KVideoError as e:
                if "Cannot read" not in str(e):
                    raise
                rec.update(status="skipped", used=False, reason="not an image OpenCV can decode")
                report.append(rec)
                continue
            if not faces:
                rec.update(status="skipped", used=False,
                           reason="no face found (and too large or not square enough to be a face crop)")
                report.append(rec)
                continue
            f = faces[0]
            rec.update(used=True, how=f["how"], faces=len(faces), box=[int(v) for v in f["box"]])
            report.append(rec)
            pending.append((len(report) - 1, f["face"]))
        embs = engine.embed([c for _, c in pending]) if pending else np.zeros((0, self.embedding_size), np.float32)

        with self._connect(write=True) as conn:
            for src in removed:
                conn.execute("DELETE FROM faces WHERE origin = 'enroll' AND source = ?", (src,))
            for rec in report:
                if rec["status"] in ("updated", "skipped") and rec["path"] in old:
                    conn.execute("DELETE FROM faces WHERE origin = 'enroll' AND source = ?", (rec["path"],))
            now = time.time()
            for (i, _), emb in zip(pending, embs):
                rec = report[i]
                conn.execute(
                    "INSERT INTO faces (identity, source, origin, sha256, how, box, embedding, added) VALUES (?,?,?,?,?,?,?,?)",
                    (rec["identity"], rec["path"], "enroll", rec["sha256"], rec["how"], json.dumps(rec["box"]), self._blob(emb), now),
                )
        for rec in report:
            rec.pop("sha256", None)
        counts = {k: sum(r["status"] == k for r in report) for k in ("added", "updated", "unchanged", "removed", "skipped")}
        counts["used_detected"] = sum(bool(r.get("used")) and r.get("how", "").startswith("detected") for r in report)
        counts["used_whole_image"] = sum(bool(r.get("used")) and r.get("how") == "whole-image" for r in report)
        return {
            "db": str(self.path),
            "folder": str(root),
            "model": self.model,
            "detector": self.detector,
            "threshold": self.threshold,
            "counts": counts,
            "identities": self.counts(),
            "photos": report,
        }
