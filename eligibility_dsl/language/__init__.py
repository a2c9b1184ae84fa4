"""The language: grammar, parser, AST, the language's types, syntax diagnostics and the import loader."""
