"""HTML reports of runs and sweeps: content, self-containment, escaping, statistics, and rendering in Chromium."""

import base64
import json
import re
import shutil
import subprocess

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from experiments.report import report, write_run_report, write_sweep_report
from experiments.run import RunSpec, run
from sim.errors import ValidationError

TINY_RUN = dict(phantom="kirkendall_nanoparticle", phantom_params={"voxel_nm": 8.0}, n_views=12, methods=("fbp",))
DOSES = (10.0, 30.0, 100.0)
TILTS = (40.0, 60.0, 70.0)
SEEDS = (0, 1, 2)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
IMAGE_CHECK = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  const out = document.createElement("pre");
  out.id = "image-check";
  out.textContent = `images=${images.length} loaded=${loaded}`;
  document.body.appendChild(out);
});
</script>"""
BROKEN_IMAGE = '<img src="data:image/png;base64,bm90IGEgcG5n" alt="broken on purpose">'


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    return run(RunSpec(**TINY_RUN), tmp_path_factory.mktemp("report") / "run", progress=False).out


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory):
    """A results store laid out as experiments.sweep writes it: a known resolution law plus seed noise."""
    folder = tmp_path_factory.mktemp("sweep")
    (folder / "points").mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for point, (dose, tilt, seed) in enumerate((d, t, s) for d in DOSES for t in TILTS for s in SEEDS):
        (folder / "points" / f"p{point:03d}.h5").write_bytes(b"")
        for method, offset in (("fbp", 0.5), ("sirt", 0.0)):
            resolution = 20 / np.sqrt(dose) * 90 / tilt + offset + rng.normal(0, 0.1)
            common = (f"p{point:03d}", dose, tilt, "sequential", seed, "series", method)
            rows.append((*common, "fsc_resolution", resolution, "nm"))
            rows.append((*common, "psnr", np.inf if seed == 2 else 30 - resolution, "dB"))
    columns = ["point_id", "scan.dose_e_per_a2", "scan.tilt_max_deg", "scan.order", "seed", "signal", "method",
               "metric", "value", "unit"]
    table = pd.DataFrame(rows, columns=columns)
    table.to_parquet(folder / "table.parquet")
    axes = ["scan.dose_e_per_a2", "scan.tilt_max_deg", "scan.order", "seed"]
    (folder / "sweep.json").write_text(json.dumps({"axes": axes, "spec": {"phantom": "lamella", "seed": 0}}))
    return folder, table


@pytest.fixture(scope="module")
def sweep_page(sweep_store):
    """The sweep's report, written once for the tests that read it."""
    return write_sweep_report(sweep_store[0]).read_text()


def embedded_images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def assert_self_contained(page: str):
    """Nothing to fetch: no script, no linked style sheet, every src a data: URI."""
    assert "<script" not in page and "<link" not in page
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', page))
    assert "http://" not in page and "https://" not in page


def test_run_report_embeds_every_figure_and_the_scores(run_folder):
    page = write_run_report(run_folder).read_text()
    assert_self_contained(page)
    pngs = sorted(run_folder.glob("*.png"))
    assert {p.name for p in pngs} >= {"orthoslices.png", "sinogram.png", "fsc.png"}
    # byte-exact: the embedded images are the files beside the report, each once
    assert sorted(embedded_images(page)) == sorted(p.read_bytes() for p in pngs)
    assert page.count("<figcaption>") == len(pngs)
    scores = json.loads((run_folder / "metrics.json").read_text())
    row = re.search(r"<tr><td>fbp</td>(.*?)</tr>", page).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == [f"{s['value']:.4g}" for s in scores["fbp"].values()]
    assert "fsc_resolution [nm]" in page
    # the TXM's scan time from the provenance: parts in s, the total last
    scan = json.loads((run_folder / "provenance.json").read_text())["series"]["scan_time_s"]
    total = re.search(r'<tr class="total"><td>total</td><td class="num">([^<]*)</td>', page).group(1)
    assert float(total) == pytest.approx(scan["total_s"], rel=1e-3)  # printed to 4 significant digits
    assert "spec.toml" in page and 'name = &quot;kirkendall_nanoparticle&quot;' in page


def test_acquisition_time_parts_add_up_and_rates_stay_apart(tmp_path):
    """A nanoprobe budget: per_projection_s is a rate, not a part; the parts' shares add up to 100 %."""
    score = {"value": 498.1, "unit": "nm", "description": "FSC"}
    (tmp_path / "metrics.json").write_text(json.dumps({"Co/sirt": {"fsc_resolution": score}}))
    (tmp_path / "provenance.json").write_text(json.dumps({"spec": {}}))
    budget = {"dwell_s": 270.4, "point_overhead_s": 0.0, "line_overhead_s": 208.0, "rotation_s": 80.0,
              "total_s": 558.4, "total_h": 0.1551, "per_projection_s": 59.8}
    (tmp_path / "acquisition_time.json").write_text(json.dumps(budget))
    page = write_run_report(tmp_path).read_text()
    parts = re.findall(r'<tr><td>([a-z ]+)</td><td class="num">([^<]*)</td><td class="num">[^<]*</td>'
                       r'<td class="num">([^<]*)</td></tr>', page)
    assert [name for name, _, _ in parts] == ["dwell", "point overhead", "line overhead", "rotation"]
    assert sum(float(share) for _, _, share in parts) == pytest.approx(100, abs=0.2)  # four shares rounded to 0.1 %
    assert "per projection: 59.8 s" in page
    assert "<td>Co/sirt</td>" in page


def test_run_report_escapes_what_it_reads(tmp_path):
    score = {"value": None, "unit": "<b>", "description": "<script>alert(1)</script>"}
    (tmp_path / "metrics.json").write_text(json.dumps({"a&b": {"psnr": score}}))
    (tmp_path / "provenance.json").write_text(json.dumps({"spec": {"phantom": "</pre><script>"}}))
    page = write_run_report(tmp_path).read_text()
    assert "<script" not in page and "<b>]" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<td>a&amp;b</td>" in page
    assert '<td class="num">–</td>' in page  # a non-finite score (stored as null) shows as a dash


def test_sweep_report_draws_every_metric_against_every_axis(sweep_store, sweep_page):
    folder, _ = sweep_store
    page = sweep_page
    assert_self_contained(page)
    expected = {f"sweep_{metric}_vs_{axis}.png" for metric in ("fsc_resolution", "psnr")
                for axis in ("scan.dose_e_per_a2", "scan.tilt_max_deg")}
    # seed is aggregated over, and "order" takes one value: neither is a plot axis
    assert {p.name for p in folder.glob("sweep_*.png")} == expected
    assert sorted(embedded_images(page)) == sorted((folder / name).read_bytes() for name in expected)
    assert "27 points" in page and "27 point files" in page


def test_sweep_table_is_the_mean_and_student_t_interval_over_seeds(sweep_store, sweep_page):
    _, table = sweep_store
    page = sweep_page
    group = table[(table["scan.dose_e_per_a2"] == 30.0) & (table["scan.tilt_max_deg"] == 60.0)
                  & (table.method == "sirt")]
    values = group[group.metric == "fsc_resolution"]["value"].to_numpy()
    half_width = 4.302652729911275 * values.std(ddof=1) / np.sqrt(3)  # t(0.975, 2 dof), from statistical tables
    row = (r"<tr><td>30\.0</td><td>60\.0</td><td>sequential</td><td>sirt</td><td>fsc_resolution</td>"
           r'<td class="num">3</td>' + "".join(rf'<td class="num">{v:.4g}</td>'.replace(".", r"\.")
                                               for v in (values.mean(), values.std(ddof=1), half_width)))
    assert re.search(row, page)
    # the infinite PSNR of seed 2 is left out: two seeds count
    assert re.search(r"<td>30\.0</td><td>60\.0</td><td>sequential</td><td>sirt</td><td>psnr</td>"
                     r'<td class="num">2</td>', page)


def test_categorical_axis_is_plotted_as_categories(tmp_path):
    rows = [("p0", "sequential", 0, "fbp", "ssim", 0.5, "1"), ("p1", "dose-symmetric", 0, "fbp", "ssim", 0.6, "1")]
    pd.DataFrame(rows, columns=["point_id", "scan.order", "seed", "method", "metric", "value", "unit"]).to_parquet(
        tmp_path / "table.parquet")
    (tmp_path / "sweep.json").write_text(json.dumps({"axes": ["scan.order"], "spec": {}}))
    assert report(tmp_path) == tmp_path / "report.html"  # a results store: report() makes the sweep's
    assert "nanotomo sweep" in (tmp_path / "report.html").read_text()
    assert (tmp_path / "sweep_ssim_vs_scan.order.png").is_file()


def test_unfinished_sweep_is_reported_from_its_points_and_signals_stay_apart(tmp_path):
    """No table.parquet yet: the finished points' tables; two signals are never averaged together."""
    (tmp_path / "points").mkdir()
    for point, views in enumerate((11, 21)):
        rows = [(f"p{point}", views, 0, signal, "sirt", "ssim", value + views / 100, "1")
                for signal, value in (("Co", 0.1), ("transmission", 0.7))]
        pd.DataFrame(rows, columns=["point_id", "scan.n_views", "seed", "signal", "method", "metric", "value",
                                    "unit"]).to_parquet(tmp_path / "points" / f"p{point}.parquet")
    (tmp_path / "sweep.json").write_text(json.dumps({"axes": ["scan.n_views"], "spec": {}}))
    page = report(tmp_path).read_text()
    assert "has not finished" in page
    assert re.search(r'<td>21</td><td>Co/sirt</td><td>ssim</td><td class="num">1</td><td class="num">0\.31</td>', page)
    assert re.search(r'<td>11</td><td>transmission/sirt</td><td>ssim</td><td class="num">1</td>'
                     r'<td class="num">0\.81</td>', page)


def test_sweep_report_reads_the_sweep_engines_store(tmp_path):
    """The contract with experiments.sweep: a real (serial, tiny) sweep's store is reported, every image embedded."""
    from experiments.spec import parse_spec
    from experiments.sweep import sweep

    spec = parse_spec({"phantom": {"name": "nanoplate", "params": {"voxel_nm": 4.0}}, "scan": {"n_views": 11},
                       "methods": {"fbp": {}}, "metrics": ["fsc_resolution"],
                       "sweep": {"axes": {"scan.tilt_max_deg": [40.0, 70.0]}}})
    sweep(spec, tmp_path / "store", scheduler="serial", progress=False)
    page = report(tmp_path / "store").read_text()
    names = {"sweep_fsc_resolution_vs_scan.tilt_max_deg.png", "sweep_time_vs_scan.tilt_max_deg.png"}
    assert {p.name for p in (tmp_path / "store").glob("*.png")} == names
    assert len(embedded_images(page)) == 2 and "2 points" in page


def test_report_dispatches_on_the_folder_and_refuses_anything_else(run_folder, tmp_path):
    assert "nanotomo run" in report(run_folder).read_text()
    for bad in (tmp_path, tmp_path / "missing"):
        with pytest.raises(ValidationError, match="path") as error:
            report(bad)
        assert error.value.field == "path"


def test_sweep_report_names_a_broken_store(sweep_store, tmp_path):
    folder, table = sweep_store
    table.drop(columns="unit").to_parquet(tmp_path / "table.parquet")
    (tmp_path / "sweep.json").write_text(json.dumps({"axes": ["scan.dose_e_per_a2"], "spec": {}}))
    with pytest.raises(ValidationError, match="table.parquet.*unit"):
        write_sweep_report(tmp_path)
    (tmp_path / "sweep.json").write_text(json.dumps({"axes": "dose_e_per_a2"}))
    with pytest.raises(ValidationError, match="sweep.json:axes"):
        write_sweep_report(tmp_path)


def chromium() -> str:
    """The Chromium binary; a missing browser fails the test (CI installs it in .ci/run)."""
    found = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    if found is None:
        pytest.fail(f"no headless browser ({', '.join(CHROMIUM_NAMES)}) on PATH: apt-get install -y chromium")
    return found


def render(page_path, tmp_path, *extra: str) -> str:
    """Headless Chromium on a local file: returns stdout (the DOM with --dump-dom)."""
    result = subprocess.run(
        [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         # no network: a closed machine refuses Chromium's background connections (updates, sync, QUIC)
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
         "--no-first-run", "--virtual-time-budget=5000", *extra, page_path.as_uri()],
        capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def image_counts(report_path, tmp_path) -> tuple[int, int]:
    """(images, images loaded) of a copy of the report with one broken image added, after Chromium's load event."""
    page = report_path.read_text().replace("</body>", f"{BROKEN_IMAGE}\n{IMAGE_CHECK}\n</body>")
    probe = tmp_path / "probe.html"
    probe.write_text(page)
    dom = render(probe, tmp_path, "--dump-dom")
    found = re.search(r'<pre id="image-check">images=(\d+) loaded=(\d+)</pre>', dom)
    assert found, "the load event never fired in Chromium"
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_report_renders_in_chromium_with_every_image_loaded(kind, run_folder, sweep_store, sweep_page, tmp_path):
    folder = run_folder if kind == "run" else sweep_store[0]
    path = write_run_report(folder) if kind == "run" else folder / "report.html"
    pngs = len(list(folder.glob("*.png")))
    # the broken image is counted and not loaded: the check can fail
    assert image_counts(path, tmp_path) == (pngs + 1, pngs)


def test_run_report_screenshot_is_not_blank(run_folder, tmp_path):
    shot = tmp_path / "shot.png"
    render(write_run_report(run_folder), tmp_path, "--window-size=1000,1400", f"--screenshot={shot}")
    pixels = matplotlib.image.imread(shot)[..., :3]
    # a white page would be constant; text, tables and figures make well over 2 % of the pixels non-white
    assert np.mean(pixels.min(axis=-1) < 0.9) > 0.02
