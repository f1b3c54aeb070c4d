"""The service catalogue (services/*.yaml) is validated at start-up and by `linli check-config`:
every problem with its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app as cli
from config.content import ContentError, load_content
from tests.config.conftest import edit, line_of

SERVICES = (
    "family_planning_review",
    "dibao",
    "residence_permit",
    "residence_registration",
    "longevity",
    "senior_card",
    "residence_certificate",
    "disability_card",
)


def value_line(path: Path, key: str) -> int:
    """The line a block value starts on: the one after its key."""
    return line_of(path, key) + 1


def problems_of(directory: Path) -> dict[tuple[str, int], str]:
    """Each problem loading the content, by file name and line."""
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return {(p.file.name, p.line): p.reason for p in caught.value.problems}


def test_the_shipped_catalogue_lists_every_service_in_order(content_dir: Path) -> None:
    catalogue = load_content(content_dir).services
    assert tuple(s.key for s in catalogue.services) == SERVICES
    for service in catalogue.services:
        assert service.version and service.sources
    # Unsourced facts stay blank, for the committee to fill in.
    review = catalogue.by_key["family_planning_review"]
    assert not review.documents and not review.where.stated and not review.online.stated
    assert {"where", "when", "online", "documents"} <= set(review.committee_fill)
    certificate = catalogue.by_key["residence_certificate"]
    assert certificate.apply is not None and certificate.apply.example
    assert [f.key for f in certificate.apply.fields] == ["name", "address", "purpose", "mobile"]


def test_a_condition_naming_an_unknown_document_is_reported_at_its_line(broken: Path) -> None:
    senior = broken / "services" / "senior_card.yaml"
    edit(senior, "adds: [old_card]", "adds: [old_kard]")
    problems = problems_of(broken)
    reason = problems[("senior_card.yaml", value_line(senior, "conditions:"))]
    assert "unknown document old_kard" in reason


def test_a_fact_without_a_source_is_refused(broken: Path) -> None:
    dibao = broken / "services" / "dibao.yaml"
    edit(dibao, "  source: s25\n", "")
    problems = problems_of(broken)
    assert (
        "online states a fact without a source"
        in problems[("dibao.yaml", value_line(dibao, "online:"))]
    )


def test_a_document_key_used_twice_and_an_empty_name_are_refused(broken: Path) -> None:
    permit = broken / "services" / "residence_permit.yaml"
    edit(permit, "  - key: photo", "  - key: id_card")
    edit(permit, "name: 居住证\n", "name: ''\n")
    problems = problems_of(broken)
    assert (
        "document key id_card is used twice"
        in problems[("residence_permit.yaml", value_line(permit, "documents:"))]
    )
    assert problems[("residence_permit.yaml", line_of(permit, "name: ''"))].startswith("name:")


def test_a_service_without_a_version_is_refused(broken: Path) -> None:
    longevity = broken / "services" / "longevity.yaml"
    edit(longevity, 'version: "2026-11-29.1"\n', "")
    problems = problems_of(broken)
    assert any(f == "longevity.yaml" and r.startswith("version") for (f, _), r in problems.items())


def test_a_checklist_reply_over_the_limit_is_refused(broken: Path) -> None:
    registration = broken / "services" / "residence_registration.yaml"
    edit(registration, "name: 《广州市流动人口居住登记申报表》", "name: " + "很长的材料名称" * 40)
    problems = problems_of(broken)
    assert any(
        "at most" in r for (f, _), r in problems.items() if f == "residence_registration.yaml"
    )


def test_a_service_file_not_in_the_order_is_reported(broken: Path) -> None:
    catalogue = broken / "services" / "_catalogue.yaml"
    edit(catalogue, "  - disability_card\n", "")
    problems = problems_of(broken)
    reason = problems[("_catalogue.yaml", value_line(catalogue, "order:"))]
    assert "services/disability_card.yaml is not listed" in reason


def test_check_config_names_the_service_file_and_line(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    senior = broken / "services" / "senior_card.yaml"
    edit(senior, "when: [agent.proxy]", "when: [agent.someone]")
    monkeypatch.setenv("LINLI_CONTENT_DIR", str(broken))
    result = CliRunner().invoke(cli, ["check-config"])
    assert result.exit_code == 1
    # A check of the whole file is reported where the file begins.
    assert f"senior_card.yaml:{line_of(senior, 'version:')}: " in result.output
    assert "unknown option agent.someone" in result.output
