"""Schema fuzzing over real HTTP: schemathesis generates every query and mutation, we judge.

schemathesis loads the schema by introspection from the running server (so the server must
run with TOEGANG_TRUSTED_DOCUMENTS_ONLY off) and generates documents with hypothesis-graphql:
valid ones with generated arguments (positive mode) and a few with arguments of the wrong
type (negative mode). IDs are mostly well-formed global ids of real types, dates include the
ends of the calendar, and every other document passes its arguments as variables. Each
document is sent as each caller (anonymous, and every signed-in caller as a bearer token)
with httpx; every answer is judged by `judge`:

- no status 500 or above;
- no traceback, SQL text or name of a database driver anywhere in the body;
- every error in `errors` has a known code (`KNOWN_CODES`: UNAUTHENTICATED, FORBIDDEN,
  RATE_LIMITED, BAD_USER_INPUT, CSRF, PERSISTED_QUERY_NOT_FOUND) or is a request error: one
  without a path in an answer without `data`, i.e. a document refused before anything ran
  (syntax, validation, variable coercion), which is what negative mode asks for.
  INTERNAL_SERVER_ERROR (the executor's mask of an unexpected exception) is a failure, as is
  any other error of a field that ran. Expected failures of a mutation arrive in `data` as a
  member of its result union and are not errors here.

Generation is bounded by `examples` per operation and caller; `derandomize=True` gives the same
documents on every run (CI), a `seed` gives another fixed set (longer runs).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from unittest import SkipTest

import graphql
import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.graphql import nodes

from gql.schema.execution import PUBLIC_CODES

# The top-level codes a client may meet: those the executor lets through unmasked (PUBLIC_CODES:
# UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, BAD_USER_INPUT) and the refusals of gql/http.py
# before anything runs (CSRF, PERSISTED_QUERY_NOT_FOUND), and the size limits of
# gql/schema/limits.py. INTERNAL_SERVER_ERROR, the mask of an unexpected exception, is
# deliberately absent: it counts as a failure.
KNOWN_CODES = PUBLIC_CODES | {
    "CSRF",
    "PERSISTED_QUERY_NOT_FOUND",
    "QUERY_TOO_COSTLY",
    "TOO_MANY_FIELDS",
    "TOO_MANY_DIRECTIVES",
}

COOKIE = "cookie:"

# What an internal leaks as: a Python traceback, a source path, SQL, a driver's or ORM's name.
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"/|\.py\", line \d"
    r"|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b \w+ \bSET\b|\bDELETE FROM\b"
    r"|IntegrityError|OperationalError|ProgrammingError|DBAPIError"
    r"|(?i:sqlalchemy|sqlite3|aiosqlite|asyncpg|psycopg)",
    re.DOTALL,
)

# Dates and moments: also the ends of the calendar and of what UTC can hold (a moment of year
# 1 east of Greenwich, of year 9999 west of it), beside schemathesis's own.
_DAYS = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "1970-01-01", "2024-02-29"]),
    st.dates().map(str),
)
schemathesis.graphql.scalar("Date", _DAYS.map(nodes.String))
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.sampled_from(
            [
                "0001-01-01T00:00:00+14:00",
                "9999-12-31T23:59:59-12:00",
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999+00:00",
            ]
        ),
        st.tuples(st.dates(), st.times(), st.sampled_from(["Z", "+01:00", "-05:30", ""])).map(
            lambda parts: f"{parts[0]}T{parts[1]}{parts[2]}"
        ),
    ).map(nodes.String),
)

# `Upload` is a multipart file; inline, a client can only send something else in its place.
schemathesis.graphql.scalar(
    "Upload", st.one_of(st.just(nodes.Null), st.text(max_size=20).map(nodes.String))
)

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) { __typename ... on LogInPayload { token } ... on Error { code message } }
}
"""


@dataclass
class Caller:
    """Who sends the documents: a name for the report and how to (re)gain a bearer token."""

    name: str
    sign_in: Callable[[httpx.Client, str], str] | None = None
    token: str | None = None
    # Operations not sent as this caller: `logOut` for one who cannot sign in again at once
    # (staff: a TOTP code is accepted once).
    skip: frozenset[str] = frozenset()

    def headers(self) -> dict[str, str]:
        if not self.token:
            return {}
        if self.token.startswith(COOKIE):  # staff: a browser session (no device sessions)
            return {"Cookie": self.token.removeprefix(COOKIE)}
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Tally:
    requests: int = 0
    failures: int = 0


@dataclass
class Report:
    """Requests and failures per operation (`Query.viewer`, `Mutation.logIn`) and caller."""

    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    with_variables: int = 0

    def count(self, operation: str, caller: str, problem: str | None) -> None:
        tally = self.tallies.setdefault((operation, caller), Tally())
        tally.requests += 1
        if problem is not None:
            tally.failures += 1
            self.failures.append(problem)

    @property
    def requests(self) -> int:
        return sum(t.requests for t in self.tallies.values())

    @property
    def failed(self) -> int:
        return sum(t.failures for t in self.tallies.values())

    def table(self) -> str:
        per_operation: dict[str, Tally] = {}
        for (operation, _), tally in sorted(self.tallies.items()):
            total = per_operation.setdefault(operation, Tally())
            total.requests += tally.requests
            total.failures += tally.failures
        width = max((len(o) for o in per_operation), default=10)
        lines = [f"{'operation':<{width}}  requests  failures"]
        lines += [
            f"{operation:<{width}}  {t.requests:>8}  {t.failures:>8}"
            for operation, t in per_operation.items()
        ]
        lines.append(f"{'total':<{width}}  {self.requests:>8}  {self.failed:>8}")
        return "\n".join(lines)


def judge(status: int, body: str) -> str | None:
    """What is wrong with one answer, or None when it is a well-behaved one."""
    if status >= 500:
        return f"status {status}"
    leak = LEAKS.search(body)
    if leak:
        return f"leaks {leak.group(0)!r}"
    try:
        payload = json.loads(body)
    except ValueError:
        return f"status {status} without a JSON body"
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    for error in payload.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None and error.get("path") is None and "data" not in payload:
            continue  # refused before execution: syntax, validation, variables
        if code not in KNOWN_CODES:
            return f"error with code {code!r}: {error.get('message')!r} at {error.get('path')}"
    return None


def sign_in_with(access_code: str, password: str, totp: Callable[[], str] | None = None) -> Any:
    """A `Caller.sign_in` that logs in with an access code and password: a device session
    (bearer token), or for staff (TOTP; staff cannot start device sessions) a cookie session."""

    def sign_in(client: httpx.Client, url: str) -> str:
        variables: dict[str, Any] = {
            "input": {"accessCode": access_code, "password": password}
            | ({"session": "TOKEN", "deviceName": "fuzz"} if totp is None else {})
        }
        if totp is not None:
            variables["input"]["totp"] = totp()
        answer = client.post(url, json={"query": LOG_IN, "variables": variables})
        result = answer.json()["data"]["logIn"]
        if result["__typename"] != "LogInPayload":
            raise RuntimeError(f"signing in as {access_code} failed: {result}")
        if totp is None:
            return str(result["token"])
        cookie = "; ".join(f"{name}={value}" for name, value in answer.cookies.items())
        # The client's jar must not send it for the other callers.
        client.cookies.clear()
        return COOKIE + cookie

    return sign_in


def _ids_of_nodes(schema: graphql.GraphQLSchema) -> st.SearchStrategy[graphql.ValueNode]:
    """IDs: mostly well-formed global ids (`<Type>:<n>`, gql/schema/types/ids.py) of every
    Node type with small numbers, which name the demo data and what the fuzzer made, so that
    mutations get past NotFound; otherwise any text."""
    types = sorted(
        name
        for name, kind in schema.type_map.items()
        if isinstance(kind, graphql.GraphQLObjectType)
        and any(interface.name == "Node" for interface in kind.interfaces)
    )
    made = st.tuples(st.sampled_from(types), st.integers(1, 30)).map(
        lambda pair: base64.urlsafe_b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
    )
    return st.one_of(made, made, st.text(max_size=30)).map(nodes.String)


def load_operations(url: str, only: Iterable[str] = ()) -> list[Any]:
    """Every root field of Query and Mutation as a schemathesis operation (by introspection)."""
    schema = schemathesis.graphql.from_url(url)
    schemathesis.graphql.scalar("ID", _ids_of_nodes(schema.client_schema))
    wanted = set(only)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return [
        op
        for op in operations
        if not wanted or op.label in wanted or op.label.split(".", 1)[1] in wanted
    ]


def fuzz(
    url: str,
    callers: list[Caller],
    *,
    examples: int,
    negative_examples: int | None = None,
    seed: int | None = None,
    only: Iterable[str] = (),
    on_answer: Callable[[str, str, str, int, str], None] | None = None,
) -> Report:
    """Send `examples` generated documents (and `negative_examples` ill-typed ones) of every
    operation as every caller; return the tallies and the failures."""
    report = Report()
    operations = load_operations(url, only)
    negative = max(1, examples // 4) if negative_examples is None else negative_examples
    with httpx.Client(timeout=60) as client:
        for caller in callers:
            if caller.sign_in is not None:
                caller.token = caller.sign_in(client, url)
        for operation in operations:
            for caller in callers:
                probe = functools.partial(_probe, client, url, report, operation, caller)
                probe(GenerationMode.POSITIVE, examples, seed, on_answer)
                if negative > 0:
                    # SkipTest: no argument to get wrong, negative mode has nothing to send.
                    with contextlib.suppress(SkipTest):
                        probe(GenerationMode.NEGATIVE, negative, seed, on_answer)
    return report


def _probe(
    client: httpx.Client,
    url: str,
    report: Report,
    operation: Any,
    caller: Caller,
    mode: GenerationMode,
    count: int,
    seed: int | None,
    on_answer: Callable[[str, str, str, int, str], None] | None,
) -> None:
    """Send `count` documents of one operation in one mode as one caller."""
    label: str = operation.label
    field_name = label.split(".", 1)[1]
    if field_name in caller.skip:
        return

    schema = operation.schema.client_schema

    def send(case: Any) -> None:
        # Every other document sends its root field's arguments as variables, so that the
        # coercion of variables is fuzzed as well as that of literals.
        request: dict[str, Any] = {"query": case.body}
        if zlib.crc32(case.body.encode()) % 2:
            request = as_variables(case.body, schema) or request
            report.with_variables += "variables" in request
        answer = client.post(url, json=request, headers=caller.headers())
        report.statuses[answer.status_code] += 1
        problem = judge(answer.status_code, answer.text)
        if problem is not None:
            problem = (
                f"{label} as {caller.name}: {problem}\n"
                f"  request: {' '.join(json.dumps(request).split())}\n"
                f"  answer: {answer.text[:600]}"
            )
        report.count(label, caller.name, problem)
        if on_answer is not None:
            on_answer(label, caller.name, case.body, answer.status_code, answer.text)
        if field_name == "logOut" and caller.sign_in is not None:
            # Signed out: sign in again for the rest. A generated staff mutation may have
            # deactivated the account meanwhile; the caller then goes on without a session.
            try:
                caller.token = caller.sign_in(client, url)
            except RuntimeError as refused:
                caller.token = None
                report.notes.append(str(refused))

    probe = settings(
        max_examples=count,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )(given(case=operation.as_strategy(generation_mode=mode))(send))
    if seed is not None:
        probe = hypothesis_seed(seed)(probe)
    probe()


def as_variables(document: str, schema: graphql.GraphQLSchema) -> dict[str, Any] | None:
    """The request of `document` with its root field's arguments passed as variables of the
    arguments' types; None when the document is not one root field with arguments."""
    try:
        parsed = graphql.parse(document)
    except graphql.GraphQLError:
        return None
    [operation] = parsed.definitions
    if not isinstance(operation, graphql.OperationDefinitionNode):
        return None
    root = (
        schema.mutation_type
        if operation.operation == graphql.OperationType.MUTATION
        else schema.query_type
    )
    [field_node] = operation.selection_set.selections
    if root is None or not isinstance(field_node, graphql.FieldNode) or not field_node.arguments:
        return None
    field_def = root.fields.get(field_node.name.value)
    if field_def is None:
        return None
    definitions, arguments, variables = [], [], {}
    for argument in field_node.arguments:
        name = argument.name.value
        if name not in field_def.args:
            return None
        variable = graphql.VariableNode(name=graphql.NameNode(value=name))
        definitions.append(
            graphql.VariableDefinitionNode(
                variable=variable,
                type=graphql.parse_type(str(field_def.args[name].type)),
                directives=(),
            )
        )
        arguments.append(graphql.ArgumentNode(name=argument.name, value=variable))
        variables[name] = graphql.value_from_ast_untyped(argument.value)
    field = graphql.FieldNode(
        alias=field_node.alias,
        name=field_node.name,
        arguments=tuple(arguments),
        directives=field_node.directives,
        selection_set=field_node.selection_set,
    )
    rewritten = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(definitions),
        directives=operation.directives,
        selection_set=graphql.SelectionSetNode(selections=(field,)),
    )
    return {"query": graphql.print_ast(rewritten), "variables": variables}
