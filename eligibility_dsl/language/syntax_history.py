"""Parse tree to AST for the history constructs: queries over event collections, their aggregates and
picks, code-set membership and windows.

Mixed into ``syntax.ToAst`` (which calls these with ``meta``, and gives ``_span`` and ``_tok_span``)."""

from __future__ import annotations

from lark import Transformer_NonRecursive, v_args

from . import ast as A


@v_args(meta=True)
class HistorySyntax(Transformer_NonRecursive):
    # queries over event collections
    def query(self, meta, c):
        collection, codeset, filter_, starting, window = c
        return A.Query(str(collection), str(codeset) if codeset is not None else None, filter_, window,
                       span=self._span(meta), collection_span=self._tok_span(collection), starting=bool(starting))

    def gaps(self, meta, c):
        return c[0]

    def exists(self, meta, c):
        return A.Aggregate("exists", c[0], span=self._span(meta))

    def count(self, meta, c):
        return A.Aggregate("count", c[0], span=self._span(meta))

    def days_on(self, meta, c):
        return A.Aggregate("days_on", c[0], span=self._span(meta))

    def all(self, meta, c):
        return A.All(c[0], c[1], span=self._span(meta))

    def latest(self, meta, c):
        return A.Pick("latest", str(c[0]), c[1], span=self._span(meta))

    def earliest(self, meta, c):
        return A.Pick("earliest", str(c[0]), c[1], span=self._span(meta))

    def stable(self, meta, c):
        return A.Stable(str(c[0]), c[1], c[2], span=self._span(meta))

    def continuous(self, meta, c):
        return A.Stable(None, c[0], c[1], span=self._span(meta))

    def change(self, meta, c):
        return A.Change(str(c[0]), c[1], span=self._span(meta))

    def daily_total(self, meta, c):
        return A.DailyTotal(c[0], c[1], span=self._span(meta))

    def extreme_of(self, meta, c):  # sequences (lang11b); c[0] is the `extreme_word` tree
        return A.Extreme(str(c[0].children[0]), str(c[1]), c[2], span=self._span(meta))

    def item_count(self, meta, c):  # counting over items (lang11b); c[1] is the `item_pick` tree
        return A.ItemCount(c[0], str(c[1].children[0]), c[2], span=self._span(meta))

    def result_is(self, meta, c):
        return A.ResultIs(c[0], str(c[1]), span=self._span(meta), word_span=self._tok_span(c[1]))

    def lookup(self, meta, c):
        return A.Lookup(str(c[0]), c[1], span=self._span(meta))

    def in_codeset(self, meta, c):
        return A.InCodeset(c[0], str(c[1]), span=self._span(meta))

    def not_in_codeset(self, meta, c):
        return A.InCodeset(c[0], str(c[1]), negated=True, span=self._span(meta))

    def window_before(self, meta, c):
        return A.Window("before", length=c[0], anchor=c[1], span=self._span(meta))

    def window_after(self, meta, c):
        return A.Window("after", length=c[0], anchor=c[1], span=self._span(meta))

    def window_ever_before(self, meta, c):
        return A.Window("ever_before", anchor=c[0], span=self._span(meta))

    def window_ever_after(self, meta, c):
        return A.Window("ever_after", anchor=c[0], span=self._span(meta))

    def window_range(self, meta, c):
        return A.Window("range", low=c[0], high=c[1], span=self._span(meta))

    def _bracket(low_closed, high_closed):
        def method(self, meta, c):
            return A.Window("range", low=c[0], high=c[1], low_closed=low_closed, high_closed=high_closed,
                            span=self._span(meta))
        return method

    window_closed = _bracket(True, True)
    window_closed_open = _bracket(True, False)
    window_open_closed = _bracket(False, True)
    window_open = _bracket(False, False)
