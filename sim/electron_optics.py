"""Electron optics from first principles: wavelength, interaction constant.

Every number follows from the accelerating voltage and CODATA constants
(``scipy.constants``); nothing is tabulated per microscope.

- Relativistic wavelength ``λ = h / sqrt(2 m₀ e V (1 + e V / (2 m₀ c²)))``
  (Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed., eq. 2.5):
  2.5079 pm at 200 kV, 1.9687 pm at 300 kV.
- Interaction constant ``σ = 2π m e λ / h²`` with the relativistic mass
  ``m = γ m₀`` (Kirkland eq. 5.6): the phase [rad] an electron picks up per
  V·nm of projected potential, 7.29e-3 rad/(V·nm) at 200 kV.

Units: voltages in kV at the API, lengths in nm.
"""

from __future__ import annotations

import math

from scipy.constants import c, e, h, m_e

from sim import validate

_NM_PER_M = 1e9


def relativistic_gamma(voltage_kv: float) -> float:
    """Lorentz factor ``γ = 1 + eV / (m₀c²)`` of an electron accelerated through ``voltage_kv``.

    >>> round(relativistic_gamma(200.0), 4)
    1.3914
    """
    voltage_v = validate.positive("voltage_kv", voltage_kv, "kV") * 1e3
    return 1.0 + e * voltage_v / (m_e * c**2)


def wavelength_nm(voltage_kv: float) -> float:
    """Relativistic electron wavelength [nm] at accelerating voltage ``voltage_kv`` [kV].

    >>> round(wavelength_nm(200.0) * 1e3, 4)   # pm
    2.5079
    >>> round(wavelength_nm(300.0) * 1e3, 4)
    1.9687
    """
    voltage_v = validate.positive("voltage_kv", voltage_kv, "kV") * 1e3
    momentum_sq = 2.0 * m_e * e * voltage_v * (1.0 + e * voltage_v / (2.0 * m_e * c**2))
    return h / math.sqrt(momentum_sq) * _NM_PER_M


def interaction_constant(voltage_kv: float) -> float:
    """Interaction constant σ [rad/(V·nm)]: phase shift per unit projected potential.

    ``σ = 2π γ m₀ e λ / h²``; multiply by a projected potential in V·nm to get
    the phase in radians.

    >>> round(interaction_constant(200.0), 5)
    0.00729
    """
    gamma = relativistic_gamma(voltage_kv)
    wavelength_m = wavelength_nm(voltage_kv) / _NM_PER_M
    sigma_per_v_m = 2.0 * math.pi * gamma * m_e * e * wavelength_m / h**2
    return sigma_per_v_m / _NM_PER_M
