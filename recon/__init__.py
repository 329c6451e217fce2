"""Reconstruction methods behind one protocol: ``method(series, **params) -> Volume``.

>>> import recon
>>> sorted(recon.available())
['fbp', 'sirt']
"""

from recon import fbp as _fbp  # noqa: F401  (registers "fbp")
from recon import sirt as _sirt  # noqa: F401  (registers "sirt")
from recon.registry import available, check_params, get, register

__all__ = ["available", "check_params", "get", "register"]
