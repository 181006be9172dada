"""Least privilege: what the app's role may do, granted by the owner after each migration.

The API and the worker connect as a role that owns nothing. It reads and writes the tables it
works with, but on `audit_events` it may only INSERT and SELECT: no UPDATE, DELETE, TRUNCATE,
and, not being the owner, no ALTER TABLE, so it cannot switch off the append-only triggers.
Default privileges give it the same DML on tables a later migration (or PgQueuer) creates.
"""

from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger("dosmotr.db")

# Tables the app may read but never change (beyond appending, for the audit log).
APPEND_ONLY = ("audit_events",)
READ_ONLY = ("schema_migrations",)

ROLE_FACTS = """
SELECT rolsuper, rolbypassrls,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relowner = r.oid AND n.nspname = 'public') AS owned
FROM pg_roles r WHERE rolname = $1
"""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_statements(app_role: str) -> list[str]:
    role = _ident(app_role)
    dml = "SELECT, INSERT, UPDATE, DELETE"
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT {dml} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        # For what later migrations create (as this same owner).
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {dml} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    ]
    for table in APPEND_ONLY:
        statements.append(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role}, PUBLIC"
        )
    for table in READ_ONLY:
        statements.append(
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role}"
        )
    return statements


async def grant_app_role(conn: asyncpg.Connection, app_role: str) -> None:
    """Run by the owner (the migrating connection). Idempotent."""
    owner = await conn.fetchval("SELECT current_user")
    if app_role == owner:
        log.warning(
            "the app connects as the role that owns the schema (%s): its credentials could "
            "alter the audit table; give DOSMOTR_MIGRATE_DATABASE_URL a separate owner role",
            owner,
        )
        return
    async with conn.transaction():
        for statement in grant_statements(app_role):
            await conn.execute(statement)
    facts = await conn.fetchrow(ROLE_FACTS, app_role)
    if facts is not None and (facts["rolsuper"] or facts["rolbypassrls"] or facts["owned"]):
        log.warning("the app role %s is a superuser or owns tables: grants cannot restrain it",
                    app_role)


async def current_role(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        role: str = await conn.fetchval("SELECT current_user")
        return role
    finally:
        await conn.close()
