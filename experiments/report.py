"""Self-contained HTML reports of a run folder or a sweep's results store.

:func:`write_run_report` reads the folder :func:`experiments.run.run` wrote
(TXM, electron or nanoprobe) and writes ``report.html`` into it: the scores
table, the acquisition-time breakdown, every PNG of the folder with a
caption, the other JSON results, the spec (and ``spec.toml`` when present)
and the provenance. :func:`write_sweep_report` reads a results store
(``table.parquet``, ``sweep.json``, ``points/``) and writes the trade-off
plots ``sweep_<metric>_vs_<axis>.png`` beside ``report.html``, with the
aggregated table and the spec. :func:`report` (``nanotomo report RESULTS``)
picks the right one from the folder's content.

Every report is one file that opens anywhere, offline: the figures are
embedded as base64 ``data:`` URIs (RFC 2397) and the style sheet is inline;
there is no script and no external resource. Every text taken from the
files is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from sim.errors import ValidationError
from sim.io.atomic import atomic_write
from sim.plot import save, subplots


REPORT_NAME = "report.html"
RUN_FILES = ("metrics.json", "provenance.json")
"""A run folder holds these (:func:`experiments.run.run`)."""
TABLE_COLUMNS = ("point_id", "seed", "method", "metric", "value", "unit")
"""The columns of ``table.parquet`` besides the sweep's axes."""
CAPTIONS = {
    "orthoslices.png": "Central orthogonal slices of the ground truth and of each reconstruction.",
    "fsc.png": "Fourier shell correlation of each reconstruction against the ground truth; "
               "the resolution is where the curve crosses the threshold.",
    "sinogram.png": "Sinogram of one detector row against tilt angle, and the projection at 0°.",
    "tiltseries.png": "Views of the recorded tilt series.",
    "dose_and_shift.png": "Dose per view and stage shift through the acquisition.",
    "acquisition_time.png": "The acquisition time of the tomogram, by part.",
    "element_maps.png": "Element maps of the first view: measured against the truth.",
    "rgb_overlay.png": "Three element maps of the first view overlaid as red, green and blue.",
    "spectra.png": "Counted XRF spectra of a few points of the first view, lines identified.",
    "sinograms.png": "The sinogram of every element.",
    "element_slices.png": "Central row of every element volume: truth, each method, self-absorption-aware.",
    "orthoslices_transmission.png": "Central orthogonal slices of the attenuation reconstructed from the "
                                    "bright-field transmission.",
    "dpc_phase.png": "Phase integrated from differential phase contrast, against the truth.",
    "ptycho_phase.png": "Phase of one view recovered by ptychography, against the truth.",
}
"""Captions of the figures a run writes, in the order the report shows them."""
_OWN_JSON = ("metrics.json", "provenance.json", "acquisition_time.json")
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #444; margin-top: .3em; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .6em; overflow-x: auto; font-size: .85em; }
p.note { color: #555; font-size: .9em; }
"""


def report(path) -> Path:
    """Rebuild the report of a run folder or of a sweep's results store (``nanotomo report``).

    Parameters
    ----------
    path : str or os.PathLike
        A run folder (holding ``metrics.json`` and ``provenance.json``) or a
        results store (holding ``sweep.json`` and ``table.parquet``).

    Returns
    -------
    Path
        The ``report.html`` written into the folder.

    Raises
    ------
    ValidationError
        Naming ``path`` when the folder is missing or is neither.

    Examples
    --------
    >>> report("/no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: path = '/no/such/folder' is not allowed; allowed: an existing folder: a run folder ...
    """
    folder = _folder(path)
    if (folder / "sweep.json").is_file() and ((folder / "table.parquet").is_file() or _point_tables(folder)):
        return write_sweep_report(folder)
    if all((folder / name).is_file() for name in RUN_FILES):
        return write_run_report(folder)
    present = sorted(p.name for p in folder.iterdir())[:8]
    raise ValidationError("path", str(path), "a run folder (metrics.json, provenance.json) or a sweep's results "
                                             f"store (sweep.json, table.parquet); this folder holds {present}")


def write_run_report(run_folder) -> Path:
    """Write ``report.html`` into a run folder and return its path.

    The report holds the scores table (one row per method, or per
    ``element/method`` for the nanoprobe; the unit of each metric in its
    header), the acquisition time by part (``acquisition_time.json``, or for
    the TXM the scan time in the provenance), every PNG of the folder
    embedded with a caption, the other JSON results, the spec (``spec.toml``
    too when the folder holds one), the provenance and the list of files.

    Parameters
    ----------
    run_folder : str or os.PathLike
        A folder written by :func:`experiments.run.run`.

    Returns
    -------
    Path
        ``run_folder / "report.html"``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp)
    ...     score = {"value": 3.5, "unit": "nm", "description": "FSC at 0.5"}
    ...     _ = (folder / "metrics.json").write_text(json.dumps({"fbp": {"fsc_resolution": score}}))
    ...     _ = (folder / "provenance.json").write_text(json.dumps({"spec": {"phantom": "lamella"}}))
    ...     "<td class=\\"num\\">3.5</td>" in write_run_report(folder).read_text()
    True
    """
    folder = _folder(run_folder, "run_folder")
    for name in RUN_FILES:
        if not (folder / name).is_file():
            raise ValidationError("run_folder", str(run_folder), f"a run folder holding {name} (experiments.run.run)")
    scores = _read_json(folder / "metrics.json")
    provenance = _read_json(folder / "provenance.json")
    spec = provenance.get("spec", {})
    sections = [_section("Scores against the ground truth", _scores_table(scores))]
    timing = _acquisition_time(folder, provenance)
    if timing:
        sections.append(_section("Acquisition time", _time_table(timing)))
    figures = [_figure(path, _caption(path.name)) for path in _figure_paths(folder)]
    sections.append(_section("Figures", "".join(figures) or "<p class=\"note\">No figures in this folder.</p>"))
    results = [path for path in sorted(folder.glob("*.json")) if path.name not in _OWN_JSON]
    if results:
        sections.append(_section("Other results", "".join(
            _details(path.name, _pre(json.dumps(_read_json(path), indent=2))) for path in results)))
    sections.append(_spec_section(folder, spec))
    sections.append(_section("Provenance", _details("provenance.json", _pre(json.dumps(provenance, indent=2)))))
    sections.append(_section("Files", _files_table(folder)))
    return _write_html(folder, f"nanotomo run: {folder.name}", _run_summary(spec), sections)


def write_sweep_report(results_folder) -> Path:
    """Write the trade-off plots and ``report.html`` of a sweep's results store; return the HTML's path.

    For each metric and each swept axis with two or more values, the mean
    over seeds with its 95 % confidence interval (Student's t interval of the
    mean, ``t₀.₉₇₅,ₙ₋₁·s/√n``; NIST/SEMATECH e-Handbook of Statistical
    Methods §7.2.2.1) is drawn against the axis, one line per method and per
    combination of the other axes' values, into
    ``sweep_<metric>_vs_<axis>.png`` beside the HTML (a numeric axis spanning
    20× or more is drawn on a log scale; a non-numeric one as categories).
    The report embeds these figures, the table aggregated over seeds
    (n, mean, std, 95 % CI) and the sweep's spec. Non-finite values (stored
    as null) are left out of the means and counted out of ``n``; a point
    with one seed has no error bar. When the table has a ``signal`` column
    with several values (the nanoprobe's elements and transmission), each
    line is a ``signal/method``. A store whose sweep has not finished (no
    ``table.parquet`` yet) is reported from its finished points'
    ``points/<point_id>.parquet``.

    Parameters
    ----------
    results_folder : str or os.PathLike
        The store (:mod:`experiments.sweep`): ``table.parquet`` (columns
        ``point_id``, the axes named in ``sweep.json["axes"]`` except
        ``seed``, ``seed``, optionally ``signal``, ``method``, ``metric``,
        ``value``, ``unit``), ``sweep.json`` (``{"axes": [...], "spec": {...}}``)
        and ``points/<point_id>.h5``.

    Returns
    -------
    Path
        ``results_folder / "report.html"``.

    Examples
    --------
    >>> import json, tempfile, pathlib, pandas as pd
    >>> rows = [("p0", 11, 0, "fbp", "ssim", 0.5, "1"), ("p1", 21, 0, "fbp", "ssim", 0.7, "1")]
    >>> table = pd.DataFrame(rows, columns=["point_id", "scan.n_views", "seed", "method", "metric", "value", "unit"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = pathlib.Path(tmp)
    ...     table.to_parquet(store / "table.parquet")
    ...     _ = (store / "sweep.json").write_text(json.dumps({"axes": ["scan.n_views"], "spec": {}}))
    ...     _ = write_sweep_report(store)
    ...     sorted(p.name for p in store.iterdir())
    ['report.html', 'sweep.json', 'sweep_ssim_vs_scan.n_views.png', 'table.parquet']
    """
    import pandas as pd

    folder = _folder(results_folder, "results_folder")
    finished = (folder / "table.parquet").is_file()
    if not (folder / "sweep.json").is_file() or not (finished or _point_tables(folder)):
        raise ValidationError("results_folder", str(results_folder),
                              "a sweep's results store holding sweep.json and table.parquet (or points/*.parquet)")
    sweep = _read_json(folder / "sweep.json")
    axes = sweep.get("axes") if isinstance(sweep, dict) else None
    if not isinstance(axes, list) or not all(isinstance(a, str) for a in axes):
        raise ValidationError("sweep.json:axes", axes, "a list of the table's axis column names")
    if finished:
        table = pd.read_parquet(folder / "table.parquet")
    else:
        table = pd.concat([pd.read_parquet(path) for path in _point_tables(folder)], ignore_index=True)
    missing = [c for c in (*TABLE_COLUMNS, *(a for a in axes if a != "seed")) if c not in table.columns]
    if missing:
        raise ValidationError("table.parquet", missing,
                              f"present: the columns {list(TABLE_COLUMNS)} and the axes {axes}")
    if "signal" in table.columns and table["signal"].nunique() > 1:
        table = table.assign(method=table["signal"].astype(str) + "/" + table["method"].astype(str))
    plotted = [a for a in axes if a not in ("seed", "method") and table[a].nunique() > 1]
    summary = _aggregate(table, [a for a in axes if a not in ("seed", "method")])
    figures = []
    for metric in summary["metric"].unique():
        rows = summary[summary["metric"] == metric]
        for axis in plotted:
            path = folder / f"sweep_{_safe(metric)}_vs_{_safe(axis)}.png"
            categories = None if pd.api.types.is_numeric_dtype(table[axis]) else list(dict.fromkeys(table[axis]))
            _trade_off_plot(rows, metric, axis, [a for a in plotted if a != axis], categories, path)
            figures.append(_figure(path, f"{metric} against {axis}: mean over seeds with its 95 % confidence interval, "
                                         "one line per method and per value of the other axes."))
    n_points = table["point_id"].nunique()
    stored = len(list((folder / "points").glob("*.h5"))) if (folder / "points").is_dir() else 0
    seeds = sorted(table["seed"].unique().tolist())
    summary_text = (f"{n_points} points over the axes {', '.join(axes) or '(none)'}; methods "
                    f"{', '.join(map(str, table['method'].unique()))}; seeds {seeds}; {stored} point files in points/.")
    if not finished:
        summary_text += " The sweep has not finished: this report shows the finished points only."
    note = "" if plotted else "<p class=\"note\">No axis takes two or more values: nothing to plot.</p>"
    sections = [
        _section("Trade-offs", note + "".join(figures)),
        _section("Aggregated over seeds", _summary_table(summary, [a for a in axes if a not in ("seed", "method")])),
        _spec_section(folder, sweep.get("spec", {})),
    ]
    return _write_html(folder, f"nanotomo sweep: {folder.name}", summary_text, sections)


def _aggregate(table, axes: list[str]):
    """Mean, std, count of finite values and the 95 % CI half-width over seeds, per axes × method × metric."""
    from scipy import stats

    finite = table[np.isfinite(table["value"].astype(float))]
    keys = [*axes, "method", "metric", "unit"]
    grouped = finite.groupby(keys, sort=True, dropna=False)["value"]
    summary = grouped.agg(n="count", mean="mean", std="std").reset_index()
    n = summary["n"].to_numpy()
    quantile = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
    summary["ci95"] = quantile * summary["std"].to_numpy() / np.sqrt(n)
    return summary


def _trade_off_plot(rows, metric: str, axis: str, others: list[str], categories: list | None, path: Path) -> None:
    """One metric against one axis (numeric, or ``categories`` in sweep order): a line per method × other axes."""
    import matplotlib

    unit = rows["unit"].iloc[0]
    numeric = categories is None
    fig, ax = subplots(figsize=(6.4, 4.2))
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    methods = list(dict.fromkeys(rows["method"].tolist()))
    markers = ("o", "s", "^", "D", "v", "P", "X", "*")
    combinations = sorted({tuple(values) for values in rows[others].itertuples(index=False)}) if others else [()]
    for key, line in rows.groupby(["method", *others], sort=True):
        key = key if isinstance(key, tuple) else (key,)
        style = combinations.index(tuple(key[1:]))
        x = line[axis].to_numpy(dtype=float) if numeric else np.array([categories.index(v) for v in line[axis]])
        order = np.argsort(x, kind="stable")
        x, line = x[order], line.iloc[order]
        label = ", ".join([str(key[0]), *(f"{name} = {value}" for name, value in zip(others, key[1:]))])
        ax.errorbar(x, line["mean"], yerr=np.nan_to_num(line["ci95"].to_numpy(dtype=float)), capsize=3,
                    color=colours[methods.index(key[0]) % len(colours)], marker=markers[style % len(markers)],
                    linestyle=("-", "--", ":", "-.")[style % 4], label=label)
    if numeric:
        values = rows[axis].to_numpy(dtype=float)
        if values.min() > 0 and values.max() >= 20 * values.min():
            ax.set_xscale("log")
    else:
        ax.set_xticks(range(len(categories)), [str(c) for c in categories])
    ax.set_xlabel(axis)
    ax.set_ylabel(f"{metric} [{_unit(unit)}]")
    ax.set_title(f"{metric} against {axis} (mean ± 95 % CI over seeds)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)


def _point_tables(folder: Path) -> list[Path]:
    """The finished points' tables of a results store, by name."""
    return sorted((folder / "points").glob("*.parquet")) if (folder / "points").is_dir() else []


def _folder(path, field: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)) or not Path(path).is_dir():
        raise ValidationError(field, str(path), "an existing folder: a run folder (metrics.json, provenance.json) or a "
                                                "sweep's results store (sweep.json, table.parquet)")
    return Path(path)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValidationError(path.name, str(path), f"a readable JSON file ({error})") from None


def _write_html(folder: Path, title: str, summary: str, sections: list[str]) -> Path:
    page = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{_e(title)}</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{_e(title)}</h1>\n<p>{_e(summary)}</p>\n"
            + "\n".join(sections) + "\n</body>\n</html>\n")
    target = folder / REPORT_NAME
    with atomic_write(target) as temp:
        temp.write_text(page, encoding="utf-8")
    return target


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _section(title: str, body: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n{body}\n</section>"


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{_e(summary)}</summary>{body}</details>"


def _pre(text: str) -> str:
    return f"<pre>{_e(text)}</pre>"


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4g}" if isinstance(value, (int, float)) else _e(value)


def _scores_table(scores: dict) -> str:
    """One row per method (or element/method), one column per metric with its unit; descriptions as tooltips."""
    columns: dict[str, dict] = {}
    for per_method in scores.values():
        for name, score in per_method.items():
            columns.setdefault(name, score)
    head = "".join(f"<th title=\"{_e(s.get('description', ''))}\">{_e(name)} [{_e(s.get('unit') or '1')}]</th>"
                   for name, s in columns.items())
    rows = "".join(
        f"<tr><td>{_e(method)}</td>"
        + "".join(f"<td class=\"num\">{_number(per_method.get(name, {}).get('value'))}</td>" for name in columns)
        + "</tr>"
        for method, per_method in scores.items())
    notes = "".join(f"<li><b>{_e(name)}</b>: {_e(s.get('description', ''))}</li>" for name, s in columns.items())
    return f"<table><tr><th>method</th>{head}</tr>{rows}</table><ul class=\"note\">{notes}</ul>"


def _acquisition_time(folder: Path, provenance: dict) -> dict:
    """The time budget [s] by part: ``acquisition_time.json`` (electron, nanoprobe) or the TXM's scan time."""
    if (folder / "acquisition_time.json").is_file():
        return _read_json(folder / "acquisition_time.json")
    series = provenance.get("series", {})
    return series.get("scan_time_s", {}) if isinstance(series, dict) else {}


def _time_table(timing: dict) -> str:
    """Parts (``*_s``) in s, h and % of ``total_s``; the total last; rates (``per_*_s``) below."""
    parts = {k: v for k, v in timing.items() if k.endswith("_s") and k != "total_s" and not k.startswith("per_")}
    total = float(timing.get("total_s", sum(parts.values())))
    rows = []
    for name, seconds in parts.items():
        share = f"{100 * seconds / total:.1f}" if total > 0 else "–"
        rows.append(f"<tr><td>{_e(name[:-2].replace('_', ' '))}</td><td class=\"num\">{seconds:.4g}</td>"
                    f"<td class=\"num\">{seconds / 3600:.3f}</td><td class=\"num\">{share}</td></tr>")
    rows.append(f"<tr class=\"total\"><td>total</td><td class=\"num\">{total:.4g}</td>"
                f"<td class=\"num\">{total / 3600:.3f}</td><td class=\"num\">100</td></tr>")
    rates = "".join(f"<li>{_e(name[:-2].replace('_', ' '))}: {seconds:.4g} s</li>"
                    for name, seconds in timing.items() if name.startswith("per_") and name.endswith("_s"))
    return ("<table><tr><th>part</th><th>time [s]</th><th>time [h]</th><th>share [%]</th></tr>" + "".join(rows)
            + "</table>" + (f"<ul class=\"note\">{rates}</ul>" if rates else ""))


def _figure_paths(folder: Path) -> list[Path]:
    """The folder's PNGs: the known figures in :data:`CAPTIONS` order, then the others by name."""
    order = {name: index for index, name in enumerate(CAPTIONS)}
    return sorted(folder.glob("*.png"), key=lambda p: (order.get(p.name, len(order)), p.name))


def _caption(name: str) -> str:
    return CAPTIONS.get(name, Path(name).stem.replace("_", " ").capitalize() + ".")


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{_e(path.name)}\">"
            f"<figcaption><b>{_e(path.name)}</b>: {_e(caption)}</figcaption></figure>")


def _spec_section(folder: Path, spec) -> str:
    body = _pre(json.dumps(spec, indent=2))
    if (folder / "spec.toml").is_file():
        toml = _pre((folder / "spec.toml").read_text(encoding="utf-8"))
        body = f"<h3>spec.toml</h3>{toml}<h3>resolved</h3>{body}"
    return _section("Spec", body)


def _run_summary(spec: dict) -> str:
    if not spec:
        return ""
    views = f"{spec.get('n_views')} views {spec.get('tilt_min_deg')}…{spec.get('tilt_max_deg')}°"
    return (f"{spec.get('phantom')} on {spec.get('instrument')}, {views} ({spec.get('order')}), methods "
            f"{', '.join(map(str, spec.get('methods', [])))}, seed {spec.get('seed')}.")


def _files_table(folder: Path) -> str:
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and p.name != REPORT_NAME and not p.name.startswith(".")]
    rows = "".join(f"<tr><td>{_e(p.name)}</td><td class=\"num\">{p.stat().st_size / 1024:.1f}</td></tr>" for p in files)
    return f"<table><tr><th>file</th><th>size [KiB]</th></tr>{rows}</table>"


def _summary_table(summary, axes: list[str]) -> str:
    columns = [*axes, "method", "metric"]
    head = ("".join(f"<th>{_e(c)}</th>" for c in columns)
            + "<th>n</th><th>mean</th><th>std</th><th>95 % CI ±</th><th>unit</th>")
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(row[c])}</td>" for c in columns)
        + f"<td class=\"num\">{int(row['n'])}</td>"
        + "".join(f"<td class=\"num\">{_number(float(row[c]))}</td>" for c in ("mean", "std", "ci95"))
        + f"<td>{_e(_unit(row['unit']))}</td></tr>"
        for row in summary.to_dict("records"))
    return f"<table><tr>{head}</tr>{body}</table>"


def _unit(unit) -> str:
    """A unit for display: ``"1"`` for dimensionless (empty, None or NaN in the table)."""
    return unit if isinstance(unit, str) and unit else "1"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))
