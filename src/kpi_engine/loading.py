"""YAML text → pydantic models, with the location of every node.

The only module that imports ``yaml``. PyYAML is hardened here:

- only a YAML 1.2-like core schema is resolved: ``true``/``false``, ``null``, and decimal numbers,
  which become :class:`~decimal.Decimal` from their text (``22044.92`` stays exact). ``NO``, ``on``,
  ``y`` stay strings, ``1:30`` is not 90, and ``010`` stays the string "010" rather than 8;
- duplicate keys are an error (PyYAML silently keeps the last);
- alias expansion, nesting depth and file size are bounded, so a "billion laughs" file is refused
  at once;
- every problem found is collected and raised together as one :class:`DefinitionError`.
"""

from __future__ import annotations

import difflib
import re
import typing
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from kpi_engine.errors import Issue, SourceLocation, did_you_mean
from kpi_engine.models import Actuals, IndicatorSet, RulePackDef, SourceMap
from kpi_engine.problems import Path_, Problems

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_NODES",
    "dump_yaml",
    "load_actuals",
    "load_indicator_set",
    "load_rule_pack_file",
    "parse_actuals",
    "parse_indicator_set",
    "parse_rule_pack",
    "resolve_set_paths",
]

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest definition file accepted (bytes)."""
MAX_NODES = 50_000
"""Most YAML nodes a document may expand to, counting every use of an alias."""
MAX_NESTING = 64
"""Deepest nesting of mappings and lists."""

_NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")
_STR = "tag:yaml.org,2002:str"
_NUM = "tag:yaml.org,2002:float"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _CoreResolver(BaseResolver):
    """Resolves only what YAML 1.2's core schema would, minus its octal and hex forms."""


_CoreResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreResolver.add_implicit_resolver(_NUM, _NUMBER, list("-+.0123456789"))


class _Loader(Reader, Scanner, Parser, Composer, _CoreResolver):
    """Composes a node graph only; Python objects are built by :class:`_Builder`."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)


class _Builder:
    """Turns a composed node graph into plain data, recording locations and problems."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[Path_, SourceLocation] = {}
        self.keys: dict[Path_, SourceLocation] = {}
        self.smap = SourceMap(source, self.values, self.keys)  # filled in as nodes are built
        self.problems = Problems(self.smap)
        self.count = 0

    def where(self, node: Node) -> SourceLocation:
        mark = node.start_mark
        return SourceLocation(self.source, mark.line + 1, mark.column + 1)

    def build(self, node: Node, path: Path_ = ()) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.problems.fail(
                "yaml.too-large",
                f"文档展开后超过 {MAX_NODES} 个节点（别名 * 引用过多？）",
                f"the document expands to more than {MAX_NODES} nodes (too many aliases?)",
                self.where(node),
            )
        if len(path) > MAX_NESTING:
            self.problems.fail(
                "yaml.too-deep",
                f"嵌套超过 {MAX_NESTING} 层",
                f"nesting is deeper than {MAX_NESTING} levels",
                self.where(node),
            )
        where = self.where(node)
        if isinstance(node, ScalarNode) and node.style in ("'", '"'):
            # Point inside the quotes so that columns within a formula line up.
            where = SourceLocation(where.file, where.line, where.col + 1)
        self.values.setdefault(path, where)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        return self.mapping(node, path)

    def mapping(self, node: MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, SourceLocation] = {}
        merged: list[tuple[Node, Path_]] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.add(
                    "yaml.complex-key",
                    "映射的键必须是简单文本",
                    "mapping keys must be plain scalars",
                    self.where(key_node),
                )
                continue
            key = str(key_node.value)
            if key == "<<" and key_node.style is None:
                merged.append((value_node, path))
                continue
            where = self.where(key_node)
            if key in first_seen:
                first = first_seen[key]
                self.problems.add(
                    "yaml.duplicate-key",
                    f"键 '{key}' 重复（首次出现在第 {first.line} 行第 {first.col} 列）",
                    f"duplicate key {key!r} (first defined at line {first.line}, "
                    f"column {first.col})",
                    where,
                )
                continue
            first_seen[key] = where
            self.keys[(*path, key)] = where
            result[key] = self.build(value_node, (*path, key))
        for value_node, at in merged:
            # Merge keys (<<: *defaults) fill in only what the mapping did not set itself.
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.problems.add(
                        "yaml.bad-merge",
                        "合并键 << 只能引用映射",
                        "the merge key << must refer to a mapping",
                        self.where(source),
                    )
                    continue
                for key, value in self.mapping(source, at).items():
                    result.setdefault(key, value)
        return result

    def scalar(self, node: ScalarNode) -> Any:
        text = str(node.value)
        tag = node.tag
        if tag in (_STR, "!"):
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() == "true"
        if tag in (_NUM, _INT, "tag:yaml.org,2002:float"):
            if _LEADING_ZERO.match(text) and tag == _NUM and node.style is None:
                return text  # codes such as 010 keep their zeros; numeric fields still parse them
            try:
                return Decimal(text.strip())
            except InvalidOperation:
                pass
            self.problems.add(
                "yaml.bad-number",
                f"'{text}' 不是数字",
                f"{text!r} is not a number",
                self.where(node),
            )
            return text
        self.problems.add(
            "yaml.tag", f"不支持的 YAML 标签 {tag}", f"unsupported YAML tag {tag}", self.where(node)
        )
        return text


def _end_of(before: str, source: str) -> SourceLocation:
    """Where the text that follows ``before`` (the start of a file) begins."""
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return SourceLocation(source, line, col)


def _refuse_oversized(size: int, problems: Problems) -> None:
    if size > MAX_FILE_BYTES:
        problems.fail(
            "yaml.file-too-large",
            f"文件超过 {MAX_FILE_BYTES} 字节",
            f"the file is larger than {MAX_FILE_BYTES} bytes",
        )


def _decode(raw: bytes, source: str) -> str:
    problems = Problems.in_file(source)
    _refuse_oversized(len(raw), problems)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.fail(
            "yaml.encoding",
            "文件不是 UTF-8 编码（请另存为 UTF-8）",
            "the file is not UTF-8 encoded (save it as UTF-8)",
            _end_of(raw[: exc.start].decode("utf-8", errors="replace"), source),
        )


def _refuse_control_character(exc: ReaderError, text: str, problems: Problems) -> NoReturn:
    """PyYAML refuses control characters (e.g. \\x1f) before parsing; locate them."""
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    problems.fail(
        "yaml.control-character",
        f"文件含有不允许的控制字符 U+{code:04X}（多见于从其他系统复制的文本），请删除",
        f"the file contains the control character U+{code:04X}, which YAML does not allow",
        _end_of(text[: exc.position], problems.smap.file),
    )


def read_yaml(text: str, source: str) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse YAML text into plain data (Decimal numbers), its source map and any problems.

    Problems that still leave a usable mapping (a duplicate key, a bad tag) are returned so that
    schema problems can be reported in the same run; the rest raise at once.
    """
    text = text.removeprefix("\ufeff")
    problems = Problems.in_file(source)  # until the document is built, every path is file:1:1
    _refuse_oversized(len(text), problems)
    try:
        loader = _Loader(text)
    except ReaderError as exc:
        _refuse_control_character(exc, text, problems)
    try:
        node = loader.get_single_node()
    except ReaderError as exc:
        _refuse_control_character(exc, text, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        problems.fail(
            "yaml.syntax",
            f"YAML 语法错误：{problem}",
            f"YAML syntax error: {problem}",
            SourceLocation(source, mark.line + 1, mark.column + 1) if mark else (),
        )
    except yaml.YAMLError as exc:
        problems.fail("yaml.syntax", f"YAML 错误：{exc}", f"YAML error: {exc}")
    finally:
        loader.dispose()
    if node is None:
        problems.fail("yaml.empty", "文件为空", "the file is empty")
    builder = _Builder(source)
    try:
        data = builder.build(node)
    except RecursionError:  # a self-referencing anchor that slipped past the depth check
        builder.problems.fail(
            "yaml.too-deep", "嵌套过深", "nesting is too deep", builder.where(node)
        )
    if not isinstance(data, dict):
        builder.problems.fail(
            "yaml.not-mapping",
            "文档顶层必须是映射（键: 值），而不是列表或单个值",
            "the document must be a mapping (key: value), not a list or a scalar",
            builder.where(node),
        )
    return data, builder.smap, builder.problems.issues


# --- pydantic errors → located issues ---------------------------------------------------------

_ZH = {
    "missing": "缺少必填字段",
    "string_type": "应为文本",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing_error": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "取值过小",
    "greater_than": "取值过小",
    "less_than_equal": "取值过大",
    "less_than": "取值过大",
    "too_short": "内容过少",
    "too_long": "内容过多",
    "string_pattern_mismatch": "格式不符合要求",
    "string_too_short": "不能为空",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "union_tag_invalid": "取值类型无效",
    "none_required": "应为空",
    "finite_number": "应为有限数字（不能是 NaN 或无穷大）",
    "is_instance_of": "类型不符",
}


def _vocabulary(model: type[BaseModel]) -> frozenset[str]:
    """Every field name reachable from ``model``: the candidates for did-you-mean."""
    seen: set[type[BaseModel]] = set()
    names: set[str] = set()

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            for name, field in annotation.model_fields.items():
                names.add(name)
                visit(field.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(model)
    return frozenset(names)


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path_:
    """Map a pydantic ``loc`` onto the data, dropping union tags that are not real keys."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and part == loc[-1]:
            path.append(part)  # a missing or unknown key: keep it to name it
    return tuple(path)


def _issue_from_error(
    error: ErrorDetails, data: Any, problems: Problems, vocabulary: frozenset[str]
) -> tuple[Path_, Issue]:
    kind = error["type"]
    path = _data_path(data, error["loc"])
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        zh_hint, en_hint = did_you_mean(key, vocabulary)
        zh, en = f"未知字段 '{key}'{zh_hint}", f"unknown key {key!r}{en_hint}"
        return path, problems.issue("schema.unknown-key", zh, en, path, key=True)
    if kind == "missing":
        key = str(path[-1]) if path else "?"
        zh, en = f"缺少必填字段 '{key}'", f"missing required key {key!r}"
        return path, problems.issue("schema.missing-key", zh, en, path[:-1])
    if "." in kind:  # our own PydanticCustomError codes carry both languages
        return path, problems.issue(kind, error["msg"], str(ctx.get("en", error["msg"])), path)
    where = ".".join(str(p) for p in path)
    zh = f"{where or '文档'}：{_ZH.get(kind, '取值无效')}（{error['msg']}）"
    return path, problems.issue(
        "schema.invalid", zh, f"{where or 'document'}: {error['msg']}", path
    )


_M = TypeVar("_M", bound=BaseModel)


def _fold_misspelt_required(
    located: list[tuple[tuple[Path_, Issue], str]],
) -> list[tuple[tuple[Path_, Issue], str]]:
    """``wieght: 10`` is one mistake, not two: drop "missing 'weight'" when a sibling key is it.

    The unknown key's hint then names the missing field, which beats the closest name overall.
    """
    missing = {path: issue for (path, issue), kind in located if kind == "missing" and path}
    folded: set[Path_] = set()
    out = []
    for (path, found), kind in located:
        issue = found
        if kind == "extra_forbidden" and path:
            parent = path[:-1]
            siblings = [str(p[-1]) for p in missing if p[:-1] == parent and p not in folded]
            match = difflib.get_close_matches(str(path[-1]), siblings, n=1, cutoff=0.6)
            if match:
                folded.add((*parent, match[0]))
                key = path[-1]
                issue = found.reworded(
                    f"未知字段 '{key}'，是否想写必填字段 '{match[0]}'？",
                    f"unknown key {key!r}; did you mean the required key {match[0]!r}?",
                )
        out.append(((path, issue), kind))
    return [item for item in out if not (item[1] == "missing" and item[0][0] in folded)]


def _schema_issues(
    exc: ValidationError, data: Any, problems: Problems, vocabulary: frozenset[str]
) -> list[Issue]:
    errors = exc.errors(include_url=False)
    located = [(_issue_from_error(e, data, problems, vocabulary), e["type"]) for e in errors]
    located = _fold_misspelt_required(located)
    paths = [path for (path, _), _ in located]
    by_place: dict[tuple[str | int, ...], list[tuple[Issue, str]]] = {}
    for (path, issue), kind in located:
        if kind == "too_short" and any(p[: len(path)] == path and p != path for p in paths):
            continue  # a list emptied by its own invalid items: the items' errors say it all
        by_place.setdefault((issue.code, *path), []).append((issue, kind))
    result = []
    for group in by_place.values():
        issue, _ = group[0]
        if len(group) > 1 and issue.code == "schema.invalid":
            # A union reports one error per alternative: say what would have been accepted.
            wanted = dict.fromkeys(_ZH.get(kind, kind) for _, kind in group)
            where = issue.message.split("：", 1)[0]
            issue = issue.reworded(
                f"{where}：类型不符，应为" + "或".join(w.removeprefix("应为") for w in wanted),
                issue.message_en.split(":", 1)[0]
                + ": wrong type; expected one of: "
                + ", ".join(dict.fromkeys(kind for _, kind in group)),
            )
        result.append(issue)
    return result


def validate(model: type[_M], data: Any, smap: SourceMap, earlier: list[Issue] | None = None) -> _M:
    """Validate plain data as ``model``; all problems (``earlier`` too) are raised together."""
    problems = Problems(smap, earlier or ())
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_schema_issues(exc, data, problems, _vocabulary(model)))
        problems.raise_if_any()
        raise  # pragma: no cover - pydantic never raises a ValidationError without errors
    problems.raise_if_any()
    result._source = smap  # type: ignore[attr-defined]
    return result


# --- public entry points ------------------------------------------------------------------------


def resolve_set_paths(path: str | Path) -> tuple[Path, Path | None]:
    """``SET`` may be a file or a directory holding ``set.yaml`` (and maybe ``actuals.yaml``).

    Returns the set file and, for a directory, its ``actuals.yaml`` when present.
    """
    p = Path(path)
    if p.is_dir():
        actuals = p / "actuals.yaml"
        return p / "set.yaml", actuals if actuals.is_file() else None
    return p, None


def _read_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        Problems.in_file(str(path)).fail(
            "file.unreadable",
            f"无法读取文件：{exc.strerror or exc}",
            f"cannot read the file: {exc.strerror or exc}",
        )
    return _decode(raw, str(path))


def parse_indicator_set(text: str, source: str = "<string>") -> IndicatorSet:
    """Parse an indicator set from YAML text; ``source`` names it in error locations."""
    return validate(IndicatorSet, *read_yaml(text, source))


def load_indicator_set(path: str | Path) -> IndicatorSet:
    """Load an indicator set from a YAML file, or from a directory holding ``set.yaml``."""
    set_path, _ = resolve_set_paths(path)
    return parse_indicator_set(_read_file(set_path), str(set_path))


def parse_actuals(text: str, source: str = "<string>") -> Actuals:
    """Parse actuals from YAML text."""
    return validate(Actuals, *read_yaml(text, source))


def load_actuals(path: str | Path) -> Actuals:
    """Load actuals from a YAML file."""
    p = Path(path)
    return parse_actuals(_read_file(p), str(p))


def parse_rule_pack(text: str, source: str = "<string>") -> RulePackDef:
    """Parse a rule pack from YAML text (compile it with kpi_engine.rulepacks.compile_pack)."""
    return validate(RulePackDef, *read_yaml(text, source))


def load_rule_pack_file(path: Path) -> RulePackDef:
    """Load a rule pack definition from a YAML file."""
    return parse_rule_pack(_read_file(path), str(path))


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as plain numbers (read back exactly by this module's loader)."""


def _decimal_scalar(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:int" if value == value.to_integral_value() else _NUM
    return dumper.represent_scalar(tag, text.rstrip("0").rstrip(".") if "." in text else text)


_Dumper.add_representer(Decimal, _decimal_scalar)


def dump_yaml(data: Any, header: str = "") -> str:
    """YAML text for generated files (``kpi import``): Chinese kept readable, key order kept."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + str(body)
