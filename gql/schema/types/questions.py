"""Types of questions to the service centre: topics, questions, asking and answering."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gql.schema.types.common import Node
from gql.schema.types.errors import result_union
from gql.schema.types.register import Address, AddressInput
from gql.services.questions import questions


@strawberry.enum(description="The topics of the service centre's question form.")
class QuestionTopic(Enum):
    ACCESS_CODE = strawberry.enum_value(
        "ACCESS_CODE",
        description="Access code and signing in ('Toegangscode en inloggen'): a lost password "
        "or access code, requesting a code.",
    )
    ORDERS_AND_INVOICES = strawberry.enum_value(
        "ORDERS_AND_INVOICES",
        description="Orders and invoices ('Bestellingen en facturen'). For an invoice address "
        "that did not follow an address change, use INVOICE_ADDRESS.",
    )
    INVOICE_ADDRESS = strawberry.enum_value(
        "INVOICE_ADDRESS",
        description="Orders and invoices: the invoice address was not updated ('Bestellingen "
        "en facturen', with the old and the new invoice address). Needs oldAddress and "
        "newAddress.",
    )
    PAYMENT_METHOD = strawberry.enum_value(
        "PAYMENT_METHOD",
        description="Payment method and balance ('Betaalwijze en tegoed'): direct debit, "
        "top-ups, refunds.",
    )
    ANNUAL_ACCOUNTS = strawberry.enum_value(
        "ANNUAL_ACCOUNTS", description="Filing annual accounts ('Jaarrekening deponeren')."
    )
    OTHER = strawberry.enum_value("OTHER", description="Anything else ('Overige vragen').")


@strawberry.enum(description="Where a question stands.")
class QuestionStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting for the service centre's answer.")
    ANSWERED = strawberry.enum_value(
        "ANSWERED", description="Answered: the answer was e-mailed and shows with the question."
    )


@strawberry.type(description="A topic of the question form, as the form shows it.")
class QuestionTopicOption:
    topic: QuestionTopic = strawberry.field(description="The value askQuestion takes.")
    label: str = strawberry.field(description="Its label, in the language of the request.")
    needs_addresses: bool = strawberry.field(
        description="Whether askQuestion needs oldAddress and newAddress for it (and refuses "
        "them for every other topic)."
    )


@strawberry.type(description="A question to the service centre and its answer.")
class Question(Node):
    topic: QuestionTopic = strawberry.field(description="What it is about.")
    topic_label: str = strawberry.field(
        description="The topic as the form shows it, in the language of the request."
    )
    text: str = strawberry.field(description="The question, as asked (line breaks kept).")
    old_address: Address | None = strawberry.field(
        description="INVOICE_ADDRESS: the invoice address as it was."
    )
    new_address: Address | None = strawberry.field(
        description="INVOICE_ADDRESS: the invoice address as it should be."
    )
    status: QuestionStatus = strawberry.field(description="Where it stands.")
    asked_at: datetime = strawberry.field(description="When it was asked.")
    answer: str | None = strawberry.field(description="The service centre's answer, once given.")
    answered_at: datetime | None = strawberry.field(description="When it was answered.")
    answered_by: str | None = strawberry.field(
        description="The name of the staff member who answered."
    )
    # Staff only (null for customers).
    asked_by: str | None = strawberry.field(
        description="Staff only: the name and access code of the account that asked."
    )
    kvk_number: str | None = strawberry.field(
        description="Staff only: the KVK number of the asking account's organisation (null "
        "for private accounts)."
    )


# ---- askQuestion ----------------------------------------------------------------------------


@strawberry.input(description="A question to the service centre (the question form).")
class AskQuestionInput:
    topic: QuestionTopic = strawberry.field(description="What it is about.")
    text: str = strawberry.field(
        description=f"The question: {questions.TEXT_MIN_LENGTH} to {questions.TEXT_MAX_LENGTH} "
        "characters; line breaks are kept."
    )
    old_address: AddressInput | None = strawberry.field(
        default=None,
        description="Only, and then required, for INVOICE_ADDRESS: the invoice address as it was.",
    )
    new_address: AddressInput | None = strawberry.field(
        default=None,
        description="Only, and then required, for INVOICE_ADDRESS: the invoice address as it "
        "should be.",
    )


@strawberry.type(description="The question is with the service centre; a confirmation was mailed.")
class AskQuestionPayload:
    question: Question = strawberry.field(description="The question, OPEN.")
    message: str = strawberry.field(description="What happens next, for people to read.")


AskQuestionResult = result_union("askQuestion", AskQuestionPayload, questions.ask_question)


# ---- staffAnswerQuestion --------------------------------------------------------------------


@strawberry.input(description="Answer an open question; the answer is e-mailed to the customer.")
class StaffAnswerQuestionInput:
    question_id: strawberry.ID = strawberry.field(description="The question's id.")
    answer: str = strawberry.field(
        description=f"The answer, at most {questions.ANSWER_MAX_LENGTH} characters; line "
        "breaks are kept. The customer reads it in an e-mail and with the question."
    )


@strawberry.type(description="Answered: the customer was e-mailed the answer.")
class StaffAnswerQuestionPayload:
    question: Question = strawberry.field(description="The question, ANSWERED.")


StaffAnswerQuestionResult = result_union(
    "staffAnswerQuestion", StaffAnswerQuestionPayload, questions.answer_question
)
