"""limits: the width of a number written out (computed the fast way, equal to the definition), and
the one immutable record of bounds, :class:`~kpi_engine.limits.Limits`."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_engine import DefinitionError, Engine, Evaluation, limits, parse_indicator_set
from kpi_engine.limits import DEFAULT_LIMITS, Limits, current, number_width, using
from kpi_engine.loading import load_indicator_set, read_yaml
from kpi_engine.targets import TargetSyntaxError, parse_target

from .conftest import DEMO


def _by_definition(value: Decimal) -> int:
    if not value.is_finite():
        return 0
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent + 1)


@given(st.integers(-(10**30), 10**30), st.integers(-40, 40))
def test_number_width_is_the_digits_written_out(coefficient: int, exponent: int) -> None:
    """Whatever form str() picks (plain or with an exponent), the width is the digits counted
    from the number's sign, digits and exponent."""
    value = Decimal(coefficient).scaleb(exponent)
    assert number_width(value) == _by_definition(value)


def test_number_width_of_edge_forms() -> None:
    """Negative zero with places, NaN and infinity, tiny and huge exponents."""
    for text in ("-0.000", "0", "1E+3", "0.005", "-12.30", "1E-7", "1e999999999"):
        assert number_width(Decimal(text)) == _by_definition(Decimal(text)), text
    assert number_width(Decimal("NaN")) == number_width(Decimal("-Infinity")) == 0


# --- the Limits record ------------------------------------------------------------------------

SET_TEXT = (DEMO / "set.yaml").read_text(encoding="utf-8")


def test_limits_are_one_immutable_record_of_positive_integers() -> None:
    """An embedder cannot change the defaults under everyone's feet, nor pass a nonsense bound."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS.max_file_bytes = 1  # type: ignore[misc]
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_nodes"):
            Limits(max_nodes=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError), using({"max_nodes": 1}):  # type: ignore[arg-type]
        pass


def test_the_old_module_constants_are_gone() -> None:
    """One place to look: the mutable constants the record replaced do not linger (setting one
    would silently do nothing)."""
    import kpi_engine.display
    import kpi_engine.loading
    import kpi_engine.targets

    assert not hasattr(limits, "MAX_NUMBER_DIGITS")
    assert not hasattr(limits, "MAX_FILE_BYTES")
    assert not hasattr(kpi_engine.loading, "MAX_NODES")
    assert not hasattr(kpi_engine.display, "MAX_SHOWN_DIGITS")
    assert not hasattr(kpi_engine.targets, "MAX_TARGET_CHARS")


def test_using_puts_limits_in_force_for_the_block_only() -> None:
    wider = Limits(max_number_digits=60)
    with using(wider):
        assert current() is wider
        with using(None):
            assert current() is wider
    assert current() is DEFAULT_LIMITS


def test_a_loader_given_limits_reads_by_them_and_leaves_the_defaults(tmp_path: Path) -> None:
    """load_indicator_set(..., limits=) raises or lowers a bound for that call alone."""
    wide = "1" + "0" * 49  # 50 digits: over the default 40
    text = SET_TEXT.replace("scale: 100", f"scale: {wide}", 1)
    with pytest.raises(DefinitionError) as info:
        parse_indicator_set(text, "s.yaml")
    assert info.value.codes == ("number.too-long",)
    assert "Limits.max_number_digits" in info.value.report("en")
    assert parse_indicator_set(text, "s.yaml", limits=Limits(max_number_digits=60)).scale == int(
        wide
    )
    path = tmp_path / "set.yaml"
    path.write_text(SET_TEXT, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_indicator_set(path, limits=Limits(max_file_bytes=100))
    assert info.value.codes == ("yaml.file-too-large",)
    assert "Limits.max_file_bytes" in info.value.report("en")
    assert load_indicator_set(path).id == "project-demo-2024"  # the default is untouched


def test_alias_and_target_bounds_come_from_the_record() -> None:
    laughs = "a: &a [x, x, x]\nb: [*a, *a, *a, *a]\n"
    assert read_yaml(laughs, "l.yaml")[0]["b"][0] == ["x", "x", "x"]
    with pytest.raises(DefinitionError) as info, using(Limits(max_nodes=3)):
        read_yaml(laughs, "l.yaml")
    assert "Limits.max_nodes" in info.value.report("en")
    with using(Limits(max_target_chars=5)), pytest.raises(TargetSyntaxError):
        parse_target("≥ 3000 批次")
    assert parse_target("≥ 3000 批次").value == 3000


def test_shown_digits_come_from_the_record() -> None:
    from kpi_engine.display import exact

    value = Decimal(10) ** 50
    assert "E" not in exact(value)
    with using(Limits(max_shown_digits=20)):
        assert "E+50" in exact(value)


def test_batch_workers_read_and_evaluate_under_the_setup_limits(tmp_path: Path) -> None:
    """The limits a batch runs under reach the worker processes with the WorkerSetup: a
    number wider than the tightened bound is an error status there as here."""
    from kpi_engine.batch import UnitRow, WorkerSetup, evaluate_rows

    tight = Limits(max_number_digits=5)
    engine = Engine(parse_indicator_set(SET_TEXT, "s.yaml"))
    rows = [UnitRow(f"u{i}", "app", {"inputs": {"spent": Decimal("1234567")}}) for i in range(3)]
    setup = WorkerSetup(SET_TEXT, "s.yaml", limits=tight)
    serial = list(evaluate_rows(engine, rows, setup=setup))
    pooled = list(evaluate_rows(engine, rows, jobs=2, setup=setup, chunk=1))
    assert pooled == serial
    codes = {r.problem_code for _, e in serial if isinstance(e, Evaluation) for r in e.indicators}
    assert "input.too-long" in codes
    loose = [r for _, r in evaluate_rows(engine, rows)]
    assert all(isinstance(e, Evaluation) for e in loose)
    assert "input.too-long" not in {r.problem_code for e in loose for r in e.indicators}  # type: ignore[union-attr]
