"""Reconstruction methods behind one protocol: ``method(series, **params) -> Volume``.

>>> import recon
>>> {"cgls", "dart", "fbp", "sart", "sirt", "tv"} <= set(recon.available())   # plus any plugins
True
"""

from recon import cgls as _cgls  # noqa: F401  (registers "cgls")
from recon import dart as _dart  # noqa: F401  (registers "dart")
from recon import fbp as _fbp  # noqa: F401  (registers "fbp")
from recon import peers as _peers  # noqa: F401  (registers "astra-fbp", "astra-sirt", "astra-cgls")
from recon import sart as _sart  # noqa: F401  (registers "sart")
from recon import sirt as _sirt  # noqa: F401  (registers "sirt")
from recon import tv as _tv  # noqa: F401  (registers "tv")
from recon.registry import available, check_params, get, register

__all__ = ["available", "check_params", "get", "register"]
