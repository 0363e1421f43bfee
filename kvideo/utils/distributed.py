"""Training on many machines: JAX multi-process through ``keras.distribution`` (one home for the cluster rules).

Every worker runs the same ``kvideo train`` with ``--coordinator HOST:PORT --num-workers N --worker-id I``
(or ``$KVIDEO_COORDINATOR``, ``$KVIDEO_NUM_WORKERS``, ``$KVIDEO_WORKER_ID``). :func:`start` joins the JAX
cluster (``keras.distribution.initialize``; gloo collectives on CPU) and trains data parallel over every
device of every worker (``keras.distribution.DataParallel``): each worker feeds its own shard of the files,
the gradients are averaged over the global batch, and every worker holds the same weights after each step.

Example:
    >>> cluster_from("10.0.0.1:1234", 2, 1, environ={})
    Cluster(coordinator='10.0.0.1:1234', num_workers=2, worker_id=1)
    >>> cluster_from(environ={"KVIDEO_COORDINATOR": "h:5", "KVIDEO_NUM_WORKERS": "2", "KVIDEO_WORKER_ID": "0"}).is_chief
    True
    >>> cluster_from(environ={}) is None
    True
    >>> cluster_from("h:5", 2, 2, environ={})
    Traceback (most recent call last):
    ...
    ValueError: `--worker-id` must be a number from 0 to 1 (one per worker of --num-workers 2). Received: --worker-id=2
"""

from __future__ import annotations

import hashlib
import os
from typing import NamedTuple

from kvideo.utils.validation import argument_error

ENV_VARS = {"coordinator": "KVIDEO_COORDINATOR", "num_workers": "KVIDEO_NUM_WORKERS", "worker_id": "KVIDEO_WORKER_ID"}
_FLAGS = {"coordinator": "--coordinator", "num_workers": "--num-workers", "worker_id": "--worker-id"}


class Cluster(NamedTuple):
    coordinator: str  # HOST:PORT of worker 0's coordination service
    num_workers: int
    worker_id: int

    @property
    def is_chief(self) -> bool:
        """Worker 0 writes the model and prints the result."""
        return self.worker_id == 0


def _as_int(key, value):
    try:
        return int(str(value).strip())
    except ValueError:
        raise argument_error(_FLAGS[key], value, f"a whole number (flag {_FLAGS[key]} or ${ENV_VARS[key]})") from None


def cluster_from(coordinator=None, num_workers=None, worker_id=None, environ=None):
    """The :class:`Cluster` named by the flags (each falls back to its ``$KVIDEO_*`` variable), or None when
    none of them is set (one process). Wrong or partial settings are one-line ``ValueError``\\ s."""
    env = os.environ if environ is None else environ
    given = {"coordinator": coordinator, "num_workers": num_workers, "worker_id": worker_id}
    values = {k: v if v is not None else env.get(ENV_VARS[k]) for k, v in given.items()}
    if all(v in (None, "") for v in values.values()):
        return None
    for key, value in values.items():
        if value in (None, ""):
            raise argument_error(_FLAGS[key], None, "set together with --coordinator HOST:PORT, --num-workers N and "
                                 "--worker-id I for multi-worker training (or $KVIDEO_COORDINATOR, "
                                 "$KVIDEO_NUM_WORKERS, $KVIDEO_WORKER_ID)")
    coord = str(values["coordinator"]).strip()
    host, _, port = coord.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argument_error("--coordinator", coord, "HOST:PORT of worker 0 (e.g. 10.0.0.1:12345), reachable from "
                             "every worker")
    n = _as_int("num_workers", values["num_workers"])
    if n < 1:
        raise argument_error("--num-workers", n, "a whole number >= 1")
    i = _as_int("worker_id", values["worker_id"])
    if not 0 <= i < n:
        raise argument_error("--worker-id", i, f"a number from 0 to {n - 1} (one per worker of --num-workers {n})")
    return Cluster(coord, n, i)


def check_cluster(cluster, backend, arch, supported):
    """Multi-worker training needs the JAX backend and an end-to-end architecture (one of ``supported``)."""
    if backend != "jax":
        raise argument_error("--backend", backend, "jax for multi-worker training (--num-workers): pass --backend jax "
                             "or set KERAS_BACKEND=jax on every worker")
    if arch not in supported:
        raise argument_error("--arch", arch, f"an end-to-end architecture for multi-worker training "
                             f"({', '.join(supported)}); the pretrained ones fit their head on one machine")


def start(cluster):
    """Join the cluster (blocks until all ``num_workers`` workers have joined) and train data parallel over
    every device of every worker from now on. Must run before JAX touches a device. Returns the distribution."""
    import jax

    import keras

    from kvideo.utils.native import native_stdout_to_stderr

    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU workers: collectives over TCP
    with native_stdout_to_stderr():  # gloo says "Rank i is connected ..." on stdout
        keras.distribution.initialize(cluster.coordinator, cluster.num_workers, cluster.worker_id)
        jax.devices()  # the backends start (and gloo connects) here
    dist = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    dist.auto_shard_dataset = False  # each worker reads its own shard (VideoDataset.shard), not a tf.data split
    keras.distribution.set_distribution(dist)
    return dist


def barrier(name: str) -> None:
    """Wait until every worker reaches ``name`` (e.g. before a worker exits while another still writes)."""
    from jax.experimental import multihost_utils

    multihost_utils.sync_global_devices(name)


def weights_checksum(weights) -> str:
    """sha256 (16 hex digits) of a list of weight arrays: equal on every worker when they trained one model.

    >>> import numpy as np
    >>> weights_checksum([np.zeros(2)]) == weights_checksum([np.zeros(2, np.float32)])
    True
    """
    import numpy as np

    h = hashlib.sha256()
    for w in weights:
        h.update(np.ascontiguousarray(np.asarray(w, dtype=np.float32)).tobytes())
    return h.hexdigest()[:16]
