"""Read PyTorch state dicts (``.pth``/``.pt``) into numpy without torch and without running pickle code.

A ``torch.save``-d state dict is a pickle. Unpickling an arbitrary pickle can run any code, so this
reader uses a restricted unpickler: the only globals it resolves are the few a state dict needs
(``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``, ``torch._utils._rebuild_parameter``
and the ``torch.*Storage`` types), each mapped to a numpy function of our own. Anything else
(``os.system``, ``builtins.eval``, any other class) is refused with an ``UnsafeWeightsFileError``
before it is called. Both formats are read: the legacy one (a sequence of pickles followed by the
raw storages, what PyTorch < 1.6 wrote) and the zip-based one (``archive/data.pkl`` +
``archive/data/<key>``).

Example:
    >>> import io, pickle, tempfile, os
    >>> from kvideo.models.torch_weights import read_torch_state_dict, UnsafeWeightsFileError
    >>> class Evil:
    ...     def __reduce__(self):
    ...         return (os.system, ("echo pwned",))
    >>> path = os.path.join(tempfile.mkdtemp(), "evil.pth")
    >>> with open(path, "wb") as f:
    ...     pickle.dump({"w": Evil()}, f)
    >>> try:
    ...     read_torch_state_dict(path)
    ... except UnsafeWeightsFileError as e:
    ...     print(e.reason.startswith("refuses global"))
    True
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np

from kvideo.errors import UnsafeWeightsFileError  # noqa: F401  (raised here; re-exported)

__all__ = ["read_torch_state_dict", "UnsafeWeightsFileError"]

# torch.save's legacy format starts with this magic number, then protocol 1001.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

# torch storage type name -> numpy dtype (little-endian, as torch writes them).
STORAGE_DTYPES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class _StorageType:
    """Stands for ``torch.<Name>Storage`` while unpickling: carries only the numpy dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])


class _Storage:
    """A flat numpy buffer that tensors view into; filled once the raw bytes are read."""

    def __init__(self, dtype, numel):
        self.dtype = dtype
        self.numel = int(numel)
        self.array = None


def _rebuild_tensor(storage, storage_offset, size, stride, *_unused):
    """numpy stand-in for ``torch._utils._rebuild_tensor_v2``: a lazy view, materialized after loading."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor must be built from a storage")
    return _LazyTensor(storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


def _rebuild_parameter(data, *_unused):
    """numpy stand-in for ``torch._utils._rebuild_parameter``: a Parameter is its tensor."""
    return data


class _LazyTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def materialize(self):
        flat = self.storage.array
        if any(n == 0 for n in self.size):
            return np.zeros(self.size, dtype=self.storage.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or min(self.stride, default=0) < 0 or last >= flat.size:
            raise ValueError(f"tensor of shape {self.size} lies outside its storage of {flat.size} elements")
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(flat[self.offset:], shape=self.size,
                                               strides=[s * item for s in self.stride], writeable=False)
        return np.array(view)  # own, contiguous copy


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}
_STORAGE_TYPES = {("torch", name) for name in STORAGE_DTYPES}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the allowlisted globals; persistent ids name storages."""

    def __init__(self, file, storages):
        super().__init__(file)
        self._storages = storages  # key -> _Storage, shared across the pickles of one file

    def find_class(self, module, name):
        if (module, name) in _STORAGE_TYPES:
            return _StorageType(name)  # a fresh marker: nothing shared between files can be altered
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"refuses global '{module}.{name}' (only tensors and state dicts are read)") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise _Refused(f"unknown persistent id {str(pid)[:60]!r}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise _Refused("storage of an unknown type")
        key = str(key)
        if key not in self._storages:
            self._storages[key] = _Storage(storage_type.dtype, numel)
        storage = self._storages[key]
        view = pid[5] if len(pid) > 5 else None
        if view is not None:  # very old files: (view_key, offset, view_size)
            view_key, offset, size = view
            sub = self._storages.setdefault(str(view_key), _Storage(storage_type.dtype, size))
            sub.parent = (storage, int(offset))
            return sub
        return storage


class _Refused(pickle.UnpicklingError):
    pass


def _load_pickle(data, storages):
    return _RestrictedUnpickler(io.BytesIO(data) if isinstance(data, bytes) else data, storages).load()


def _read_legacy(f, storages):
    """Legacy torch.save: magic, protocol, sys_info, the object, storage keys, then raw storages."""
    if _load_pickle(f, storages) != _LEGACY_MAGIC:
        raise ValueError("not a PyTorch file (bad magic number)")
    if _load_pickle(f, storages) != _LEGACY_PROTOCOL:
        raise ValueError("unsupported PyTorch legacy protocol version")
    sys_info = _load_pickle(f, storages)
    if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
        raise ValueError("big-endian PyTorch files are not supported")
    obj = _load_pickle(f, storages)
    keys = _load_pickle(f, storages)
    for key in keys:
        storage = storages[str(key)]
        header = f.read(8)
        if len(header) != 8:
            raise ValueError("file is truncated")
        numel = int(np.frombuffer(header, "<i8")[0])
        nbytes = numel * storage.dtype.itemsize
        raw = f.read(nbytes)
        if numel != storage.numel or len(raw) != nbytes:
            raise ValueError("storage size does not match its header (file damaged or truncated)")
        storage.array = np.frombuffer(raw, storage.dtype)
    return obj


def _read_zip(path, storages):
    """Zip torch.save (PyTorch >= 1.6): <root>/data.pkl and <root>/data/<key>."""
    with zipfile.ZipFile(path) as z:
        pkls = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise ValueError("zip file without exactly one '<name>/data.pkl'")
        root = pkls[0].split("/")[0]
        byteorder = f"{root}/byteorder"
        if byteorder in z.namelist() and z.read(byteorder).strip() != b"little":
            raise ValueError("big-endian PyTorch files are not supported")
        obj = _load_pickle(z.read(pkls[0]), storages)
        for key, storage in storages.items():
            raw = z.read(f"{root}/data/{key}")
            if len(raw) % storage.dtype.itemsize:
                raise ValueError(f"storage {key} has a partial element (file damaged)")
            storage.array = np.frombuffer(raw, storage.dtype)
    return obj


def read_torch_state_dict(path) -> dict[str, np.ndarray]:
    """Read a PyTorch state dict file into ``{name: numpy array}``, without torch and without running code.

    Accepts the legacy and the zip-based ``torch.save`` formats. A file with anything else than a
    (possibly nested under ``"state_dict"``) mapping of names to tensors, or that is damaged, raises
    ``UnsafeWeightsFileError`` (a ``ValueError``) naming the file; nothing in it is executed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Weights file not found: {str(path)!r}. Received: path={str(path)!r}")
    storages: dict = {}
    try:
        if zipfile.is_zipfile(path):
            obj = _read_zip(path, storages)
        else:
            with open(path, "rb") as f:
                obj = _read_legacy(f, storages)
        for storage in storages.values():
            parent = getattr(storage, "parent", None)
            if parent is not None:
                base, offset = parent
                storage.array = base.array[offset:offset + storage.numel]
        if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
            obj = obj["state_dict"]
        if not isinstance(obj, dict):
            raise ValueError(f"holds a {type(obj).__name__}, not a state dict")
        out = {}
        for name, value in obj.items():
            if not isinstance(value, _LazyTensor):
                raise ValueError(f"entry {str(name)[:60]!r} is not a tensor")
            out[str(name)] = value.materialize()
        return out
    except _Refused as e:
        raise UnsafeWeightsFileError(path, str(e)) from None
    except (pickle.UnpicklingError, ValueError, KeyError, EOFError, TypeError, AttributeError,
            IndexError, zipfile.BadZipFile) as e:
        raise UnsafeWeightsFileError(path, f"not a readable PyTorch state dict ({type(e).__name__}: {e})") from None
