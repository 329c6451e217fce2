"""A LiCoO2 cathode particle with dopant-rich domains and a crack network."""

from __future__ import annotations

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.catalog._checks import count, size_range
from phantoms.grid import fit_grid, generator, points_in_ball, seed_record
from phantoms.library import material
from phantoms.painter import Painter
from phantoms.registry import register
from phantoms.shapes import Box, Ellipsoid, Shape, Union, random_directions, random_rotations

DOPANT_PHASES = ("Li2TiO3", "MgO", "LiAlO2")


@register("battery_particle", "LiCoO2 cathode particle (~1.5 µm) with Ti-, Mg- and Al-rich domains and a crack network.")
def battery_particle(
    *,
    diameter_nm=1500.0,
    n_lobes=6,
    n_domains=8,
    domain_size_nm=(60.0, 180.0),
    n_cracks=6,
    crack_width_nm=(20.0, 60.0),
    voxel_nm=13.0,
    supersample=4,
    seed=0,
):
    """LiCoO2 cathode particle (~1.5 µm) with Ti-, Mg- and Al-rich domains and a crack network.

    A secondary particle of layered LiCoO2 (5.05 g/cm³) as used in Li-ion
    cathodes, shaped as a central ellipsoid (semi-axes 78–92 % of the radius)
    fused with ``n_lobes`` smaller ellipsoids (35–55 % of the radius) that
    touch the enclosing sphere of ``diameter_nm``, all randomly oriented. The
    particle fits in that sphere, so the grid depends only on ``diameter_nm``
    and ``voxel_nm`` (1500 nm at 13 nm -> 128³).

    Inside it, ``n_domains`` ellipsoidal domains of each dopant-rich phase, of
    full axis lengths drawn from ``domain_size_nm``, as in Ti–Mg–Al co-doped
    high-voltage LiCoO2 (Zhang et al., Nature Energy 4, 594 (2019)): Li2TiO3
    (3.43 g/cm³) near the surface (Ti segregates there), MgO (3.58) and
    γ-LiAlO2 (2.615) anywhere in the bulk. Then ``n_cracks`` planar voids —
    thin boxes ``crack_width_nm`` wide (20–60 nm, intergranular cracking
    after cycling), 40–90 % of the diameter across, centred within the inner
    30 % of the radius and randomly oriented so that they cross — are cut out.
    ``params`` records the domains actually placed per phase (fewer than
    ``n_domains`` only if the particle is too small to hold them) and the
    crack widths drawn.

    Parameters
    ----------
    diameter_nm : float
        Diameter of the sphere that bounds the particle [nm].
    n_lobes : int
        Number of lobes fused to the core (0: a plain ellipsoid).
    n_domains : int
        Domains per dopant-rich phase.
    domain_size_nm : (float, float)
        Range of the domains' full axis lengths [nm].
    n_cracks : int
        Number of planar cracks.
    crack_width_nm : (float, float)
        Range of crack widths (opening) [nm].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge on surfaces.
    seed : int or numpy.random.Generator
        Source of every random draw.

    Examples
    --------
    >>> p = battery_particle(diameter_nm=600.0, domain_size_nm=(40.0, 100.0), voxel_nm=30.0, seed=1)
    >>> p.shape, p.material_names
    ((22, 22, 22), ('LiCoO2', 'Li2TiO3', 'MgO', 'LiAlO2'))
    >>> bool(p.fraction("LiCoO2").max() == 1.0)
    True
    """
    diameter = validate.positive("diameter_nm", diameter_nm, "nm")
    lobes = count("n_lobes", n_lobes)
    domains = count("n_domains", n_domains)
    domain_lo, domain_hi = size_range("domain_size_nm", domain_size_nm)
    cracks = count("n_cracks", n_cracks)
    crack_lo, crack_hi = size_range("crack_width_nm", crack_width_nm)
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    radius = diameter / 2
    if domain_hi > radius / 2:
        raise ValidationError("domain_size_nm", domain_size_nm, f"lengths <= diameter_nm / 4 = {radius / 2} nm")
    rng = generator(seed)

    body = _body(rng, radius, lobes)
    phases = [material(name) for name in ("LiCoO2", *DOPANT_PHASES)]
    painter = Painter(fit_grid((diameter,) * 3, voxel), voxel, phases, supersample=supersample)
    painter.paint(body, "LiCoO2")
    placed = {}
    for name in DOPANT_PHASES:
        near_surface = name == "Li2TiO3"
        shapes = _domains(rng, body, radius, domains, (domain_lo, domain_hi), near_surface)
        placed[name] = len(shapes)
        for domain in shapes:
            painter.paint(domain, name)
    widths = []
    for crack in _cracks(rng, radius, cracks, (crack_lo, crack_hi)):
        widths.append(crack.size_nm[0])
        painter.paint(crack, None)
    params = {
        "diameter_nm": diameter,
        "n_lobes": lobes,
        "n_domains": domains,
        "domain_size_nm": (domain_lo, domain_hi),
        "n_cracks": cracks,
        "crack_width_nm": (crack_lo, crack_hi),
        "voxel_nm": voxel,
        "supersample": supersample,
        "domains_placed": placed,
        "crack_widths_drawn_nm": widths,
    }
    return painter.phantom("battery_particle", params, seed_record(seed))


def _body(rng: np.random.Generator, radius: float, lobes: int) -> Shape:
    """A core ellipsoid fused with lobes; every part lies inside the sphere of ``radius``."""
    core = Ellipsoid((0, 0, 0), radius * rng.uniform(0.78, 0.92, 3), random_rotations(rng, 1)[0])
    parts = [core]
    rotations = random_rotations(rng, lobes)
    directions = random_directions(rng, lobes)
    for rotation, direction in zip(rotations, directions):
        semi = radius * rng.uniform(0.35, 0.55, 3)
        parts.append(Ellipsoid(direction * (radius - semi.max()), semi, rotation))
    return Union(*parts)


def _domains(rng, body: Shape, radius: float, n: int, sizes, near_surface: bool):
    """``n`` random ellipsoids wholly inside ``body`` (near its surface if asked)."""
    if n == 0:
        return []
    semi = rng.uniform(sizes[0] / 2, sizes[1] / 2, (n, 3))
    rotations = random_rotations(rng, n)
    candidates = points_in_ball(rng, 64 * n, radius)
    depth = -np.asarray(body.sdf(candidates[:, 0], candidates[:, 1], candidates[:, 2]))
    used = np.zeros(len(candidates), dtype=bool)
    out = []
    for i in range(n):
        reach = semi[i].max()
        ok = ~used & (depth >= reach)
        if near_surface:
            ok &= depth <= reach + 0.15 * radius
        choice = np.flatnonzero(ok)
        if choice.size == 0:  # too crowded or too large for this particle: stop here
            break
        used[choice[0]] = True
        out.append(Ellipsoid(candidates[choice[0]], semi[i], rotations[i]))
    return out


def _cracks(rng, radius: float, n: int, widths):
    """``n`` thin randomly oriented boxes (planar voids) through the inner particle."""
    if n == 0:
        return []
    centres = points_in_ball(rng, n, 0.3 * radius)
    rotations = random_rotations(rng, n)
    width = rng.uniform(widths[0], widths[1], n)
    extent = 2 * radius * rng.uniform(0.4, 0.9, (n, 2))
    return [Box(c, (w, e[0], e[1]), r) for c, w, e, r in zip(centres, width, extent, rotations)]
