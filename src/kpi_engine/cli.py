"""The ``kpi`` command: validate, evaluate and describe indicator sets.

The only module that prints. Exit codes: 0 success; 1 evaluated, but flags at or above
``--fail-on``; 2 definition or usage error (messages as ``file:line:col: code: message``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from kpi_engine.display import trimmed
from kpi_engine.errors import DefinitionError, KpiEngineError, Lang
from kpi_engine.version import __version__

if TYPE_CHECKING:  # loaded inside the commands, so `kpi --help` starts fast
    from kpi_engine.engine import Engine
    from kpi_engine.models import Actuals, IndicatorSet
    from kpi_engine.progress import Progress
    from kpi_engine.results import Evaluation, Flag

__all__ = ["main"]

EXIT_OK = 0
EXIT_FLAGS = 1
EXIT_DEFINITION = 2
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpi",
        description="kpi_engine：指标体系的声明式评分（绩效自评）/ declarative indicator scoring",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"kpi_engine {__version__}",
        help="显示版本并退出 / show the version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help="输出语言 / output language (zh)"
    )

    rules = argparse.ArgumentParser(add_help=False)
    rules.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="追加规则包文件（可多次）/ add a rule pack file (repeatable)",
    )
    fail_on = argparse.ArgumentParser(add_help=False)
    fail_on.add_argument(
        "--fail-on",
        choices=["info", "warning", "error"],
        help="存在该级别及以上问题时退出码为 1 / exit 1 on flags at or above this severity",
    )

    validate = sub.add_parser(
        "validate", parents=[lang, rules], help="检查指标体系定义 / check an indicator set"
    )
    validate.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    validate.add_argument("actuals", metavar="ACTUALS", nargs="?", help="实际值文件 / actuals")

    evaluate = sub.add_parser(
        "evaluate",
        parents=[lang, rules, fail_on],
        help="计算得分、等级与问题 / score a set against actuals",
    )
    evaluate.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    evaluate.add_argument(
        "actuals",
        metavar="ACTUALS",
        nargs="?",
        help="实际值文件；省略时使用目录中的 actuals.yaml / actuals (default: SET/actuals.yaml)",
    )
    evaluate.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="输出格式 / output format (text)",
    )
    evaluate.add_argument("-o", "--output", metavar="FILE", help="写入文件 / write to FILE")

    lint = sub.add_parser(
        "lint",
        parents=[lang, rules, fail_on],
        help="不需实际值的结构检查（年初审核指标）/ structural problem checks, no actuals",
    )
    lint.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    lint.add_argument(
        "--format", choices=["text", "json"], default="text", help="输出格式 / output format (text)"
    )
    _stage_arguments(lint)

    report = sub.add_parser(
        "report",
        parents=[lang, rules],
        help="生成自评报告（md/html/docx）/ write the self-evaluation report",
    )
    report.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    report.add_argument("actuals", metavar="ACTUALS", nargs="?", help="实际值文件 / actuals")
    report.add_argument(
        "--format", choices=["md", "html", "docx"], default="md", help="报告格式 / format (md)"
    )
    report.add_argument(
        "-o", "--output", metavar="FILE", help="输出文件；docx 默认 SET-id.docx / output file"
    )

    table = sub.add_parser(
        "table", parents=[lang, rules], help="生成绩效自评表 xlsx / write the score table (.xlsx)"
    )
    table.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    table.add_argument("actuals", metavar="ACTUALS", nargs="?", help="实际值文件 / actuals")
    table.add_argument(
        "-o", "--output", metavar="FILE", help="输出文件，默认 SET-id-score-table.xlsx / output"
    )
    _form_arguments(table)

    _more_commands(sub, lang, rules)
    _history_commands(sub, lang)
    _monitor_command(sub, lang, fail_on)

    schema = sub.add_parser("schema", help="输出 JSON Schema / print the JSON Schema")
    schema.add_argument(
        "--actuals", action="store_true", help="实际值文件的 Schema / schema of actuals files"
    )
    schema.add_argument("-o", "--output", metavar="FILE", help="写入文件 / write to FILE")
    _verbosity(parser, sub)
    for where in _all_parsers(parser):
        # argparse's own words (usage:, options:, -h) are English only: say them in both.
        where.formatter_class = _BilingualFormatter
        where._positionals.title = "位置参数 / positional arguments"
        where._optionals.title = "选项 / options"
        for action in where._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示本帮助并退出 / show this help and exit"
    return parser


class _BilingualFormatter(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, prefix or "用法 / usage: ")


def _all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every sub-command's parser below it (kpi history list …)."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _all_parsers(child)
    return found


def _verbosity(parser: argparse.ArgumentParser, sub: Any) -> None:
    """-v/-q before or after the command (``kpi -v batch …`` and ``kpi batch -v …``)."""
    for where, default in [(parser, 0), *((p, argparse.SUPPRESS) for p in sub.choices.values())]:
        group = where.add_mutually_exclusive_group()
        group.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=default,
            help="显示处理过程（-vv 更详细）/ log what is done (-vv: more)",
        )
        group.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=False if default == 0 else argparse.SUPPRESS,
            help="只显示错误，不显示进度与提示 / errors only: no progress, no notes",
        )


def _more_commands(sub: Any, lang: argparse.ArgumentParser, rules: argparse.ArgumentParser) -> None:
    """batch, explain, diff, init and import (kept apart to keep _parser readable)."""
    batch = sub.add_parser(
        "batch", parents=[rules], help="批量评价多个单位 / evaluate many units from a table"
    )
    batch.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    batch.add_argument(
        "--inputs",
        required=True,
        metavar="FILE|DIR",
        help="CSV、JSON Lines 或 .xlsx（或其目录）/ CSV, JSON Lines or .xlsx (or a folder)",
    )
    batch.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="每单位一行：.csv/.jsonl/.xlsx / one row per unit: .csv/.jsonl/.xlsx",
    )
    batch.add_argument("--long", metavar="FILE", help="每单位×指标一行的明细 / long format")
    batch.add_argument("--key", default="unit", help="单位列名 / unit key column (unit)")
    batch.add_argument("--jobs", type=int, default=1, help="并行进程数 / worker processes (1)")
    batch.add_argument(
        "--sheet",
        metavar="NAME",
        help="读取 .xlsx 的哪张工作表（默认：当前可见的工作表）/ sheet of an .xlsx input",
    )
    batch.add_argument(
        "--encoding",
        help="CSV 的编码（默认：UTF-8，否则 GB18030）/ CSV encoding (default: UTF-8, else GB18030)",
    )

    explain = sub.add_parser(
        "explain", parents=[lang, rules], help="逐步说明一个指标的得分 / explain one score"
    )
    explain.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    explain.add_argument("actuals", metavar="ACTUALS", nargs="?", help="实际值文件 / actuals")
    explain.add_argument(
        "indicator", metavar="INDICATOR", help="指标 id 或名称 / indicator id or name"
    )

    diff = sub.add_parser(
        "diff", parents=[lang], help="比较两次评价结果（JSON）/ compare two evaluations"
    )
    diff.add_argument(
        "before",
        metavar="A.json",
        help="kpi evaluate --format json 的输出 / output of kpi evaluate --format json",
    )
    diff.add_argument("after", metavar="B.json", help="另一次评价 / the other evaluation")
    diff.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="输出格式（json 结构见 docs/cli.md）/ output format, json as in docs/cli.md (text)",
    )

    init = sub.add_parser(
        "init", parents=[lang], help="按模板新建指标体系 / start a set from a template"
    )
    init.add_argument("folder", metavar="DIR", nargs="?", help="新建到此目录 / target folder")
    init.add_argument("--template", default="project", help="模板名称 / template (project)")
    init.add_argument("--list", action="store_true", help="列出模板 / list the templates")

    imp = sub.add_parser(
        "import", parents=[lang], help="从 Excel 绩效自评表导入 / import a filled score table"
    )
    imp.add_argument("workbook", metavar="XLSX", help="绩效自评表 .xlsx / the score table")
    imp.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR",
        help="写入 set.yaml 与 actuals.yaml / folder for set.yaml and actuals.yaml",
    )
    imp.add_argument("--id", help="指标体系 id（默认取文件名）/ set id (default: file name)")


def default_name(set_id: str, suffix: str) -> Path:
    """``<id><suffix>`` as one file name in the current folder, whatever the id holds: an id such
    as ``../../x`` or ``/etc/x`` must not choose the folder the output goes to.

    >>> default_name("../../etc/cron.d/x", ".docx"), default_name("..", ".docx")
    (PosixPath('etc_cron.d_x.docx'), PosixPath('report.docx'))
    """
    name = "".join("_" if c in '/\\:*?"<>|' or not c.isprintable() else c for c in set_id)
    name = name.strip("._ ")[:100] or "report"
    return Path(name + suffix)


def _refuse_target(path: Path, code: str, zh: str, en: str) -> NoReturn:
    from kpi_engine.problems import Problems  # noqa: PLC0415

    Problems.in_file(str(path)).fail(code, zh, en)


def check_target(path: Path) -> None:
    """An output may replace a regular file only, in a folder that exists and is writable;
    anything else is a clean ``output.*`` error (exit 2), never a traceback."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        _unwritable(path, exc)
    if mode is not None and not stat.S_ISREG(mode):
        _refuse_target(
            path,
            "output.not-regular",
            "输出目标不是普通文件（目录、设备或管道），不会写入",
            "the output is not a regular file (a folder, device or pipe); not written",
        )
    folder = path.parent
    # A missing folder is refused, not made: a mistyped -o path must not leave new folders
    # about, and outputs go only where the user said (issue 12).
    if not folder.is_dir():
        _refuse_target(
            path,
            "output.no-folder",
            f"输出文件夹 {folder} 不存在（请先建立，或换一个路径）",
            f"the output folder {folder} does not exist (create it first, or choose another path)",
        )
    if not os.access(folder, os.W_OK):
        _refuse_target(
            path,
            "output.unwritable",
            f"输出文件夹 {folder} 不可写",
            f"the output folder {folder} is not writable",
        )


def _unwritable(path: Path, exc: OSError) -> NoReturn:
    _refuse_target(
        path,
        "output.unwritable",
        f"无法写入：{exc.strerror or exc}（磁盘已满或没有权限？）",
        f"cannot write: {exc.strerror or exc} (disk full or no permission?)",
    )


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write the whole content or nothing: a temporary file in the same folder, then rename.

    Only over a regular file, in a folder that exists; the temporary file is removed on any
    failure, on Ctrl-C and on SIGTERM (which :func:`main` turns into an exit that unwinds).
    """
    check_target(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        _unwritable(path, exc)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def _emit(text: str, output: str | None) -> None:
    if output:
        write_atomically(Path(output), text)
    else:
        _out(text)


def _load(set_arg: str, actuals_arg: str | None) -> tuple[IndicatorSet, Actuals | None]:
    from kpi_engine.loading import load_actuals, load_indicator_set, resolve_set_paths  # noqa: PLC0415

    set_path, default_actuals = resolve_set_paths(set_arg)
    indicator_set = load_indicator_set(set_path)
    actuals_path = actuals_arg or default_actuals
    actuals = load_actuals(actuals_path) if actuals_path else None
    return indicator_set, actuals


def _render(evaluation: Evaluation, fmt: str, lang: Lang) -> str:
    if fmt == "json":
        return evaluation.to_json() + "\n"
    from kpi_engine.reports import render_markdown, render_text  # noqa: PLC0415 - CLI only

    return render_markdown(evaluation, lang) if fmt == "markdown" else render_text(evaluation, lang)


def _engine(indicator_set: IndicatorSet, args: argparse.Namespace) -> Engine:
    from kpi_engine.engine import Engine  # noqa: PLC0415
    from kpi_engine.rulepacks import load_pack  # noqa: PLC0415

    return Engine(indicator_set, tuple(load_pack(path) for path in args.rules))


def _fails(flags: Sequence[Flag], level: str | None) -> bool:
    from kpi_engine.results import SEVERITY_ORDER  # noqa: PLC0415

    if level is None:
        return False
    return any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[level] for f in flags)


def _validate(args: argparse.Namespace) -> int:
    indicator_set, actuals = _load(args.set, args.actuals)
    engine = _engine(indicator_set, args)
    if actuals is not None:
        engine.evaluate(actuals)  # structural checks of the actuals against the set
    leaves = len(engine.compiled.leaves)
    scale = trimmed(engine.compiled.scale)
    if args.lang == "zh":
        print(f"通过：{indicator_set.title}（{leaves} 个末级指标，满分 {scale}）")
    else:
        title = indicator_set.title_en or indicator_set.title
        print(f"OK: {title} ({leaves} leaf indicators, full marks {scale})")
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    indicator_set, actuals = _load(args.set, args.actuals)
    if actuals is None:
        note = (
            "未提供实际值，所有定量指标将显示为缺少数据"
            if args.lang == "zh"
            else ("no actuals given: every quantitative indicator will be missing data")
        )
        _note(args, note)
    if args.rollup:
        actuals = _rolled_up(indicator_set, actuals, args)
    evaluation = _engine(indicator_set, args).evaluate(actuals)
    evaluation = _with_monitoring(indicator_set, evaluation, args)
    _emit(_render(evaluation, args.format, args.lang), args.output)
    if args.save:
        _save_evaluation(indicator_set, evaluation, args)
    return EXIT_FLAGS if _fails(evaluation.flags, args.fail_on) else EXIT_OK


def _lint(args: argparse.Namespace) -> int:
    from kpi_engine.loading import load_indicator_set  # noqa: PLC0415

    if args.stage == "declare":
        return _lint_declare(args)
    indicator_set = load_indicator_set(args.set)  # a file, or a folder holding set.yaml
    flags = _engine(indicator_set, args).lint()
    if args.format == "json":
        payload = {"set": indicator_set.id, "flags": [f.to_dict() for f in flags]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        from kpi_engine.reports import render_flags  # noqa: PLC0415 - CLI only

        title = (args.lang == "en" and indicator_set.title_en) or indicator_set.title
        _out("\n".join([title, "", *render_flags(flags, args.lang)]) + "\n")
    return EXIT_FLAGS if _fails(flags, args.fail_on) else EXIT_OK


def _evaluated(args: argparse.Namespace) -> tuple[IndicatorSet, Evaluation]:
    indicator_set, actuals = _load(args.set, args.actuals)
    return indicator_set, _engine(indicator_set, args).evaluate(actuals)


def _report(args: argparse.Namespace) -> int:
    from kpi_engine.reports import (  # noqa: PLC0415 - CLI only
        build_report,
        render_report_docx,
        render_report_html,
        render_report_markdown,
    )

    if args.history:
        indicator_set, evaluation, past, year, resolved = _report_history(args)
        document = build_report(
            indicator_set, evaluation, args.lang, past=past, year=year, resolved=resolved
        )
    else:
        indicator_set, evaluation = _evaluated(args)
        document = build_report(indicator_set, evaluation, args.lang)
    if args.format == "docx":
        target = Path(args.output) if args.output else default_name(indicator_set.id, ".docx")
        write_atomically(target, render_report_docx(document))
        _note(args, str(target))
        return EXIT_OK
    if args.format == "html":
        _emit(render_report_html(document), args.output)
    else:
        _emit(render_report_markdown(document), args.output)
    return EXIT_OK


def _table(args: argparse.Namespace) -> int:
    from kpi_engine.reports import render_score_table  # noqa: PLC0415 - CLI only

    if args.form != "score":
        return _table_form(args)
    indicator_set, actuals = _load(args.set, args.actuals)
    evaluation = _engine(indicator_set, args).evaluate(actuals)
    target = (
        Path(args.output) if args.output else default_name(indicator_set.id, "-score-table.xlsx")
    )
    table = render_score_table(indicator_set, evaluation, args.lang, actuals)
    write_atomically(target, table)
    _note(args, str(target))
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from kpi_engine import batch  # noqa: PLC0415 - CLI only
    from kpi_engine.loading import (  # noqa: PLC0415
        load_indicator_set,
        read_definition,
        resolve_set_paths,
    )

    set_path, _ = resolve_set_paths(args.set)
    indicator_set = load_indicator_set(set_path)
    engine = _engine(indicator_set, args)
    saving = _batch_store(indicator_set, args)  # refused before any output is started
    compiled = engine.compiled
    groups = batch.group_columns(compiled)
    rows = batch.read_rows(
        Path(args.inputs),
        compiled,
        args.key,
        encoding=args.encoding,
        sheet=args.sheet,
        notes=lambda zh, en: print(f"kpi: {zh} / {en}", file=sys.stderr),
    )
    targets = [(Path(args.output), batch.summary_columns(groups))]
    if args.long:
        targets.append((Path(args.long), batch.LONG_COLUMNS))
    for path, _ in targets:
        check_target(path)
    temporary = [path.with_name(f".{path.name}.partial{path.suffix}") for path, _ in targets]
    writers: list[Any] = []
    try:
        for tmp, (_, cols) in zip(temporary, targets, strict=True):
            writers.append(batch.write_records(tmp, cols, places=compiled.places))
    except OSError as exc:
        for writer, tmp in zip(writers, temporary, strict=False):
            writer.close()
            tmp.unlink(missing_ok=True)
        _unwritable(temporary[len(writers)], exc)
    setup = batch.WorkerSetup(
        read_definition(set_path),
        str(set_path),
        tuple(str(Path(p).resolve()) for p in args.rules),
        base=str(set_path.parent),
    )
    records, saved = _batch_records(engine, saving, rows, groups, setup, args)
    read = failed = 0
    progress = _progress(args, Path(args.inputs))
    try:
        for summary, details in records:
            read += 1
            failed += summary["status"] == "error"
            writers[0].write(summary)
            for record in details:
                writers[1].write(record)
            progress.update(read)
        progress.close()
        for writer, tmp, (path, _) in zip(writers, temporary, targets, strict=True):
            writer.close()
            os.replace(tmp, path)
    except BaseException as exc:
        progress.close()
        for writer, tmp in zip(writers, temporary, strict=True):
            with contextlib.suppress(Exception):
                writer.close()
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            _unwritable(Path(args.output), exc)
        raise
    written = writers[0].count
    if saved is not None:
        _note(args, saved.text())
    _note(
        args,
        f"读入 {read} 个单位，写出 {written} 行（成功 {read - failed}，失败 {failed}）"
        f" / read {read} units, wrote {written} rows ({read - failed} ok, {failed} failed)",
    )
    if written != read:  # pragma: no cover - the invariant the design guarantees
        print("kpi: 行数不一致 / row counts differ", file=sys.stderr)
        return EXIT_DEFINITION
    return EXIT_FLAGS if failed else EXIT_OK  # a unit that could not be read is not success


def _progress(args: argparse.Namespace, inputs: Path) -> Progress:
    """A bar on a terminal's stderr (total from a line count, rate, time left); none with -q or
    when stderr is not a terminal."""
    from kpi_engine.progress import count_lines, progress  # noqa: PLC0415 - CLI only

    enabled = not args.quiet and sys.stderr.isatty()
    total = count_lines(inputs) if enabled else None
    return progress(sys.stderr, total, "units", "kpi batch", enabled=enabled)


def _note(args: argparse.Namespace, text: str) -> None:
    """A note for the person at the terminal (stderr), silenced by -q."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


_SEVERITY_COLOURS = {"error": "31", "warning": "33", "info": "36"}  # red, yellow, cyan
_SEVERITY_LINE = re.compile(
    r"(?m)^(  )(错误|警告|提示|error|warning|info)(（\d+）| \(\d+\))$"
    r"|(\[)(错误|警告|提示|error|warning|info)(\])"
)


def colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and stream.isatty()


def coloured(text: str) -> str:
    """Severity headings (警告（3）) and tags ([警告]) in their colour, as ANSI escapes."""

    from kpi_engine.results import SEVERITY_WORDS  # noqa: PLC0415

    def paint(match: re.Match[str]) -> str:
        before, word, after = (g for g in match.groups() if g is not None)
        severity = next(k for k, words in SEVERITY_WORDS.items() if word in words)
        return f"{before}\033[1;{_SEVERITY_COLOURS[severity]}m{word}\033[0m{after}"

    return _SEVERITY_LINE.sub(paint, text)


def _out(text: str) -> None:
    """Text for standard output, coloured when it is a terminal that wants colour."""
    sys.stdout.write(coloured(text) if colour_wanted(sys.stdout) else text)


def _explain(args: argparse.Namespace) -> int:
    from kpi_engine.explain import explain_text  # noqa: PLC0415

    indicator_set, evaluation = _evaluated(args)
    compiled = _engine(indicator_set, args).compiled
    wanted = args.indicator.strip()
    # Auditors know indicators by name (as printed in the score table), developers by id.
    leaf = compiled.leaf(wanted) or next(
        (x for x in compiled.leaves if wanted in (x.name, x.name_en)), None
    )
    if leaf is None:
        from kpi_engine.errors import did_you_mean  # noqa: PLC0415
        from kpi_engine.problems import Problems  # noqa: PLC0415

        known = [x.id for x in compiled.leaves] + [x.name for x in compiled.leaves]
        zh, en = did_you_mean(wanted, known)
        raise Problems.unlocated().error(
            "cli.unknown-indicator",
            f"没有末级指标 '{args.indicator}'{zh}",
            f"no leaf indicator {args.indicator!r}{en}",
        )
    sys.stdout.write(explain_text(evaluation, leaf, compiled.grades, args.lang))
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from kpi_engine.diff import compare, diff_text, read_evaluation  # noqa: PLC0415

    before, after = read_evaluation(Path(args.before)), read_evaluation(Path(args.after))
    if args.format == "json":
        data = compare(before, after)
        for warning in data["warnings"]:  # the text says it first; JSON readers see it here
            key = "message" if args.lang == "zh" else "message_en"
            print(f"kpi: {warning['code']}: {warning[key]}", file=sys.stderr)
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _out(diff_text(before, after, args.lang))
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from kpi_engine.scaffold import TEMPLATES, init  # noqa: PLC0415

    if args.list or not args.folder:
        for name, (zh, en) in TEMPLATES.items():
            print(f"{name:<10} {zh if args.lang == 'zh' else en}")
        return EXIT_OK
    for path in init(args.template, Path(args.folder)):
        print(path)
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from kpi_engine.importing import import_score_table  # noqa: PLC0415
    from kpi_engine.loading import dump_yaml  # noqa: PLC0415

    result = import_score_table(Path(args.workbook), args.id)
    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _unwritable(folder, exc)
    targets = {folder / "set.yaml": result.set_data, folder / "actuals.yaml": result.actuals_data}
    existing = [p for p in targets if p.exists()]
    if existing:
        print(
            f"kpi: 文件已存在，不会覆盖 / exists, not overwritten: {existing[0]}", file=sys.stderr
        )
        return EXIT_DEFINITION
    header = f"# 由 kpi import 从 {Path(args.workbook).name} 生成；请核对后使用。\n"
    for path, data in targets.items():
        write_atomically(path, dump_yaml(data, header))
        print(path)
    for issue in result.problems:  # sheet!cell: what was there: why (code)
        print(f"{issue.text(args.lang)} ({issue.code})", file=sys.stderr)
    if result.problems:
        count = len(result.problems)
        print(f"{count} 处未能读取，须人工核对 / cells not read: {count}", file=sys.stderr)
        return EXIT_FLAGS
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from kpi_engine.schema import schema_text  # noqa: PLC0415

    _emit(schema_text(actuals=args.actuals), args.output)
    return EXIT_OK


def _logging(args: argparse.Namespace) -> logging.Handler:
    """The library's log records (``logging.getLogger(__name__)`` in each module) on stderr:
    warnings by default, -v info, -vv debug, -q errors only. Returns the handler to remove."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("kpi: %(levelname)s: %(message)s"))
    level = (
        logging.ERROR
        if args.quiet
        else {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    )
    logger = logging.getLogger("kpi_engine")
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


# --- history (issue 14): --save, kpi report --history, kpi history -----------------------------


def _history_commands(sub: Any, lang: argparse.ArgumentParser) -> None:
    """``--save`` for evaluate and batch, ``--history`` for report, and ``kpi history``."""
    db_help = (
        "历史库：SQLite 文件或 postgresql://…（默认 $KPI_DB，否则当前目录 kpi-history.sqlite）"
        " / history database (default $KPI_DB, else ./kpi-history.sqlite)"
    )
    for name in ("evaluate", "batch", "report"):
        command = sub.choices[name]
        if name == "report":
            command.add_argument(
                "--history",
                action="store_true",
                help="加入历年对比（读历史库）/ add the years compared, from the history store",
            )
        else:
            command.add_argument(
                "--save", action="store_true", help="结果存入历史库 / save to the history database"
            )
        command.add_argument("--db", metavar="URL", help=db_help)
        if name != "batch":  # a batch's units are its key column
            command.add_argument("--unit", help="单位（默认取指标体系 organization）/ unit")
        command.add_argument("--year", type=int, help="年度（默认取指标体系 year）/ year")
    sub.choices["evaluate"].add_argument(
        "--rollup",
        metavar="SET_ID",
        help="部门整体：从历史库中该项目指标体系本年度的评价汇总 project_* 输入项"
        " / department set: take the project_* inputs from that project set's stored evaluations",
    )

    common = argparse.ArgumentParser(add_help=False, parents=[lang])
    common.add_argument("--db", metavar="URL", help=db_help)
    common.add_argument(
        "--format",
        choices=["text", "json", "csv"],
        default="text",
        help="输出格式 / output format (text)",
    )
    history = sub.add_parser("history", help="历史库：查询、对比、导出 / the history database")
    hsub = history.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    listing = hsub.add_parser("list", parents=[common], help="列出已存评价 / saved evaluations")
    listing.add_argument("--unit", help="只看该单位 / one unit")
    listing.add_argument("--year", type=int, help="只看该年度 / one year")
    listing.add_argument("--set", dest="set_id", help="只看该指标体系 / one set id")
    listing.add_argument(
        "--current", action="store_true", help="每单位每年只列最新一次 / the current ones only"
    )
    show = hsub.add_parser("show", parents=[common], help="一次评价的详情 / one evaluation")
    show.add_argument("id", type=int, metavar="ID", help="评价编号（见 list）/ evaluation id")
    trend = hsub.add_parser("trend", parents=[common], help="一个指标的历年值 / one indicator")
    trend.add_argument("indicator", metavar="INDICATOR", help="指标 id 或名称 / id or name")
    trend.add_argument("--unit", help="只看该单位 / one unit")
    trend.add_argument(
        "--from", dest="first", type=int, metavar="YEAR", help="起始年度 / first year"
    )
    trend.add_argument("--to", dest="last", type=int, metavar="YEAR", help="截止年度 / last year")
    compare = hsub.add_parser(
        "compare",
        parents=[common],
        help="单位排名，或一个单位历年对比与问题整改 / league table, or one unit's years",
    )
    compare.add_argument("--year", type=int, required=True, help="年度 / year")
    compare.add_argument("--unit", help="对比该单位历年并跟踪上年问题 / one unit over the years")
    export = hsub.add_parser(
        "export", parents=[common], help="导出（json：JSON Lines，可再导入）/ export"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="写入文件 / write to FILE")
    rollup = hsub.add_parser(
        "rollup", parents=[common], help="部门项目汇总（供部门整体评价）/ a department's projects"
    )
    rollup.add_argument("--year", type=int, required=True, help="年度 / year")
    rollup.add_argument("--set", dest="set_id", help="项目指标体系 id / the projects' set id")
    rollup.add_argument("--unit", action="append", help="只汇总这些项目（可多次）/ these units")
    imported = hsub.add_parser(
        "import", parents=[common], help="导入 export 的 JSON Lines / import an export"
    )
    imported.add_argument(
        "file", metavar="FILE", help="kpi history export 的输出 / an export's output"
    )
    for action in (a for p in hsub.choices.values() for a in p._actions):
        if isinstance(action, argparse._HelpAction):  # as _parser does for the other commands
            action.help = "显示本帮助并退出 / show this help and exit"


# --- the budget year: declaration review and in-year monitoring (issue 15) ----------------------


def _stage_arguments(lint: argparse.ArgumentParser) -> None:
    lint.add_argument(
        "--stage",
        choices=["self", "declare"],
        default="self",
        help="self：自评前的结构检查；declare：绩效目标申报审核（cn-declare）"
        " / self: structural checks; declare: review of declared targets (cn-declare)",
    )
    lint.add_argument(
        "--last-year",
        metavar="ACTUALS",
        help="上年实际值文件（申报审核比较目标与上年实际）/ last year's actuals (declare stage)",
    )
    lint.add_argument(
        "--db",
        metavar="URL",
        help="从历史库取上年实际值（申报审核）/ take last year's actuals from the history store",
    )
    lint.add_argument("--unit", help="单位（默认取指标体系 organization）/ unit")
    lint.add_argument("--year", type=int, help="申报年度（默认取指标体系 year）/ year declared")


def _form_arguments(table: argparse.ArgumentParser) -> None:
    table.add_argument(
        "--form",
        choices=["score", "declare", "monitor"],
        default="score",
        help="score：绩效自评表；declare：绩效目标申报表（含审核意见）；monitor：执行监控表"
        " / score table, declaration form with the review, or monitoring form",
    )
    table.add_argument("--last-year", metavar="ACTUALS", help=argparse.SUPPRESS)
    table.add_argument("--db", metavar="URL", help=argparse.SUPPRESS)
    table.add_argument("--unit", help=argparse.SUPPRESS)
    table.add_argument("--year", type=int, help=argparse.SUPPRESS)


def _last_year(indicator_set: IndicatorSet, args: argparse.Namespace) -> dict[str, Any]:
    """Last year's actual per indicator: from ``--last-year`` (evaluated with this set), else
    from the store with ``--db``; empty when neither is given."""
    if args.last_year:
        from kpi_engine.loading import load_actuals  # noqa: PLC0415

        before = _engine(indicator_set, args).evaluate(load_actuals(args.last_year))
        return {r.id: r.value for r in before.indicators if r.value is not None}
    if args.db:
        from kpi_engine.history.store import unit_and_year  # noqa: PLC0415

        unit, year = unit_and_year(indicator_set, args.unit, args.year)
        with _store(args, create=False) as store:
            return dict(store.last_year_actuals(unit, year))
    return {}


def _declaration(args: argparse.Namespace) -> tuple[IndicatorSet, Any]:
    from kpi_engine.declaration import review  # noqa: PLC0415
    from kpi_engine.loading import load_indicator_set  # noqa: PLC0415
    from kpi_engine.rulepacks import load_pack  # noqa: PLC0415

    indicator_set = load_indicator_set(args.set)
    extra = tuple(load_pack(path) for path in args.rules)
    return indicator_set, review(indicator_set, _last_year(indicator_set, args), extra)


def _lint_declare(args: argparse.Namespace) -> int:
    indicator_set, declaration = _declaration(args)
    flags = declaration.flags
    verdict = declaration.overall.verdict
    if args.format == "json":
        payload = {
            "set": indicator_set.id,
            "stage": "declare",
            "verdict": verdict.value,
            "rows": {k: r.verdict.value for k, r in declaration.rows.items()},
            "flags": [f.to_dict() for f in flags],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        from kpi_engine.reports import render_flags  # noqa: PLC0415 - CLI only

        title = (args.lang == "en" and indicator_set.title_en) or indicator_set.title
        head = "审核意见：" if args.lang == "zh" else "Verdict: "
        lines = [title, head + verdict.label(args.lang), "", *render_flags(flags, args.lang)]
        _out("\n".join(lines) + "\n")
    return EXIT_FLAGS if _fails(flags, args.fail_on) else EXIT_OK


def _table_form(args: argparse.Namespace) -> int:
    if args.form == "declare":
        from kpi_engine.reports.year_forms_xlsx import render_declare_form  # noqa: PLC0415

        indicator_set, declaration = _declaration(args)
        data = render_declare_form(indicator_set, declaration, args.lang)
        suffix = "-declaration.xlsx"
    else:
        indicator_set, data = _monitor_form(args)
        suffix = "-monitoring.xlsx"
    target = Path(args.output) if args.output else default_name(indicator_set.id, suffix)
    write_atomically(target, data)
    _note(args, str(target))
    return EXIT_OK


def _monitor_command(
    sub: Any, lang: argparse.ArgumentParser, fail_on: argparse.ArgumentParser
) -> None:
    monitor = sub.add_parser(
        "monitor",
        parents=[lang, fail_on],
        help="年中执行监控（双监控）/ in-year monitoring of targets and funds",
    )
    monitor.add_argument("set", metavar="SET", help="set.yaml 或其所在目录 / file or directory")
    monitor.add_argument(
        "actuals", metavar="ACTUALS", help="监控记录（kpi_monitor: 1）/ monitoring record"
    )
    monitor.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="输出格式 / output format (text)",
    )
    monitor.add_argument("-o", "--output", metavar="FILE", help="写入文件 / write to FILE")
    sub.choices["evaluate"].add_argument(
        "--monitoring",
        metavar="FILE",
        help="年中监控记录：监控发现的偏差年终仍未说明、或“确定能”却未完成的，列为问题"
        " / the in-year monitoring record, read at the year end",
    )


def _monitored(args: argparse.Namespace, record_path: str) -> tuple[IndicatorSet, Any]:
    from kpi_engine.loading import load_indicator_set, resolve_set_paths  # noqa: PLC0415
    from kpi_engine.monitoring import load_monitoring, monitor  # noqa: PLC0415

    indicator_set = load_indicator_set(resolve_set_paths(args.set)[0])
    return indicator_set, monitor(indicator_set, load_monitoring(record_path))


def _monitor(args: argparse.Namespace) -> int:
    from kpi_engine.reports.monitoring_text import (  # noqa: PLC0415 - CLI only
        render_monitoring_markdown,
        render_monitoring_text,
    )

    _, monitoring = _monitored(args, args.actuals)
    if args.format == "json":
        text = json.dumps(monitoring.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "markdown":
        text = render_monitoring_markdown(monitoring, args.lang)
    else:
        text = render_monitoring_text(monitoring, args.lang)
    _emit(text, args.output)
    return EXIT_FLAGS if _fails(monitoring.flags, args.fail_on) else EXIT_OK


def _with_monitoring(
    indicator_set: IndicatorSet, evaluation: Evaluation, args: argparse.Namespace
) -> Evaluation:
    """The evaluation with what the year's monitoring record says about it (issue 15, item 3)."""
    if not getattr(args, "monitoring", None):
        return evaluation
    from dataclasses import replace  # noqa: PLC0415

    from kpi_engine.flags import sort_flags  # noqa: PLC0415
    from kpi_engine.monitoring import load_monitoring, monitor, year_end_flags  # noqa: PLC0415

    monitoring = monitor(indicator_set, load_monitoring(args.monitoring))
    found = year_end_flags(monitoring, evaluation)
    return replace(evaluation, flags=sort_flags((*evaluation.flags, *found)))


def _monitor_form(args: argparse.Namespace) -> tuple[IndicatorSet, bytes]:
    from kpi_engine.reports.year_forms_xlsx import render_monitor_form  # noqa: PLC0415

    if not args.actuals:
        raise KpiEngineError("kpi table --form monitor 需要监控记录 / needs a monitoring record")
    indicator_set, monitoring = _monitored(args, args.actuals)
    return indicator_set, render_monitor_form(indicator_set, monitoring, args.lang)


def _store(args: argparse.Namespace, *, create: bool = True) -> Any:
    from kpi_engine.history import History  # noqa: PLC0415 - the history extra

    return History(args.db, create=create)


def _save_evaluation(
    indicator_set: IndicatorSet, evaluation: Evaluation, args: argparse.Namespace
) -> None:
    with _store(args) as store:
        evaluation_id = store.save(evaluation, indicator_set, unit=args.unit, year=args.year)
        stored = store.evaluation(evaluation_id)
    _note(
        args,
        f"已存入历史库：编号 {evaluation_id}（{stored.unit} {stored.year}）"
        f" / saved as evaluation {evaluation_id}",
    )


def _batch_store(indicator_set: IndicatorSet, args: argparse.Namespace) -> tuple[Any, int] | None:
    """With ``--save``: the store and the year the batch's units are saved under."""
    if not args.save:
        return None
    from kpi_engine.history.store import unit_and_year  # noqa: PLC0415

    _, year = unit_and_year(indicator_set, "-", args.year)  # the units are the key column
    return _store(args), year


def _batch_records(
    engine: Engine,
    saving: tuple[Any, int] | None,
    rows: Any,
    groups: list[str],
    setup: Any,
    args: argparse.Namespace,
) -> tuple[Any, Any]:
    """The batch's records, saved on the way with ``--save`` (then also the counts)."""
    from kpi_engine import batch  # noqa: PLC0415

    if saving is None:
        records = batch.unit_records(
            engine, rows, groups, long=bool(args.long), jobs=args.jobs, setup=setup
        )
        return records, None
    from kpi_engine.history.batching import SavedBatch, saved_records  # noqa: PLC0415

    store, year = saving
    counts = SavedBatch()
    stream = saved_records(
        store,
        engine,
        rows,
        groups,
        counts,
        year=year,
        long=bool(args.long),
        jobs=args.jobs,
        setup=setup,
    )

    def closing() -> Any:
        try:
            yield from stream
        finally:
            store.close()

    return closing(), counts


def _rolled_up(
    indicator_set: IndicatorSet, actuals: Actuals | None, args: argparse.Namespace
) -> Actuals:
    """The actuals with the project_* inputs the set declares, rolled up from the store."""
    from kpi_engine.history.store import unit_and_year  # noqa: PLC0415

    _, year = unit_and_year(indicator_set, "-", args.year)
    with _store(args) as store:
        rollup = store.rollup(year, set_id=args.rollup)
        return cast("Actuals", store.with_rollup(actuals, indicator_set, rollup))


def _report_history(
    args: argparse.Namespace,
) -> tuple[IndicatorSet, Evaluation, list[Any], int, list[str]]:
    """The set; its evaluation, with last year's actuals from the store where the actuals give
    none (for the target checks) and last year's unresolved problems added; the stored years
    before it; its year; and last year's problems resolved."""
    from dataclasses import replace  # noqa: PLC0415

    from kpi_engine.history.followup import follow_up  # noqa: PLC0415
    from kpi_engine.history.records import StoredFlag  # noqa: PLC0415
    from kpi_engine.history.store import unit_and_year  # noqa: PLC0415
    from kpi_engine.reports.report_document import PastYear  # noqa: PLC0415

    indicator_set, actuals = _load(args.set, args.actuals)
    unit, year = unit_and_year(indicator_set, args.unit, args.year)
    with _store(args) as store:
        actuals = store.with_last_year(actuals, unit, year)
        evaluation = _engine(indicator_set, args).evaluate(actuals)
        years = store.past_years(unit, year - 1)
        before = store.current(unit, year - 1)
        previous = store.flags(before.id) if before else []
    past = [
        PastYear(s.year, s.total, s.grade, {p.indicator_id: p.score for p in points})
        for s, points in years
    ]
    resolved: list[str] = []
    if before is not None:
        now = [StoredFlag.of(f) for f in evaluation.flags]
        follow = follow_up(unit, year, now, year - 1, previous)
        evaluation = replace(evaluation, flags=(*evaluation.flags, *follow.unresolved))
        resolved = [f.text(args.lang) for f in follow.resolved]
    return indicator_set, evaluation, past, year, resolved


def _history(args: argparse.Namespace) -> int:
    from kpi_engine.history import views  # noqa: PLC0415

    fmt, lang = args.format, args.lang
    action = args.history_command
    # Asking never leaves a new empty store behind; only import may start one.
    with _store(args, create=action == "import") as store:
        if action == "list":
            found = store.evaluations(
                unit=args.unit, year=args.year, set_id=args.set_id, current=args.current
            )
            sys.stdout.write(views.render_evaluations(found, fmt, lang))
        elif action == "show":
            stored = store.evaluation(args.id)
            document = store.document(args.id) if fmt == "json" else None
            points, flags = store.indicators(args.id), store.flags(args.id)
            sys.stdout.write(views.render_show(stored, points, flags, fmt, lang, document))
        elif action == "trend":
            points = store.trend(args.indicator, unit=args.unit, first=args.first, last=args.last)
            sys.stdout.write(views.render_trend(points, fmt, lang))
        elif action == "compare" and args.unit is None:
            sys.stdout.write(views.render_league(args.year, store.league(args.year), fmt, lang))
        elif action == "compare":
            follow = store.followup(args.unit, args.year)
            years = store.past_years(args.unit, args.year)
            sys.stdout.write(views.render_comparison(years, follow, fmt, lang))
        elif action == "rollup":
            found = store.rollup(args.year, set_id=args.set_id, units=args.unit)
            sys.stdout.write(views.render_rollup(found, fmt, lang))
        elif action == "export":
            _history_export(store, args)
        else:
            _history_import(store, args)
    return EXIT_OK


def _history_export(store: Any, args: argparse.Namespace) -> None:
    from kpi_engine.history import views  # noqa: PLC0415

    if args.format == "csv":
        text = views.render_evaluations(store.evaluations(), "csv", args.lang)
    else:  # JSON Lines: one evaluation a line, what import reads back
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in store.export())
    _emit(text, args.output)


def _history_import(store: Any, args: argparse.Namespace) -> None:
    from kpi_engine.history import HistoryError  # noqa: PLC0415

    path = Path(args.file)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise HistoryError(
            "history.bad-export",
            f"无法读取 {path}：{exc}",
            f"cannot read {path}: {exc}",
        ) from None
    counts = store.import_records(records)
    _note(
        args,
        f"导入 {counts.given} 条：新存 {counts.stored}，库中已有 {counts.already}"
        f" / imported {counts.given}: stored {counts.stored}, already stored {counts.already}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kpi`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    lang = cast(Lang, getattr(args, "lang", "zh"))
    handler = _logging(args)
    handlers = {
        "validate": _validate,
        "evaluate": _evaluate,
        "lint": _lint,
        "report": _report,
        "table": _table,
        "batch": _batch,
        "explain": _explain,
        "diff": _diff,
        "init": _init,
        "import": _import,
        "schema": _schema,
        "history": _history,
        "monitor": _monitor,
    }
    previous = _on_sigterm()
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("kpi: 已中断 / interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except DefinitionError as exc:
        print(exc.report(lang), file=sys.stderr)
        return EXIT_DEFINITION
    except KpiEngineError as exc:
        print(f"kpi: {exc}", file=sys.stderr)
        return EXIT_DEFINITION
    finally:
        logging.getLogger("kpi_engine").removeHandler(handler)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm() -> Any:
    """SIGTERM unwinds like Ctrl-C, so temporary outputs are removed; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupted)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
