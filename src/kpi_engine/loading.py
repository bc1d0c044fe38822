"""YAML text → pydantic models, with the location of every node.

The only module that imports ``yaml``. PyYAML is hardened here:

- only a YAML 1.2-like core schema is resolved: ``true``/``false``, ``null``, and decimal numbers,
  which become :class:`~decimal.Decimal` from their text (``22044.92`` stays exact). ``NO``, ``on``,
  ``y`` stay strings, ``1:30`` is not 90, and ``010`` stays the string "010" rather than 8;
- duplicate keys are an error (PyYAML silently keeps the last);
- alias expansion, nesting depth and file size are bounded, so a "billion laughs" file is refused
  at once; a file is measured before it is read (:mod:`kpi_engine.limits`), and a genuine large set
  (10,000 indicators) loads, since only nodes built again through an alias count;
- numbers longer than ``kpi_engine.limits.Limits.max_number_digits`` digits (``1e999999999``),
  control characters and lone surrogates (from ``"\\x00"`` escapes) are refused where they stand;
- every problem found is collected and raised together as one :class:`DefinitionError`.
"""

from __future__ import annotations

import difflib
import logging
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

from kpi_engine.errors import Issue, KpiEngineError, SourceLocation, did_you_mean
from kpi_engine.gcpause import without_gc
from kpi_engine.limits import Limits, bad_character, current, number_too_long, read_bytes, using
from kpi_engine.models import Actuals, IndicatorSet, RulePackDef, SourceMap
from kpi_engine.problems import Path_, Problems

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_NESTING",
    "FolderSourceMap",
    "dump_yaml",
    "load_actuals",
    "load_indicator_set",
    "load_rule_pack_file",
    "parse_actuals",
    "parse_indicator_set",
    "parse_rule_pack",
    "read_definition",
    "resolve_set_paths",
]

MAX_NESTING = 64
"""Deepest nesting of mappings and lists. Fixed, not one of the :class:`~kpi_engine.limits.Limits`:
it keeps PyYAML's recursive composer far from Python's recursion limit, so raising it could only
turn a located error into a crash. (How many nodes aliases may build is
``Limits.max_nodes``.)"""

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


class _TooDeepError(KpiEngineError, yaml.MarkedYAMLError):
    """The composer reached :data:`MAX_NESTING` (before Python's recursion limit could)."""


class _Loader(Reader, Scanner, Parser, Composer, _CoreResolver):
    """Composes a node graph only; Python objects are built by :class:`_Builder`."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # PyYAML composes recursively: stop at MAX_NESTING, long before RecursionError.
        self.depth += 1
        try:
            if self.depth > MAX_NESTING + 1:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _TooDeepError(problem_mark=event.start_mark)
            return Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
"""Whether PyYAML was built with libyaml: its parser gives the same events, several times faster."""

if _LIBYAML:
    from yaml._yaml import CParser

    class _FastLoader(Composer, CParser, _CoreResolver):
        """:class:`_Loader` with libyaml's scanner and parser under the same Python composer
        (so the depth check, node marks and resolution are the same). A document either parser
        refuses is read again by :class:`_Loader`, so every refusal is PyYAML's, word for word."""

        def __init__(self, text: str) -> None:
            Reader(text)  # refuses control characters as _Loader does, before any parsing
            CParser.__init__(self, text)
            Composer.__init__(self)
            _CoreResolver.__init__(self)
            self.depth = 0
            self.text = text

        compose_node = _Loader.compose_node

        def get_single_node(self) -> Node | None:
            try:
                return Composer.get_single_node(self)
            except yaml.YAMLError:
                loader = _Loader(self.text)
                try:
                    return loader.get_single_node()
                finally:
                    loader.dispose()

        def compose_scalar_node(self, anchor: Any) -> ScalarNode:
            node = super().compose_scalar_node(anchor)
            node.style = node.style or None  # libyaml says "" for plain, PyYAML None
            return node


class FolderSourceMap(SourceMap):
    """The source map of a document read with a base folder: files it names (rule packs) are
    found there, and only there (:func:`kpi_engine.limits.confined`)."""

    __slots__ = ("base",)

    def __init__(
        self,
        file: str,
        values: dict[Path_, SourceLocation],
        keys: dict[Path_, SourceLocation],
        base: Path,
    ) -> None:
        super().__init__(file, values, keys)
        self.base = base


class _Builder:
    """Turns a composed node graph into plain data, recording locations and problems."""

    def __init__(self, source: str, base: Path | None = None) -> None:
        self.source = source
        self.values: dict[Path_, SourceLocation] = {}
        self.keys: dict[Path_, SourceLocation] = {}
        # filled in as nodes are built
        self.smap = (
            SourceMap(source, self.values, self.keys)
            if base is None
            else FolderSourceMap(source, self.values, self.keys, base)
        )
        self.problems = Problems(self.smap)
        self.count = 0
        self.max_nodes = current().max_nodes
        self.built: set[int] = set()

    def where(self, node: Node) -> SourceLocation:
        mark = node.start_mark
        return SourceLocation(self.source, mark.line + 1, mark.column + 1)

    def build(self, node: Node, path: Path_ = ()) -> Any:
        if id(node) in self.built:  # built again through an alias: count the expansion
            self.count += 1
            if self.count > self.max_nodes:
                self.problems.fail(
                    "yaml.too-large",
                    f"别名 * 展开后超过 {self.max_nodes} 个节点"
                    "（上限为 kpi_engine.limits.Limits.max_nodes；“十亿笑声”攻击？）",
                    f"aliases (*) expand to more than {self.max_nodes} nodes "
                    "(the limit is kpi_engine.limits.Limits.max_nodes; a billion-laughs file?)",
                    self.where(node),
                )
        else:
            self.built.add(id(node))
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
            self.check_text(key, key_node)
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

    def check_text(self, text: str, node: Node) -> None:
        """Control characters and lone surrogates (from escapes such as ``"\\x00"``) break the
        writers (XML in DOCX and XLSX, terminals): refuse them where they stand."""
        at = bad_character(text)
        if at is None:
            return
        self.problems.add(*_bad_text(ord(text[at])), self.where(node))

    def scalar(self, node: ScalarNode) -> Any:
        text = str(node.value)
        tag = node.tag
        self.check_text(text, node)
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
                number = Decimal(text.strip())
            except InvalidOperation:
                pass
            else:
                if not number_too_long(number):
                    return number
                self.problems.add(*_too_long(text), self.where(node))
                return None
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


def _too_long(text: str) -> tuple[str, str, str]:
    shown = text if len(text) <= 24 else text[:20] + "…"
    bound = current().max_number_digits
    return (
        "number.too-long",
        f"数字 {shown} 写出来超过 {bound} 位（kpi_engine.limits.Limits.max_number_digits），请核对",
        f"the number {shown} has more than {bound} digits when written out "
        "(kpi_engine.limits.Limits.max_number_digits)",
    )


def _end_of(before: str, source: str) -> SourceLocation:
    """Where the text that follows ``before`` (the start of a file) begins."""
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    return SourceLocation(source, line, col)


def _refuse_oversized(size: int, problems: Problems) -> None:
    from kpi_engine.limits import too_large  # noqa: PLC0415 - one wording for every file

    bound = current().max_file_bytes
    if size > bound:
        raise too_large(problems, bound, "max_file_bytes", "yaml.file-too-large")


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


@without_gc
def read_yaml(
    text: str, source: str, base: Path | None = None
) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse YAML text into plain data (Decimal numbers), its source map and any problems.

    ``base`` is the folder files named in the document are found in (none: it names no file).

    Problems that still leave a usable mapping (a duplicate key, a bad tag) are returned so that
    schema problems can be reported in the same run; the rest raise at once.
    """
    text = text.removeprefix("\ufeff")
    problems = Problems.in_file(source)  # until the document is built, every path is file:1:1
    _refuse_oversized(len(text), problems)
    try:
        loader = _FastLoader(text) if _LIBYAML else _Loader(text)
    except ReaderError as exc:
        _refuse_control_character(exc, text, problems)
    try:
        node = loader.get_single_node()
    except ReaderError as exc:
        _refuse_control_character(exc, text, problems)
    except _TooDeepError as exc:
        mark = exc.problem_mark
        problems.fail(
            "yaml.too-deep",
            f"嵌套超过 {MAX_NESTING} 层",
            f"nesting is deeper than {MAX_NESTING} levels",
            SourceLocation(source, mark.line + 1, mark.column + 1) if mark else (),
        )
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
    builder = _Builder(source, base)
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
        if key in vocabulary:
            # A real key in the wrong place (``source`` at the top of the actuals instead of
            # under an indicator): suggesting the same spelling back would only confuse.
            zh = f"字段 '{key}' 不能写在这一层（它用于格式的其他位置，见格式说明）"
            en = f"key {key!r} is not allowed at this level (it belongs elsewhere in the format)"
            return path, problems.issue("schema.unknown-key", zh, en, path, key=True)
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


def _screen(data: Any, problems: Problems, *, definition: bool) -> Any:
    """Data built in Python (not read from YAML, which is checked as it is built): refuse what
    pydantic would choke on or the writers would break on, iteratively (no recursion limit).

    Nesting deeper than :data:`MAX_NESTING` is refused. In a definition (a set, a rule pack),
    integers past ~60 digits (Python refuses to convert past 4,300), longer numbers and text
    with control characters or lone surrogates are refused too. In actuals they are data: an
    integer too long becomes a Decimal, so that the indicator reading it gets its ``error``
    status (``input.too-long``), as any unusable figure does. Returns the data (rebuilt only
    where an integer was replaced).
    """
    stack: list[tuple[Any, Path_, tuple[Any, ...]]] = [(data, (), ())]
    replaced: list[tuple[tuple[Any, ...], Decimal]] = []
    while stack:
        value, path, keys = stack.pop()
        if len(path) > MAX_NESTING:
            problems.fail(
                "yaml.too-deep",
                f"嵌套超过 {MAX_NESTING} 层",
                f"nesting is deeper than {MAX_NESTING} levels",
                path[:MAX_NESTING],
            )
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and definition:
                    _screen_text(key, path, problems)
                stack.append((item, (*path, str(key)), (*keys, key)))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (*path, i), (*keys, i)) for i, item in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, str) and definition:
            _screen_text(value, path, problems)
        elif isinstance(value, str) and _SURROGATE.search(value):  # no UTF-8 output can hold it
            _screened(problems, _bad_text(ord(_SURROGATE.findall(value)[0])), path)
        elif isinstance(value, int) and value.bit_length() > 200:  # never str() it: ~60 digits
            if definition:
                _screened(problems, _too_long(f"({value.bit_length()}-bit integer)"), path)
            else:
                replaced.append((keys, Decimal(value)))
        elif isinstance(value, Decimal) and definition and number_too_long(value):
            _screened(problems, _too_long(f"{value:E}"), path)
    for keys, number in replaced:
        data = _put(data, keys, number)
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def _put(data: Any, keys: tuple[Any, ...], value: Any) -> Any:
    """``data`` with ``value`` at ``keys``, copying the containers on the way (never the
    caller's)."""
    if not keys:
        return value
    head, rest = keys[0], keys[1:]
    if isinstance(data, dict):
        return {**data, head: _put(data[head], rest, value)}
    items = list(data)
    items[head] = _put(items[head], rest, value)
    return items


def _screen_text(text: str, path: Path_, problems: Problems) -> None:
    at = bad_character(text)
    if at is not None:
        _screened(problems, _bad_text(ord(text[at])), path)


def _screened(problems: Problems, said: tuple[str, str, str], path: Path_) -> None:
    """A problem in data built in Python: it has no line, so the message names its path."""
    code, zh, en = said
    where = ".".join(str(p) for p in path) or "document"
    problems.add(code, f"{where}：{zh}", f"{where}: {en}", path)


def _bad_text(code: int) -> tuple[str, str, str]:
    return (
        "text.control-character",
        f"文本含有不允许的字符 U+{code:04X}（控制字符或不成对的代理项），请删除",
        f"the text contains U+{code:04X}, a control character or lone surrogate; remove it",
    )


@without_gc
def validate(model: type[_M], data: Any, smap: SourceMap, earlier: list[Issue] | None = None) -> _M:
    """Validate plain data as ``model``; all problems (``earlier`` too) are raised together."""
    problems = Problems(smap, earlier or ())
    if not smap.values:  # built in Python: nothing has screened it yet
        data = _screen(data, problems, definition=model is not Actuals)
        problems.raise_if_any()
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


def _read_file(path: Path, *, regular_only: bool = False) -> str:
    """The text of a definition file, measured before it is read (:func:`limits.read_bytes`)."""
    raw = read_bytes(path, regular_only=regular_only, code="yaml.file-too-large")
    return _decode(raw, str(path))


def read_definition(path: str | Path, *, limits: Limits | None = None) -> str:
    """The text of a definition file (set, actuals, rule pack), measured before it is read."""
    with using(limits):
        return _read_file(Path(path))


def parse_indicator_set(
    text: str,
    source: str = "<string>",
    *,
    base: str | Path | None = None,
    limits: Limits | None = None,
) -> IndicatorSet:
    """Parse an indicator set from YAML text; ``source`` names it in error locations.

    Rule-pack files the set names are read from ``base`` (a folder) and only from there; without
    ``base`` a set parsed from text reads no file at all (built-in packs still apply). ``limits``
    (default: those in force, :data:`~kpi_engine.limits.DEFAULT_LIMITS`) bounds what is read.
    """
    folder = None if base is None else Path(base)
    with using(limits):
        return validate(IndicatorSet, *read_yaml(text, source, folder))


def load_indicator_set(path: str | Path, *, limits: Limits | None = None) -> IndicatorSet:
    """Load an indicator set from a YAML file, or from a directory holding ``set.yaml``; rule-pack
    files it names are read from its folder only. ``limits`` bounds what is read."""
    set_path, _ = resolve_set_paths(path)
    logger.info("reading the indicator set %s", set_path)
    with using(limits):
        return parse_indicator_set(_read_file(set_path), str(set_path), base=set_path.parent)


def parse_actuals(text: str, source: str = "<string>", *, limits: Limits | None = None) -> Actuals:
    """Parse actuals from YAML text."""
    with using(limits):
        return validate(Actuals, *read_yaml(text, source))


def load_actuals(path: str | Path, *, limits: Limits | None = None) -> Actuals:
    """Load actuals from a YAML file."""
    p = Path(path)
    logger.info("reading actuals %s", p)
    with using(limits):
        return parse_actuals(_read_file(p), str(p))


def parse_rule_pack(
    text: str, source: str = "<string>", *, limits: Limits | None = None
) -> RulePackDef:
    """Parse a rule pack from YAML text (compile it with kpi_engine.rulepacks.compile_pack)."""
    with using(limits):
        return validate(RulePackDef, *read_yaml(text, source))


def load_rule_pack_file(
    path: Path, *, regular_only: bool = False, limits: Limits | None = None
) -> RulePackDef:
    """Load a rule pack definition from a YAML file (``regular_only``: refuse FIFOs, devices)."""
    with using(limits):
        return parse_rule_pack(_read_file(path, regular_only=regular_only), str(path))


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as plain numbers with every digit they have (800.00 stays 800.00, read
    back exactly by this module's loader), and never an anchor or alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _decimal_scalar(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    return dumper.represent_scalar(_NUM if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _decimal_scalar)


def dump_yaml(data: Any, header: str = "") -> str:
    """YAML text for generated files (``kpi import``): Chinese kept readable, key order kept."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + str(body)
