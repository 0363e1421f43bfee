"""Small shared helpers: atomic writes, optional imports."""

from kvideo.utils.files import atomic_write, atomic_path
from kvideo.utils.optional import require

__all__ = ["atomic_write", "atomic_path", "require"]
