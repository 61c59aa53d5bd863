"""The `toegang` command: serve, worker, migrate, seed-demo, create-staff, invoice-run,
export-schema, export-trusted-documents, refund-payouts, collections, bank-import."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
import time
from datetime import date
from pathlib import Path

import pyotp

from gql import contract
from gql.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"toegang: {exc}") from exc


def _deps(settings: Settings):  # type: ignore[no-untyped-def]
    from gql.clock import Clock
    from gql.db import Database
    from gql.services.shared.deps import Deps
    from gql.services.shared.hashing import HashParameters, PasswordHashing

    hashing = PasswordHashing(
        HashParameters(
            settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
        ),
        concurrency=settings.hash_concurrency,
    )
    db = Database(settings.database_url, ca_file=settings.database_ca_file)
    return Deps(db=db, hashing=hashing, clock=Clock(), settings=settings)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from gql import logs
    from gql.app import create_app

    settings = _settings()
    logs.configure(settings.log_level)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # X-Forwarded-For is judged by TOEGANG_TRUSTED_PROXIES only
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from gql import logs
    from gql.mail.dispatcher import Dispatcher
    from gql.mail.sender import make_senders
    from gql.worker import worker_jobs

    settings = _settings()
    logs.configure(settings.log_level)
    deps = _deps(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        dispatcher = Dispatcher(
            deps.db,
            settings,
            deps.clock,
            make_senders(settings, deps.db),
            jobs=worker_jobs(deps),
        )
        await dispatcher.run_forever(stop)
        await deps.db.dispose()

    asyncio.run(main())


def cmd_migrate(args: argparse.Namespace) -> None:
    from gql.migrate import upgrade

    settings = _settings()
    # The role that owns the schema, when set apart from the application's (README).
    url = settings.migration_database_url or settings.database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(
        url,
        args.revision,
        ca_file=settings.database_ca_file,
        secret_key=settings.secret_key,
        environment=settings.env,
    )
    print(f"toegang: database at revision {args.revision}")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from gql import demo
    from gql.services.accounts.access_codes import display

    settings = _settings()
    if settings.is_production:
        raise SystemExit("toegang: demo data is refused in production")
    deps = _deps(settings)

    async def main() -> list[demo.DemoAccount]:
        try:
            return await demo.seed(deps)
        finally:
            await deps.db.dispose()

    try:
        created = asyncio.run(main())
    except demo.NotADevelopmentDatabase:
        raise SystemExit(
            "toegang: demo data is refused: this database is not a development database "
            "(it held other accounts, or was first migrated with TOEGANG_ENV=production)"
        ) from None
    print(
        f"toegang: demo data present ({len(demo.COMPANIES)} companies; {len(created)} accounts added)"
    )
    for account in demo.DEMO_ACCOUNTS:
        print(
            f"  {account.usage:<8} access code {display(account.access_code)}  password {account.password!r}"
        )


def cmd_create_staff(args: argparse.Namespace) -> None:
    from gql.services.accounts import staff_accounts
    from gql.services.shared.errors import InvalidInputError

    settings = _settings()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password for the staff account: ")
    secret = pyotp.random_base32()
    deps = _deps(settings)

    async def main() -> str:
        try:
            return await staff_accounts.create_staff(
                deps, name=args.name, email=args.email, password=password, totp_secret=secret
            )
        finally:
            await deps.db.dispose()

    try:
        code = asyncio.run(main())
    except InvalidInputError as exc:
        from gql import i18n

        problems = "; ".join(
            f"{'.'.join(p.field)}: {i18n.text(p.message_key, 'en', **p.params)}"
            for p in exc.problems
        )
        raise SystemExit(f"toegang: {problems}") from exc
    uri = pyotp.TOTP(secret).provisioning_uri(name=code, issuer_name="Toegang KVK")
    print(f"access code: {code}")
    print(f"TOTP secret: {secret}")
    print(f"otpauth URI: {uri}")
    print("Add the secret to an authenticator app; sign in with logIn(accessCode, password, totp).")


def cmd_reseal_secrets(args: argparse.Namespace) -> None:
    from gql.services.accounts import staff_accounts

    deps = _deps(_settings())

    async def main() -> int:
        try:
            return await staff_accounts.reseal_totp_secrets(deps)
        finally:
            await deps.db.dispose()

    print(f"toegang: {asyncio.run(main())} TOTP secrets sealed under the first key")


def _domain_error(exc: Exception) -> SystemExit:
    """A use case's expected failure as the command's last words, in English."""
    from gql import i18n
    from gql.services.shared.errors import DomainError, InvalidInputError

    if isinstance(exc, InvalidInputError):
        return SystemExit(
            "toegang: "
            + "; ".join(i18n.text(p.message_key, "en", **p.params) for p in exc.problems)
        )
    assert isinstance(exc, DomainError)
    return SystemExit(f"toegang: {i18n.text(exc.key, 'en', **exc.message_params('en'))}")


def cmd_refund_payouts(args: argparse.Namespace) -> None:
    from gql.services.ledger import payouts
    from gql.services.shared.errors import DomainError
    from gql.services.shared.formatting import format_cents

    deps = _deps(_settings())

    async def main() -> payouts.PayoutFile:
        try:
            return await payouts.create_refund_payouts(
                deps, caller=None, execution_date=args.execution_date
            )
        finally:
            await deps.db.dispose()

    try:
        made = asyncio.run(main())
    except DomainError as exc:
        raise _domain_error(exc) from exc
    view = made.bank_file
    print(
        f"toegang: pain.001 {view.message_id}: {view.transactions} refunds, "
        f"{format_cents(view.total_cents, 'en')}; stored as file {view.file_id} "
        f"({view.filename}, sha256 {view.sha256})"
    )
    if args.out is not None:
        args.out.write_bytes(made.data)
        print(f"toegang: written to {args.out}")


def cmd_collections(args: argparse.Namespace) -> None:
    from gql.services.invoices import collections
    from gql.services.shared.errors import DomainError
    from gql.services.shared.formatting import format_cents

    deps = _deps(_settings())

    async def main() -> collections.CollectionFile:
        try:
            return await collections.create_collections(
                deps, caller=None, collection_date=args.date
            )
        finally:
            await deps.db.dispose()

    try:
        made = asyncio.run(main())
    except DomainError as exc:
        raise _domain_error(exc) from exc
    view = made.bank_file
    print(
        f"toegang: pain.008 {view.message_id}: {view.transactions} invoices, "
        f"{format_cents(view.total_cents, 'en')}; stored as file {view.file_id} "
        f"({view.filename}, sha256 {view.sha256})"
    )
    if args.out is not None:
        args.out.write_bytes(made.data)
        print(f"toegang: written to {args.out}")


def cmd_bank_import(args: argparse.Namespace) -> None:
    from gql.services.bank_files import imports
    from gql.services.shared.errors import DomainError

    if not args.file.is_file():
        raise SystemExit(f"toegang: {args.file} is no file")
    deps = _deps(_settings())

    async def main() -> imports.ImportReceipt:
        try:
            return await imports.import_bank_file(
                deps,
                caller=None,
                upload=imports.UploadedBankFile(args.file, args.file.stat().st_size),
            )
        finally:
            await deps.db.dispose()

    try:
        receipt = asyncio.run(main())
    except DomainError as exc:
        raise _domain_error(exc) from exc
    view = receipt.bank_file
    if receipt.already_imported:
        print(
            f"toegang: {view.message_id} was imported before ({view.created_at.isoformat()}, "
            f"bank file {view.id}); nothing changed"
        )
        return
    print(
        f"toegang: imported {view.kind.value} {view.message_id} on "
        f"{view.original_message_id or '-'} as bank file {view.id}: "
        f"{view.transactions} transactions reported, {receipt.changed} processed"
    )
    for change in view.changes:
        reason = f" ({change.reason})" if change.reason else ""
        print(f"  {change.reference}: {change.result}{reason}")


def cmd_invoice_run(args: argparse.Namespace) -> None:
    from gql.services.invoices import monthly
    from gql.services.shared.errors import Problems

    settings = _settings()
    deps = _deps(settings)
    problems = Problems()
    month = monthly.month_field(problems, "month", args.month, now=deps.clock.now())
    if month is None:
        from gql import i18n

        raise SystemExit(f"toegang: {i18n.text(problems.items[0].message_key, 'en')}")

    async def main() -> monthly.RunView:
        try:
            return await monthly.run_now(deps, month=month)
        finally:
            await deps.db.dispose()

    run = asyncio.run(main())
    print(f"toegang: invoice run {args.month}: {run.issued} invoice(s) issued")


def cmd_export_schema(args: argparse.Namespace) -> None:
    from gql.schema.root import schema

    sys.stdout.write(schema.as_str().rstrip("\n") + "\n")


def cmd_export_trusted_documents(args: argparse.Namespace) -> None:
    count = contract.write_manifest(args.operations, args.output)
    print(f"toegang: {count} trusted documents written to {args.output}")


def cmd_operation_costs(args: argparse.Namespace) -> None:
    sys.stdout.write(contract.render_operation_costs(contract.operation_costs(args.operations)))


def cmd_measure_hash(args: argparse.Namespace) -> None:
    from argon2 import PasswordHasher, Type

    for m, t, p in ((19456, 2, 1), (47104, 1, 1), (65536, 3, 4), (65536, 2, 1), (131072, 3, 4)):
        hasher = PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, type=Type.ID)
        started = time.perf_counter()
        for _ in range(5):
            hasher.hash("a password of some length")
        ms = (time.perf_counter() - started) / 5 * 1000
        print(f"m={m // 1024:>3} MiB t={t} p={p}: {ms:7.1f} ms per hash")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="toegang", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "serve", help="serve the API with uvicorn (and the mail dispatcher)"
    ).set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run only the outbox dispatcher").set_defaults(func=cmd_worker)
    migrate = sub.add_parser("migrate", help="migrate the database (Alembic)")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load demo companies and accounts (idempotent)").set_defaults(
        func=cmd_seed_demo
    )
    staff = sub.add_parser("create-staff", help="create a staff account with TOTP")
    staff.add_argument("--name", required=True)
    staff.add_argument("--email", required=True)
    staff.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    staff.set_defaults(func=cmd_create_staff)
    sub.add_parser(
        "reseal-secrets", help="seal stored secrets again under the first TOEGANG_SECRET_KEY"
    ).set_defaults(func=cmd_reseal_secrets)
    invoice_run = sub.add_parser(
        "invoice-run",
        help="invoice a month's direct-debit orders now (a rerun issues only what is missing)",
    )
    invoice_run.add_argument("--month", required=True, help="the month, as YYYY-MM")
    invoice_run.set_defaults(func=cmd_invoice_run)
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        func=cmd_export_schema
    )
    trusted = sub.add_parser(
        "export-trusted-documents",
        help="write the trusted-documents manifest (sha256 id -> document) from the operations",
    )
    trusted.add_argument("--operations", type=Path, default=contract.OPERATIONS)
    trusted.add_argument("--output", type=Path, default=contract.MANIFEST)
    trusted.set_defaults(func=cmd_export_trusted_documents)
    costs = sub.add_parser(
        "operation-costs",
        help="print the cost (items it can return) of each operation, as the cost limit "
        "counts it: the table of frontend-contract/README.md",
    )
    costs.add_argument("--operations", type=Path, default=contract.OPERATIONS)
    costs.set_defaults(func=cmd_operation_costs)
    payouts = sub.add_parser(
        "refund-payouts",
        help="make the SEPA credit-transfer file (pain.001) of every approved refund not yet "
        "paid out; it is kept in the file store",
    )
    payouts.add_argument("--out", type=Path, help="also write the file here")
    payouts.add_argument(
        "--execution-date",
        type=date.fromisoformat,
        help="the day the bank is to execute it (YYYY-MM-DD; default today)",
    )
    payouts.set_defaults(func=cmd_refund_payouts)
    collect = sub.add_parser(
        "collections",
        help="make the SEPA direct-debit file (pain.008) of every open direct-debit invoice "
        "due and not yet submitted; it is kept in the file store",
    )
    collect.add_argument("--out", type=Path, help="also write the file here")
    collect.add_argument(
        "--date",
        type=date.fromisoformat,
        help="collect the invoices due on or before this day (YYYY-MM-DD; default today)",
    )
    collect.set_defaults(func=cmd_collections)
    bank_import = sub.add_parser(
        "bank-import",
        help="import a file from the bank: a status report (pain.002) or a debit/credit "
        "notification (camt.054); the same file twice changes nothing",
    )
    bank_import.add_argument("file", type=Path)
    bank_import.set_defaults(func=cmd_bank_import)
    sub.add_parser(
        "measure-hash", help="time argon2id parameter sets on this machine"
    ).set_defaults(func=cmd_measure_hash)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
