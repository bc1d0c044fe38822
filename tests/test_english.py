"""English is complete where it is offered: every English problem and flag message the package
can produce carries no Chinese, except names and examples it quotes, and the built-in templates
give every name in English.

The messages are found two ways. Statically: every English text written in the source (the
argument after the Chinese one in a problem call, ``*_en=`` keywords, and the rule packs'
``*_en`` templates), so a message no test triggers is still read. Dynamically: every flag and
problem the shipped sets and templates produce, run in English, with the sets' own words (names,
units, targets) taken out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi_engine import Engine, load_actuals, load_indicator_set
from kpi_engine.loading import parse_rule_pack
from kpi_engine.models import Group, IndicatorSet, Leaf

from .conftest import SETS

SRC = Path(__file__).resolve().parent.parent / "src" / "kpi_engine"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’]")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|‘[^’]*’")
CODE = re.compile(r"^[a-z][a-z_]*(?:[.-][a-z_0-9-]+)+$")


def _unquoted_chinese(text: str) -> list[str]:
    return CJK.findall(QUOTED.sub("", text))


def _literal(node: ast.expr) -> str:
    """The text a string expression writes, its interpolations as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal(node.left) + _literal(node.right)
    return "{}"


def _texts(node: ast.expr) -> Iterator[str]:
    """Every literal text in an expression: the whole f-string, and strings nested in it."""
    yield _literal(node)
    for inner in ast.walk(node):
        if inner is not node and isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            yield inner.value


def _english_expressions(tree: ast.Module) -> Iterator[ast.expr]:
    """The English half of every bilingual call: the argument after the Chinese one (problem
    calls write ``code, 中文, English``), and every ``*_en=`` keyword."""
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]

    def assigned(name: ast.Name) -> Iterator[ast.expr]:
        for function in functions:
            if name not in set(ast.walk(function)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name.id for t in node.targets
                ):
                    yield node.value

    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        candidates = [kw.value for kw in call.keywords if kw.arg and kw.arg.endswith("_en")]
        args = call.args
        for i, arg in enumerate(args[:-1]):
            before = args[i - 1] if i > 0 else None
            code_before = isinstance(before, ast.Name) or (
                isinstance(before, ast.Constant)
                and isinstance(before.value, str)
                and bool(CODE.match(before.value))
            )
            chinese = any(CJK.search(text) for text in _texts(arg))
            if code_before and chinese and not isinstance(args[i + 1], ast.Call):
                candidates.append(args[i + 1])
        for expr in candidates:
            yield from assigned(expr) if isinstance(expr, ast.Name) else [expr]


def _source_messages() -> Iterator[tuple[str, str]]:
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for expr in _english_expressions(tree):
            for text in _texts(expr):
                yield f"{path.relative_to(SRC)}:{expr.lineno}", text


def test_the_scan_finds_english_messages_in_every_kind_of_problem_call() -> None:
    """The scan reads what it must: messages from Problems, Issue, flags and rule failures."""
    found = {where.split(":")[0] for where, _ in _source_messages()}
    assert {"loading.py", "flags.py", "cli.py", "diff.py", "evaluation/rows.py"} <= found
    assert sum(1 for _ in _source_messages()) > 200


def test_english_messages_in_the_source_quote_any_chinese_they_show() -> None:
    """No English message written in the source shows Chinese outside quotes."""
    bad = [f"{where}: {text!r}" for where, text in _source_messages() if _unquoted_chinese(text)]
    assert bad == []


def test_rule_pack_english_templates_carry_no_chinese() -> None:
    """Every built-in rule's English problem, message and suggestion."""
    bad = []
    for path in sorted((SRC / "rulepacks").glob("*.yaml")):
        pack = parse_rule_pack(path.read_text(encoding="utf-8"), str(path))
        for rule in pack.rules:
            for field in ("problem_en", "message_en", "suggestion_en"):
                text = getattr(rule, field) or ""
                if _unquoted_chinese(text):
                    bad.append(f"{path.name} {rule.id}.{field}: {text!r}")
    assert bad == []


def _own_words(indicator_set: IndicatorSet) -> set[str]:
    """What the set's authors wrote in Chinese, which English output may quote."""
    words: set[str] = set()

    def walk(node: Group | Leaf) -> None:
        words.update(filter(None, [node.name, getattr(node, "unit", None)]))
        target = getattr(node, "target", None)
        if isinstance(target, str):
            words.add(target)
        for item in getattr(node, "rubric", None) or ():
            words.add(item.item)
        for child in getattr(node, "children", ()):
            walk(child)

    for node in indicator_set.indicators:
        walk(node)
    for value in indicator_set.inputs.values():
        words.update(filter(None, [value.label, value.unit]))
    for derived in indicator_set.derived.values():
        words.update(filter(None, [derived.label, derived.unit]))
    words.update(filter(None, [indicator_set.title, indicator_set.organization]))
    return words


SHIPPED = [
    *(SETS / name for name in ("gz-haizhu-amr-2023", "project-demo-2024")),
    *(SRC / "templates" / name for name in ("project", "mof-2013", "guangdong")),
]


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_flag_and_problem_a_shipped_set_produces_reads_in_english(folder: Path) -> None:
    """Run in English, the flags (problem, message, suggestion) and every row's problem carry
    no Chinese but the set's own words and quoted text."""
    indicator_set = load_indicator_set(folder)
    evaluation = Engine(indicator_set).evaluate(load_actuals(folder / "actuals.yaml"))
    texts = [
        text
        for flag in evaluation.flags
        for text in (flag.problem_en, flag.text("en"), flag.suggestion_en)
    ]
    texts += [r.problem_en or "" for r in evaluation.indicators]
    texts += [f.text("en") for f in Engine(indicator_set).lint()]
    own = sorted(_own_words(indicator_set), key=len, reverse=True)
    bad = []
    for text in texts:
        rest = text
        for word in own:
            rest = rest.replace(word, "")
        if _unquoted_chinese(rest):
            bad.append(text)
    assert bad == []


@pytest.mark.parametrize("template", ["project", "mof-2013", "guangdong"])
def test_templates_name_everything_in_english(template: str) -> None:
    """A set started from a template reports in English out of the box: its title, every group
    and row, every input and derived value, every rubric point."""
    s = load_indicator_set(SRC / "templates" / template)
    assert s.title_en
    missing = [k for k, v in s.inputs.items() if not v.label_en]
    missing += [k for k, d in s.derived.items() if not d.label_en]

    def walk(node: Group | Leaf) -> None:
        if not node.name_en:
            missing.append(node.id)
        if isinstance(node, Leaf):
            missing.extend(i.item for i in node.rubric or () if not i.item_en)
        else:
            for child in node.children:
                walk(child)

    for node in s.indicators:
        walk(node)
    assert missing == []
    assert all(not CJK.search(v.name_en or "") for v in s.indicators)
