"""Resolvers of questions to the service centre: asking, listing, and answering by staff."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gql import i18n
from gql.context import Context
from gql.models.questions import Question as QuestionRow
from gql.models.questions import QuestionStatus as StatusValue
from gql.models.questions import QuestionTopic as TopicValue
from gql.resolvers.common import (
    AFTER,
    FIRST,
    INPUT,
    Inf,
    connection,
    mutation,
    page_args,
    require_account,
    require_staff,
)
from gql.resolvers.node import register_node
from gql.schema.types import questions as t
from gql.schema.types import register as register_types
from gql.schema.types.common import Connection
from gql.schema.types.ids import key_of, to_global_id
from gql.services import register
from gql.services.questions import questions


def _address(value: register.AddressInput | None) -> register_types.Address | None:
    if value is None:
        return None
    return register_types.Address(
        street=value.street,
        house_number=value.house_number,
        postal_code=value.postal_code,
        city=value.city,
    )


def _address_input(value: register_types.AddressInput | None) -> register.AddressInput | None:
    if value is None:
        return None
    return register.AddressInput(value.street, value.house_number, value.postal_code, value.city)


def question_type(ctx: Context, view: questions.QuestionView) -> t.Question:
    staff = ctx.caller.is_staff
    return t.Question(
        id=to_global_id("Question", view.id),
        topic=t.QuestionTopic(view.topic.value),
        topic_label=questions.topic_label(view.topic, ctx.language),
        text=view.text,
        old_address=_address(view.old_address),
        new_address=_address(view.new_address),
        status=t.QuestionStatus(view.status.value),
        asked_at=view.asked_at,
        answer=view.answer,
        answered_at=view.answered_at,
        answered_by=view.answered_by,
        asked_by=view.asked_by if staff else None,
        kvk_number=view.kvk_number if staff else None,
    )


STATUS = strawberry.argument(description="Only questions in this status.")


async def question_topics(info: Inf) -> list[t.QuestionTopicOption]:
    language = info.context.language
    return [
        t.QuestionTopicOption(
            topic=t.QuestionTopic(topic.value),
            label=questions.topic_label(topic, language),
            needs_addresses=topic == questions.ADDRESS_TOPIC,
        )
        for topic in TopicValue
    ]


async def list_questions(
    info: Inf,
    status: Annotated[t.QuestionStatus | None, STATUS] = None,
    first: Annotated[int | None, FIRST] = 20,
    after: Annotated[str | None, AFTER] = None,
) -> Connection[t.Question]:
    ctx = info.context
    page = page_args(first, after, ctx.language)
    views = await questions.own_questions(
        ctx.deps,
        caller=require_account(info),
        status=StatusValue(status.name) if status else None,
        after_id=page.after_key,
        limit=page.limit + 1,
    )
    return connection(views, page, node=lambda v: question_type(ctx, v), key=lambda v: v.id)


async def ask_question(
    info: Inf, input: Annotated[t.AskQuestionInput, INPUT]
) -> t.AskQuestionResult:
    ctx = info.context
    view = await questions.ask_question(
        ctx.deps,
        caller=require_account(info),
        topic=TopicValue(input.topic.name),
        text=input.text,
        old_address=_address_input(input.old_address),
        new_address=_address_input(input.new_address),
    )
    return t.AskQuestionPayload(
        question=question_type(ctx, view), message=i18n.text("question_asked", ctx.language)
    )


async def staff_answer_question(
    info: Inf, input: Annotated[t.StaffAnswerQuestionInput, INPUT]
) -> t.StaffAnswerQuestionResult:
    ctx = info.context
    view = await questions.answer_question(
        ctx.deps,
        caller=require_staff(info),
        question_id=key_of(input.question_id, "Question"),
        answer=input.answer,
    )
    return t.StaffAnswerQuestionPayload(question=question_type(ctx, view))


async def _load_question(ctx: Context, pk: int) -> t.Question | None:
    view = await questions.get_question(ctx.deps, caller=ctx.caller, question_id=pk)
    return question_type(ctx, view) if view else None


register_node("Question", table=QuestionRow, load=_load_question)


@strawberry.type
class Query:
    question_topics: list[t.QuestionTopicOption] = strawberry.field(
        resolver=question_topics,
        description="The topics of the service centre's question form with their labels; "
        "readable without signing in.",
    )
    questions: Connection[t.Question] = strawberry.field(
        resolver=list_questions,
        description="Your questions to the service centre with their answers, newest first "
        "(private and business accounts; FORBIDDEN for staff).",
    )


@strawberry.type
class Mutation:
    ask_question: t.AskQuestionResult = mutation(
        ask_question,
        description="Ask the service centre a question (the question form): for an invoice "
        "address that did not follow an address change, topic INVOICE_ADDRESS with the old "
        "and the new address. A confirmation is e-mailed; so is the answer, which also shows "
        "with the question.",
    )
    staff_answer_question: t.StaffAnswerQuestionResult = mutation(
        staff_answer_question,
        description="Staff: answer an open question once (audited); the answer is e-mailed to "
        "the customer and shows with the question.",
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="Questions of every account, oldest first (a queue to work through), "
        "with who asked."
    )
    async def questions(
        self,
        info: Inf,
        status: Annotated[t.QuestionStatus | None, STATUS] = None,
        first: Annotated[int | None, FIRST] = 20,
        after: Annotated[str | None, AFTER] = None,
    ) -> Connection[t.Question]:
        require_staff(info)
        ctx = info.context
        page = page_args(first, after, ctx.language)
        views = await questions.list_questions(
            ctx.deps,
            account_id=None,
            status=StatusValue(status.name) if status else None,
            after_id=page.after_key,
            limit=page.limit + 1,
        )
        return connection(views, page, node=lambda v: question_type(ctx, v), key=lambda v: v.id)
