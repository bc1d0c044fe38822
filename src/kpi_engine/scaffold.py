"""Built-in templates for ``kpi init``: a valid set and actuals to start from.

- ``project`` — 项目支出绩效自评 with the national split 产出 50 / 效益 30 / 满意度 10 /
  预算执行率 10 and the 数量/质量/时效/成本 and 经济/社会/生态/可持续 sub-groups;
- ``mof-2013`` — the MOF 2013 whole-department common framework (投入/过程/产出/效果) with its
  formulas and directions (weights are placeholders: the framework sets none);
- ``guangdong`` — the Guangdong whole-department frame 履职效能 / 管理效率 (weights placeholders).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kpi_engine.errors import did_you_mean
from kpi_engine.problems import Problems
from kpi_engine.schema import schema_text

__all__ = ["TEMPLATES", "init", "template_text"]

TEMPLATES: dict[str, tuple[str, str]] = {
    "project": (
        "项目支出绩效自评（产出50/效益30/满意度10/预算执行率10）",
        "project self-evaluation, national 50/30/10/10 split",
    ),
    "mof-2013": (
        "部门整体支出共性指标框架（财预〔2013〕53号：投入/过程/产出/效果）",
        "MOF 2013 whole-department common framework",
    ),
    "guangdong": (
        "广东省部门整体支出（履职效能/管理效率，分值为占位值）",
        "Guangdong whole-department frame (placeholder weights)",
    ),
}
"""Template names and what they are, in Chinese and English."""


def template_text(name: str, file: str) -> str:
    """The text of a template's ``set.yaml`` or ``actuals.yaml``."""
    return (resources.files("kpi_engine") / "templates" / name / file).read_text(encoding="utf-8")


def init(name: str, folder: Path) -> list[Path]:
    """Write a template's set, actuals and editor schemas into ``folder`` (never overwriting)."""
    if name not in TEMPLATES:
        zh, en = did_you_mean(name, TEMPLATES)
        raise Problems.unlocated().error(
            "init.unknown-template",
            f"没有名为 '{name}' 的模板{zh}（kpi init --list 列出全部）",
            f"no template named {name!r}{en} (kpi init --list shows them)",
        )
    files = {
        "set.yaml": template_text(name, "set.yaml"),
        "actuals.yaml": template_text(name, "actuals.yaml"),
        "indicator-set.schema.json": schema_text(actuals=False),
        "actuals.schema.json": schema_text(actuals=True),
    }
    folder_of = resources.files("kpi_engine") / "templates" / name
    if (folder_of / "monitoring.yaml").is_file():  # the year's monitoring example (kpi monitor)
        files["monitoring.yaml"] = template_text(name, "monitoring.yaml")
    existing = [folder / f for f in files if (folder / f).exists()]
    problems = Problems.unlocated()
    for path in existing:
        problems.add(
            "init.exists",
            f"文件已存在，不会覆盖：{path}",
            f"the file exists and will not be overwritten: {path}",
            Problems.in_file(str(path)).locate(),
        )
    problems.raise_if_any()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in files.items():
        path = folder / file
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
