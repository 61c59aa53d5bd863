-- Two database roles for Toegang on PostgreSQL (README, "PostgreSQL (scale-out)"):
--
--   toegang_owner  owns the schema and every table; `toegang migrate` signs in as it
--                  (TOEGANG_MIGRATION_DATABASE_URL).
--   toegang_app    the application (TOEGANG_DATABASE_URL): reads and writes the data, only
--                  adds to and reads the audit trail, and can alter or drop nothing.
--
-- Run it as a superuser, connected to Toegang's database, before the first `toegang migrate`
-- and again after it: the audit trail's table exists only then. Running it again is
-- harmless, so a deployment may simply run it after every migration:
--
--   psql -v ON_ERROR_STOP=1 -d toegang -f docs/postgresql-roles.sql
--
-- No password is set here, so none ends up in a file or a server log. Give each role one
-- with psql's `\password toegang_owner` and `\password toegang_app` (which send a hash).
-- tests/platform/test_postgres_tls.py runs this file as it is.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'toegang_owner') THEN
        CREATE ROLE toegang_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'toegang_app') THEN
        CREATE ROLE toegang_app LOGIN;
    END IF;
    -- Only these two (and superusers) connect; nobody makes temporary tables.
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format(
        'GRANT CONNECT ON DATABASE %I TO toegang_owner, toegang_app', current_database()
    );
END
$$;

-- The owner owns the schema, so every table the migrations make is its own. Only an owner
-- may ALTER or DROP a table (or its triggers); the application role owns nothing.
ALTER SCHEMA public OWNER TO toegang_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO toegang_app;

-- The data: the tables there now, and those later migrations make. No TRUNCATE anywhere.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO toegang_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO toegang_app;
ALTER DEFAULT PRIVILEGES FOR ROLE toegang_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO toegang_app;
ALTER DEFAULT PRIVILEGES FOR ROLE toegang_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO toegang_app;

-- Except: the audit trail is only added to and read (its triggers refuse changes as well),
-- and Alembic's revision only read (the readiness check compares it).
DO $$
BEGIN
    IF to_regclass('public.audit_event') IS NULL THEN
        RAISE NOTICE 'no audit_event table yet: run this file again after toegang migrate';
    ELSE
        REVOKE ALL ON public.audit_event FROM toegang_app;
        GRANT SELECT, INSERT ON public.audit_event TO toegang_app;
    END IF;
    IF to_regclass('public.alembic_version') IS NOT NULL THEN
        REVOKE ALL ON public.alembic_version FROM toegang_app;
        GRANT SELECT ON public.alembic_version TO toegang_app;
    END IF;
END
$$;
