"""Every operation of the frontend contract costs well under the cost limit, and the table of
its costs in frontend-contract/README.md is the one `toegang operation-costs` prints."""

from __future__ import annotations

from gql.contract import ROOT, operation_costs, render_operation_costs
from gql.schema.limits import MAX_COST, MAX_DIRECTIVES, MAX_FIELDS

README = ROOT / "frontend-contract" / "README.md"


def test_every_operation_costs_at_most_a_tenth_of_the_limit_and_half_with_the_largest_pages() -> (
    None
):
    # when
    rows = operation_costs()

    # then
    assert len(rows) == len(list((ROOT / "frontend-contract" / "operations").glob("*.graphql")))
    for name, usual, largest, fields in rows:
        assert usual <= MAX_COST // 10, name
        assert largest <= MAX_COST // 2, name
        assert fields <= MAX_FIELDS // 4, name


def test_the_readme_lists_the_cost_of_every_operation() -> None:
    # given
    expected = render_operation_costs(operation_costs())

    # then
    assert expected in README.read_text(encoding="utf-8"), (
        "regenerate the table: .venv/bin/toegang operation-costs"
    )


def test_the_readme_states_the_limits_as_the_code_has_them() -> None:
    text = README.read_text(encoding="utf-8")
    assert f"| items one request can return (cost) | {MAX_COST:,}".replace(",", " ") in text
    assert f"| fields per operation, fragments expanded | {MAX_FIELDS} |" in text
    assert f"| directives per operation, fragments expanded | {MAX_DIRECTIVES} |" in text
