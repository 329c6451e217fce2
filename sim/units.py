"""Units of line integrals and of what reconstructs from them: a quantity in ``1/nm^k`` integrates to ``1/nm^(k-1)``.

Projecting multiplies a quantity's unit by nm (the path length), reconstructing divides it by nm again.
Units are the strings the package uses (``"1"``, ``"1/nm"``, ``"1/nm^3"``, ``"g/cm^3"``).
"""

from __future__ import annotations

import re

_PER_NM = re.compile(r"1/nm(?:\^(\d+))?")


def _power(unit: str) -> int | None:
    """``k`` of ``1/nm^k`` (0 for ``"1"`` or ``""``), or None for any other unit."""
    if unit in ("", "1"):
        return 0
    match = _PER_NM.fullmatch(unit)
    if match is None:
        return None
    return int(match.group(1) or 1)


def _per_nm(power: int) -> str:
    return "1" if power == 0 else ("1/nm" if power == 1 else f"1/nm^{power}")


def times_nm(unit: str) -> str:
    """The unit of a line integral of a quantity in ``unit``.

    >>> times_nm("1/nm"), times_nm("1/nm^3"), times_nm("g/cm^3")
    ('1', '1/nm^2', 'g/cm^3·nm')
    """
    power = _power(unit)
    if power is None or power == 0:
        return f"{unit}·nm" if unit not in ("", "1") else "nm"
    return _per_nm(power - 1)


def per_nm(unit: str) -> str:
    """The unit of what reconstructs from line integrals in ``unit``.

    >>> per_nm("1"), per_nm("1/nm^2"), per_nm("g/cm^3·nm"), per_nm("rad")
    ('1/nm', '1/nm^3', 'g/cm^3', '(rad)/nm')
    """
    if unit.endswith("·nm"):
        return unit[: -len("·nm")]
    power = _power(unit)
    if power is None:
        return f"({unit})/nm"
    return _per_nm(power + 1)
