"""docs/plan-format.md and the models it documents cannot drift apart."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

from pydantic import BaseModel

from reconciler.engine.plans import Plan, content_hash
from reconciler.engine.results import ApplyReport

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-format.md"
DOCUMENTED_FIELD = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)
EXAMPLE = re.compile(r"^```json\n(.*?)^```", re.MULTILINE | re.DOTALL)


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every JSON path of a model: nested models as `a.b`, lists of them as `a[].b`."""
    paths = set()
    for name, info in model.model_fields.items():
        path = prefix + name
        paths.add(path)
        annotation = info.annotation
        if typing.get_origin(annotation) is list:
            (annotation,) = typing.get_args(annotation)
            path += "[]"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths |= field_paths(annotation, path + ".")
    return paths


def test_every_plan_field_is_documented_and_nothing_else() -> None:
    documented = set(DOCUMENTED_FIELD.findall(section("The plan document")))

    assert documented == field_paths(Plan)


def test_every_apply_report_field_is_documented_and_nothing_else() -> None:
    documented = set(DOCUMENTED_FIELD.findall(section("The apply report")))

    assert documented == field_paths(ApplyReport)


def test_the_example_is_a_valid_plan_with_a_correct_hash() -> None:
    (example,) = EXAMPLE.findall(section("Example"))

    plan = Plan.model_validate_json(example)

    assert plan.content_hash == content_hash(plan)
    assert set(json.loads(example)) == set(Plan.model_fields)


def test_the_documented_hash_recipe_matches_the_code() -> None:
    recipe = section("The plan document").split("```python\n")[1].split("```")[0]
    document = json.loads(EXAMPLE.findall(section("Example"))[0])
    scope: dict[str, object] = {"document": document}

    exec(recipe, {"json": json, "hashlib": __import__("hashlib")}, scope)  # noqa: S102

    assert scope["expected"] == document["content_hash"]
