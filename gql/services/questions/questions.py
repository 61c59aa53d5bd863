"""Questions to the service centre (SPEC §3.4; seed: "Is het factuuradres door ons niet
aangepast? Vul het vragenformulier in op onze website. Kies het onderwerp 'Bestellingen en
facturen'. Geef het nieuwe én oude factuuradres door.").

A signed-in private or business account asks a question on one of the form's topics; the
topic for an invoice address that did not follow an address change carries the old and the
new address, and no other topic takes an address. A confirmation is mailed to the account
(throttled per mailbox and per client, as every mail-sending mutation). Staff list the
questions and answer each once: the answer is mailed to the account and shown with the
question. The question's text and the answer are free text: kept on the question, never in
the append-only audit trail.

Who sees a question: the account that asked it, and staff; anyone else's answers like an
unknown one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from gql import i18n
from gql.models.accounts import Account, Usage
from gql.models.questions import (
    ANSWER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Question,
    QuestionStatus,
    QuestionTopic,
)
from gql.reader import Read
from gql.services import register
from gql.services.accounts import access_codes
from gql.services.questions import texts  # noqa: F401  (registers texts and mails)
from gql.services.register import AddressInput
from gql.services.shared import audit, outbox, throttle
from gql.services.shared.deps import Caller, Deps
from gql.services.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    InvalidStateError,
    NotFoundError,
    Problems,
    UnauthenticatedError,
    raises,
)
from gql.services.shared.formatting import format_moment
from gql.services.shared.validation import mailbox_key

TEXT_MIN_LENGTH = 10
ADDRESS_TOPIC = QuestionTopic.INVOICE_ADDRESS

_TOPIC_LABELS = {
    QuestionTopic.ACCESS_CODE: "topic_access_code",
    QuestionTopic.ORDERS_AND_INVOICES: "topic_orders_and_invoices",
    QuestionTopic.INVOICE_ADDRESS: "topic_invoice_address",
    QuestionTopic.PAYMENT_METHOD: "topic_payment_method",
    QuestionTopic.ANNUAL_ACCOUNTS: "topic_annual_accounts",
    QuestionTopic.OTHER: "topic_other",
}


def topic_label(topic: QuestionTopic, language: str) -> str:
    """The topic as the question form shows it."""
    return i18n.text(_TOPIC_LABELS[topic], language)


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: int
    account_id: int
    topic: QuestionTopic
    text: str
    old_address: AddressInput | None
    new_address: AddressInput | None
    status: QuestionStatus
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    #: The name of the staff member who answered.
    answered_by: str | None
    #: Staff: "name (access code)" of the account that asked, and its organisation.
    asked_by: str
    kvk_number: str | None


async def asking_account(deps: Deps, caller: Caller) -> Account:
    """The signed-in private or business account; staff answer questions, they ask none."""
    if caller.account_id is None:
        raise UnauthenticatedError()
    async with deps.db.read() as session:
        account = await session.get(Account, caller.account_id)
    if account is None or not account.active:
        raise UnauthenticatedError()
    if account.usage == Usage.STAFF:
        raise ForbiddenError()
    return account


def message_field(problems: Problems, field: str, value: str, *, minimum: int, maximum: int) -> str:
    """Free text of several lines: trimmed, line breaks kept, within its length limits.

    Not `validation.text_field`, which makes one line of it: a question or an answer keeps
    its paragraphs. Tabs become spaces; any other control or invisible character is refused.
    """
    lines = [line.replace("\t", " ").rstrip() for line in value.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(lines).strip("\n ")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch != "\n" for ch in cleaned):
        problems.add(field, "control_characters")
    elif not cleaned:
        problems.add(field, "required")
    elif len(cleaned) < minimum:
        problems.add(field, "question_too_short", minimum=minimum)
    elif len(cleaned) > maximum:
        problems.add(field, "too_long", maximum=maximum)
    return cleaned


def _addresses(
    problems: Problems,
    topic: QuestionTopic,
    old: AddressInput | None,
    new: AddressInput | None,
) -> tuple[AddressInput | None, AddressInput | None]:
    if topic != ADDRESS_TOPIC:
        for field, given in (("oldAddress", old), ("newAddress", new)):
            if given is not None:
                problems.add(field, "address_not_for_topic")
        return None, None
    for field, given in (("oldAddress", old), ("newAddress", new)):
        if given is None:
            problems.add(field, "invoice_addresses_required")
    clean_old = register.address_field(problems, "oldAddress", old) if old else None
    clean_new = register.address_field(problems, "newAddress", new) if new else None
    if clean_old is not None and clean_new is not None and _same(clean_old, clean_new):
        problems.add("newAddress", "invoice_addresses_equal")
    return clean_old, clean_new


def _same(a: AddressInput, b: AddressInput) -> bool:
    return all(
        x.casefold() == y.casefold()
        for x, y in zip(
            (a.street, a.house_number, a.postal_code, a.city),
            (b.street, b.house_number, b.postal_code, b.city),
            strict=True,
        )
    )


def one_line(address: AddressInput) -> str:
    """'Kerkstraat 1, 1234 AB Amsterdam'."""
    return f"{address.street} {address.house_number}, {address.postal_code} {address.city}"


def _mail_params(view: QuestionView, language: str) -> dict[str, object]:
    addresses = ""
    if view.old_address is not None and view.new_address is not None:
        addresses = i18n.text(
            "question_addresses",
            language,
            old=one_line(view.old_address),
            new=one_line(view.new_address),
        )
    return {"topic": topic_label(view.topic, language), "text": view.text, "addresses": addresses}


@raises(InvalidInputError)
async def ask_question(
    deps: Deps,
    *,
    caller: Caller,
    topic: QuestionTopic,
    text: str,
    old_address: AddressInput | None,
    new_address: AddressInput | None,
) -> QuestionView:
    """Send a question to the service centre; a confirmation is mailed to the account."""
    account = await asking_account(deps, caller)
    assert account.id is not None
    problems = Problems()
    cleaned = message_field(
        problems, "text", text, minimum=TEXT_MIN_LENGTH, maximum=TEXT_MAX_LENGTH
    )
    old, new = _addresses(problems, topic, old_address, new_address)
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.write() as session:
        await throttle.hit_mail_limits(
            session, deps, target=mailbox_key(account.email), client_ip=caller.client_ip
        )
        question = Question(
            account_id=account.id,
            topic=topic,
            text=cleaned,
            old_street=old.street if old else None,
            old_house_number=old.house_number if old else None,
            old_postal_code=old.postal_code if old else None,
            old_city=old.city if old else None,
            new_street=new.street if new else None,
            new_house_number=new.house_number if new else None,
            new_postal_code=new.postal_code if new else None,
            new_city=new.city if new else None,
            status=QuestionStatus.OPEN,
            asked_at=now,
        )
        session.add(question)
        await session.flush()
        assert question.id is not None
        view = _from_row(question, asked_by="", kvk_number=account.kvk_number, answered_by=None)
        await outbox.mail_account(
            session,
            account=account,
            template="question_received",
            params={
                "at": format_moment(now, account.language),
                **_mail_params(view, account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await session.commit()
    found = await get_question_view(deps, question_id=view.id)
    assert found is not None
    return found


@raises(NotFoundError, InvalidStateError, InvalidInputError)
async def answer_question(
    deps: Deps, *, caller: Caller, question_id: int, answer: str
) -> QuestionView:
    """Staff answer an open question once: the answer is mailed to the account and shown
    with the question."""
    problems = Problems()
    cleaned = message_field(problems, "answer", answer, minimum=1, maximum=ANSWER_MAX_LENGTH)
    problems.raise_if_any()
    now = deps.clock.now()
    async with deps.db.write() as session:
        question = await session.get(Question, question_id, with_for_update=True)
        if question is None:
            raise NotFoundError(field_path=("questionId",))
        if question.status != QuestionStatus.OPEN:
            raise InvalidStateError(
                field_path=("questionId",), message_key="question_already_answered"
            )
        account = await session.get(Account, question.account_id)
        assert account is not None and question.id is not None
        question.status = QuestionStatus.ANSWERED
        question.answer = cleaned
        question.answered_at = now
        question.answered_by_id = caller.account_id
        view = _from_row(question, asked_by="", kvk_number=None, answered_by=None)
        await outbox.mail_account(
            session,
            account=account,
            template="question_answered",
            params={
                "asked_at": format_moment(question.asked_at, account.language),
                "answer": cleaned,
                **_mail_params(view, account.language),
            },
            now=now,
            settings=deps.settings,
        )
        await audit.record(
            session,
            caller=caller,
            action="question.answered",
            subject=f"question:{question.id}",
            details=f"account {account.id}; topic {question.topic}; "
            "answer: see the answer of the question",
            now=now,
        )
        await session.commit()
    found = await get_question_view(deps, question_id=question_id)
    assert found is not None
    return found


# ---- reading ------------------------------------------------------------------------------

_question = Question.__table__  # type: ignore[attr-defined]
_asker = Account.__table__.alias("asker")  # type: ignore[attr-defined]
_answerer = Account.__table__.alias("answerer")  # type: ignore[attr-defined]

_COLUMNS = select(
    _question,
    _asker.c.name.label("asker_name"),
    _asker.c.access_code.label("asker_code"),
    _asker.c.kvk_number.label("asker_kvk_number"),
    _answerer.c.name.label("answerer_name"),
).select_from(
    _question.join(_asker, _asker.c.id == _question.c.account_id).outerjoin(
        _answerer, _answerer.c.id == _question.c.answered_by_id
    )
)
_ONE = Read(_COLUMNS.where(_question.c.id == bindparam("question_id")))


@cache
def _page(own: bool, status: bool, after: bool, oldest_first: bool) -> Read:
    conditions = []
    if own:
        conditions.append(_question.c.account_id == bindparam("account_id"))
    if status:
        conditions.append(_question.c.status == bindparam("status"))
    if after:
        conditions.append(
            _question.c.id > bindparam("after_id")
            if oldest_first
            else _question.c.id < bindparam("after_id")
        )
    order = _question.c.id.asc() if oldest_first else _question.c.id.desc()
    return Read(_COLUMNS.where(*conditions).order_by(order).limit(bindparam("limit")))


def _address(row: Any, prefix: str) -> AddressInput | None:
    if getattr(row, f"{prefix}_city") is None:
        return None
    return AddressInput(
        street=getattr(row, f"{prefix}_street") or "",
        house_number=getattr(row, f"{prefix}_house_number") or "",
        postal_code=getattr(row, f"{prefix}_postal_code") or "",
        city=getattr(row, f"{prefix}_city"),
    )


def _from_row(
    row: Any, *, asked_by: str, kvk_number: str | None, answered_by: str | None
) -> QuestionView:
    return QuestionView(
        id=row.id,
        account_id=row.account_id,
        topic=QuestionTopic(row.topic),
        text=row.text,
        old_address=_address(row, "old"),
        new_address=_address(row, "new"),
        status=QuestionStatus(row.status),
        asked_at=row.asked_at,
        answer=row.answer,
        answered_at=row.answered_at,
        answered_by=answered_by,
        asked_by=asked_by,
        kvk_number=kvk_number,
    )


def _view(row: Any) -> QuestionView:
    return _from_row(
        row,
        asked_by=f"{row.asker_name} ({access_codes.display(row.asker_code)})",
        kvk_number=row.asker_kvk_number,
        answered_by=row.answerer_name,
    )


async def get_question_view(deps: Deps, *, question_id: int) -> QuestionView | None:
    row = await deps.db.reader.first(_ONE, question_id=question_id)
    return _view(row) if row else None


async def list_questions(
    deps: Deps,
    *,
    account_id: int | None,
    status: QuestionStatus | None,
    after_id: int | None,
    limit: int,
) -> list[QuestionView]:
    """One statement: an account's questions newest first, or (account_id None, for staff)
    everyone's oldest first, as a queue is worked through."""
    oldest_first = account_id is None
    rows = await deps.db.reader.all(
        _page(account_id is not None, status is not None, after_id is not None, oldest_first),
        account_id=account_id,
        status=status.value if status else None,
        after_id=after_id,
        limit=limit,
    )
    return [_view(row) for row in rows]


async def own_questions(
    deps: Deps,
    *,
    caller: Caller,
    status: QuestionStatus | None,
    after_id: int | None,
    limit: int,
) -> list[QuestionView]:
    """The caller's own questions, newest first (UNAUTHENTICATED, FORBIDDEN for staff)."""
    account = await asking_account(deps, caller)
    return await list_questions(
        deps, account_id=account.id, status=status, after_id=after_id, limit=limit
    )


async def get_question(deps: Deps, *, caller: Caller, question_id: int) -> QuestionView | None:
    """A question for the account that asked it, or for staff; None otherwise."""
    if caller.account_id is None:
        return None
    view = await get_question_view(deps, question_id=question_id)
    if view is None or not (caller.is_staff or view.account_id == caller.account_id):
        return None
    return view
