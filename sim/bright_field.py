"""Bright-field TEM image formation from a projected sample field.

Inputs per view are the projected potential ``V_p`` [V·nm] (phase
``φ = σ·V_p``) and the inelastic optical depth ``a = Σ t_m/λ_in,m`` (the
mean number of inelastic events along each ray, from the projector). The
zero-loss wave leaving the sample is ``ψ = exp(iφ − a/2)``: its intensity
``exp(−a)`` is the zero-loss fraction, the Beer–Lambert law of inelastic
scattering (Egerton, *EELS in the Electron Microscope*, 3rd ed., §3.3).

Two levels of the fidelity ladder are here:

- :func:`linear_image` (``projection``): first order in the fluctuations
  ``δφ``, ``δa`` about the field's mean, the weak-phase / weak-amplitude
  object through the transfer function ``H = A·E·exp(−iχ)`` (summed over
  depth planes, each at its own defocus, when the sample is given in planes)::

      I_zl = exp(−ā)·(1 + 2·F⁻¹[δΦ·sin χ·E·A] − F⁻¹[δA·cos χ·E·A])

  (Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed., §3.4;
  with χ > 0 at high k and underfocus making χ < 0 at low k, positive phase
  images dark).
- :func:`coherent_image` (``wave`` and ``multislice``): ``|F⁻¹[F[ψ]·H]|²``
  for any exit wave ψ, so phase wrapping (φ > 1 rad) and the loss of electrons
  scattered outside the objective aperture appear.

Inelastic electrons (:func:`inelastic_image`): a fraction ``1 − exp(−a)`` of
the beam loses energy ``E_m`` per event (the mean energy loss of Malis et
al.). They lose coherence with the unscattered wave, so they form an
incoherent image of where they were scattered, blurred by chromatic
aberration into a disc of confusion of radius ``C_c·(ΔE/E*)·α`` (α the
objective aperture; Reimer & Kohl, *Transmission Electron Microscopy*, 5th
ed.), which grows with the total loss and so with the path. An
energy filter with a slit of width ``w`` centred on the zero loss removes
them when ``w/2 < E_m`` (the simple model: every inelastic electron loses
``E_m``), leaving only the zero-loss image.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from sim import validate
from sim.dark_field import disc_transfer
from sim.electron_optics import Aberrations, chromatic_focus_shift_nm, ctf, spatial_frequencies


def transfer_function(shape, pixel_nm: float, voltage_kv: float, aberrations: Aberrations, *, aperture_mrad=None,
                      cc_mm: float = 0.0, energy_spread_ev: float = 0.0, convergence_mrad: float = 0.0) -> np.ndarray:
    """The objective lens' complex transfer ``H = A·E_t·E_s·exp(−iχ)`` (unshifted FFT layout).

    See :func:`sim.electron_optics.ctf`; ``convergence_mrad`` here is the
    illumination semi-angle (partial spatial coherence).

    >>> h = transfer_function((8, 8), 0.2, 200.0, Aberrations(defocus_nm=50.0, cs_mm=1.0))
    >>> complex(h[0, 0])
    (1+0j)
    """
    return ctf(shape, pixel_nm, voltage_kv, aberrations, aperture_mrad=aperture_mrad, cc_mm=cc_mm,
               energy_spread_ev=energy_spread_ev, convergence_mrad=convergence_mrad)


def linear_image(phase_rad: np.ndarray, inelastic_depth: np.ndarray, transfer: np.ndarray) -> np.ndarray:
    """Zero-loss intensity (fraction of the incident beam) to first order in the sample's contrast.

    Parameters
    ----------
    phase_rad : ndarray (n_rows, n_cols) or (n_planes, n_rows, n_cols)
        Projected phase ``σ·V_p`` [rad], whole or split into planes at different depths.
    inelastic_depth : ndarray, same shape
        Mean number of inelastic events per electron, ``Σ t/λ_in`` [1].
    transfer : complex ndarray, (n_rows, n_cols) or one per plane
        The lens transfer ``H`` from :func:`transfer_function`; with planes,
        each at that plane's defocus. The image is linear in the sample, so
        the planes' contrasts add (the weak-object image of a thick sample
        with the depth of focus of the objective).

    >>> h = np.ones((4, 4), complex)           # perfect lens in focus: no phase contrast
    >>> float(linear_image(np.full((4, 4), 0.3), np.zeros((4, 4)), h).mean())
    1.0
    """
    phase = np.asarray(phase_rad, np.float64)
    depth = np.asarray(inelastic_depth, np.float64)
    if phase.ndim == 2:
        phase, depth, transfer = phase[None], depth[None], np.asarray(transfer)[None]
    mean_depth = float(depth.sum(axis=0).mean())
    spectrum = np.zeros(phase.shape[1:], np.complex128)
    for plane_phase, plane_depth, plane_transfer in zip(phase, depth, transfer):
        d_phase = scipy.fft.fft2(plane_phase - plane_phase.mean())
        d_depth = scipy.fft.fft2(plane_depth - plane_depth.mean())
        spectrum += 2.0 * d_phase * -plane_transfer.imag - d_depth * plane_transfer.real
    contrast = scipy.fft.ifft2(spectrum).real
    return (np.exp(-mean_depth) * (1.0 + contrast)).astype(np.float32)


def exit_wave(phase_rad: np.ndarray, inelastic_depth: np.ndarray) -> np.ndarray:
    """The zero-loss exit wave of a phase grating, ``exp(iφ − a/2)`` (complex64).

    >>> abs(complex(exit_wave(np.array([[np.pi]]), np.array([[2.0]]))[0, 0]))   # amplitude e^{-1}
    0.36787945...
    """
    phase = np.asarray(phase_rad, np.float64)
    depth = np.asarray(inelastic_depth, np.float64)
    return np.exp(1j * phase - 0.5 * depth).astype(np.complex64)


def coherent_image(wave: np.ndarray, transfer: np.ndarray) -> np.ndarray:
    """Image intensity ``|F⁻¹[F[ψ]·H]|²`` of an exit wave through the lens (float32).

    >>> float(coherent_image(np.ones((4, 4), np.complex64), np.ones((4, 4))).mean())
    1.0
    """
    image = scipy.fft.ifft2(scipy.fft.fft2(wave) * transfer)
    return (image.real**2 + image.imag**2).astype(np.float32)


def inelastic_image(inelastic_depth: np.ndarray, *, pixel_nm: float, voltage_kv: float, cc_mm: float,
                    mean_loss_ev: float, aperture_mrad: float, slit_ev: float | None = None) -> np.ndarray:
    """Intensity carried by inelastically scattered electrons (fraction of the incident beam).

    The electrons scattered inelastically at a point, ``1 − exp(−a)`` of the
    beam, leave the sample spread over the angles the objective aperture
    admits; having lost energy they focus ``Δ = C_c·(ΔE/E)·(1 + E/E₀)/(1 + E/2E₀)``
    away, so each point images as the chromatic disc of confusion of radius
    ``Δ·α`` (Reimer & Kohl, *Transmission Electron Microscopy*, 5th ed.,
    chromatic aberration). ``ΔE`` is the mean total loss of an electron that
    scattered: ``E_m`` times the mean number of events given at least one,
    ``ā/(1 − exp(−ā))`` for Poisson-distributed events with the image's mean
    optical depth ``ā`` — so the blur grows with the path, as at high tilt.

    Parameters
    ----------
    inelastic_depth : ndarray (n_rows, n_cols)
        Mean number of inelastic events per electron, ``Σ t/λ_in``.
    pixel_nm : float
        Pixel size [nm].
    voltage_kv : float
        Accelerating voltage [kV].
    cc_mm : float
        Chromatic aberration coefficient [mm].
    mean_loss_ev : float
        Energy lost per inelastic event [eV] (Malis' ``E_m``).
    aperture_mrad : float
        Largest scattering angle imaged (objective aperture semi-angle) [mrad].
    slit_ev : float, optional
        Energy filter slit width [eV] centred on the zero loss; ``None`` = no
        filter. A slit narrower than ``2·E_m`` removes every inelastic electron.

    >>> image = inelastic_image(np.full((4, 4), 1.0), pixel_nm=1.0, voltage_kv=200.0, cc_mm=2.7,
    ...                         mean_loss_ev=20.0, aperture_mrad=10.0)
    >>> round(float(image[0, 0]), 6)          # 1 − e^{−1}: a uniform field is not blurred
    0.632121
    >>> float(inelastic_image(np.full((4, 4), 1.0), pixel_nm=1.0, voltage_kv=200.0, cc_mm=2.7,
    ...                       mean_loss_ev=20.0, aperture_mrad=10.0, slit_ev=10.0).max())
    0.0
    """
    depth = np.asarray(inelastic_depth, np.float64)
    loss = validate.positive("mean_loss_ev", mean_loss_ev, "eV")
    alpha = validate.positive("aperture_mrad", aperture_mrad, "mrad") * 1e-3
    if slit_ev is not None and 0.5 * validate.non_negative("slit_ev", slit_ev, "eV") < loss:
        return np.zeros(depth.shape, np.float32)
    scattered = -np.expm1(-depth)
    mean_depth = float(depth.mean())
    events = 1.0 if mean_depth < 1e-12 else mean_depth / -np.expm1(-mean_depth)
    radius = chromatic_focus_shift_nm(cc_mm, events * loss, voltage_kv) * alpha
    k_rows, k_cols = spatial_frequencies(depth.shape, pixel_nm)
    transfer = disc_transfer(np.hypot(k_rows, k_cols), radius)
    return scipy.fft.ifft2(scipy.fft.fft2(scattered) * transfer).real.astype(np.float32)
