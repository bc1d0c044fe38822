"""Rule packs: problem checks as data. Load, check and compile them; resolve a set's packs.

A pack is YAML (``kpi_rulepack: 1``): named parameters with defaults, and rules each with a
scope, an optional selector, a ``when`` condition in the formula language and message templates.
Built-in packs ship in ``kpi_engine/rulepacks/``; a set names the packs it uses and may override
their parameters (``rules: {cn-fiscal: {overachievement: 0.3}}``). Every problem in a pack (or in
a set's overrides) is reported with its location, like any other definition error.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import itertools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from kpi_engine.display import show
from kpi_engine.errors import DefinitionError, FormulaError, KpiEngineError, did_you_mean
from kpi_engine.facts import FACTS, RESULT_FACTS
from kpi_engine.facts.catalogue import FACT_KINDS
from kpi_engine.formula import Formula, compile_formula
from kpi_engine.limits import confined
from kpi_engine.loading import FolderSourceMap, load_rule_pack_file, parse_rule_pack
from kpi_engine.models import IndicatorSet, ParamValue, RuleDef, RulePackDef, SourceMap
from kpi_engine.problems import Path_, Problems

__all__ = [
    "BUILTIN_PACKS",
    "DEFAULT_PACKS",
    "CompiledRule",
    "Gate",
    "RulePack",
    "Screen",
    "Template",
    "builtin_pack",
    "compile_pack",
    "gate",
    "load_pack",
    "packs_for",
    "parse_template",
    "passes",
    "plain",
    "screen",
]

DEFAULT_PACKS = ("cn-fiscal",)
"""Packs applied when a set does not say (``rules: []`` turns them off)."""
FORMATS = {"", "pct", "num", "unit"}
"""Template formats: ``{x}`` as is, ``{x:pct}`` a ratio as a percentage, ``{x:num}`` 2 places,
``{x:unit}`` followed by the row's unit (``80 人``, ``95%``)."""
SELECTABLE = {
    "group": {"role", "depth", "is_first_level", "name"},
    "indicator": {"kind", "method", "direction", "unit", "role", "dimension", "group", "status"},
}


def _builtin_names() -> tuple[str, ...]:
    folder = resources.files("kpi_engine") / "rulepacks"
    return tuple(
        sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


BUILTIN_PACKS = _builtin_names()
"""Names of the packs shipped with kpi_engine."""


Template = tuple[tuple[str, str | None, str], ...]
"""A message template parsed once: (literal text, field name or None, format spec) parts."""

Gate = tuple[tuple[str, ...], ...]
"""Clauses of facts: when every fact of one clause is None, the condition's value is None (the
rule does not apply) and evaluating it could raise nothing else, so it need not be evaluated."""

_MAX_CLAUSES = 16


class _UnsafeError(KpiEngineError):
    """The condition could raise something other than a missing operand: it gets no gate."""


_Found = tuple[str, frozenset[frozenset[str]]]  # kind (num, bool, str, any), clauses


def _product(parts: Sequence[frozenset[frozenset[str]]]) -> frozenset[frozenset[str]]:
    """Clauses true only when each part is None: one clause of each part, joined."""
    joined = {frozenset().union(*choice) for choice in itertools.product(*parts)}
    return frozenset(sorted(joined, key=len)[:_MAX_CLAUSES])  # fewer clauses: fewer skips only


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    return "num" if isinstance(value, Decimal) else "str" if isinstance(value, str) else "any"


def _gate(node: ast.expr, facts: Mapping[str, str], params: Mapping[str, str]) -> _Found:
    """The kind of ``node`` and the clauses that make it None or raise a missing operand; raises
    _UnsafeError where it could raise anything else (a division, text compared by size). Follows
    the operators of :mod:`kpi_engine.formula` and :mod:`kpi_engine.functions` one by one."""
    if isinstance(node, ast.Constant):
        return _kind_of(node.value), frozenset()
    if isinstance(node, ast.Name):
        if node.id in params:
            return params[node.id], frozenset()  # a parameter is never None
        if node.id not in facts:
            raise _UnsafeError
        return facts[node.id], frozenset({frozenset({node.id})})
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
        (a, left), (b, right) = _gate(node.left, facts, params), _gate(node.right, facts, params)
        if a != "num" or b != "num":
            raise _UnsafeError
        return "num", left | right
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        a, left = _gate(node.left, facts, params)
        b, right = _gate(node.comparators[0], facts, params)
        equality = isinstance(node.ops[0], ast.Eq | ast.NotEq) and "str" in (a, b)
        if not equality and (a != "num" or b != "num"):
            raise _UnsafeError
        return "bool", left | right
    if isinstance(node, ast.UnaryOp):
        kind, clauses = _gate(node.operand, facts, params)
        if isinstance(node.op, ast.Not):
            return "bool", clauses
        if kind != "num":
            raise _UnsafeError
        return "num", clauses
    if isinstance(node, ast.BoolOp):
        found = [_gate(value, facts, params) for value in node.values]
        kinds = {kind for kind, _ in found}
        kind = kinds.pop() if len(kinds) == 1 else "any"
        if isinstance(node.op, ast.And):
            return kind, found[0][1]  # a None first part ends it
        return kind, _product([clauses for _, clauses in found])
    if isinstance(node, ast.IfExp):
        _gate(node.test, facts, params)
        (a, body), (b, orelse) = _gate(node.body, facts, params), _gate(node.orelse, facts, params)
        return a if a == b else "any", _product([body, orelse])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        found = [_gate(arg, facts, params) for arg in node.args]
        if node.func.id == "coalesce":
            kinds = {kind for kind, _ in found}
            return kinds.pop() if len(kinds) == 1 else "any", _product([c for _, c in found])
        if node.func.id in ("abs", "min", "max") and all(kind == "num" for kind, _ in found):
            return "num", frozenset().union(*(clauses for _, clauses in found))
    raise _UnsafeError


Screen = tuple[str, str, object]
"""(fact, test, value): a subject passes when ``is`` — the fact is the value (True or False) —,
``eq`` — equals it —, or ``ne`` — is known and differs from it; any other subject does not fire."""


def screen(when: Formula, scope: str) -> Screen | None:
    """A test of one fact that a subject must pass for ``when`` to fire, read from the condition
    (or its first ``and`` part): a false or None first part ends an ``and`` with that value, and
    such a part raises nothing but a missing operand, so a subject failing it cannot fire."""
    node = when.tree
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        node = node.values[0]
    kinds = FACT_KINDS[scope]
    if isinstance(node, ast.Name) and kinds.get(node.id) == "bool":
        return node.id, "is", True
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and isinstance(node.operand, ast.Name)
        and kinds.get(node.operand.id) == "bool"
    ):
        return node.operand.id, "is", False
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq | ast.NotEq)
        and isinstance(node.left, ast.Name)
        and kinds.get(node.left.id) == "str"
        and isinstance(node.comparators[0], ast.Constant)
        and isinstance(node.comparators[0].value, str)
    ):
        test = "eq" if isinstance(node.ops[0], ast.Eq) else "ne"
        return node.left.id, test, node.comparators[0].value
    return None


def passes(value: object, test: str, wanted: object) -> bool:
    """Whether a fact's value passes a :data:`Screen` test."""
    if test == "is":
        return value is wanted
    if test == "eq":
        return value == wanted
    return value is not None and value != wanted


def gate(when: Formula, scope: str, params: Mapping[str, object]) -> Gate:
    """The clauses under which ``when`` is certainly None for a subject of ``scope`` — it then
    does not apply, and nothing else could have come of evaluating it — or () when it could raise
    another error (facts hold their catalogued type or None; Decimal facts are finite)."""
    kinds = {name: _kind_of(plain(v) if isinstance(v, list) else v) for name, v in params.items()}
    try:
        _, clauses = _gate(when.tree, FACT_KINDS[scope], kinds)
    except _UnsafeError:
        return ()
    return tuple(tuple(sorted(clause)) for clause in sorted(clauses, key=sorted))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A checked rule ready to run."""

    definition: RuleDef
    when: Formula
    needs_results: bool
    """Whether it reads facts only an evaluation gives (``kpi lint`` skips those)."""
    order: int
    select: tuple[tuple[str, frozenset[str]], ...] = ()
    """The selector with its values already in the text form facts are compared in."""
    templates: tuple[Template, Template, Template, Template] = ((), (), (), ())
    """message, message_en, suggestion, suggestion_en, parsed once."""
    evidence_names: tuple[str, ...] = ()
    """The names a flag of this rule records as evidence (condition and templates), sorted."""
    gate: Gate = ()
    """Clauses of facts that, all None, mean the rule does not apply (see :func:`gate`)."""
    screen: Screen | None = None
    """A test of one fact a subject must pass to fire (see :func:`screen`)."""


def plain(value: object) -> str:
    """A fact or parameter as text, the form selectors compare and evidence records."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True, slots=True)
class RulePack:
    """A compiled pack with its effective parameters (defaults plus the set's overrides)."""

    id: str
    title: str
    title_en: str | None
    params: Mapping[str, ParamValue]
    rules: tuple[CompiledRule, ...]
    source: str


def parse_template(text: str) -> Template:
    """A message template's parts; raises ValueError on bad braces or a ``!r``/``!s`` conversion."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(text):
        if conversion:
            raise ValueError(f"conversion '!{conversion}' is not supported")
        parts.append((literal, field, spec or ""))
    return tuple(parts)


def compile_pack(definition: RulePackDef) -> RulePack:
    """Check every rule of a pack; raises DefinitionError listing every problem."""
    problems = Problems(definition.source or SourceMap(f"<{definition.id}>", {}, {}))
    params = set(definition.params)
    for name in params:
        for scope, facts in FACTS.items():
            if name in facts:
                problems.add(
                    "rules.param-shadows-fact",
                    f"参数 '{name}' 与{scope}范围的事实同名",
                    f"parameter {name!r} has the name of a {scope} fact",
                    ("params", name),
                )
    seen: dict[str, int] = {}
    compiled: list[CompiledRule] = []
    for i, rule in enumerate(definition.rules):
        at = ("rules", i)
        if rule.id in seen:
            problems.add(
                "rules.duplicate-id",
                f"规则 id '{rule.id}' 重复",
                f"rule id {rule.id!r} is used twice",
                (*at, "id"),
            )
        seen[rule.id] = i
        known = set(FACTS[rule.scope]) | params
        for key in rule.select:
            allowed = SELECTABLE.get(rule.scope, set())
            if key not in allowed:
                zh, en = did_you_mean(key, allowed)
                problems.add(
                    "rules.bad-select",
                    f"{rule.scope} 范围不能按 '{key}' 选择{zh}",
                    f"cannot select {rule.scope}s by {key!r}{en}",
                    (*at, "select", key),
                )
        try:
            when = compile_formula(rule.when)
        except FormulaError as exc:
            problems.add_formula_error(exc, (*at, "when"))
            continue
        for name, col in when.unknown_names(known):
            zh, en = did_you_mean(name, known)
            problems.add(
                "rules.unknown-name",
                f"规则 {rule.id} 的条件中 '{name}' 不是 {rule.scope} 范围的事实或参数{zh}",
                f"{name!r} in rule {rule.id} is not a {rule.scope} fact or parameter{en}",
                (*at, "when"),
                col=col,
            )
        names: set[str] = set()
        templates: list[Template] = []
        for key in ("message", "message_en", "suggestion", "suggestion_en"):
            try:
                template = parse_template(getattr(rule, key))
            except ValueError as exc:
                problems.add(
                    "rules.bad-template",
                    f"消息模板有误：{exc}",
                    f"bad message template: {exc}",
                    (*at, key),
                )
                continue
            templates.append(template)
            for _, field, spec in template:
                if field is None:
                    continue
                if field not in known:
                    zh, en = did_you_mean(field, known)
                    problems.add(
                        "rules.unknown-name",
                        f"消息模板中的 '{{{field}}}' 不是事实或参数{zh}",
                        f"{{{field}}} in the template is not a fact or parameter{en}",
                        (*at, key),
                    )
                if spec not in FORMATS:
                    problems.add(
                        "rules.bad-template",
                        f"未知格式 '{spec}'，可用 pct、num 或 unit",
                        f"unknown format {spec!r}; use pct, num or unit",
                        (*at, key),
                    )
                names.add(field)
                if spec == "unit" and "unit" in known:
                    names.add("unit")  # the figure is shown with it: evidence records it too
        used = when.names | names
        if len(templates) < 4:
            continue  # reported above; the pack is not compiled
        compiled.append(
            CompiledRule(
                rule,
                when,
                bool(used & RESULT_FACTS[rule.scope]),
                i,
                tuple(
                    (key, frozenset(plain(o) for o in (v if isinstance(v, list) else [v])))
                    for key, v in rule.select.items()
                ),
                (templates[0], templates[1], templates[2], templates[3]),
                tuple(sorted(used)),
                gate(when, rule.scope, {n: p.default for n, p in definition.params.items()}),
                screen(when, rule.scope),
            )
        )
    problems.raise_if_any()
    return RulePack(
        definition.id,
        definition.title,
        definition.title_en,
        MappingProxyType({name: p.default for name, p in definition.params.items()}),
        tuple(compiled),
        problems.smap.file,
    )


def load_pack(path: str | Path) -> RulePack:
    """Load and compile a pack file."""
    return compile_pack(load_rule_pack_file(Path(path)))


def _file_pack(path: Path) -> RulePack:
    """A pack file a set names: a regular file only (no FIFO or device), measured first."""
    return compile_pack(load_rule_pack_file(path, regular_only=True))


@functools.cache
def builtin_pack(name: str) -> RulePack:
    """A pack shipped with kpi_engine, by name (e.g. ``cn-fiscal``); compiled once, immutable."""
    resource = resources.files("kpi_engine") / "rulepacks" / f"{name}.yaml"
    return compile_pack(
        parse_rule_pack(resource.read_text(encoding="utf-8"), f"<builtin:{name}.yaml>")
    )


def _override(
    pack: RulePack, overrides: Mapping[str, object], where: Path_, problems: Problems
) -> RulePack:
    params = dict(pack.params)
    for name, given in overrides.items():
        value = given
        if name not in params:
            zh, en = did_you_mean(name, params)
            problems.add(
                "rules.unknown-param",
                f"规则包 {pack.id} 没有参数 '{name}'{zh}",
                f"rule pack {pack.id} has no parameter {name!r}{en}",
                (*where, name),
                key=True,
            )
            continue
        default = params[name]
        if isinstance(default, Decimal) and isinstance(value, str):
            with contextlib.suppress(ArithmeticError):  # a quoted number is still a number
                value = Decimal(value)
        if isinstance(default, Decimal) != isinstance(value, Decimal) or isinstance(
            default, list
        ) != isinstance(value, list):
            problems.add(
                "rules.bad-param",
                f"参数 '{name}' 的类型应与默认值 {default!r} 相同",
                f"parameter {name!r} must have the type of its default {default!r}",
                (*where, name),
            )
            continue
        params[name] = value  # type: ignore[assignment]
    return RulePack(
        pack.id, pack.title, pack.title_en, MappingProxyType(params), pack.rules, pack.source
    )


def packs_for(indicator_set: IndicatorSet, extra: Sequence[RulePack] = ()) -> tuple[RulePack, ...]:
    """The packs a set asks for (built-in names or paths relative to the set), with overrides."""
    problems = Problems(indicator_set.source or SourceMap("<set>", {}, {}))
    requested = indicator_set.rules
    if requested is None:
        entries: list[tuple[str, Mapping[str, object], Path_]] = [
            (name, {}, ("rules",)) for name in DEFAULT_PACKS
        ]
    elif isinstance(requested, dict):
        entries = [(name, o, ("rules", name)) for name, o in requested.items()]
    else:
        entries = [(name, {}, ("rules", i)) for i, name in enumerate(requested)]
    smap = indicator_set.source
    base = smap.base if isinstance(smap, FolderSourceMap) else None
    packs: list[RulePack] = []
    for name, overrides, where in entries:
        is_path = name.endswith((".yaml", ".yml")) or "/" in name
        if not is_path and name not in BUILTIN_PACKS:
            zh, en = did_you_mean(name, BUILTIN_PACKS)
            problems.add(
                "rules.unknown-pack",
                f"没有名为 '{name}' 的内置规则包{zh}",
                f"no built-in rule pack named {name!r}{en}",
                where,
                key=isinstance(requested, dict),
            )
            continue
        if is_path and base is None:
            problems.add(
                "rules.no-folder",
                f"规则包文件 '{name}' 无从读取：从文本读入的指标体系未给出所在文件夹（base=）",
                f"rule pack file {name!r} is not read: the set was parsed from text without "
                "a folder (base=)",
                where,
                key=isinstance(requested, dict),
            )
            continue
        path = confined(base, name, problems, where) if is_path and base is not None else None
        if is_path and path is None:
            continue
        try:
            pack = _file_pack(path) if path is not None else builtin_pack(name)
        except DefinitionError as exc:
            problems.extend(exc.issues)
            continue
        packs.append(_override(pack, overrides, where, problems))
    problems.raise_if_any()
    return (*packs, *extra)
