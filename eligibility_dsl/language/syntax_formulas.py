"""Parse tree to AST for formulas (lang11a): powers `x ^ y` and `function` declarations.

Mixed into ``syntax.ToAst`` (which calls these with ``meta``, and gives ``_span`` and ``_tok_span``)."""

from __future__ import annotations

from lark import Transformer_NonRecursive, v_args

from . import ast as A


@v_args(meta=True)
class FormulaSyntax(Transformer_NonRecursive):
    def power(self, meta, c):
        return A.Power(c[0], c[1], span=self._span(meta))

    def function_decl(self, meta, c):
        return A.FunctionDecl(str(c[0]), tuple(c[1:-1]), c[-1], span=self._span(meta),
                              name_span=self._tok_span(c[0]))

    def function_param(self, meta, c):
        return A.FunctionParam(str(c[0]), c[1], span=self._tok_span(c[0]))
