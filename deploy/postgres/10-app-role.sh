#!/bin/sh
# Run once by the postgres image when the data volume is first initialised
# (/docker-entrypoint-initdb.d). POSTGRES_USER owns the schema and runs the migrations
# (DOSMOTR_MIGRATE_DATABASE_URL); the API and the worker log in as dosmotr_app (DATABASE_URL),
# a role that owns nothing: each migration grants it what the app needs, and on the audit
# table only INSERT and SELECT (backend/db/roles.py).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$POSTGRES_APP_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE dosmotr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO dosmotr_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
