"""`python -m fuzz`: fuzz a running server's schema; a table per operation, exit 1 on a failure.

    python -m fuzz --url http://127.0.0.1:8000/graphql --examples 200 --demo \\
        --sign-in staff ABCD-EFGH-JKLM 'the password' TOTPSECRET --seed 7

Always sends as an anonymous caller too. The server must run with trusted documents off
(TOEGANG_TRUSTED_DOCUMENTS_ONLY=0): the schema is read by introspection.
"""

from __future__ import annotations

import argparse
import sys
import time

import pyotp

from fuzz.runner import Caller, fuzz, sign_in_with

# The accounts of `toegang seed-demo` (gql/demo.py DEMO_ACCOUNTS), not imported: a load
# generator needs no database code.
DEMO = [
    ("private", "DEMAPRVT2345", "groene appels en rode peren"),
    ("business", "DEMABZNS2345", "koffie met appeltaart om tien uur"),
]


def callers_from(args: argparse.Namespace) -> list[Caller]:
    callers = [Caller("anonymous")]
    for number, token in enumerate(args.token or [], start=1):
        name, _, value = token.rpartition("=")
        callers.append(Caller(name or f"token{number}", token=value))
    if args.demo:
        callers += [Caller(name, sign_in_with(code, password)) for name, code, password in DEMO]
    for entry in args.sign_in or []:
        if len(entry) not in (3, 4):
            raise SystemExit("--sign-in NAME ACCESS_CODE PASSWORD [TOTP_SECRET]")
        name, code, password = entry[:3]
        if len(entry) == 4:
            totp = pyotp.TOTP(entry[3])
            # A TOTP code is accepted once: this caller cannot sign in again after logOut.
            callers.append(
                Caller(name, sign_in_with(code, password, totp.now), skip=frozenset({"logOut"}))
            )
        else:
            callers.append(Caller(name, sign_in_with(code, password)))
    return callers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url", required=True, help="the GraphQL endpoint, e.g. http://host:port/graphql"
    )
    parser.add_argument(
        "--examples", type=int, default=50, help="valid documents per operation and caller"
    )
    parser.add_argument(
        "--negative",
        type=int,
        default=None,
        help="ill-typed documents per operation and caller (default examples/4)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="another fixed set of documents (default: the derandomized one)",
    )
    parser.add_argument(
        "--token", action="append", help="NAME=BEARER_TOKEN of a signed-in caller (repeatable)"
    )
    parser.add_argument(
        "--sign-in",
        action="append",
        nargs="+",
        metavar="ARG",
        help="NAME ACCESS_CODE PASSWORD [TOTP_SECRET] (repeatable)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="also sign in as the accounts of `toegang seed-demo`"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="an operation (logIn or Mutation.logIn); repeatable",
    )
    parser.add_argument("--show", type=int, default=20, help="how many failures to print in full")
    args = parser.parse_args(argv)

    started = time.monotonic()
    report = fuzz(
        args.url,
        callers_from(args),
        examples=args.examples,
        negative_examples=args.negative,
        seed=args.seed,
        only=args.only,
    )
    print(report.table())
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(report.statuses.items()))
    print(
        f"\n{report.requests} requests, {report.failed} failures in {time.monotonic() - started:.0f} s; statuses {statuses}"
    )
    for note in report.notes:
        print(f"note: {note}")
    for failure in report.failures[: args.show]:
        print("\n" + failure)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
