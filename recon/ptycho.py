"""Ptychographic phase retrieval: the extended ptychographic iterative engine (ePIE).

ePIE (Maiden & Rodenburg, Ultramicroscopy 109, 1256 (2009)) visits the scan
positions one at a time in a random order each iteration. At position ``j``
with exit wave ``ψ = P · O_j``:

- replace the far-field modulus by the measured one,
  ``ψ' = F⁻¹{ √I_j · F{ψ} / |F{ψ}| }``;
- update the object window ``O_j += α · P* (ψ' − ψ) / max|P|²``;
- optionally update the probe ``P += β · O_j* (ψ' − ψ) / max|O_j|²``.

Geometry conventions (window corners, centred unitary FFT) are those of
:mod:`sim.ptychography`. The reconstruction is defined up to a global phase,
and, with probe refinement, a complex scale traded between object and probe
and small shifts of both.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator
from sim.ptychography import check_geometry


def epie(patterns, positions_px, probe0, obj_shape, *, n_iter, alpha=1.0, beta=1.0,
         update_probe=True, seed=0):
    """Reconstruct object and probe from far-field ptychographic patterns by ePIE.

    Parameters
    ----------
    patterns : array_like, (n_pos, n, n)
        Measured intensities, zero frequency at the centre
        (:func:`sim.ptychography.diffraction_patterns`) [photons].
    positions_px : array_like, (n_pos, 2)
        Top-left (row, col) of each probe window in the object [px], integral.
    probe0 : array_like, complex, (n, n)
        Initial probe [sqrt(photons)].
    obj_shape : tuple of int
        Shape ``(rows, cols)`` of the object to reconstruct [px]; starts at 1.
    n_iter : int
        Iterations (passes over all positions), >= 1.
    alpha, beta : float
        Object and probe step sizes, in (0, 2] (Maiden & Rodenburg 2009 use 1).
    update_probe : bool
        Refine the probe as well as the object.
    seed : int or numpy.random.Generator
        Seed of the random position order.

    Returns
    -------
    obj : numpy.ndarray, complex128, obj_shape
    probe : numpy.ndarray, complex128, (n, n)
    errors : list of float
        Per iteration, ``Σ (|F{ψ}| − √I)² / Σ I`` over all positions, evaluated
        before each position's update (a normalised Fourier-modulus misfit).

    Examples
    --------
    >>> from sim.ptychography import diffraction_patterns
    >>> probe = np.ones((4, 4), complex)
    >>> pos = [[0, 0], [0, 2], [2, 0], [2, 2]]
    >>> I = diffraction_patterns(np.ones((6, 6), complex), probe, pos)
    >>> obj, p, err = epie(I, pos, probe, (6, 6), n_iter=2, update_probe=False)
    >>> bool(err[-1] < 1e-12)
    True
    """
    patterns = validate.finite_array("patterns", patterns, 3, "(n_pos, n, n)", dtype=np.float64)
    if np.any(patterns < 0):
        raise ValidationError("patterns", "<negative intensities>", "intensities >= 0")
    probe = np.array(probe0, dtype=np.complex128)
    if probe.shape != patterns.shape[1:]:
        raise ValidationError("probe0.shape", probe.shape, f"the pattern shape {patterns.shape[1:]}")
    obj_shape = tuple(int(s) for s in obj_shape)
    corners = check_geometry(obj_shape, probe.shape, positions_px)
    if corners.shape[0] != patterns.shape[0]:
        raise ValidationError("positions_px.shape", corners.shape, f"({patterns.shape[0]}, 2), one per pattern")
    if isinstance(n_iter, (bool, np.bool_)) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    alpha = validate.in_range("alpha", alpha, np.finfo(float).tiny, 2.0)
    beta = validate.in_range("beta", beta, np.finfo(float).tiny, 2.0)
    rng = generator(seed)

    amplitudes = np.sqrt(np.fft.ifftshift(patterns, axes=(-2, -1)))
    total = float(np.sum(patterns)) or 1.0
    obj = np.ones(obj_shape, dtype=np.complex128)
    n = probe.shape[0]
    errors = []
    for _ in range(int(n_iter)):
        misfit = 0.0
        probe_power = float(np.max(np.abs(probe) ** 2))
        for j in rng.permutation(corners.shape[0]):
            r, c = corners[j]
            window = obj[r:r + n, c:c + n]
            psi = probe * window
            far = np.fft.fft2(psi, norm="ortho")
            misfit += _replace_modulus(far, amplitudes[j])
            revised = np.fft.ifft2(far, norm="ortho")
            probe_power = _update(window, probe, psi, revised, alpha, beta, probe_power, update_probe)
        errors.append(misfit / total)
    return obj, probe, errors


@njit(cache=True)
def _replace_modulus(far, amplitude):
    """Set ``|far|`` to ``amplitude`` in place (phase kept); return ``Σ (|far| − amplitude)²``."""
    misfit = 0.0
    for i in range(far.shape[0]):
        for k in range(far.shape[1]):
            value = far[i, k]
            modulus = np.sqrt(value.real * value.real + value.imag * value.imag)
            misfit += (modulus - amplitude[i, k]) ** 2
            scale = amplitude[i, k] / max(modulus, 1e-12)
            far[i, k] = complex(value.real * scale, value.imag * scale)
    return misfit


@njit(cache=True)
def _update(window, probe, psi, revised, alpha, beta, probe_power, update_probe):
    """ePIE object (and probe) update in place; return the new ``max|P|²``."""
    object_power = 1e-300
    if update_probe:
        for i in range(window.shape[0]):
            for k in range(window.shape[1]):
                value = window[i, k]
                object_power = max(object_power, value.real * value.real + value.imag * value.imag)
    object_step = alpha / probe_power
    probe_step = beta / object_power
    new_power = 0.0
    if not update_probe:
        for i in range(window.shape[0]):
            for k in range(window.shape[1]):
                window[i, k] += object_step * (probe[i, k].conjugate() * (revised[i, k] - psi[i, k]))
        return probe_power
    for i in range(window.shape[0]):
        for k in range(window.shape[1]):
            diff = revised[i, k] - psi[i, k]
            old = window[i, k]
            window[i, k] = old + object_step * (probe[i, k].conjugate() * diff)
            value = probe[i, k] + probe_step * (old.conjugate() * diff)
            probe[i, k] = value
            new_power = max(new_power, value.real * value.real + value.imag * value.imag)
    return new_power
