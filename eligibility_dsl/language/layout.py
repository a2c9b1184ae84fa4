"""A small Wadler-style pretty printer: documents of text, line breaks, groups and indentation.

The formatter (``format.py``) builds a document from the parse tree; ``render(doc, width)`` lays it out.
A :class:`Group` is printed flat (its lines as spaces) when it fits in the rest of the line, else broken
(its lines as newlines); groups nested inside a broken one decide for themselves. Comments are part of the
document: a trailing comment ends its line, a leading comment stands on lines of its own. A group that
holds a comment anywhere but at its very end can never be flat (the comment would swallow what follows).

Everything here is iterative: an expression may nest a hundred levels, and nothing walks it recursively.
"""

from __future__ import annotations

__all__ = ["Align", "BlankLine", "Concat", "Group", "HardLine", "Leading", "Line", "Nest", "Text", "Trailing",
           "concat", "render"]


class Doc:
    __slots__ = ("ends_comment", "hard", "starts_comment")

    def __init__(self, hard: bool = False, ends_comment: bool = False, starts_comment: bool = False):
        # A forced break (other than comments leading its first token or trailing its last one): a
        # group around it cannot be flat.
        self.hard = hard
        self.ends_comment = ends_comment  # its last piece is a trailing comment
        self.starts_comment = starts_comment  # its first piece is a leading comment


class Text(Doc):
    __slots__ = ("text",)

    def __init__(self, text: str):
        super().__init__()
        self.text = text


class Space(Doc):
    """One space, written only if text follows on the same line."""

    __slots__ = ()


SPACE = Space()


class Line(Doc):
    """A space when its group is flat, a newline (at the current indentation) when broken."""

    __slots__ = ()


class HardLine(Doc):
    """Always a newline."""

    __slots__ = ()

    def __init__(self):
        super().__init__(hard=True)


class BlankLine(Doc):
    """Always a newline with an empty line before it."""

    __slots__ = ()

    def __init__(self):
        super().__init__(hard=True)


class Trailing(Doc):
    """A comment at the end of the line of the token before it; what follows starts a new line."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        super().__init__(ends_comment=True)
        self.text = text


class Leading(Doc):
    """Comments on lines of their own before the token that follows, at the current indentation."""

    __slots__ = ("texts",)

    def __init__(self, texts: tuple[str, ...]):
        super().__init__(starts_comment=True)
        self.texts = texts


class Concat(Doc):
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Doc, ...]):
        hard = (any(p.hard for p in parts) or any(p.ends_comment for p in parts[:-1])
                or any(p.starts_comment for p in parts[1:]))
        super().__init__(hard, bool(parts) and parts[-1].ends_comment, bool(parts) and parts[0].starts_comment)
        self.parts = parts


class Nest(Doc):
    """Its lines indent ``by`` more than the enclosing indentation."""

    __slots__ = ("by", "doc")

    def __init__(self, by: int, doc: Doc):
        super().__init__(doc.hard, doc.ends_comment, doc.starts_comment)
        self.by, self.doc = by, doc


class Align(Doc):
    """Its lines indent to the column where it starts."""

    __slots__ = ("doc",)

    def __init__(self, doc: Doc):
        super().__init__(doc.hard, doc.ends_comment, doc.starts_comment)
        self.doc = doc


class Group(Doc):
    """Flat when it fits, else broken. A ``fill`` group is one of a row of optional breaks (a query's
    clauses): a group before it counts only up to it, as if it broke, so each breaks only if it must."""

    __slots__ = ("doc", "fill")

    def __init__(self, doc: Doc, fill: bool = False):
        super().__init__(doc.hard, doc.ends_comment, doc.starts_comment)
        self.doc, self.fill = doc, fill


def concat(*parts: Doc | str | None) -> Doc:
    """Parts in order (strings become Text, None is left out); nested concatenations are flattened."""
    flat: list[Doc] = []
    for p in parts:
        if p is None:
            continue
        if isinstance(p, str):
            if p == " ":
                flat.append(SPACE)
            elif p:
                flat.append(Text(p))
        elif isinstance(p, Concat):
            flat.extend(p.parts)
        else:
            flat.append(p)
    return flat[0] if len(flat) == 1 else Concat(tuple(flat))


_FLAT, _BREAK = False, True


class _Out:
    """Text written lazily: spaces and newlines wait for the next text, so no line ends in spaces and
    two breaks in a row make one."""

    def __init__(self):
        self.chunks: list[str] = []
        self.column = 0
        self.newline: int | None = None  # indentation of a pending newline
        self.blank = False  # the pending newline leaves an empty line before it
        self.space = False

    def text(self, s: str) -> None:
        if self.newline is not None:
            self.chunks.append("\n\n" if self.blank else "\n")
            self.chunks.append(" " * self.newline)
            self.column, self.newline, self.blank, self.space = self.newline, None, False, False
        elif self.space and self.chunks:
            self.chunks.append(" ")
            self.column += 1
        self.space = False
        self.chunks.append(s)
        self.column += len(s)

    def break_line(self, indent: int, blank: bool = False) -> None:
        if not self.chunks:
            return
        self.newline, self.space = indent, False
        self.blank = self.blank or blank

    def start_column(self) -> int:
        """The column the next text would start at."""
        if self.newline is not None:
            return self.newline
        return self.column + (1 if self.space else 0)

    def at_line_start(self) -> bool:
        return self.newline is not None or not self.chunks


def _fits(doc: Doc, indent: int, rest: list, width: int, total: int) -> bool:
    """Whether ``doc`` printed flat, and what follows it up to the next line break, fits in ``width``
    (a comment leading ``doc`` puts it on a new line, ``total`` wide)."""
    stack = [(indent, _FLAT, doc)]
    rest_at = len(rest)
    started = False
    while width >= 0:
        if not stack:
            if rest_at == 0:
                return True
            rest_at -= 1
            if isinstance(rest[rest_at][2], Group) and rest[rest_at][2].fill:
                return True
            stack.append(rest[rest_at])
        ind, mode, d = stack.pop()
        if isinstance(d, Leading) and not started:
            width = total - ind
        elif isinstance(d, Text):
            started = True
            width -= len(d.text)
        elif isinstance(d, Space):
            width -= 1
        elif isinstance(d, Line):
            if mode is _BREAK:
                return True
            width -= 1
            started = True
        elif isinstance(d, HardLine | BlankLine | Trailing | Leading):
            return True
        elif isinstance(d, Concat):
            stack.extend((ind, mode, p) for p in reversed(d.parts))
        elif isinstance(d, Nest | Align):
            stack.append((ind, mode, d.doc))
        elif isinstance(d, Group):
            stack.append((ind, mode if mode is _FLAT else (_BREAK if d.hard else _FLAT), d.doc))
    return False


def render(doc: Doc, width: int = 100) -> str:
    out = _Out()
    stack: list[tuple[int, bool, Doc]] = [(0, _BREAK, doc)]
    while stack:
        indent, mode, d = stack.pop()
        if isinstance(d, Text):
            out.text(d.text)
        elif isinstance(d, Space):
            out.space = not out.at_line_start()
        elif isinstance(d, Line):
            if mode is _BREAK:
                out.break_line(indent)
            else:
                out.space = not out.at_line_start()
        elif isinstance(d, HardLine):
            out.break_line(indent)
        elif isinstance(d, BlankLine):
            out.break_line(indent, blank=True)
        elif isinstance(d, Trailing):
            out.space = False
            out.text("  " + d.text)
            out.break_line(indent)
        elif isinstance(d, Leading):
            if not out.at_line_start():
                out.break_line(indent)
            for text in d.texts:
                out.text(text)
                out.break_line(indent)
        elif isinstance(d, Concat):
            stack.extend((indent, mode, p) for p in reversed(d.parts))
        elif isinstance(d, Nest):
            stack.append((indent + d.by, mode, d.doc))
        elif isinstance(d, Align):
            stack.append((out.start_column(), mode, d.doc))
        elif isinstance(d, Group):
            if mode is _FLAT:
                stack.append((indent, _FLAT, d.doc))
            else:
                flat = not d.hard and _fits(d.doc, indent, stack, width - out.start_column(), width)
                stack.append((indent, _FLAT if flat else _BREAK, d.doc))
    text = "".join(out.chunks)
    return text + "\n" if text else ""
