"""Instrument presets: named, documented parameter sets (data, not code).

A preset never overrides what the caller sets: ``preset(name, **overrides)``
starts from the preset's values and applies the overrides on top.
"""

from __future__ import annotations

from sim.illumination import Illumination
from sim.raster_scan import RasterScan
from sim.scan_time import ScanTiming
from sim.xray_detector import XrayDetector
from sim.xrf_detector import XrfDetector
from sim.zone_plate import ZonePlate

PRESETS = {
    "txm-synchrotron": (
        "txm",
        # Just above the Co K edge (7.709 keV) for cathode contrast; ~1e4 photons per pixel per view in a
        # ~1 min fly scan of ~1000 views at 50 ms (Ge et al., J. Synchrotron Rad. 25, 1563 (2018)).
        # Camera: 20 µm LuAG:Ce + 10× optics + sCMOS (QE ~0.5 at 8 keV, ~1 px light spread: Martin & Koch,
        # J. Synchrotron Rad. 13, 180 (2006); 1.5 e⁻ read noise); top-up ring, a 3 % beam profile drifting
        # half a pixel over the scan (assumed).
        {"energy_kev": 8.0, "photons_per_pixel": 1.0e4,
         "detector": XrayDetector(quantum_efficiency=0.5, psf_px=1.0, dark_current_e_per_s=0.5, readout_noise_e=1.5,
                                  gain_e_per_photon=5.0),
         "illumination": Illumination(non_uniformity=0.03, correlation_px=30.0, drift_px=0.5),
         "timing": ScanTiming(exposure_s=0.05, readout_s=0.01, mode="fly", n_flats=20, n_darks=20),
         # Au zone plate, D = 160 µm, Δr_N = 25 nm (Rayleigh 1.22·Δr_N = 30.5 nm; f = 25.8 mm at 8 keV), 30 %
         # central stop, 15 % first-order efficiency: hard-X-ray TXMs resolve ~30 nm with such lenses (Chen et al.,
         # Nanotechnology 19, 395302 (2008); efficiency ~10–30 %: Howells, Jacobsen & Warwick 2007, §13.3).
         # Capillary condenser matched to it: a hollow cone filling 0.6–0.9 of the objective's NA, its direct
         # beam inside the pupil, outside the central stop (Zeng et al., Appl. Opt. 47, 2376 (2008)).
         "zone_plate": ZonePlate(diameter_um=160.0, outer_zone_nm=25.0, central_stop_fraction=0.3, efficiency=0.15),
         "condenser_sigma_inner": 0.6, "condenser_sigma_outer": 0.9},
        "synchrotron TXM at 8 keV (above the Co K edge), 25 nm outer-zone zone plate (~30 nm): 1e4 photons/px/view, "
        "50 ms fly scan, sCMOS camera",
    ),
    "txm-lab": (
        "txm",
        # Cr Kα rotating-anode lab TXM at 5.41 keV: ~100× less flux than a synchrotron, so ~1e3 photons per
        # pixel in a 30 s step-scan exposure, a cooled CCD (1 s readout, 5 e⁻ read noise), hours per tomogram
        # (assumed typical of commercial lab TXMs).
        {"energy_kev": 5.41, "photons_per_pixel": 1.0e3,
         "detector": XrayDetector(quantum_efficiency=0.7, psf_px=1.5, dark_current_e_per_s=0.05, readout_noise_e=5.0,
                                  gain_e_per_photon=10.0),
         "illumination": Illumination(non_uniformity=0.05, correlation_px=40.0, drift_px=0.2),
         "timing": ScanTiming(exposure_s=30.0, readout_s=1.0, mode="step", rotation_speed_deg_per_s=10.0,
                              settle_s=0.5),
         # Au zone plate, D = 120 µm, Δr_N = 40 nm (Rayleigh 48.8 nm; f = 20.9 mm at 5.41 keV), 30 % central stop,
         # 15 % efficiency: lab TXMs reach ~50 nm (Tkachuk et al., Z. Kristallogr. 222, 650 (2007): 50 nm at 8 keV
         # with a Cu rotating anode; Howells, Jacobsen & Warwick 2007, §13.3 for the efficiency). Ellipsoidal
         # capillary condenser matched to it: hollow cone 0.6–0.9 of the objective's NA (assumed, as above).
         "zone_plate": ZonePlate(diameter_um=120.0, outer_zone_nm=40.0, central_stop_fraction=0.3, efficiency=0.15),
         "condenser_sigma_inner": 0.6, "condenser_sigma_outer": 0.9},
        "laboratory TXM with a Cr Ka source (5.41 keV), 40 nm outer-zone zone plate (~50 nm): 1e3 photons/px/view, "
        "30 s step scan, cooled CCD",
    ),
    "hxn-nanoprobe": (
        "nanoprobe",
        # Hard X-ray nanoprobe (e.g. HXN at NSLS-II, Nazaretski et al., J. Synchrotron Rad. 24, 1113 (2017);
        # ID16A at the ESRF): 12 keV (above the Co K edge, below the Cu K edge) focused by a Au zone plate of
        # 30 nm outermost zones (Airy FWHM 31 nm; MLLs reach 10-15 nm), ~1e9 photons/s in the focus,
        # 15 nm steps, 50 ms fly scan with 1 s per line for fly-back and arming, 10 s per angle to rotate and
        # re-centre; a 50 mm² SDD at 20 mm at 90° (sim.xrf_detector defaults). A 1.6 µm field at 15 nm is
        # 11 449 points: 180 angles take ~35 h (de Jonge & Vogt, Curr. Opin. Struct. Biol. 20, 606 (2010)).
        # The secondary-source aperture is closed until the demagnified source is ~1/3 of the probe (10 nm),
        # the usual trade of flux for coherence at nanoprobes (assumed; Nazaretski et al. 2017 discuss it).
        {"energy_kev": 12.0, "flux_photons_per_s": 1.0e9, "source_fwhm_nm": 10.0,
         "zone_plate": ZonePlate(diameter_um=160.0, outer_zone_nm=30.0, central_stop_fraction=0.3, efficiency=0.15),
         "scan": RasterScan(field_um=(1.6, 1.6), step_nm=15.0, dwell_s=0.05, mode="fly", overhead_per_line_s=1.0,
                            jitter_nm=2.0),
         "detector": XrfDetector(), "rotation_overhead_s": 10.0},
        "hard X-ray nanoprobe at 12 keV: 30 nm zone plate (~31 nm probe), 1e9 photons/s, 15 nm steps, 50 ms fly "
        "scan; XRF + transmission + DPC + ptychography",
    ),
    "xrf-microprobe": (
        "nanoprobe",
        # X-ray fluorescence microprobe (e.g. APS 2-ID-E, Vogt, J. Phys. IV 104, 635 (2003)): KB mirrors focus
        # 10 keV to a ~250 nm Gaussian-like spot (the projection-level Gaussian shortcut) with ~1e11 photons/s;
        # 100 nm steps, 10 ms fly scan, 0.5 s per line, 5 s per angle: 180 angles of a 1.6 µm field take 47 min, not days.
        {"energy_kev": 10.0, "flux_photons_per_s": 1.0e11, "probe_fwhm_nm": 250.0,
         "scan": RasterScan(field_um=(1.6, 1.6), step_nm=100.0, dwell_s=0.01, mode="fly", overhead_per_line_s=0.5,
                            jitter_nm=10.0),
         "detector": XrfDetector(), "rotation_overhead_s": 5.0, "ptycho_step_nm": 100.0, "ptycho_pixel_nm": 40.0,
         "ptycho_defocus_nm": 0.0, "ptycho_field_um": 1.6},
        "XRF microprobe at 10 keV: KB-focused ~250 nm Gaussian probe, 1e11 photons/s, 100 nm steps, 10 ms fly scan "
        "(under an hour per tomogram)",
    ),
    "stem-200kv-haadf": (
        "stem",
        # Aberration-corrected 200 kV STEM (Cs-corrected probe, ~25 mrad semi-angle, ~0.08 nm probe):
        # nanoscale HAADF tomography of inorganic samples, dose-tolerant, ~1e4 e/Å² per series,
        # standard holder ±70°, HAADF annulus 60–200 mrad.
        {"voltage_kv": 200.0, "convergence_mrad": 25.0, "cs_mm": 0.0, "source_size_nm": 0.05,
         "haadf_inner_mrad": 60.0, "haadf_outer_mrad": 200.0, "dose_total_e_per_a2": 1.0e4, "holder": "standard"},
        "aberration-corrected 200 kV HAADF-STEM, 25 mrad probe, 60-200 mrad annulus, 1e4 e/A^2 per series",
    ),
    "tem-300kv-bf-lowdose": (
        "tem",
        # Cryo/soft-matter bright-field tomography: 300 kV FEG (Cs 2.7 mm, Cc 2.7 mm, 0.7 eV spread),
        # ~100 e/Å² over the whole ±60° series, 2 µm underfocus for phase contrast, counting camera,
        # dose-symmetric acquisition (Hagen et al. 2017) is set by the scheme.
        {"voltage_kv": 300.0, "dose_total_e_per_a2": 100.0, "defocus_nm": 2000.0, "cs_mm": 2.7, "cc_mm": 2.7,
         "energy_spread_ev": 0.7, "objective_aperture_mrad": 10.0, "detector": "counting", "holder": "standard"},
        "300 kV low-dose bright-field TEM (cells, soft matter): 100 e/A^2 total, 2 um underfocus, counting camera",
    ),
    "stem-300kv-atomic": (
        "stem",
        # Atomic-resolution electron tomography of a nanoparticle (e.g. Au, Pt-Fe): aberration-corrected
        # 300 kV probe, 30 mrad, abTEM multislice on an atomic model, 10-20 nm field of view, needle-like
        # free-standing particle on a thin support tilted over ±75° in a high-tilt holder.
        {"voltage_kv": 300.0, "convergence_mrad": 30.0, "cs_mm": 0.0, "source_size_nm": 0.03,
         "haadf_inner_mrad": 70.0, "haadf_outer_mrad": 200.0, "dose_total_e_per_a2": 5.0e4, "pixel_nm": 0.05,
         "holder": "high-tilt", "fidelity": "multislice"},
        "300 kV atomic-resolution HAADF-STEM of a nanoparticle with abTEM (needs nanotomo[electron])",
    ),
}
