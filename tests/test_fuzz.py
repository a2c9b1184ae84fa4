"""A short seeded slice of both fuzzers (fuzz/): no exception other than the library's own, every input
answered within its bound, no refused record evaluated. A finding is saved under tmp_path and fails the test."""

import pytest

from fuzz.run import fuzz


@pytest.mark.parametrize("target", ["records", "criteria"])
def test_a_seeded_fuzz_slice_finds_nothing(target, tmp_path):
    result = fuzz(target, seconds=10, seed=8, findings=tmp_path, max_inputs=200)
    assert result["inputs"] > 0
    found = {p: open(p + ".txt").read()[:400] for p in result["findings"]}
    assert not found, found
