"""Benchmarks for kpi_engine; each prints its figure and a ratio to a baseline measured in the same
run. Not part of the test suite.

    python benchmarks/run.py            # all
    python benchmarks/run.py formula    # one: formula | unit | batch | load | startup | pool

Figures depend on the machine; compare ratios, and compare runs on the same machine.
"""

from __future__ import annotations

import decimal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from kpi_engine import Engine, load_indicator_set, parse_indicator_set  # noqa: E402
from kpi_engine.formula import ARITHMETIC, Interpreter, compile_formula  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int = 5, number: int = 1000) -> float:
    """Seconds per call: the best of several timed loops (least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def formula() -> None:
    """(a) One formula: ours vs CPython compile()+eval (the floor) vs simpleeval parsed once."""
    import simpleeval

    text = "min(100, spent / budget * 100) if budget > 0 else 0"
    names = {"spent": Decimal("722.38"), "budget": Decimal("760")}
    code = compile(text, "<f>", "eval")
    env = {"min": min, **names}
    floor = best_of(lambda: eval(code, {"__builtins__": {}}, env))
    parsed = simpleeval.SimpleEval(names=names, functions={"min": min})
    tree = parsed.parse(text)
    simple = best_of(lambda: parsed.eval(text, previously_parsed=tree))
    ours_formula = compile_formula(text)
    standalone = Interpreter()
    alone = best_of(lambda: standalone.evaluate(ours_formula, names))
    in_engine = Interpreter(own_context=False)  # as the engine runs it: context entered once
    with decimal.localcontext(ARITHMETIC):
        ours = best_of(lambda: in_engine.evaluate(ours_formula, names))
    print(
        f"formula: CPython eval {floor * 1e6:.2f} µs; simpleeval parsed once "
        f"{simple * 1e6:.2f} µs ({simple / floor:.1f}× floor); kpi_engine compiled "
        f"{ours * 1e6:.2f} µs ({ours / floor:.1f}× floor), {alone * 1e6:.2f} µs standalone "
        f"({alone / floor:.1f}×, entering its Decimal context per call)"
    )


def _thirty() -> tuple[str, dict[str, object]]:
    lines = ["kpi_engine: 1", "id: bench30", "title: 基准30", "kind: project", "inputs:"]
    lines += [f"  x{i}: {{unit: 个}}" for i in range(30)]
    lines += ["indicators:"]
    for g, (name, weight) in enumerate(
        [("产出指标", 50), ("效益指标", 30), ("满意度指标", 10), ("其他", 10)]
    ):
        count = [10, 10, 5, 5][g]
        lines += [f"  - id: g{g}", f"    name: {name}", f"    weight: {weight}", "    children:"]
        base = sum([10, 10, 5, 5][:g])
        share = Decimal(weight) / count
        for i in range(base, base + count):
            lines.append(
                f'      - {{id: i{i}, name: 指标{i}, weight: {share}, target: "≥ 100 个", value: x{i}}}'
            )
    actuals = {"inputs": {f"x{i}": 80 + i for i in range(30)}}
    return "\n".join(lines) + "\n", actuals


def unit() -> None:
    """(b) Scoring one unit of a 30-indicator set, with and without rule packs."""
    text, actuals = _thirty()
    with_rules = Engine(parse_indicator_set(text))
    without = Engine(parse_indicator_set(text.replace("kind: project", "kind: project\nrules: []")))
    a = best_of(lambda: without.evaluate(actuals), number=200)
    b = best_of(lambda: with_rules.evaluate(actuals), number=200)
    print(
        f"unit (30 indicators): {a * 1e3:.2f} ms without rule packs ({30 / a:,.0f} rows/s); "
        f"{b * 1e3:.2f} ms with cn-fiscal ({30 / b:,.0f} rows/s; {b / a:.1f}×)"
    )


def batch(units: int = 100_000) -> None:
    """(c) A batch of units × 30 indicators: wall time and rows per second (no tracing), then
    peak memory for 1× and 4× as many units (traced, so slower): flat means streaming works."""
    text, actuals = _thirty()
    engine = Engine(parse_indicator_set(text.replace("kind: project", "kind: project\nrules: []")))
    base = actuals["inputs"]
    assert isinstance(base, dict)

    def rows(n: int):  # type: ignore[no-untyped-def]
        return ({"inputs": {k: v + (i % 7) for k, v in base.items()}} for i in range(n))

    start = time.perf_counter()
    count = sum(1 for _ in engine.evaluate_many(rows(units)))
    wall = time.perf_counter() - start
    peaks = []
    for n in (500, 2000):
        tracemalloc.start()
        for _ in engine.evaluate_many(rows(n)):
            pass
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    print(
        f"batch: {count:,} units × 30 in {wall:.1f} s = {count * 30 / wall:,.0f} rows/s (one core, "
        f"no rule packs); peak traced memory {peaks[0] / 2**20:.2f} MiB for 500 units, "
        f"{peaks[1] / 2**20:.2f} MiB for 2,000"
    )


def load() -> None:
    """(d) Load + compile the largest shipped set, vs reading its bytes."""
    sets = sorted((ROOT / "indicator_sets").glob("*/set.yaml"), key=lambda p: p.stat().st_size)
    largest = sets[-1]
    read = best_of(largest.read_bytes, number=50)
    full = best_of(lambda: Engine(load_indicator_set(largest)), number=20)
    print(
        f"load+compile {largest.parent.name}: {full * 1e3:.1f} ms ({full / read:,.0f}× reading the file)"
    )


def startup() -> None:
    """(e) `import kpi_engine` and `kpi --help` vs bare `python -c pass`."""

    def run(*args: str) -> float:
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    bare = run("-c", "pass")
    imported = run("-c", "import kpi_engine")
    cli = run("-m", "kpi_engine.cli", "--help")
    print(
        f"startup: python {bare * 1e3:.0f} ms; import kpi_engine +{(imported - bare) * 1e3:.0f} ms; "
        f"kpi --help +{(cli - bare) * 1e3:.0f} ms"
    )


def pool(units: int = 20_000) -> None:
    """(f) `kpi batch` on a CSV of the demo project's units (rule packs on, as shipped): one
    process vs a pool of one worker per core, the same rows written."""
    import csv
    import os
    import tempfile

    demo = ROOT / "indicator_sets" / "project-demo-2024"
    columns = [
        *("unit", "budget_initial", "budget_adjusted", "spent", "samples_done"),
        *("markets_checked", "reports_total", "reports_valid", "nonconforming_found"),
        *("nonconforming_handled", "publish_days", "disposal_days", "accidents"),
        *("respondents", "satisfied", "mechanism.tier"),
    ]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "units.csv"
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for i in range(units):
                writer.writerow(
                    [
                        *(f"u{i}", 800, 800, 700 + i % 100, 3000 + i % 200, 48, 3000),
                        *(2980 - i % 30, 90 + i % 10, 90, 20 + i % 5, 30 + i % 9, 0, 400),
                        *(380 - i % 40, "达成"),
                    ]
                )

        def run(jobs: int) -> tuple[float, bytes]:
            target = Path(folder) / f"out{jobs}.csv"
            start = time.perf_counter()
            command = [sys.executable, "-m", "kpi_engine.cli", "batch", str(demo)]
            command += ["--inputs", str(source), "-o", str(target), "--jobs", str(jobs)]
            subprocess.run(command, check=True, capture_output=True)
            return time.perf_counter() - start, target.read_bytes()

        serial, serial_out = run(1)
        pooled, pooled_out = run(cores)
    assert serial_out == pooled_out, "the pool wrote different rows"
    print(
        f"pool: kpi batch {units:,} units × 12 rows with cn-fiscal: --jobs 1 {serial:.1f} s "
        f"({units * 12 / serial:,.0f} rows/s); --jobs {cores} {pooled:.1f} s "
        f"({serial / pooled:.2f}× faster; same output)"
    )


BENCHMARKS = {
    "formula": formula,
    "unit": unit,
    "batch": batch,
    "load": load,
    "startup": startup,
    "pool": pool,
}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHMARKS):
        BENCHMARKS[name]()
