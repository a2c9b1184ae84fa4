"""The engine's version: one place, read by the package, the CLI and (later) decision records."""

__version__ = "0.1.0"
