"""The named phantoms. Importing this package registers every builder."""

from phantoms.catalog.alcu import alcu_precipitates
from phantoms.catalog.battery import battery_particle
from phantoms.catalog.lamella import lamella
from phantoms.catalog.nanoparticles import kirkendall_nanoparticle, nanoplate, swiss_cheese_nanoparticle
from phantoms.catalog.resolution import resolution_target
from phantoms.catalog.shepp_logan import shepp_logan_3d

__all__ = [
    "alcu_precipitates",
    "battery_particle",
    "kirkendall_nanoparticle",
    "lamella",
    "nanoplate",
    "resolution_target",
    "shepp_logan_3d",
    "swiss_cheese_nanoparticle",
]
