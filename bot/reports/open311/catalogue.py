"""AppContext and their definitions, read from reports.yaml: a category is a service, its
questions are the service's attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.reports.open311.wire import Open311Error
from config.report_content import Category, Question, ReportContent

ATTRIBUTE_MAX = 500  # characters of one answer
YES = ("true", "是")
NO = ("false", "否")


def services(content: ReportContent) -> list[dict[str, Any]]:
    """The service list: one realtime service per category."""
    words = content.open311
    return [
        {
            "service_code": category.key,
            "service_name": category.name,
            "description": category.examples,
            "metadata": bool(category.questions),
            "type": "realtime",
            "keywords": ", ".join(category.keywords),
            "group": words.urgent_group if category.urgent else words.group,
        }
        for category in content.categories
    ]


def category(content: ReportContent, service_code: str, *, refusal: int = 404) -> Category:
    """The category a service code names; an unknown code is refused with `refusal`."""
    try:
        return content.category(service_code.strip())
    except KeyError:
        raise Open311Error(refusal, "service_code", f"no service {service_code!r}") from None


def definition(content: ReportContent, service_code: str) -> dict[str, Any]:
    """A service's attributes: text questions are strings, yes/no questions a 是/否 list."""
    found = category(content, service_code)
    return {
        "service_code": found.key,
        "attributes": [
            _attribute(content, question, order)
            for order, question in enumerate(found.questions, start=1)
        ],
    }


def _attribute(content: ReportContent, question: Question, order: int) -> dict[str, Any]:
    # Every question is required: residents in WeChat must answer each one too.
    attribute: dict[str, Any] = {
        "variable": True,
        "code": question.key,
        "datatype": "singlevaluelist" if question.kind == "yes_no" else "string",
        "required": True,
        "datatype_description": content.open311.yes_no_hint if question.kind == "yes_no" else "",
        "order": order,
        "description": question.ask,
    }
    if question.kind == "yes_no":
        flow = content.flow
        attribute["values"] = [
            {"key": YES[0], "name": flow.yes_word},
            {"key": NO[0], "name": flow.no_word},
        ]
    return attribute


def answers(
    content: ReportContent, found: Category, given: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The category's questions answered from `attribute[code]` values, as the flow stores them
    (yes/no as 是/否); a missing, unknown or wrong value is refused with its field."""
    known = {question.key for question in found.questions}
    unknown = sorted(set(given) - known)
    if unknown:
        raise Open311Error(400, f"attribute[{unknown[0]}]", f"not an attribute of {found.key}")
    answered = []
    for question in found.questions:
        field = f"attribute[{question.key}]"
        value = given.get(question.key, "").strip()
        if not value:
            raise Open311Error(400, field, "required")
        if len(value) > ATTRIBUTE_MAX:
            raise Open311Error(400, field, f"at most {ATTRIBUTE_MAX} characters")
        if question.kind == "yes_no":
            value = _yes_no(content, field, value)
        answered.append({"key": question.key, "question": question.ask, "answer": value})
    return answered


def _yes_no(content: ReportContent, field: str, value: str) -> str:
    folded = value.casefold()
    if folded in YES:
        return content.flow.yes_word
    if folded in NO:
        return content.flow.no_word
    raise Open311Error(400, field, "true, false, 是 or 否")
