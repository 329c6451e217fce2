"""Adapters that run other packages' reconstructions behind nanotomo's protocol.

Each adapter registers a method ``<peer>-<algorithm>`` and imports its package
only when called, so the registry lists it whether or not the package is
installed; calling it without the package raises :class:`ModuleNotFoundError`
naming the extra to install.
"""

from recon.peers import astra as _astra  # noqa: F401  (registers "astra-fbp", "astra-sirt", "astra-cgls")
from recon.peers import svmbir as _svmbir  # noqa: F401  (registers "svmbir-mbir")
