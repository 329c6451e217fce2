"""Plot FSC curves against physical spatial frequency, written as a PNG."""

from __future__ import annotations

from pathlib import Path

from metrics.fsc import FSCCurve, threshold_curve
from sim.errors import ValidationError
from sim.plot import figure, save


def plot_fsc(curves: dict[str, FSCCurve], path, *, thresholds=(0.5, 0.143)) -> Path:
    """Draw labelled FSC curves with threshold lines and save them as a PNG.

    The bottom axis is spatial frequency [1/nm]; the top axis labels the same
    ticks as the period ``1/f`` [nm]. A number in ``thresholds`` is drawn as a
    horizontal line; ``"half-bit"`` or ``"one-bit"`` as a dashed curve beside
    each FSC curve (it depends on the voxels per shell). The figure is built
    without pyplot (an Agg canvas), so no window opens and no global figure is
    left behind; the file is written to a temporary name and renamed, so an
    interrupted call never leaves a partial PNG at ``path``.

    Parameters
    ----------
    curves : dict of str to FSCCurve
        Legend label → curve, e.g. ``{"SIRT": fsc(rec, truth)}``; at least one.
    path : str or Path
        Where to write the PNG; its directory must exist.
    thresholds : sequence of float / "half-bit" / "one-bit"
        Threshold lines to draw (may be empty).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> curve = FSCCurve([0.1, 0.2, 0.3], [0.9, 0.6, 0.2], [18, 66, 146], voxel_nm=1.0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = plot_fsc({"test": curve}, pathlib.Path(folder) / "fsc.png")
    ...     out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    if not isinstance(curves, dict) or not curves:
        raise ValidationError("curves", curves, "a non-empty dict of label -> FSCCurve")
    for label, curve in curves.items():
        if not isinstance(curve, FSCCurve):
            raise ValidationError(f"curves[{label!r}]", type(curve).__name__, "an FSCCurve")
    thresholds = tuple(thresholds)
    for threshold in thresholds:
        threshold_curve(threshold, [1])
    path = Path(path)
    if not path.parent.is_dir():
        raise ValidationError("path", str(path), "a file in an existing directory")

    fig = figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    f_max = max(curve.nyquist_per_nm for curve in curves.values())
    for label, curve in curves.items():
        (line,) = ax.plot(curve.freq_per_nm, curve.fsc, marker=".", markersize=3, label=label)
        for threshold in thresholds:
            if isinstance(threshold, str):
                ax.plot(curve.freq_per_nm, curve.threshold(threshold), linestyle="--", linewidth=0.8,
                        color=line.get_color(), label=f"{threshold} ({label})")
    for threshold in thresholds:
        if not isinstance(threshold, str):
            ax.axhline(float(threshold), color="0.4", linestyle=":", linewidth=1.0)
            ax.annotate(f"{float(threshold):g}", (f_max, float(threshold)), xytext=(-2, 2),
                        textcoords="offset points", ha="right", va="bottom", fontsize=8, color="0.3")
    ax.axhline(0.0, color="0.8", linewidth=0.6)
    ax.set_xlim(0.0, f_max)
    ax.set_ylim(min(-0.1, float(min(c.fsc.min() for c in curves.values()))), 1.05)
    ax.set_xlabel("spatial frequency [1/nm]")
    ax.set_ylabel("Fourier shell correlation")
    ax.legend(fontsize=8)

    top = ax.secondary_xaxis("top")
    ticks = [t for t in ax.get_xticks() if 0.0 < t <= f_max * (1 + 1e-9)]
    top.set_xticks(ticks)
    top.set_xticklabels([f"{1.0 / t:.3g}" for t in ticks])
    top.set_xlabel("period 1/f [nm]")

    return save(fig, path, dpi=120)

