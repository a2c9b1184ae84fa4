"""The SQL backend: the checked IR as sqlglot expression trees, run on DuckDB (embedded) or Spark SQL.

Stages, one module each: ``schema`` (the event tables and loading records into them), ``values`` (three-valued
truths and intervals), ``expressions`` (scalar rules, constants folded in Python), ``queries`` (event
collections, code sets, coverage, scores), ``criteria`` (the whole trial as one SELECT), ``dialect`` (what
differs between engines), ``execute`` (running it and turning result rows into screening rows).
"""

from .criteria import UNSUPPORTED, CompiledSql, SqlCompileError, compile_trial

__all__ = ["UNSUPPORTED", "CompiledSql", "SqlCompileError", "compile_trial"]
