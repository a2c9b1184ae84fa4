"""`elig fmt [FILE...] [--check] [--diff]`: rewrite criteria files in the canonical layout.

Files are rewritten in place (a directory means every `.elig` file under it); with no file, or `-`, the
text on standard input is formatted to standard output. `--check` changes nothing and exits 1 when a
file is not formatted (for CI); `--diff` prints what would change as a unified diff, changing nothing.
A file that does not parse is reported with its diagnostics (exit 1) and left as it is.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..diagnostics import CompileError
from ..language.format import format_source
from ..report import render_text
from .common import InputProblem, read_text


def add_parser(sub) -> None:
    fmt = sub.add_parser("fmt", help="rewrite criteria files in the canonical layout, comments kept")
    fmt.add_argument("files", nargs="*", metavar="FILE", help="files or directories (default: standard input)")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    fmt.add_argument("--diff", action="store_true", help="change nothing; print the changes as a unified diff")
    fmt.set_defaults(run=run)


def criteria_files(paths: list[str]) -> list[str]:
    out: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out.extend(str(f) for f in sorted(p.rglob("*.elig")))
        elif p.exists():
            out.append(path)
        else:
            raise InputProblem(f"cannot read `{path}`: no such file or directory")
    return out


def run(args: argparse.Namespace) -> int:
    if not args.files or args.files == ["-"]:
        text = sys.stdin.read()
        formatted = format_source(text, "<stdin>")  # a CompileError is reported by `main`
        if args.check:
            return 0 if formatted == text else 1
        sys.stdout.write(_diff(text, formatted, "<stdin>") if args.diff else formatted)
        return 0
    status, changed, failed = 0, [], []
    for path in criteria_files(args.files):
        text = read_text(path)
        try:
            formatted = format_source(text, path)
        except CompileError as err:
            sys.stdout.write(render_text(err.diagnostics, err.sources))
            failed.append(path)
            continue
        if formatted == text:
            continue
        changed.append(path)
        if args.diff:
            sys.stdout.write(_diff(text, formatted, path))
        elif args.check:
            print(f"would reformat {path}")
        else:
            Path(path).write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    if failed:
        status = 1
    if args.check and changed:
        status = 1
    if args.check and not changed and not failed:
        print(f"{len(criteria_files(args.files))} files already formatted")
    return status


def _diff(old: str, new: str, path: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"{path} (original)", f"{path} (formatted)"))
