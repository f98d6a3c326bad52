-- The two PostgreSQL roles of a deployment (README "Database roles"): run once as a superuser, e.g.
--   sudo -u postgres psql -v db=records -v owner=records_owner -v owner_password='...' \
--        -v app=records_app -v app_password='...' -f scripts/pg-roles.sql
-- The owner owns the database and every table (DATABASE_MIGRATE_URL: `manage.py migrate` connects as it and
-- then grants the app role). The app role (DATABASE_URL) owns nothing: it cannot ALTER, TRUNCATE or switch
-- off triggers, and may only SELECT and INSERT the event log. Idempotent (passwords are set again).
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEROLE PASSWORD %L', :'owner', :'owner_password') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'app', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner') \gexec
SELECT format('REVOKE CREATE ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'db', :'app') \gexec
\connect :db
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
