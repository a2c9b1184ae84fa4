"""Mutation fuzzers for criteria files and patient records (``python -m fuzz``; see fuzz/README.md).

Properties checked for every input: no exception other than the library's own (a diagnostic, a
``RecordError``/``InputError``, a strict-JSON ``JSONProblem``); an answer within a time bound; a record
the binder refuses is never evaluated. Each input runs in-process under ``signal.setitimer`` (time
bound) in a worker process whose address space is bounded with ``resource.setrlimit``; every crash,
hang or foreign exception is saved under ``fuzz/findings/``.
"""
