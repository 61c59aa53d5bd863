"""The filing deadline calendar: who must file annual accounts (SPEC §3.5).

Pure rules, no I/O but reading the packaged data file once. Dates are plain dates in
Europe/Amsterdam; the caller converts moments. Which legal forms must file lives in
`gql/data/filing-obligations.json`, with the articles of Boek 2 BW it rests on.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any


class ObligationStatus(StrEnum):
    MUST_FILE = "MUST_FILE"
    EXEMPT = "EXEMPT"
    # A form the data file does not list, or one whose obligation the form alone does not
    # decide (a stichting or vereniging: art. 2:360 lid 3 BW, see `obligation_rule`).
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class ObligationRule:
    """One legal form of the data file: `status` is MUST_FILE, EXEMPT or CONDITIONAL."""

    form: str
    status: str
    source: str
    condition: str | None
    exception: str | None


def filing_obligation(legal_form: str) -> ObligationStatus:
    """Whether an organisation of this legal form must file its annual accounts.

    Matches the data file's names and aliases regardless of case, accents, dots and spaces.
    A form the file does not list, and a conditional one (stichting, vereniging), is UNKNOWN.
    """
    rule = obligation_rule(legal_form)
    if rule is None or rule.status == "CONDITIONAL":
        return ObligationStatus.UNKNOWN
    return ObligationStatus(rule.status)


def obligation_rule(legal_form: str) -> ObligationRule | None:
    """The data file's entry for this legal form (with its source and condition), if any."""
    return _rules_by_key().get(_key(legal_form))


def _key(text: str) -> str:
    """Letters and digits only, without case or accents: 'Coöperatie U.A.' → 'cooperatieua'."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if ch.isalnum())


@cache
def _rules_by_key() -> dict[str, ObligationRule]:
    data: dict[str, Any] = json.loads(
        files("gql")
        .joinpath("data")
        .joinpath("filing-obligations.json")
        .read_text(encoding="utf-8")
    )
    return index_legal_forms(data)


def index_legal_forms(data: Mapping[str, Any]) -> dict[str, ObligationRule]:
    """Every accepted spelling of every legal form of `data` (the data file's shape), keyed.

    Each name or alias, with or without a qualifier ('met gewone structuur') and, for a
    form that has them, a liability suffix ('U.A.') before it. Refuses a file in which two
    forms share a spelling or a status is not one of the three.
    """
    qualifiers = ["", *(_key(q) for q in data["matching"]["qualifiers"]["values"])]
    suffixes = [_key(s) for s in data["matching"]["liability_suffixes"]["values"]]
    keyed: dict[str, ObligationRule] = {}
    for entry in data["legal_forms"]:
        if entry["status"] not in ("MUST_FILE", "EXEMPT", "CONDITIONAL"):
            raise ValueError(f"{entry['form']}: unknown status {entry['status']!r}")
        rule = ObligationRule(
            form=entry["form"],
            status=entry["status"],
            source=entry["source"],
            condition=entry.get("condition"),
            exception=entry.get("exception"),
        )
        names = [_key(name) for name in (entry["form"], *entry["aliases"])]
        endings = ["", *suffixes] if entry["liability_suffixes"] else [""]
        for name in names:
            for ending in endings:
                for qualifier in qualifiers:
                    key = name + ending + qualifier
                    if key in keyed and keyed[key] != rule:
                        raise ValueError(f"{key!r} is both {keyed[key].form} and {rule.form}")
                    keyed[key] = rule
    return keyed
