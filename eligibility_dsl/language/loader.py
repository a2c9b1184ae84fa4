"""Reading criteria files and the libraries they import: the one loader every entry point uses.

Criteria files travel between sites and sponsors, so an `import` is untrusted input. The loader reads
only what a trial may import (README, "Security and limits"):

- a relative path ending in `.elig` (never an absolute path, never a NUL character);
- resolved (symlinks followed, ``Path.resolve(strict=True)``) to a file inside the importing trial's
  folder tree, or inside a library folder the caller names (``lib_path``, ``--lib-path DIR``);
- a regular file (no device such as /dev/zero, no named pipe), checked before it is opened and opened
  non-blocking; at most :data:`MAX_FILE_BYTES` long.

Anything else raises :class:`ImportRefused`, whose message says why without quoting the file.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "EXTENSION", "MAX_FILE_BYTES", "VALUESET_EXTENSIONS", "ImportLoader", "ImportRefused", "file_loader",
    "read_criteria_file",
]

EXTENSION = ".elig"
VALUESET_EXTENSIONS = (".json",)  # `import valueset "vs/x.json" as x`: a FHIR ValueSet resource
MAX_FILE_BYTES = 4 * 1024 * 1024  # 4 MiB: the largest shipped library is ~40 KiB


class ImportRefused(Exception):
    """An import the loader will not read. ``reason`` says why; it never holds the file's content."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def read_criteria_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes. Raises OSError (a device, a pipe, too
    large: nothing of the file is read) or UnicodeDecodeError (not UTF-8 text)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    before = os.stat(path)  # before opening: opening a FIFO or a tty can block or have effects
    if not stat.S_ISREG(before.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if before.st_size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MiB", str(path))
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the stat
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MiB", str(path))
    return data.decode("utf-8")


class ImportLoader:
    """Resolves `import "lib/x.elig"` against the importing file's folder, then each library folder.

    ``trial`` is the file being compiled: its folder tree is where imports may lead (None: only the
    library folders). Called as ``loader(path_written, importing_file) -> (file name, text)``; raises
    :class:`ImportRefused`, OSError (no such file) or UnicodeDecodeError."""

    def __init__(self, trial: str | Path | None, lib_path: Iterable[str | Path] = ()):
        roots = [] if trial is None else [Path(trial).parent]
        self.libraries = tuple(Path(p) for p in lib_path)
        self.roots = tuple(_real_folder(p) for p in [*roots, *self.libraries])

    def __call__(self, path: str, importer: str, extensions: tuple[str, ...] = (EXTENSION,)) -> tuple[str, str]:
        if "\0" in path:
            raise ImportRefused("its path holds a NUL character")
        written = Path(path)
        if written.is_absolute() or path.startswith(("/", "\\")) or written.drive:
            raise ImportRefused("an import names a file relative to the importing file, not an absolute path")
        if not path.endswith(extensions):
            raise ImportRefused(f"only `{'`, `'.join(extensions)}` files can be imported here")
        for candidate in [Path(importer).parent / written, *(folder / written for folder in self.libraries)]:
            try:
                real = candidate.resolve(strict=True)
            except FileNotFoundError:
                continue
            except (OSError, RuntimeError):  # a symlink loop, a path component that is a file
                raise ImportRefused("its path cannot be resolved") from None
            if not _under(real, self.roots):
                where = "the trial's folder" + (" or a library folder (--lib-path)" if self.libraries else "")
                raise ImportRefused(f"it is outside {where}")
            if real.suffix not in extensions:  # a symlink `x.elig` to some other file
                raise ImportRefused(f"it is a link to a file that is not a `{'`, `'.join(extensions)}` file")
            try:
                return str(candidate), read_criteria_file(real)
            except OSError as err:
                if err.errno in (errno.EINVAL, errno.EFBIG):
                    raise ImportRefused(f"it is {err.strerror}") from None
                raise
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)


def _real_folder(path: Path) -> Path:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return path.resolve()  # a folder that does not exist holds nothing: nothing resolves inside it


def file_loader(path: str, importer: str, extensions: tuple[str, ...] = (EXTENSION,)) -> tuple[str, str]:
    """The loader with no library folders: imports stay inside the importing file's own folder tree.
    Entry points that know the trial file use :class:`ImportLoader` so that a library may import
    its siblings anywhere in the trial's tree."""
    return ImportLoader(importer)(path, importer, extensions)


# Loaders that take ``extensions`` (so `import valueset` may read `.json`); a caller's own loader may not.
ImportLoader.takes_extensions = True
file_loader.takes_extensions = True
