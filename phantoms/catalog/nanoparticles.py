"""Ni–Co oxide nanoparticles: a Kirkendall hollow shell, a "Swiss cheese" particle, a faceted plate."""

from __future__ import annotations

import math

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count, size_range
from phantoms.grid import extent_of, fit_grid, generator, points_in_ball, seed_record
from phantoms.library import material
from phantoms.painter import Painter
from phantoms.registry import register
from phantoms.shapes import FacetedPlate, Sphere, random_directions

NIO_CO_O = ("NiO", "CoO")
ROCKSALT_BEVEL_DEG = math.degrees(math.acos(1 / math.sqrt(3)))
"""Angle between {100} and (111) planes of a cubic crystal, 54.74° [deg]."""


@register("kirkendall_nanoparticle", "Hollow NiO/CoO shell around an off-centre void (Kirkendall oxidation of Ni-Co), ~80 nm.")
def kirkendall_nanoparticle(
    *,
    diameter_nm=80.0,
    shell_thickness_nm=16.0,
    coo_thickness_nm=5.0,
    void_offset_nm=4.0,
    voxel_nm=1.0,
    supersample=4,
    seed=0,
):
    """Hollow NiO/CoO shell around an off-centre void (Kirkendall oxidation of Ni-Co), ~80 nm.

    Oxidising a Ni–Co alloy particle moves metal cations outwards through the
    growing oxide faster than oxygen moves in, so vacancies condense into a
    central void (the nanoscale Kirkendall effect; Yin et al., Science 304,
    711 (2004); Railsback et al., ACS Nano 4, 1913 (2010) for Ni → NiO). Co
    diffuses faster than Ni in the rock-salt oxide, so the outer part of the
    shell is Co-rich. Model: a sphere of ``diameter_nm``; an outer CoO layer
    (6.44 g/cm³) ``coo_thickness_nm`` thick; NiO (6.67 g/cm³) beneath it; a
    spherical void of radius ``diameter_nm/2 − shell_thickness_nm`` displaced
    by ``void_offset_nm`` in a random direction (voids are rarely centred), so
    the NiO layer is thinner on one side.

    Parameters
    ----------
    diameter_nm : float
        Outer diameter [nm].
    shell_thickness_nm : float
        Mean oxide shell thickness (CoO + NiO) [nm].
    coo_thickness_nm : float
        Thickness of the outer CoO layer [nm].
    void_offset_nm : float
        Distance of the void centre from the particle centre [nm]; at most
        ``shell_thickness_nm − coo_thickness_nm`` so the NiO layer stays closed.
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Draws the direction of the void offset.

    Examples
    --------
    >>> p = kirkendall_nanoparticle(diameter_nm=40.0, shell_thickness_nm=10.0, coo_thickness_nm=3.0,
    ...                             void_offset_nm=2.0, voxel_nm=2.0)
    >>> p.shape, p.material_names
    ((22, 22, 22), ('NiO', 'CoO'))
    >>> float(p.fractions[:, 11, 11, 11].sum())          # the centre is void
    0.0
    """
    diameter = validate.positive("diameter_nm", diameter_nm, "nm")
    radius = diameter / 2
    shell = validate.in_range("shell_thickness_nm", shell_thickness_nm, 0.0, radius, "nm")
    if not 0 < shell < radius:
        raise ValidationError("shell_thickness_nm", shell_thickness_nm, f"in (0, {radius}) nm (less than the radius)")
    coo = validate.in_range("coo_thickness_nm", coo_thickness_nm, 0.0, shell, "nm")
    if not 0 < coo < shell:
        raise ValidationError("coo_thickness_nm", coo_thickness_nm, f"in (0, {shell}) nm (less than the shell)")
    offset = validate.in_range("void_offset_nm", void_offset_nm, 0.0, shell - coo, "nm")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    rng = generator(seed)
    direction = random_directions(rng, 1)[0]

    painter = Painter(fit_grid((diameter,) * 3, voxel), voxel, [material(n) for n in NIO_CO_O], supersample=supersample)
    painter.paint(Sphere((0, 0, 0), radius), "CoO")
    painter.paint(Sphere((0, 0, 0), radius - coo), "NiO")
    painter.paint(Sphere(direction * offset, radius - shell), None)
    params = {
        "diameter_nm": diameter,
        "shell_thickness_nm": shell,
        "coo_thickness_nm": coo,
        "void_offset_nm": offset,
        "voxel_nm": voxel,
        "supersample": supersample,
        "void_radius_nm": radius - shell,
        "void_center_nm": tuple(float(v) for v in direction * offset),
    }
    return painter.phantom("kirkendall_nanoparticle", params, seed_record(seed))


@register("swiss_cheese_nanoparticle", "NiO particle riddled with pores, CoO layers on every pore and on the outer surface.")
def swiss_cheese_nanoparticle(
    *,
    diameter_nm=100.0,
    n_pores=60,
    pore_radius_nm=(3.0, 9.0),
    pore_coating_nm=1.5,
    surface_coating_nm=2.5,
    voxel_nm=1.0,
    supersample=4,
    seed=0,
):
    """NiO particle riddled with pores, CoO layers on every pore and on the outer surface.

    A porous ("Swiss cheese") NiO sphere (6.67 g/cm³) of ``diameter_nm`` with
    ``n_pores`` spherical pores (radii drawn from ``pore_radius_nm``; they may
    overlap into channels), as left by partial oxidation or reduction of
    Ni–Co particles. Co segregates to free surfaces, so every pore is lined
    with CoO (6.44 g/cm³) ``pore_coating_nm`` thick and the particle carries
    an outer CoO skin ``surface_coating_nm`` thick. Each pore with its lining
    lies wholly inside the NiO core.

    Parameters
    ----------
    diameter_nm : float
        Outer diameter [nm].
    n_pores : int
        Number of pores.
    pore_radius_nm : (float, float)
        Range of pore radii [nm].
    pore_coating_nm : float
        CoO lining thickness on the pore walls [nm].
    surface_coating_nm : float
        CoO skin thickness on the outer surface [nm].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Draws pore sizes and positions.

    Examples
    --------
    >>> p = swiss_cheese_nanoparticle(diameter_nm=40.0, n_pores=5, voxel_nm=2.0, seed=3)
    >>> p.shape, p.material_names
    ((22, 22, 22), ('NiO', 'CoO'))
    >>> len(p.params["pores"])
    5
    """
    diameter = validate.positive("diameter_nm", diameter_nm, "nm")
    radius = diameter / 2
    pores = count("n_pores", n_pores)
    r_lo, r_hi = size_range("pore_radius_nm", pore_radius_nm)
    lining = validate.positive("pore_coating_nm", pore_coating_nm, "nm")
    skin = validate.positive("surface_coating_nm", surface_coating_nm, "nm")
    room = radius - skin - lining - r_hi
    if room <= 0:
        raise ValidationError(
            "pore_radius_nm", pore_radius_nm,
            f"largest radius < diameter_nm/2 − surface_coating_nm − pore_coating_nm = {radius - skin - lining} nm",
        )
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    rng = generator(seed)
    radii = rng.uniform(r_lo, r_hi, pores)
    centres = points_in_ball(rng, pores, 1.0) * (radius - skin - lining - radii)[:, None]

    painter = Painter(fit_grid((diameter,) * 3, voxel), voxel, [material(n) for n in NIO_CO_O], supersample=supersample)
    painter.paint(Sphere((0, 0, 0), radius), "CoO")
    painter.paint(Sphere((0, 0, 0), radius - skin), "NiO")
    for c, r in zip(centres, radii):
        painter.paint(Sphere(c, r + lining), "CoO")
    for c, r in zip(centres, radii):
        painter.paint(Sphere(c, r), None)
    params = {
        "diameter_nm": diameter,
        "n_pores": pores,
        "pore_radius_nm": (r_lo, r_hi),
        "pore_coating_nm": lining,
        "surface_coating_nm": skin,
        "voxel_nm": voxel,
        "supersample": supersample,
        "pores": [(tuple(float(v) for v in c), float(r)) for c, r in zip(centres, radii)],
    }
    return painter.phantom("swiss_cheese_nanoparticle", params, seed_record(seed))


@register("nanoplate", "NiO hexagonal nanoplate with bevelled knife-edge sides, lying flat (normal along z).")
def nanoplate(
    *,
    width_nm=120.0,
    thickness_nm=20.0,
    bevel_deg=ROCKSALT_BEVEL_DEG,
    in_plane_deg=0.0,
    voxel_nm=1.0,
    supersample=4,
    seed=0,
):
    """NiO hexagonal nanoplate with bevelled knife-edge sides, lying flat (normal along z).

    NiO nanoplates grown from β-Ni(OH)2 hexagons are (111)-oriented rock-salt
    plates, typically 50–500 nm across and 10–50 nm thick, whose sides are
    {100} facets. A (111) plate bounded by {100} facets has sides inclined at
    arccos(1/√3) = 54.74° to the basal plane, which is the default
    ``bevel_deg``; here each side is two such facets, one from each basal
    face, meeting in a knife edge in the mid-plane (a symmetric idealisation of
    the alternating {100} truncations). NiO, 6.67 g/cm³.

    The plate lies in the row–x plane with its normal along z (face-on at 0°
    tilt); the grid is the smallest box holding it (+10 %), so it is thin
    along z.

    Parameters
    ----------
    width_nm : float
        Flat-to-flat width of the hexagon in the mid-plane [nm].
    thickness_nm : float
        Plate thickness [nm].
    bevel_deg : float
        Angle between each edge facet and the basal plane [deg] (90: straight sides).
    in_plane_deg : float
        Turn of the hexagon about the plate normal [deg].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int
        Recorded only (the plate is deterministic).

    Examples
    --------
    >>> p = nanoplate(width_nm=60.0, thickness_nm=10.0, voxel_nm=2.0)
    >>> p.shape
    (40, 6, 34)
    >>> round(float(p.fractions.sum()) * 8 / p.params["volume_nm3"], 2)
    1.0
    """
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    plate = FacetedPlate((0, 0, 0), width_nm, thickness_nm, bevel_deg, normal=(0, 1, 0), in_plane_deg=in_plane_deg)
    painter = Painter(fit_grid(extent_of(plate), voxel), voxel, [material("NiO")], supersample=supersample)
    painter.paint(plate, "NiO")
    params = {
        "width_nm": plate.width_nm,
        "thickness_nm": plate.thickness_nm,
        "bevel_deg": plate.bevel_deg,
        "in_plane_deg": float(in_plane_deg),
        "voxel_nm": voxel,
        "supersample": supersample,
        "volume_nm3": plate.volume_nm3,
    }
    return painter.phantom("nanoplate", params, seed_record(seed))
