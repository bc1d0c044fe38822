"""The payload catalogue: every attack on the input and output boundary (issue 12), one test each.

A set file, actuals and batch tables are untrusted input. Each payload must end in a located error
(or that indicator's ``error`` status) within generous bounds of CPU time (``time.process_time``,
never wall-clock time, which flakes under load) and of memory (``tracemalloc``'s peak).
"""

from __future__ import annotations

import functools
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kpi_engine import Engine, IndicatorSet, display, limits
from kpi_engine.cli import main
from kpi_engine.errors import DefinitionError
from kpi_engine.loading import (
    load_actuals,
    load_indicator_set,
    parse_actuals,
    parse_indicator_set,
    read_yaml,
)

from .conftest import DEMO

CPU_SECONDS = 10.0
"""Generous: each payload takes well under a second; a hang or a blow-up takes far longer."""
PEAK_BYTES = 300 * 1024 * 1024


@contextmanager
def bounded(cpu: float = CPU_SECONDS, peak: int = PEAK_BYTES) -> Iterator[None]:
    """The block must stay under ``cpu`` seconds of CPU time and ``peak`` bytes allocated."""
    tracemalloc.start()
    start = time.process_time()
    try:
        yield
    finally:
        used = time.process_time() - start
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert used < cpu, f"{used:.2f} s of CPU time"
        assert top < peak, f"{top / 1e6:.0f} MB at peak"


def refused(call: Callable[[], Any]) -> DefinitionError:
    with bounded(), pytest.raises(DefinitionError) as info:
        call()
    return info.value


def kpi(*args: str) -> int:
    return main(list(args))


SET_TEXT = (DEMO / "set.yaml").read_text(encoding="utf-8")
ACTUALS_TEXT = (DEMO / "actuals.yaml").read_text(encoding="utf-8")


def _with_rules(rules: str) -> str:
    return SET_TEXT.replace("\nindicators:", f"\nrules: {rules}\nindicators:", 1)


@pytest.fixture
def set_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "actuals.yaml").write_text(ACTUALS_TEXT, encoding="utf-8")
    return folder


# --- 1. files a set names stay inside its folder ----------------------------------------------


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../etc/passwd.yaml", "~/x.yaml"])
def test_a_rule_pack_path_outside_the_set_folder_is_refused(set_folder: Path, name: str) -> None:
    (set_folder / "set.yaml").write_text(_with_rules(f"['{name}']"), encoding="utf-8")
    err = refused(lambda: Engine(load_indicator_set(set_folder)))
    assert err.codes == ("file.outside-folder",)
    assert err.issues[0].location is not None
    assert err.issues[0].location.file.endswith("set.yaml")
    assert "root:" not in err.report("en")


def test_a_symlink_leaving_the_set_folder_is_refused(set_folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    (set_folder / "pack.yaml").symlink_to(secret)
    (set_folder / "set.yaml").write_text(_with_rules("[pack.yaml]"), encoding="utf-8")
    err = refused(lambda: Engine(load_indicator_set(set_folder)))
    assert err.codes == ("file.outside-folder",)
    assert "hunter2" not in err.report("zh") + err.report("en")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_rule_pack_that_is_a_fifo_is_not_opened(set_folder: Path) -> None:
    os.mkfifo(set_folder / "pack.yaml")
    (set_folder / "set.yaml").write_text(_with_rules("[pack.yaml]"), encoding="utf-8")
    err = refused(lambda: Engine(load_indicator_set(set_folder)))  # would block if opened
    assert err.codes == ("file.not-regular",)


def test_a_rule_pack_that_is_a_folder_is_refused(set_folder: Path) -> None:
    (set_folder / "pack.yaml").mkdir()
    (set_folder / "set.yaml").write_text(_with_rules("[pack.yaml]"), encoding="utf-8")
    assert refused(lambda: Engine(load_indicator_set(set_folder))).codes == ("file.not-regular",)


def test_a_rule_pack_inside_the_folder_still_loads(set_folder: Path) -> None:
    from .conftest import EXTRA_PACK

    (set_folder / "packs").mkdir()
    (set_folder / "packs" / "extra.yaml").write_text(EXTRA_PACK, encoding="utf-8")
    (set_folder / "set.yaml").write_text(_with_rules("[packs/extra.yaml]"), encoding="utf-8")
    engine = Engine(load_indicator_set(set_folder))
    assert [p.id for p in engine.rule_packs] == ["extra"]


def test_a_set_parsed_from_text_reads_no_file_without_a_base(tmp_path: Path) -> None:
    from .conftest import EXTRA_PACK

    (tmp_path / "extra.yaml").write_text(EXTRA_PACK, encoding="utf-8")
    text = _with_rules("[extra.yaml]")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        err = refused(lambda: Engine(parse_indicator_set(text, "set.yaml")))
    finally:
        os.chdir(cwd)
    assert err.codes == ("rules.no-folder",)
    engine = Engine(parse_indicator_set(text, "set.yaml", base=tmp_path))
    assert [p.id for p in engine.rule_packs] == ["extra"]


def test_a_pack_file_is_echoed_only_as_errors_about_its_own_yaml(set_folder: Path) -> None:
    (set_folder / "pack.yaml").write_text("- secret line one\n- two\n", encoding="utf-8")
    (set_folder / "set.yaml").write_text(_with_rules("[pack.yaml]"), encoding="utf-8")
    err = refused(lambda: Engine(load_indicator_set(set_folder)))
    assert err.codes == ("yaml.not-mapping",)
    assert "secret" not in err.report("zh")


# --- 4. number bombs ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e999999999", "1e-999999999", "1" * 5000, "0e-99999999"])
def test_a_number_bomb_as_an_actual_is_a_located_error(number: str) -> None:
    text = ACTUALS_TEXT.replace("kpi_actuals: 1", f"kpi_actuals: 1\nnot_a_key: {number}", 1)
    err = refused(lambda: parse_actuals(text, "a.yaml"))
    assert "number.too-long" in err.codes
    assert all(len(line) < 400 for line in err.report("zh").splitlines())


def test_a_number_bomb_as_a_weight_is_a_located_error() -> None:
    text = SET_TEXT.replace("scale: 100", "scale: 1e999999999", 1)
    assert "scale: 1e999999999" in text
    err = refused(lambda: parse_indicator_set(text, "s.yaml"))
    assert err.codes == ("number.too-long",)
    quoted = SET_TEXT.replace("scale: 100", 'scale: "1e999999999"', 1)
    assert refused(lambda: parse_indicator_set(quoted, "s.yaml")).codes == ("number.too-long",)


@pytest.mark.slow
def test_a_number_bomb_as_a_target_is_a_located_error() -> None:
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    target = next(x.target for x in engine.compiled.leaves if x.target is not None)
    assert target is not None
    wide = "9" * 60
    text = SET_TEXT.replace(str(target.text), f"≥ {wide}", 1)
    err = refused(lambda: Engine(parse_indicator_set(text, "s.yaml")))
    assert err.codes == ("target.syntax",)
    long_text = SET_TEXT.replace(str(target.text), "≥" + " 1" * 50_000, 1)
    assert refused(lambda: Engine(parse_indicator_set(long_text, "s.yaml"))).codes == (
        "target.syntax",
    )


def test_a_quoted_number_bomb_is_that_indicators_error_status_in_bounded_output() -> None:
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    name = next(iter(engine.compiled.inputs))
    with bounded():
        evaluation = engine.evaluate({"inputs": {name: "1" * 100_000}})
        text = evaluation.to_json()
    assert len(text) < 200_000
    assert any(r.problem_code == "input.too-long" for r in evaluation.indicators) or any(
        f.rule == "data.bad_input" for f in evaluation.flags
    )


def test_integers_past_pythons_conversion_limit_through_the_api() -> None:
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    name = next(iter(engine.compiled.inputs))
    given = {"inputs": {name: 10**5000}}
    with bounded():
        evaluation = engine.evaluate(given)
        text = evaluation.to_json()
    assert given == {"inputs": {name: 10**5000}}  # the caller's data is not changed
    assert len(text) < 200_000
    problems = {r.problem_code for r in evaluation.indicators} | {
        str(f.evidence) for f in evaluation.flags
    }
    assert any("too-long" in str(p) for p in problems)
    assert engine.evaluate({"inputs": {name: Decimal("1e999999999")}}).to_json()
    data = yaml_set_data()
    data["scale"] = 10**5000
    err = refused(lambda: validate_set(data))
    assert err.codes == ("number.too-long",)


def yaml_set_data() -> dict[str, Any]:
    data, _, _ = read_yaml(SET_TEXT, "s.yaml")
    assert isinstance(data, dict)
    return data


def validate_set(data: dict[str, Any]) -> IndicatorSet:
    from kpi_engine.loading import validate
    from kpi_engine.models import SourceMap

    return validate(IndicatorSet, data, SourceMap("<set>", {}, {}))


def test_a_decimal_bomb_in_a_model_built_in_python_is_an_error_status() -> None:
    from kpi_engine.models import Actuals

    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    name = next(iter(engine.compiled.inputs))
    actuals = Actuals.model_construct(inputs={name: Decimal("1e999999999")}, indicators={})
    with bounded():
        text = engine.evaluate(actuals).to_json()
    assert len(text) < 200_000


@pytest.mark.parametrize(
    "value", [Decimal("1e999999999"), Decimal("-1e-999999999"), Decimal(2) ** 400]
)
def test_no_output_expands_a_number_beyond_a_bounded_length(value: Decimal) -> None:
    with bounded():
        shown = [
            display.exact(value),
            display.fixed(value, 2),
            display.trimmed(value, 2),
            display.percent(value, 2),
            display.money(value),
            display.figure(value, 2),
            display.show(value),
            display.show_figures(f"{value} + 1"),
        ]
    assert all(len(str(text)) <= limits.DEFAULT_LIMITS.max_shown_digits + 10 for text in shown), (
        shown
    )


def test_decimal_overflow_and_inexact_mixes_are_error_statuses() -> None:
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    big = "9" * 40
    with bounded():
        evaluation = engine.evaluate(
            {"inputs": dict.fromkeys(engine.compiled.inputs, Decimal(big))}
        )
        evaluation.to_json()
    small = "0." + "0" * 38 + "1"
    with bounded():
        engine.evaluate({"inputs": dict.fromkeys(engine.compiled.inputs, Decimal(small))})


# --- 5. sizes checked before reading --------------------------------------------------------------


def test_an_oversized_set_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    with path.open("wb") as handle:  # sparse: nothing to read, everything to refuse
        handle.truncate(limits.DEFAULT_LIMITS.max_file_bytes * 50)
    err = refused(lambda: load_indicator_set(path))
    assert err.codes == ("yaml.file-too-large",)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_stream_is_read_with_a_byte_cap(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "actuals.yaml"
    os.mkfifo(fifo)
    chunk = b"#" * 65536

    def flood() -> None:
        try:
            with fifo.open("wb") as handle:
                for _ in range(limits.DEFAULT_LIMITS.max_file_bytes // len(chunk) + 64):
                    handle.write(chunk)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    err = refused(lambda: load_actuals(fifo))
    writer.join(timeout=30)
    assert err.codes == ("yaml.file-too-large",)


@pytest.mark.slow
def test_a_billion_laughs_is_refused_and_names_the_limit() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    err = refused(lambda: read_yaml("\n".join(lines), "laughs.yaml"))
    assert err.codes == ("yaml.too-large",)
    assert "kpi_engine.limits.Limits.max_nodes" in err.report("en")


@pytest.mark.slow
def test_a_genuine_set_of_ten_thousand_indicators_loads() -> None:
    lines = ["kpi_engine: 1", "id: big", "title: 大", "scale: 10000", "rules: []", "indicators:"]
    for g in range(100):
        lines += [f"  - id: g{g}", f"    name: 组{g}", "    weight: 100", "    children:"]
        lines += [
            f'      - {{id: i{g}_{i}, name: 指标{g}-{i}, weight: 1, target: "≥ 10 个"}}'
            for i in range(100)
        ]
    with bounded(cpu=60.0, peak=1024 * 1024 * 1024):
        indicator_set = parse_indicator_set("\n".join(lines) + "\n", "big.yaml")
    assert len(Engine(indicator_set).compiled.leaves) == 10_000


# --- 6. no recursion limits -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 20_000])
def test_deep_yaml_is_a_located_error(depth: int) -> None:
    block = "a:\n" + "".join(" " * i + "- \n" for i in range(min(depth, 3_000)))
    for text in ("a: " + "[" * depth, block):
        err = refused(functools.partial(read_yaml, text, "deep.yaml"))
        assert err.codes == ("yaml.too-deep",)
        assert err.issues[0].location is not None


def test_deep_data_through_the_api_is_a_located_error() -> None:
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    assert refused(lambda: engine.evaluate({"inputs": {"x": deep}})).codes == ("yaml.too-deep",)


@pytest.mark.slow
def test_a_chain_of_3000_derived_values_compiles_without_recursion() -> None:
    derived = "\n".join(
        f"  d{i}: {{formula: d{i + 1} + 1}}" if i < 2_999 else f"  d{i}: {{formula: x + 1}}"
        for i in range(3_000)
    )
    text = (
        f"kpi_engine: 1\nid: chain\ntitle: 链\nrules: []\ninputs:\n  x: {{}}\nderived:\n{derived}\n"
    )
    text += 'indicators:\n  - {id: a, name: 甲, weight: 10, target: "≥ 1", value: d0}\n'
    with bounded(cpu=60.0):
        engine = Engine(parse_indicator_set(text, "chain.yaml"))
        evaluation = engine.evaluate({"inputs": {"x": 1}})
    assert engine.compiled.derived[-1][0] == "d0"
    assert evaluation.indicator("a").value == 3_001
    cyclic = text.replace("d2999: {formula: x + 1}", "d2999: {formula: d0 + 1}")
    assert refused(lambda: Engine(parse_indicator_set(cyclic, "chain.yaml"))).codes == (
        "formula.cycle",
    )


# --- 7. control characters and lone surrogates ----------------------------------------------------


@pytest.mark.parametrize("escape", ["\\x00", "\\x1b[31m", "\\ud800", "\\x85", "\\r", "\\x7f"])
def test_control_characters_from_escapes_are_refused_with_a_location(escape: str) -> None:
    text = SET_TEXT.replace("title: ", f'title: "{escape}" # ', 1)
    err = refused(lambda: parse_indicator_set(text, "s.yaml"))
    assert err.codes == ("text.control-character",)
    loc = err.issues[0].location
    assert loc is not None
    assert loc.line > 1


def test_a_control_character_in_a_key_is_refused() -> None:
    err = refused(lambda: parse_actuals('"a\\x00b": 1\n', "k.yaml"))
    assert "text.control-character" in err.codes


def test_text_in_a_definition_through_the_api_is_screened_too() -> None:
    for text in ("\x00", "\ud800", "a\x1bb"):
        data = yaml_set_data()
        data["title"] = text
        assert refused(functools.partial(validate_set, data)).codes == ("text.control-character",)


def test_text_in_actuals_through_the_api_is_data_and_every_writer_copes() -> None:
    from kpi_engine.reports import build_report, render_report_docx, render_score_table

    indicator_set = parse_indicator_set(SET_TEXT, "s.yaml")
    engine = Engine(indicator_set)
    name = next(iter(engine.compiled.inputs))
    leaf = next(x.id for x in engine.compiled.leaves if x.value is None)
    surrogate = {"inputs": {name: "a\ud800"}}
    assert refused(lambda: engine.evaluate(surrogate)).codes == ("text.control-character",)
    for text in ("\x00", "a\x1bb\x0c", "=cmd|' /C calc'!A0"):
        actuals = {"inputs": {name: text}, "indicators": {leaf: {"actual": text, "reason": text}}}
        with bounded():
            evaluation = engine.evaluate(actuals)
            evaluation.to_json()
            render_score_table(indicator_set, evaluation, "zh")
            render_report_docx(build_report(indicator_set, evaluation, "zh"))


def test_tab_and_newline_still_load() -> None:
    text = SET_TEXT.replace("title: ", 'title: "a\\tb\\nc" # ', 1)
    assert "\t" in parse_indicator_set(text, "s.yaml").title


def test_cli_prints_the_located_error(set_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (set_folder / "set.yaml").write_text(_with_rules("['/etc/passwd']"), encoding="utf-8")
    assert kpi("validate", str(set_folder)) == 2
    err = capsys.readouterr().err
    assert "file.outside-folder" in err
    assert "set.yaml:" in err


# --- 5 (continued). batch tables, the JSON kpi diff compares, workbooks ----------------------------


def _compiled() -> Any:
    return Engine(parse_indicator_set(SET_TEXT, "s.yaml")).compiled


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:  # nothing to read, everything to refuse
        handle.truncate(size)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_an_oversized_batch_input_is_refused_before_it_is_read(tmp_path: Path, suffix: str) -> None:
    from kpi_engine.batch import read_rows

    size = limits.DEFAULT_LIMITS.max_batch_bytes + 1
    path = _sparse(tmp_path / f"units{suffix}", size)
    err = refused(lambda: list(read_rows(path, _compiled())))
    assert err.codes == ("file.too-large",)
    assert "Limits.max_batch_bytes" in err.report("en")


def _flood(fifo: Path, first: bytes, line: bytes, total: int) -> Any:
    import threading

    def flood() -> None:
        try:
            with fifo.open("wb") as handle:
                handle.write(first)
                for _ in range(total // len(line) + 1):
                    handle.write(line)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    return writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
def test_a_batch_stream_is_read_with_a_byte_cap(tmp_path: Path, suffix: str) -> None:
    from kpi_engine.batch import read_rows

    fifo = tmp_path / f"units{suffix}"
    os.mkfifo(fifo)
    small = limits.Limits(max_batch_bytes=1024 * 1024)
    first, line = {
        ".csv": (b"unit,spent\n", b"A," + b"1" * 8000 + b"\n"),
        ".jsonl": (b"", b'{"unit": "' + b"A" * 8000 + b'"}\n'),
        ".xlsx": (b"PK\x03\x04", b"\0" * 65536),
    }[suffix]
    writer = _flood(fifo, first, line, 4 * small.max_batch_bytes)
    err = refused(lambda: list(read_rows(fifo, _compiled(), limits=small)))
    writer.join(timeout=30)
    assert err.codes == ("file.too-large",)


def test_the_json_kpi_diff_compares_is_measured_capped_and_depth_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    assert kpi("evaluate", str(DEMO), "--format", "json", "-o", str(good)) == 0
    big = _sparse(tmp_path / "big.json", limits.DEFAULT_LIMITS.max_file_bytes * 20)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    for bad, code in ((big, "file.too-large"), (deep, "diff.unreadable")):
        capsys.readouterr()
        with bounded():
            assert kpi("diff", str(bad), str(good)) == 2
        err = capsys.readouterr().err
        assert code in err
        assert "Traceback" not in err
    from kpi_engine.diff import read_evaluation

    tight = limits.Limits(max_file_bytes=100)
    assert refused(lambda: read_evaluation(good, limits=tight)).codes == ("file.too-large",)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _workbook(path: Path, rows: list[list[Any]]) -> Path:
    import openpyxl  # noqa: TID251 - tests build hostile files with the library itself

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _patched(path: Path, before: bytes, after: bytes) -> Path:
    """``path`` with ``before`` replaced by ``after`` in its first sheet's XML."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert before in members[sheet]
    members[sheet] = members[sheet].replace(before, after, 1)
    return _zip(path, members)


def _both_readers(path: Path) -> list[DefinitionError]:
    """The error from batch reading and from kpi import's reading of the same workbook."""
    from kpi_engine.batch import read_rows
    from kpi_engine.workbooks import read_workbook

    return [
        refused(lambda: list(read_rows(path, _compiled()))),
        refused(lambda: read_workbook(path)),
    ]


def test_an_xlsx_that_is_not_a_zip_is_one_clean_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "text.xlsx"
    text.write_text("unit,spent\nA,1\n", encoding="utf-8")
    other = _zip(tmp_path / "other.xlsx", {"readme.txt": b"not a workbook"})
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(_workbook(tmp_path / "w.xlsx", [["unit"]]).read_bytes()[:-40])
    for path in (text, other, truncated):
        assert [e.codes for e in _both_readers(path)] == [("xlsx.unreadable",)] * 2, path
    out = tmp_path / "out.csv"
    for command in (
        ["batch", str(DEMO), "--inputs", str(text), "-o", str(out)],
        ["import", str(text), "-o", str(tmp_path / "imported")],
    ):
        capsys.readouterr()
        assert kpi(*command) == 2
        err = capsys.readouterr().err
        assert "xlsx.unreadable" in err
        assert "Traceback" not in err


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"\0" * (32 * 1024 * 1024)})
    for err in _both_readers(bomb):
        assert err.codes == ("xlsx.too-large",)
        assert "Limits.max_xlsx_ratio" in err.report("en")


def test_an_archive_unpacking_past_the_limit_is_refused(tmp_path: Path) -> None:
    from kpi_engine.batch import read_rows

    big = _zip(tmp_path / "big.xlsx", {"a.bin": os.urandom(2 * 1024 * 1024)})
    tight = limits.Limits(max_xlsx_unpacked=1024 * 1024)
    err = refused(lambda: list(read_rows(big, _compiled(), limits=tight)))
    assert err.codes == ("xlsx.too-large",)
    assert "Limits.max_xlsx_unpacked" in err.report("en")
    many = _zip(tmp_path / "many.xlsx", {f"m{i}.xml": b"" for i in range(60)})
    err = refused(
        lambda: list(read_rows(many, _compiled(), limits=limits.Limits(max_xlsx_members=50)))
    )
    assert "Limits.max_xlsx_members" in err.report("en")


def test_a_merged_range_bomb_is_refused_before_openpyxl_builds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _workbook(tmp_path / "merged.xlsx", [["一级指标", "二级指标"], ["产出", "数量"]])
    _patched(
        path,
        b"</sheetData>",
        b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
    )
    from kpi_engine.workbooks import read_workbook

    err = refused(lambda: read_workbook(path))
    assert err.codes == ("xlsx.too-large",)
    assert "Limits.max_merged_cells" in err.report("en")
    with bounded():
        assert kpi("import", str(path), "-o", str(tmp_path / "imported")) == 2
    assert "xlsx.too-large" in capsys.readouterr().err


def test_rows_and_columns_read_from_a_sheet_are_bounded(tmp_path: Path) -> None:
    from kpi_engine.batch import read_rows

    path = _workbook(tmp_path / "far.xlsx", [["unit", "spent"], ["A", 1]])
    # A cell a billion rows down and one at the last column: gaps Excel itself cannot hold.
    _patched(
        path,
        b"</sheetData>",
        b'<row r="1000000000"><c r="XFD1000000000" t="inlineStr"><is><t>far</t></is></c></row>'
        b"</sheetData>",
    )
    with bounded():  # the default bound (1,048,576 rows) costs ~0.4 s, ten times that traced
        rows = list(read_rows(path, _compiled(), limits=limits.Limits(max_xlsx_rows=10_000)))
    assert [r.key for r in rows] == ["A", "row 10001"]
    assert "batch.too-many-rows" in rows[-1].actuals["__error__"]


# --- 8. batch never aborts on a bad row -------------------------------------------------------


def test_bad_csv_rows_are_error_records_and_counts_in_equal_counts_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    path = tmp_path / "units.csv"
    lines = [
        b"unit,spent,budget_adjusted",
        b"A,700,760",
        b"B," + b"9" * 200_000 + b",760",  # a field over the csv module's limit
        b"C,700,760,1,2,3",  # more fields than the header
        b"D," + b"x" * (2 * 1024 * 1024) + b",760",  # a line over Limits.max_line_bytes
        b"F,720,760",
        b'G,"7' + b"0" * 200_000 + b'"',  # a quoted field over the limit, at the end
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.csv"
    with bounded():
        assert kpi("batch", str(DEMO), "--inputs", str(path), "-o", str(out)) == 1
    assert "读入 6 个单位，写出 6 行" in capsys.readouterr().err
    with out.open(encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle))
    assert [r["status"] for r in records] == ["ok", "error", "error", "error", "ok", "error"]
    assert [r["unit"] for r in records][:4] == ["A", "row 3", "C", "row 5"]
    errors = " ".join(r["error"] for r in records)
    for code in ("batch.csv", "batch.too-many-fields", "batch.line-too-long"):
        assert code in errors


def test_a_csv_line_not_in_its_encoding_is_that_rows_error(tmp_path: Path) -> None:
    from kpi_engine.batch import read_rows

    path = tmp_path / "units.csv"
    path.write_bytes(b"unit,spent\nA,1\nB,\xff\xfe\nC,2\n")
    rows = list(read_rows(path, _compiled(), encoding="utf-8"))
    assert [r.key for r in rows] == ["A", "row 3", "C"]
    assert "batch.encoding" in rows[1].actuals["__error__"]
    assert refused(lambda: list(read_rows(path, _compiled(), encoding="utf-16"))).codes == (
        "batch.encoding",
    )


def test_bad_json_lines_are_error_records_and_counts_in_equal_counts_out(tmp_path: Path) -> None:
    from kpi_engine.batch import evaluate_rows, read_rows

    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    deep_value: Any = 1
    for _ in range(200):
        deep_value = [deep_value]
    import json

    lines = [
        json.dumps({"unit": "A", "inputs": {"spent": 700}}),
        "[" * 100_000 + "]" * 100_000,  # nested 100,000 deep
        '{"unit": "B", "x": ' * 50_000 + "1" + "}" * 50_000,
        json.dumps({"unit": "C", "inputs": {"spent": deep_value}}),  # deep, yet parses
        json.dumps({"unit": "D", "spnet": 1}),  # an unknown key in one flat line
        json.dumps({"unit": "E", "inputs": {"spent": 720}}),
    ]
    path = tmp_path / "units.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with bounded():
        results = [r for _, r in evaluate_rows(engine, read_rows(path, engine.compiled))]
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["Evaluation", *["UnitFailure"] * 4, "Evaluation"]
    messages = [getattr(r, "message_en", "") for r in results]
    assert "batch.too-deep" in messages[1]
    assert "batch.too-deep" in messages[2]
    assert "yaml.too-deep" in messages[3]
    assert "batch.unknown-column" in messages[4]


assert sys.getrecursionlimit() <= 100_000  # the deep payloads really are deeper than the limit
