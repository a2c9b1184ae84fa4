"""The language server behind `elig lsp` (needs the `lsp` extra: pygls and lsprotocol).

``index`` and ``features`` are plain Python over the checker (testable alone); ``server`` wires them
to the Language Server Protocol.
"""
