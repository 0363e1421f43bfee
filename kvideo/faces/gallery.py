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
import time
from pathlib import Path

import numpy as np

from kvideo.errors import GalleryError, NoFaceError
from kvideo.faces.embed import (
    confidence_from_distance,
    default_metric,
    default_threshold,
    distances,
    get_engine,
    identity_distances,
    load_image,
)
from kvideo.utils.validation import argument_error

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


class FaceGallery:
    """People's faces, enrolled from photos, to identify in photos and videos.

    Example:
        >>> from kvideo.faces import FaceGallery
        >>> g = FaceGallery.create("people.db")            # needs deepface and photos of faces  # doctest: +SKIP
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
            >>> g = FaceGallery.create("people.db", model="Dlib", detector="dlib")  # needs deepface  # doctest: +SKIP
        """
        from kvideo.utils.files import atomic_path
        from kvideo.version import __version__

        path = Path(path)
        if path.exists() and not overwrite:
            raise argument_error(
                "path", str(path), "a new file: one already exists there (open it with FaceGallery.open, or pass "
                "overwrite=True)",
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
            >>> g = FaceGallery.open("people.db")  # needs an enrolled gallery file  # doctest: +SKIP
            >>> g.identities()                     # doctest: +SKIP
            ['alice', 'bob']
        """
        path = Path(path)
        if not path.is_file():
            raise _gallery_error(path, "no face gallery there",
                                 f"Create one with `kvideo faces enroll FOLDER --db {path}`.")
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            finally:
                conn.close()
        except sqlite3.DatabaseError as e:
            raise _gallery_error(path, f"not a kvideo face gallery ({e})") from None
        if meta.get("format") != FORMAT:
            raise _gallery_error(path, "not a kvideo face gallery (no format marker)")
        try:
            version = int(meta.get("format_version", "0"))
        except (TypeError, ValueError):
            raise _gallery_error(path, "damaged gallery (bad format_version)", "Enroll into a new gallery.") from None
        if version > FORMAT_VERSION:
            raise _gallery_error(path, f"written by a newer kvideo (gallery format {meta['format_version']})",
                                 "Upgrade kvideo.")
        missing = [k for k in ("model", "detector") if not isinstance(meta.get(k), str)]
        if missing:
            raise _gallery_error(path, f"damaged gallery (no {' or '.join(missing)} recorded)",
                                 "Enroll into a new gallery.")
        for key, want in (("model", model), ("detector", detector)):
            if want is not None and want != meta[key]:
                raise argument_error(
                    key, want, f"{meta[key]!r}: the gallery {str(path)!r} was made with {key} {meta[key]!r} and its "
                    "embeddings cannot be compared with another's (or enroll into a new gallery)",
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
    def connect(self, write: bool = False):
        """A SQLite connection to the gallery file; ``write=True``: ONE transaction, all or nothing."""
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
            raise _gallery_error(
                self.path, f"embedding size {emb.shape[0]} does not match the gallery's {self.embedding_size} "
                f"(model {self.model!r})",
            )
        return emb.tobytes()

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every enrolled photo's identity and embedding: ``(names (M,) object array, (M, D) float32)``.

        Cached until the gallery changes. This is what :meth:`match` compares against.
        """
        if self._cache is None:
            with self.connect() as conn:
                rows = conn.execute("SELECT identity, embedding FROM faces ORDER BY id").fetchall()
            names = np.array([r[0] for r in rows], dtype=object)
            embs = (
                np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows]).astype(np.float32)
                if rows
                else np.zeros((0, self.embedding_size), np.float32)
            )
            if embs.shape[1] != self.embedding_size:
                raise _gallery_error(
                    self.path, f"corrupt: embeddings of size {embs.shape[1]}, meta says {self.embedding_size}"
                )
            self._cache = (names, embs)
        return self._cache

    # -- queries --------------------------------------------------------------------------------
    def identities(self) -> list[str]:
        """Names of the enrolled people, sorted."""
        with self.connect() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT identity FROM faces ORDER BY identity")]

    def counts(self) -> dict:
        """``{identity: number of enrolled photos}``."""
        with self.connect() as conn:
            return dict(conn.execute("SELECT identity, COUNT(*) FROM faces GROUP BY identity ORDER BY identity").fetchall())

    def __len__(self) -> int:
        with self.connect() as conn:
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
        names, refs = self.embeddings()
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
            >>> FaceGallery.open("people.db").identify("photo.jpg")  # needs a gallery and a photo  # doctest: +SKIP
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
            >>> FaceGallery.open("people.db").add("alice", "alice_3.jpg")  # needs a photo of a face  # doctest: +SKIP
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
            raise NoFaceError(
                f"No face found in the photo for {identity!r} ({source}): use a photo with a visible frontal face "
                "or a tight face crop.",
                path=source if isinstance(image, (str, os.PathLike)) else None, reason="no face found",
            )
        f = faces[0]
        with self.connect(write=True) as conn:
            self.warn_same_photo(conn, [(identity, sha, source)])
            self.insert(conn, identity, source, "add", sha, f["how"], f["box"], f["embedding"], time.time())
        return {"identity": identity, "how": f["how"], "box": [int(v) for v in f["box"]], "source": source}

    def remove(self, identity: str) -> int:
        """Forget ``identity``; returns how many photos were removed."""
        with self.connect(write=True) as conn:
            n = conn.execute("DELETE FROM faces WHERE identity = ?", (identity,)).rowcount
        if n == 0:
            raise argument_error("identity", identity, f"an enrolled name: one of {self.identities()}")
        return int(n)

    @staticmethod
    def _check_identity(identity) -> str:
        return check_identity(identity)

    def warn_same_photo(self, conn, photos) -> list:
        """Warn (one warning) when a photo (by SHA-256) is enrolled under another name too; ``photos`` is
        ``[(identity, sha256, source)]`` about to be written. Returns ``[(source, names)]`` of the duplicates."""
        import warnings

        names = {}
        for identity, sha, _ in photos:
            names.setdefault(sha, set()).add(identity)
        shas = list(names)
        for i in range(0, len(shas), 500):
            chunk = shas[i:i + 500]
            rows = conn.execute(f"SELECT sha256, identity FROM faces WHERE sha256 IN ({','.join('?' * len(chunk))})",
                                chunk).fetchall()
            for sha, identity in rows:
                names[sha].add(identity)
        dupes = [(src, sorted(names[sha])) for _, sha, src in photos if len(names[sha]) > 1]
        if dupes:
            shown = "; ".join(f"{src} ({', '.join(n)})" for src, n in dupes[:5])
            warnings.warn(f"The same photo is enrolled under {len(dupes[0][1])} or more names: {shown}"
                          f"{' ...' if len(dupes) > 5 else ''}. Keep each person's photos under one name.", stacklevel=3)
        return dupes

    def enroll(self, folder, progress: bool = True) -> dict:
        """Enroll ``folder/<identity>/*.jpg|png|...``, incrementally.

        Photos added, changed (by SHA-256 of the file) or removed since the last enroll of this folder
        are detected; nothing else is recomputed. Each photo's largest face is used; tight face crops
        with no detection use the whole image. Everything is written in one transaction.

        Returns ``{"db", "folder", "model", "detector", "counts": {...}, "identities": {name: photos},
        "photos": [{"path", "identity", "status", "used", "how", "faces", "reason"}]}`` with status
        ``added | updated | unchanged | removed | skipped``.

        Example:
            >>> report = FaceGallery.create("people.db").enroll("photos/")  # needs photos of faces  # doctest: +SKIP
            >>> report["counts"]  # doctest: +SKIP
            {'added': 12, 'updated': 0, 'unchanged': 0, 'removed': 0, 'skipped': 1, ...}
        """
        from kvideo.faces.enroll import enroll_folder

        return enroll_folder(self, folder, progress=progress)

    def insert(self, conn, identity: str, source: str, origin: str, sha256: str, how: str, box, embedding,
               added: float) -> None:
        """Insert one face row inside an open write transaction (``with gallery.connect(write=True) as conn``)."""
        conn.execute(
            "INSERT INTO faces (identity, source, origin, sha256, how, box, embedding, added) VALUES (?,?,?,?,?,?,?,?)",
            (identity, source, origin, sha256, how, json.dumps([int(v) for v in box]), self._blob(embedding), added),
        )


_BAD_NAME_CHARS = set("/\\") | {chr(c) for c in range(32)} | {chr(127)}


def check_identity(identity) -> str:
    """An identity name, stripped: 1-128 characters, not only spaces, no ``/`` or ``\\`` or control characters,
    not ``.`` or ``..`` (names become folder and file names in reports and the demo).

    Example:
        >>> check_identity("  Ada Lovelace ")
        'Ada Lovelace'
        >>> check_identity("../etc")
        Traceback (most recent call last):
        ...
        ValueError: `identity` must be a name of 1-128 characters without '/', '\\' or control characters, not only spaces, '.' or '..'. Received: identity='../etc'
    """
    name = identity.strip() if isinstance(identity, str) else None
    if not name or len(name) > 128 or name in (".", "..") or set(name) & _BAD_NAME_CHARS:
        raise argument_error("identity", identity, "a name of 1-128 characters without '/', '\\' or control "
                             "characters, not only spaces, '.' or '..'")
    return name


def _gallery_error(path, reason, hint=""):
    tail = f" {hint}" if hint else ""
    return GalleryError(f"Face gallery {str(path)!r}: {reason}.{tail}", path=path, reason=reason)
