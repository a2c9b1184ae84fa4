"""Reading criteria files and the libraries they import: the one loader every entry point uses."""

from __future__ import annotations

import errno
from pathlib import Path


def file_loader(path: str, importer: str) -> tuple[str, str]:
    """Resolve `import "lib/x.elig"` relative to the importing file's folder.  Raises OSError, or
    UnicodeDecodeError for a file that is not UTF-8 text."""
    if "\0" in path:  # which open() would refuse with a ValueError
        raise OSError(errno.EINVAL, "a file name cannot hold a NUL character", path)
    target = Path(importer).parent / path
    return str(target), target.read_text(encoding="utf-8")
