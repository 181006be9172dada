"""Labelled examples from people's answers to advisory checks: SQL only."""

from __future__ import annotations

from typing import Any

import asyncpg

# What a person's answer says about the frames they looked at, per check: `confirmed` means
# the check's claim holds (the bay IS empty at the end; the count IS right).
LABELS: dict[str, tuple[str, str]] = {
    "completeness": ("empty_at_end", "not_empty_at_end"),
    "recount": ("count_right", "count_wrong"),
    "identity": ("number_matches", "number_differs"),
}


def label_for(check: str, decision: str) -> str:
    yes, no = LABELS.get(check, ("claim_holds", "claim_fails"))
    return yes if decision == "confirmed" else no


INSERT_EXAMPLE = """
INSERT INTO training_examples (attestation_id, recording_id, report_version, check_name,
                               post_code, label, frames, model_code, model_params, actor_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (attestation_id) DO NOTHING
RETURNING id
"""


async def insert_example(
    conn: asyncpg.Connection, *, attestation_id: str, recording_id: str, report_version: int,
    check: str, post_code: str, label: str, frames: list[dict[str, Any]], model_code: str,
    model_params: dict[str, Any], actor_id: str,
) -> str | None:  # fmt: skip
    return await conn.fetchval(
        INSERT_EXAMPLE, attestation_id, recording_id, report_version, check, post_code, label,
        frames, model_code, model_params, actor_id,
    )  # fmt: skip


EXAMPLES = """
SELECT e.id, e.recording_id, e.report_version, e.check_name, e.post_code, e.label, e.frames,
       e.model_code, e.model_params, e.actor_id, u.login AS actor_login, e.created_at
FROM training_examples e JOIN users u ON u.id = e.actor_id
WHERE ($1::text IS NULL OR e.check_name = $1) AND ($2::text IS NULL OR e.post_code = $2)
ORDER BY e.created_at, e.id
"""


async def examples(
    conn: asyncpg.Connection, check: str | None = None, post_code: str | None = None
) -> list[Any]:
    return list(await conn.fetch(EXAMPLES, check, post_code))
