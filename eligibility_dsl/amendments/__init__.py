"""`elig diff`: what a protocol amendment changes, criterion by criterion (needs the `diff` extra, z3-solver).

``compare`` matches criteria by id; ``smt`` decides, for each changed one, whether the new version is
equivalent, stricter, looser or neither, with an example; ``search`` tries random records where the
solver's fragment ends; ``patients`` evaluates a folder of records under both versions.
"""
