"""Backends: the checked IR turned into evaluators (``python``; SQL engines in a later step)."""
