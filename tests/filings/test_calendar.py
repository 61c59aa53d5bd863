"""The filing deadline calendar: who must file annual accounts, and by when (SPEC §3.5)."""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from typing import Any

import pytest

from gql.services.filings.calendar import (
    ObligationStatus,
    filing_obligation,
    index_legal_forms,
    obligation_rule,
)


def data_file() -> dict[str, Any]:
    text = files("gql").joinpath("data").joinpath("filing-obligations.json").read_text("utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


# --- legal forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legal_form", "expected"),
    [
        pytest.param("Besloten Vennootschap", ObligationStatus.MUST_FILE, id="bv"),
        pytest.param("Naamloze Vennootschap", ObligationStatus.MUST_FILE, id="nv"),
        pytest.param("Coöperatie", ObligationStatus.MUST_FILE, id="cooperatie"),
        pytest.param("Onderlinge Waarborgmaatschappij", ObligationStatus.MUST_FILE, id="owm"),
        pytest.param("Europese Naamloze Vennootschap (SE)", ObligationStatus.MUST_FILE, id="se"),
        pytest.param(
            "Europese Coöperatieve Vennootschap (SCE)", ObligationStatus.MUST_FILE, id="sce"
        ),
        pytest.param("Eenmanszaak", ObligationStatus.EXEMPT, id="eenmanszaak"),
        pytest.param("Vennootschap onder firma", ObligationStatus.EXEMPT, id="vof"),
        pytest.param("Maatschap", ObligationStatus.EXEMPT, id="maatschap"),
        pytest.param("Commanditaire Vennootschap", ObligationStatus.EXEMPT, id="cv"),
    ],
)
def test_a_legal_form_as_the_register_writes_it_must_file_or_is_exempt(
    legal_form: str, expected: ObligationStatus
) -> None:
    # given a legal form as the register writes it
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is the one of art. 2:360 BW as the data file records it
    assert status is expected


@pytest.mark.parametrize(
    ("legal_form", "expected"),
    [
        pytest.param("B.V.", ObligationStatus.MUST_FILE, id="B.V."),
        pytest.param("BV", ObligationStatus.MUST_FILE, id="BV"),
        pytest.param("b.v.", ObligationStatus.MUST_FILE, id="b.v."),
        pytest.param("B. V.", ObligationStatus.MUST_FILE, id="B. V."),
        pytest.param("besloten vennootschap", ObligationStatus.MUST_FILE, id="lower-case"),
        pytest.param("BESLOTEN VENNOOTSCHAP", ObligationStatus.MUST_FILE, id="upper-case"),
        pytest.param("  Besloten   Vennootschap ", ObligationStatus.MUST_FILE, id="spaces"),
        pytest.param(
            "Besloten vennootschap met beperkte aansprakelijkheid",
            ObligationStatus.MUST_FILE,
            id="bv-full-name",
        ),
        pytest.param(
            "Besloten Vennootschap met gewone structuur",
            ObligationStatus.MUST_FILE,
            id="bv-extended-form",
        ),
        pytest.param(
            "Naamloze Vennootschap blijkens statuten structuurvennootschap",
            ObligationStatus.MUST_FILE,
            id="nv-structure-regime",
        ),
        pytest.param("N.V.", ObligationStatus.MUST_FILE, id="N.V."),
        pytest.param("nv", ObligationStatus.MUST_FILE, id="nv"),
        pytest.param("Coöperatie U.A.", ObligationStatus.MUST_FILE, id="cooperatie-U.A."),
        pytest.param("Coöperatie W.A.", ObligationStatus.MUST_FILE, id="cooperatie-W.A."),
        pytest.param("Coöperatie B.A.", ObligationStatus.MUST_FILE, id="cooperatie-B.A."),
        pytest.param("Cooperatie UA", ObligationStatus.MUST_FILE, id="cooperatie-no-diaeresis"),
        pytest.param(
            "Coöperatie met uitgesloten aansprakelijkheid",
            ObligationStatus.MUST_FILE,
            id="cooperatie-suffix-in-words",
        ),
        pytest.param(
            "Onderlinge Waarborg Maatschappij U.A.", ObligationStatus.MUST_FILE, id="owm-U.A."
        ),
        pytest.param("SE", ObligationStatus.MUST_FILE, id="SE"),
        pytest.param(
            "Europese naamloze vennootschap", ObligationStatus.MUST_FILE, id="se-no-brackets"
        ),
        pytest.param("SCE", ObligationStatus.MUST_FILE, id="SCE"),
        pytest.param("V.O.F.", ObligationStatus.EXEMPT, id="V.O.F."),
        pytest.param("vof", ObligationStatus.EXEMPT, id="vof"),
        pytest.param("C.V.", ObligationStatus.EXEMPT, id="C.V."),
        pytest.param(
            "Commanditaire vennootschap met meer dan één beherende vennoot",
            ObligationStatus.EXEMPT,
            id="cv-extended-form",
        ),
        pytest.param("eenmanszaak", ObligationStatus.EXEMPT, id="eenmanszaak-lower-case"),
    ],
)
def test_abbreviations_case_and_accents_do_not_change_the_obligation(
    legal_form: str, expected: ObligationStatus
) -> None:
    # given a legal form written with an abbreviation, another case, or a liability suffix
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is that of the form it abbreviates
    assert status is expected


@pytest.mark.parametrize(
    "legal_form",
    [
        pytest.param("Stichting", id="stichting"),
        pytest.param("Vereniging", id="vereniging"),
        pytest.param("Vereniging met volledige rechtsbevoegdheid", id="vereniging-full"),
        pytest.param("Vereniging met beperkte rechtsbevoegdheid", id="vereniging-limited"),
    ],
)
def test_a_foundation_or_association_is_unknown_because_only_its_turnover_decides(
    legal_form: str,
) -> None:
    # given a stichting or vereniging, which must file only if it runs enterprises with
    # enough turnover (art. 2:360 lid 3 BW), which its legal form does not show
    # when its obligation is asked
    status = filing_obligation(legal_form)
    rule = obligation_rule(legal_form)
    # then it is neither guessed to file nor to be exempt, and the rule says why
    assert status is ObligationStatus.UNKNOWN
    assert rule is not None
    assert rule.status == "CONDITIONAL"
    assert "2:360 lid 3" in rule.source
    assert rule.condition is not None


@pytest.mark.parametrize(
    "legal_form",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("Kerkgenootschap", id="not-in-the-file"),
        pytest.param("Rederij", id="rederij"),
        pytest.param("Besloten", id="partial-name"),
        pytest.param("Vennootschap", id="ambiguous-word"),
        pytest.param("Beslote Vennootschap", id="misspelt"),
        pytest.param("B.V. i.o.", id="in-formation"),
        pytest.param("Besloten Vennootschap U.A.", id="liability-suffix-on-a-bv"),
        pytest.param("Stichting U.A.", id="liability-suffix-on-a-stichting"),
    ],
)
def test_a_form_the_data_file_does_not_list_is_unknown_rather_than_guessed(
    legal_form: str,
) -> None:
    # given a legal form that is not one of the data file's names or aliases
    # when its obligation is asked
    status = filing_obligation(legal_form)
    # then it is unknown and no rule is found
    assert status is ObligationStatus.UNKNOWN
    assert obligation_rule(legal_form) is None


def test_an_exempt_partnership_names_the_exception_of_art_2_360_lid_2() -> None:
    # given a cv, exempt unless all its fully liable partners are capital companies
    # when its rule is read
    rule = obligation_rule("C.V.")
    # then the exception is named, so a reader sees what the calendar leaves out
    assert rule is not None
    assert rule.form == "Commanditaire Vennootschap"
    assert rule.exception is not None
    assert "2:360 lid 2" in rule.exception


def test_every_form_that_must_file_cites_art_2_360_and_art_2_394() -> None:
    # given the data file
    forms = data_file()["legal_forms"]
    # when the forms that must file (or may have to) are read
    filing = [f for f in forms if f["status"] in ("MUST_FILE", "CONDITIONAL")]
    # then each cites the scope and the filing article
    assert {f["form"] for f in filing} >= {
        "Besloten Vennootschap",
        "Naamloze Vennootschap",
        "Coöperatie",
        "Onderlinge Waarborgmaatschappij",
        "Europese Naamloze Vennootschap (SE)",
        "Europese Coöperatieve Vennootschap (SCE)",
    }
    for form in filing:
        assert "2:360" in form["source"], form["form"]
        assert "2:394" in form["source"], form["form"]


def test_the_data_file_says_what_it_rests_on_and_that_the_legal_team_must_check_it() -> None:
    # given the data file
    data = data_file()
    # when its notes are read
    # then it names its sources, when it was checked, and that it awaits the legal team
    assert "2:360" in data["source"]
    assert "2:394" in data["source"]
    assert date.fromisoformat(data["checked"]["on"]) <= date.today()
    assert "legal team" in data["legal_review"]


def test_a_data_file_in_which_two_forms_share_a_spelling_is_refused() -> None:
    # given a data file in which 'C.V.' is an alias of two forms
    data = data_file()
    data["legal_forms"][0]["aliases"] = [*data["legal_forms"][0]["aliases"], "C.V."]
    # when it is indexed
    # then it is refused instead of one of them winning silently
    with pytest.raises(ValueError, match="cv"):
        index_legal_forms(data)
