"""Numba kernels: signed distance bounds of the primitive shapes at many points.

Each kernel takes ``points`` of shape (n, 3) — ``(row, z, x)`` [nm] — and
writes ``out[i]``, the bound at point ``i`` (see :mod:`phantoms.shapes`). One
fused pass per shape, no temporaries. They are serial on purpose: the
rasteriser calls them many times on modest batches, where a parallel launch
(~8 ms with numba's OpenMP layer on a 2-core machine) costs more than the work.
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def sphere(points, center, radius, out):
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        out[i] = math.sqrt(a * a + b * b + c * c) - radius


@njit(cache=True)
def shell(points, center, outer, inner, out):
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        r = math.sqrt(a * a + b * b + c * c)
        out[i] = max(r - outer, inner - r)


@njit(cache=True)
def ellipsoid(points, center, rotation, semi, out):
    scale = min(semi[0], min(semi[1], semi[2]))
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        s = 0.0
        for k in range(3):
            q = (rotation[0, k] * a + rotation[1, k] * b + rotation[2, k] * c) / semi[k]
            s += q * q
        out[i] = scale * (math.sqrt(s) - 1.0)


@njit(cache=True)
def box(points, center, rotation, half, out):
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        outside = 0.0
        largest = -math.inf
        for k in range(3):
            d = abs(rotation[0, k] * a + rotation[1, k] * b + rotation[2, k] * c) - half[k]
            largest = max(largest, d)
            if d > 0.0:
                outside += d * d
        out[i] = math.sqrt(outside) + min(largest, 0.0)


@njit(cache=True)
def slab(points, center, normal, half, out):
    for i in range(points.shape[0]):
        d = (
            normal[0] * (points[i, 0] - center[0])
            + normal[1] * (points[i, 1] - center[1])
            + normal[2] * (points[i, 2] - center[2])
        )
        out[i] = abs(d) - half


@njit(cache=True)
def cylinder(points, center, axis, radius, half_length, out):
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        along = axis[0] * a + axis[1] * b + axis[2] * c
        radial = math.sqrt(max(a * a + b * b + c * c - along * along, 0.0))
        d_r = radial - radius
        d_a = abs(along) - half_length
        out[i] = math.hypot(max(d_r, 0.0), max(d_a, 0.0)) + min(max(d_r, d_a), 0.0)


@njit(cache=True)
def polyhedron(points, center, normals, offsets, out):
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        largest = -math.inf
        for k in range(normals.shape[0]):
            largest = max(largest, normals[k, 0] * a + normals[k, 1] * b + normals[k, 2] * c - offsets[k])
        out[i] = largest


@njit(cache=True)
def siemens_star(points, center, frame, outer, inner, n_spokes, half_length, out):
    period = 2.0 * math.pi / n_spokes
    for i in range(points.shape[0]):
        a = points[i, 0] - center[0]
        b = points[i, 1] - center[1]
        c = points[i, 2] - center[2]
        along = frame[0, 0] * a + frame[1, 0] * b + frame[2, 0] * c
        u = frame[0, 1] * a + frame[1, 1] * b + frame[2, 1] * c
        v = frame[0, 2] * a + frame[1, 2] * b + frame[2, 2] * c
        rho = math.hypot(u, v)
        phi = math.atan2(v, u)
        psi = phi - period * math.floor(phi / period + 0.5)
        spokes = rho * math.sin(abs(psi) - 0.25 * period)
        ring = max(rho - outer, inner - rho)
        out[i] = max(max(spokes, ring), abs(along) - half_length)
