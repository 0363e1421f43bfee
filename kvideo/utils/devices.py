"""Backend, devices, mixed precision and data parallelism: one place for where training runs.

``select_backend`` must run before Keras is imported (it sets ``KERAS_BACKEND``). ``set_mixed_precision``
picks ``mixed_bfloat16`` on CPU and ``mixed_float16`` on GPU (kvideo's softmax layers stay float32).
``data_parallel`` spreads a batch over every local device (``keras.distribution.DataParallel`` on JAX,
``tf.distribute.MirroredStrategy`` on TensorFlow) when there is more than one; one device stays plain.

Example:
    >>> BACKENDS
    ('tensorflow', 'jax', 'torch')
    >>> select_backend(None) in BACKENDS
    True
"""

from __future__ import annotations

import contextlib
import os
import sys

from kvideo.utils.validation import argument_error

BACKENDS = ("tensorflow", "jax", "torch")


def select_backend(name=None) -> str:
    """Use backend ``name`` (or ``$KERAS_BACKEND``, default tensorflow); must come before ``import keras``."""
    if name is None:
        return os.environ.get("KERAS_BACKEND", "tensorflow")
    if name not in BACKENDS:
        raise argument_error("backend", name, f"one of {', '.join(BACKENDS)}")
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != name:
            raise argument_error("backend", name, f"set before Keras is imported (it already runs "
                                 f"{keras.backend.backend()}); set KERAS_BACKEND={name} in the environment")
    os.environ["KERAS_BACKEND"] = name
    return name


def local_devices() -> list:
    """The accelerator devices Keras will use, or the CPU when there is none (as ``"gpu:0"``-style names)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.id}" for d in jax.devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return [f"gpu:{i}" for i in range(len(gpus))] or \
            [f"cpu:{i}" for i in range(len(tf.config.list_logical_devices("CPU")))]
    import torch

    return [f"cuda:{i}" for i in range(torch.cuda.device_count())] or ["cpu:0"]


def has_gpu() -> bool:
    return any(d.startswith(("gpu", "cuda")) for d in local_devices())


def set_mixed_precision(enabled=True) -> str:
    """Set Keras' global dtype policy: mixed bfloat16 on CPU, mixed float16 on GPU, or float32; returns it."""
    import keras

    policy = ("mixed_float16" if has_gpu() else "mixed_bfloat16") if enabled else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def describe(parallel=False) -> str:
    """One line: the backend, the devices used and the dtype policy."""
    import keras

    devs = local_devices()
    used = devs if parallel and len(devs) > 1 else devs[:1]
    return (f"backend {keras.backend.backend()}; devices {', '.join(used)} (of {len(devs)}); "
            f"precision {keras.mixed_precision.global_policy().name}")


def use_all_devices() -> bool:
    """On JAX with more than one local device, train data parallel from now on; returns whether it does.
    A distribution already set (a multi-worker cluster, :mod:`kvideo.utils.distributed`) is kept."""
    import keras

    if keras.backend.backend() == "jax" and keras.distribution.distribution() is not None:
        return True
    if keras.backend.backend() != "jax" or len(local_devices()) < 2:
        return False
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()))
    return True


@contextlib.contextmanager
def data_parallel(enabled=True):
    """Build and train inside this to spread batches over every local device (no-op with one device)."""
    import keras

    devs = local_devices()
    if not enabled or len(devs) < 2:
        yield None
        return
    backend = keras.backend.backend()
    if backend == "jax":
        dist = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        old = keras.distribution.distribution()
        keras.distribution.set_distribution(dist)
        try:
            yield dist
        finally:
            keras.distribution.set_distribution(old)
    elif backend == "tensorflow":
        import tensorflow as tf

        kind = "GPU" if has_gpu() else "CPU"
        strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices(kind)])
        with strategy.scope():
            yield strategy
    else:
        yield None  # torch: one device (DistributedDataParallel is not wired in)
