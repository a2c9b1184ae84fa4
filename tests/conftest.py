"""Test-wide settings: Hypothesis profiles.

- ``ci`` (the default when the CI variable is set): derandomized, so a run is reproducible, and bounded
  so the whole suite stays within a few minutes on two cores.
- ``dev`` (the default otherwise): random, a moderate number of examples.
- ``thorough``: many more examples, for local runs before a release: ``HYPOTHESIS_PROFILE=thorough pytest``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
