"""Batch jobs on Ray Data (``--engine ray``): the same records, written and resumed by the same driver.

The driver lists the inputs and skips those already in the output (``kvideo.utils.results``); the rest go
to ``ray.data.Dataset.map_batches`` with a callable class (one model load per Ray actor, ``concurrency``
actors); each batch comes back as JSON strings that the driver appends to the JSONL file as they arrive,
so a killed job resumes like a local one. Ray starts a local cluster, or joins the one named by
``RAY_ADDRESS`` (``ray start --head`` on the head node; see docs/batch.md). Every node must be able to read
the input paths (a shared or identical file system) and have kvideo installed.

Install with ``pip install "kvideo[ray]"``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from kvideo.utils.optional import require


def ray_init():
    """Connect to ``RAY_ADDRESS`` or start a local Ray (no-op when already initialised); returns ``ray``."""
    ray = require("ray", "--engine ray")
    require("ray.data", "--engine ray")
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS") or None, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    return ray


def ray_records(todo, worker_cls, worker_kwargs, concurrency=1, batch_size=8):
    """Yield the record dict of every path of ``todo``, computed by ``worker_cls`` actors on Ray Data.

    ``worker_cls(**worker_kwargs)(paths) -> list of record dicts`` (see :class:`RayWorker`).
    """
    ray = ray_init()
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours shows files, not Ray's blocks
    if not todo:
        return
    ds = ray.data.from_items([{"path": str(p)} for p in todo], override_num_blocks=max(1, -(-len(todo) // batch_size)))
    ds = ds.map_batches(worker_cls, fn_constructor_kwargs=worker_kwargs, batch_size=batch_size,
                        batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=concurrency), num_cpus=1)
    for row in ds.iter_rows():
        yield json.loads(row["record"])


class RayWorker:
    """Base of the Ray Data callable classes: a subclass defines ``load(path) -> resource`` (run once per
    actor on the file it was given: a model or a gallery) and ``run(paths) -> records`` (per batch). The
    file travels as bytes, so the nodes need no shared copy of it."""

    suffix = ".bin"

    def __init__(self, data: bytes, options: dict):
        self._dir = tempfile.mkdtemp(prefix="kvideo-ray-")
        path = Path(self._dir) / f"resource{self.suffix}"
        path.write_bytes(data)
        self.options = dict(options)
        self.resource = self.load(path)

    def __call__(self, batch):
        import numpy as np

        records = self.run([str(p) for p in batch["path"]])
        return {"record": np.array([json.dumps(r, default=str) for r in records], dtype=object)}
