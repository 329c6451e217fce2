"""Test configuration: hypothesis runs derandomised under CI, so a landing never hinges on a lucky draw.

Locally the examples are random (and failures are stored in .hypothesis/ to be replayed).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
