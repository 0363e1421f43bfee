"""``--backend``, ``--mixed-precision`` and the multi-worker flags of training commands.

The work is in ``kvideo.utils.devices`` (one machine) and ``kvideo.utils.distributed`` (many machines);
this module parses, checks and wires them into ``kvideo train``.
"""

from __future__ import annotations

import os
import sys

_BACKENDS = ("tensorflow", "jax", "torch")  # = kvideo.utils.devices.BACKENDS (kept import-free)


def add_device_flags(p):
    p.add_argument("--backend", choices=_BACKENDS, default=None,
                   help="Keras backend (default: $KERAS_BACKEND, else tensorflow)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="mixed precision: bfloat16 on CPU, float16 on GPU (the softmax stays float32)")


def add_cluster_flags(p):
    p.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                   help="multi-worker training: worker 0's address, the same on every worker ($KVIDEO_COORDINATOR); "
                        "needs --backend jax (see docs/distributed.md)")
    p.add_argument("--num-workers", dest="num_workers", default=None, metavar="N",
                   help="number of workers ($KVIDEO_NUM_WORKERS); --batch-size is per worker")
    p.add_argument("--worker-id", dest="worker_id", default=None, metavar="I",
                   help="this worker, 0..N-1 ($KVIDEO_WORKER_ID); worker 0 writes --out")


def start_cluster(args, arch_of):
    """Check the multi-worker flags of ``args`` and join the cluster (before Keras touches a device); sets
    ``args.cluster`` (None for one process). ``arch_of(args)`` is the architecture the command will train
    (asked only with a cluster: it may import Keras)."""
    from kvideo.utils import distributed
    from kvideo.utils.validation import argument_error

    cluster = distributed.cluster_from(getattr(args, "coordinator", None), getattr(args, "num_workers", None),
                                       getattr(args, "worker_id", None))
    args.cluster = cluster
    if cluster is None:
        return None
    from kvideo.presets import END_TO_END_ARCHS

    backend = args.backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    distributed.check_cluster(cluster, backend, arch_of(args), list(END_TO_END_ARCHS))
    if getattr(args, "resume", False):
        raise argument_error("--resume", True, "left out with --num-workers (multi-worker runs write no checkpoint)")
    distributed.start(cluster)
    return cluster


def apply_device_flags(args):
    """Set the dtype policy; returns the one line naming the backend, devices and precision (for
    :func:`announce`, once the command's arguments are checked, so an argument error stays one line)."""
    from kvideo.utils.devices import describe, set_mixed_precision, use_all_devices

    set_mixed_precision(bool(getattr(args, "mixed_precision", False)))
    line = describe(parallel=use_all_devices())
    cluster = getattr(args, "cluster", None)
    if cluster is not None:
        line += f"; worker {cluster.worker_id} of {cluster.num_workers} (coordinator {cluster.coordinator})"
    return line


def worker_data(cluster, data_dir, clf, cfg, augment):
    """``(train, val, class_weight)`` of this worker: its shard of the folder's training (and validation)
    files; the class weights are those of ALL training files, so every worker weighs the classes alike."""
    from kvideo.tasks.inputs import folder_dataset
    from kvideo.tasks.metrics import class_weights
    from kvideo.utils.validation import argument_error

    common = dict(shuffle=True, batch_size=int(cfg["batch_size"]), seed=int(cfg["seed"]), augment=augment,
                  sampling=cfg["sampling"])
    split = float(cfg["val_split"] or 0) if cfg["val_dir"] is None else 0
    if split:
        train, val = folder_dataset(data_dir, clf.preprocessor, validation_split=split, subset="both", **common)
    else:
        train = folder_dataset(data_dir, clf.preprocessor, **common)
        val = None if cfg["val_dir"] is None else folder_dataset(
            cfg["val_dir"], clf.preprocessor, shuffle=False, batch_size=int(cfg["batch_size"]),
            class_names=train.class_names)
    for what, ds in (("training", train), ("validation", val)):
        if ds is not None and len(ds.file_paths) < cluster.num_workers:
            raise argument_error("--num-workers", cluster.num_workers, f"at most the number of {what} videos "
                                 f"({len(ds.file_paths)}): every worker needs its own share")
    cw = class_weights(train.labels, cfg["class_weight"])
    n, i = cluster.num_workers, cluster.worker_id
    return train.shard(n, i), (None if val is None else val.shard(n, i)), cw


def save_model(clf, out, cluster):
    """Worker 0 saves to ``out`` (atomically); the others take part in the same collective save into a
    temporary folder that is then removed. Every worker waits for all before returning."""
    import shutil
    import tempfile

    from kvideo.utils import distributed

    if cluster.is_chief:
        path = clf.save(out)
    else:
        tmp = tempfile.mkdtemp(prefix="kvideo-worker-")
        try:
            clf.save(os.path.join(tmp, "model.keras"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        path = None
    distributed.barrier("kvideo-train-saved")
    return path


def worker_result(clf, cluster, result):
    """The fields a multi-worker run adds to the result; a worker other than 0 reports only these and its
    final metrics (worker 0 prints the full result)."""
    from kvideo.utils.distributed import weights_checksum

    info = {"num_workers": cluster.num_workers, "worker_id": cluster.worker_id,
            "global_batch_size": int(clf.train_info.get("batch_size", 0)) * cluster.num_workers,
            "num_train_videos_this_worker": clf.train_info.get("num_train_videos"),
            "weights_sha256": weights_checksum(clf.model.get_weights())}
    if cluster.is_chief:
        return {**result, "distributed": info}
    return {"model": None, "arch": result["arch"], "final": result["final"], "epochs_run": result["epochs_run"],
            "distributed": info}


def format_worker(r) -> str:
    """The line a worker other than 0 prints (worker 0 adds it to the usual training summary)."""
    d = r["distributed"]
    wrote = f"wrote {r['model']}" if r.get("model") else "worker 0 wrote the model"
    return (f"worker {d['worker_id']} of {d['num_workers']}: trained {r['arch']} for {r['epochs_run']} epochs "
            f"(global batch {d['global_batch_size']}); weights sha256 {d['weights_sha256']}; {wrote}")


def announce(line):
    print(line, file=sys.stderr)
