"""The kpi command: outputs, exit codes and error format."""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path

import pytest

from kpi_engine.cli import main

BAD_SET = """\
kpi_engine: 1
id: bad
title: 错误示例
indicators:
  - id: a
    name: 甲
    wieght: 10
  - id: b
    name: 乙
    target: ">= 1"
"""


def test_evaluate_prints_the_table(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`kpi evaluate DIR` uses DIR/actuals.yaml and prints the table; exit 0."""
    assert main(["evaluate", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "总分 96.93 / 100" in out


def test_evaluate_json_follows_the_contract(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format json prints the JSON contract."""
    assert main(["evaluate", str(demo_dir), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == "96.93"
    assert data["grade"] == "优"


def test_evaluate_markdown_in_english(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format markdown --lang en."""
    assert main(["evaluate", str(demo_dir), "--format", "markdown", "--lang", "en"]) == 0
    assert "## How each score was reached" in capsys.readouterr().out


def test_definition_errors_exit_2_with_located_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Problems go to stderr as file:line:col: code: message; exit code 2."""
    path = tmp_path / "set.yaml"
    path.write_text(BAD_SET, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:7:5: schema.unknown-key: 未知字段 'wieght'，是否想写必填字段 'weight'？",
        f"{path}:8:5: schema.missing-key: 缺少必填字段 'weight'",
    ]


def test_validate_accepts_a_good_set(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate checks the set (and the actuals beside it) and says so."""
    assert main(["validate", str(demo_dir), str(demo_dir / "actuals.yaml")]) == 0
    assert "通过" in capsys.readouterr().out
    assert main(["validate", str(demo_dir), "--lang", "en"]) == 0
    assert "OK:" in capsys.readouterr().out


def test_fail_on_sets_exit_code_1_when_flags_reach_the_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing actual raises a warning flag: --fail-on warning exits 1, --fail-on error 0."""
    set_path = tmp_path / "set.yaml"
    set_path.write_text(
        "kpi_engine: 1\nid: s\ntitle: 测试\nindicators:\n  - {id: a, name: 甲, weight: 5, target: 1}\n"
        "  - {id: b, name: 乙, weight: 5, target: 1}\n",
        encoding="utf-8",
    )
    actuals = tmp_path / "actuals.yaml"
    actuals.write_text("indicators:\n  a: {actual: 1}\n", encoding="utf-8")
    assert main(["evaluate", str(set_path), str(actuals), "--fail-on", "warning"]) == 1
    assert main(["evaluate", str(set_path), str(actuals), "--fail-on", "error"]) == 0
    capsys.readouterr()


def test_evaluate_without_actuals_warns_and_still_runs(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set file alone evaluates with every quantitative row missing, and says so."""
    assert main(["evaluate", str(demo_dir / "set.yaml")]) == 0
    captured = capsys.readouterr()
    assert "未提供实际值" in captured.err
    assert "缺少数据" in captured.out


def test_output_file_is_written_whole(demo_dir: Path, tmp_path: Path) -> None:
    """-o writes the file in one piece and leaves no temporary files behind."""
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    assert main(["evaluate", str(demo_dir), "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["set"] == "project-demo-2024"
    assert [p.name for p in out.parent.iterdir()] == ["result.json"]


def test_output_into_a_missing_folder_is_refused_not_created(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o out/x.json where out/ does not exist: a clean output.no-folder and exit 2, and no
    folder made (issue 12: outputs go only where the user said; this used to create out/)."""
    out = tmp_path / "out" / "result.json"
    assert main(["evaluate", str(demo_dir), "--format", "json", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "output.no-folder" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_schema_is_generated_from_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    """kpi schema prints the JSON Schema of sets; --actuals that of actuals."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "IndicatorSet"
    assert "indicators" in schema["properties"]
    assert main(["schema", "--actuals"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Actuals"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown commands and options are usage errors (exit 2)."""
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    capsys.readouterr()


def test_unknown_actuals_names_exit_2(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the actuals stops evaluation with a located message."""
    actuals = tmp_path / "actuals.yaml"
    actuals.write_text("inputs:\n  spnet: 1\n", encoding="utf-8")
    assert main(["evaluate", str(demo_dir), str(actuals)]) == 2
    assert f"{actuals}:2:3: actuals.unknown-input" in capsys.readouterr().err


def test_lint_in_english_titles_and_lists_in_english(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--lang en: the set's English title, then the English flag list."""
    assert main(["lint", str(demo_dir), "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2024 food safety sampling project — expenditure performance self-evaluation"
    assert out[2] == "Problems found:"


def test_lint_checks_structure_without_actuals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kpi lint` lists structural flags grouped by severity; --fail-on warning exits 1."""
    path = tmp_path / "set.yaml"
    path.write_text(
        "kpi_engine: 1\nid: s\ntitle: 精细化不足的示例\ngoals: 持续提升服务水平\nindicators:\n"
        "  - {id: a, name: 工作成效, weight: 100, kind: qualitative, target: 效果明显}\n",
        encoding="utf-8",
    )
    assert main(["lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "警告（" in out
    assert "末级指标仅 1 个，少于 3 个" in out
    assert "措辞模糊（效果明显）" in out
    assert main(["lint", str(path), "--fail-on", "warning"]) == 1
    capsys.readouterr()
    assert main(["lint", str(path), "--format", "json", "--lang", "en"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {f["rule"] for f in data["flags"]} >= {
        "granularity.too_few_leaves",
        "granularity.vague_target",
    }


def test_extra_rule_packs_from_the_command_line(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--rules FILE adds a pack; its flags appear in the JSON output."""
    pack = tmp_path / "extra.yaml"
    pack.write_text(
        "kpi_rulepack: 1\nid: extra\ntitle: 额外\nrules:\n"
        "  - {id: extra.any, problem: 示例, problem_en: demo, severity: info, scope: set,"
        " when: leaf_count > 0, message: '共 {leaf_count} 个', message_en: '{leaf_count} leaves'}\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(demo_dir), "--format", "json", "--rules", str(pack)]) == 0
    flags = json.loads(capsys.readouterr().out)["flags"]
    assert {"rule": "extra.any", "message": "共 12 个"}.items() <= next(
        f for f in flags if f["rule"] == "extra.any"
    ).items()


def test_evaluate_lists_flags_in_english(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--lang en prints flag messages in English."""
    assert main(["evaluate", str(demo_dir), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "warning (" in out
    assert "reported 5, the scoring rule gives 4.25" in out


SEED_DIR = Path(__file__).resolve().parent.parent / "indicator_sets" / "gz-haizhu-amr-2023"


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_report_writes_each_format(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kpi report --format md|html|docx -o FILE writes a complete file."""
    out = tmp_path / f"report.{fmt}"
    assert main(["report", str(SEED_DIR), "--format", fmt, "-o", str(out)]) == 0
    data = out.read_bytes()
    if fmt == "docx":
        assert data[:2] == b"PK"
    else:
        assert "三、存在的主要问题" in data.decode("utf-8")
    capsys.readouterr()


def test_report_markdown_to_stdout_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    """Without -o, text formats go to standard output."""
    assert main(["report", str(SEED_DIR), "--lang", "en"]) == 0
    assert "## 4. Next steps" in capsys.readouterr().out


def test_table_writes_the_score_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kpi table SET -o FILE writes an .xlsx workbook."""
    out = tmp_path / "score-table.xlsx"
    assert main(["table", str(SEED_DIR), "-o", str(out)]) == 0
    import openpyxl  # noqa: TID251 - tests build and read files with the library itself

    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["绩效自评表", "kpi_engine"]  # the second carries ids for kpi import
    assert book["kpi_engine"].sheet_state == "veryHidden"
    assert str(out) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("library", "command"),
    [
        ("openpyxl", ["table", str(SEED_DIR)]),
        ("jinja2", ["report", str(SEED_DIR), "--format", "html"]),
        ("docx", ["report", str(SEED_DIR), "--format", "docx"]),
    ],
)
def test_missing_report_extra_is_explained(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    library: str,
    command: list[str],
) -> None:
    """Without an optional library the command exits 2 and names the extra to install."""
    from .test_layering import without

    without(monkeypatch, library)
    assert main([*command, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'kpi_engine[reports]'" in err
    assert not (tmp_path / "out").exists()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    demo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """If the final rename fails, the previous output is untouched and no partial file remains."""
    import os

    out = tmp_path / "result.json"
    out.write_text("previous", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    # A clean message and exit 2 (issue 12), not a traceback.
    assert main(["evaluate", str(demo_dir), "--format", "json", "-o", str(out)]) == 2
    assert "output.unwritable" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_inputs_are_never_modified(demo_dir: Path, tmp_path: Path) -> None:
    """Running every command leaves the set and actuals files byte for byte as they were."""
    import shutil

    work = tmp_path / "set"
    shutil.copytree(demo_dir, work)
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    for args in (
        ["validate", str(work)],
        ["evaluate", str(work)],
        ["lint", str(work)],
        ["report", str(work), "-o", str(tmp_path / "r.md")],
        ["table", str(work), "-o", str(tmp_path / "t.xlsx")],
    ):
        main(args)
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    from kpi_engine.cli import _parser

    def below(
        name: str, parser: argparse.ArgumentParser
    ) -> list[tuple[str, argparse.ArgumentParser]]:
        found = [(name, parser)]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child, sub in dict.fromkeys(action.choices.items()):
                    found += below(f"{name} {child}", sub)
        return found

    return below("kpi", _parser())


def test_help_is_complete_in_both_languages() -> None:
    """Every command and every option says what it does in Chinese and in English
    ("中文 / English"), argparse's own -h included."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    missing = []
    for name, parser in _parsers():
        for action in parser._actions:
            texts = [action.help or ""]
            if isinstance(action, argparse._SubParsersAction):
                texts = [choice.help or "" for choice in action._choices_actions]
            for text in texts:
                if text == argparse.SUPPRESS:
                    continue
                zh, _, en = text.partition("/ ")
                if not (cjk.search(zh) and re.search(r"[A-Za-z]{3}", en) and not cjk.search(en)):
                    missing.append(f"{name} {action.option_strings or action.dest}: {text!r}")
    assert missing == []


def test_argparse_own_words_are_said_in_both_languages_on_every_command() -> None:
    """用法 / usage, 位置参数 / positional arguments and 选项 / options on every help page, sub-sub
    commands (kpi history list) included."""
    for name, parser in _parsers():
        text = parser.format_help()
        assert text.startswith("用法 / usage: "), name
        assert "\noptions:" not in text, name
        assert "选项 / options:" in text, name


def test_python_dash_m_runs_the_command() -> None:
    """`python -m kpi_engine` is the kpi command (for when the script is not on PATH)."""
    import subprocess
    import sys

    from kpi_engine import __version__

    out = subprocess.run(
        [sys.executable, "-m", "kpi_engine", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"kpi_engine {__version__}\n"


def test_verbose_logs_what_the_library_reads_and_quiet_silences_notes(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-v shows the library's INFO records on stderr (never stdout), -vv its DEBUG records,
    the default none; -q drops the notes a command prints (here: no actuals given)."""
    assert main(["evaluate", str(demo_dir)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert main(["-v", "evaluate", str(demo_dir)]) == 0
    verbose_out, err = capsys.readouterr()
    assert verbose_out == out
    assert f"kpi: INFO: reading the indicator set {demo_dir / 'set.yaml'}" in err
    assert "DEBUG" not in err
    assert main(["evaluate", "-vv", str(demo_dir)]) == 0
    assert "kpi: DEBUG: project-demo-2024 evaluated: total 96.93" in capsys.readouterr().err
    set_only = str(demo_dir / "set.yaml")
    assert main(["evaluate", set_only]) == 0
    assert "未提供实际值" in capsys.readouterr().err
    assert main(["evaluate", "-q", set_only]) == 0
    assert capsys.readouterr().err == ""


def test_verbose_and_quiet_together_are_refused(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "-v", "-q", str(demo_dir)])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_severities_are_coloured_on_a_terminal_unless_no_color(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal the severity headings carry ANSI colours (warning yellow, info cyan);
    NO_COLOR, or output that is not a terminal, gets plain text."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    screen = _Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    assert main(["evaluate", str(demo_dir)]) == 0
    assert "  \033[1;33m警告\033[0m（3）" in screen.getvalue()
    assert "  \033[1;36m提示\033[0m（1）" in screen.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    monkeypatch.setattr("sys.stdout", plain)
    assert main(["evaluate", str(demo_dir), "--lang", "en"]) == 0
    assert "\033[" not in plain.getvalue()
    assert "  warning (3)" in plain.getvalue()
    monkeypatch.delenv("NO_COLOR")
    piped = io.StringIO()
    monkeypatch.setattr("sys.stdout", piped)
    assert main(["evaluate", str(demo_dir)]) == 0
    assert "\033[" not in piped.getvalue()


def test_colouring_changes_nothing_but_the_escapes() -> None:
    """Removing the escapes gives the text back; flag tags in diff output are coloured too."""
    from kpi_engine.cli import coloured

    text = "发现的问题：\n  错误（1）\n    - x\n  warning (2)\n+ 问题 [提示] y\n警告（3） not a heading\n"
    painted = coloured(text)
    assert re.sub(r"\033\[[\d;]*m", "", painted) == text
    assert painted.count("\033[0m") == 3
    assert "[\033[1;36m提示\033[0m]" in painted
