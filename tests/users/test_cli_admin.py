"""`dosmotr admin create` and `dosmotr post add` as an operator runs them on a fresh install:
real subprocesses against a test database, then logging in over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PASSWORD = "первый админ 2026!"
FENCE = {"type": "Polygon", "coordinates": [[[80.2, 44.1], [80.25, 44.1], [80.25, 44.15],
                                              [80.2, 44.15], [80.2, 44.1]]]}


def _cli(db_url: str, tmp: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSMOTR_")}
    env.update({"DATABASE_URL": db_url, "DOSMOTR_DATA_DIR": str(tmp / "data"),
                "DOSMOTR_ENV": "production", "DOSMOTR_TOKEN_PEPPER": "p" * 32})
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


async def test_first_admin_and_post_from_the_command_line(db_url, tmp_path, client, db) -> None:
    made = _cli(db_url, tmp_path, "admin", "create", "--login", "root.admin",
                "--name", "Ержан Абдрахманов", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "admin root.admin created" in made.stdout
    assert PASSWORD not in made.stdout + made.stderr
    again = _cli(db_url, tmp_path, "admin", "create", "--login", "root.admin", "--name", "X",
                 stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "taken" in again.stderr

    login = await client.post("/api/auth/login", json={"login": "root.admin", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "admin"
    assert login.json()["user"]["must_change_password"] is False  # the operator chose it
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.get("/api/users", headers=headers)).status_code == 200
    event = await db.fetchrow("SELECT actor_id, payload FROM audit_events WHERE action = 'user.created' "
                              "AND payload->>'login' = 'root.admin'")
    assert event["actor_id"] is None and event["payload"]["via"] == "cli"

    post_file = tmp_path / "post.json"
    post_file.write_text(json.dumps({"code": "NURZHOL", "name": "Нур Жолы", "kind": "road",
                                     "has_idk": False, "geofence": FENCE}), encoding="utf-8")
    added = _cli(db_url, tmp_path, "post", "add", "--file", str(post_file))
    assert added.returncode == 0, added.stderr
    assert "post NURZHOL added" in added.stdout
    policy = await client.get("/api/posts/NURZHOL/policy", headers=headers)
    assert policy.status_code == 200 and policy.json()["version"] == 1
    assert policy.json()["ordered_phases"] == ["exterior", "unloading", "recount"]


def test_bad_passwords_and_bad_posts_are_refused(db_url, tmp_path) -> None:
    short = _cli(db_url, tmp_path, "admin", "create", "--login", "a.short", "--name", "A",
                 stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    argv = _cli(db_url, tmp_path, "admin", "create", "--login", "a.argv", "--name", "A",
                "--password", PASSWORD)
    assert argv.returncode == 2 and "unrecognized arguments" in argv.stderr

    bad_fence = tmp_path / "open.json"
    bad_fence.write_text(json.dumps({"code": "OPEN1", "name": "Открытый", "kind": "rail",
                                     "geofence": {"type": "Polygon",
                                                  "coordinates": [FENCE["coordinates"][0][:-1]]}}))
    out = _cli(db_url, tmp_path, "post", "add", "--file", str(bad_fence))
    assert out.returncode == 1 and "not closed" in out.stderr
    bad_policy = tmp_path / "policy.json"
    bad_policy.write_text(json.dumps({"code": "POL1", "name": "П", "kind": "rail", "geofence": FENCE,
                                      "policy": {"ordered_phases": ["x"]}}))
    out = _cli(db_url, tmp_path, "post", "add", "--file", str(bad_policy))
    assert out.returncode == 1 and "policy" in out.stderr.lower()
    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    out = _cli(db_url, tmp_path, "post", "add", "--file", str(not_json))
    assert out.returncode == 2 and "not a valid post" in out.stderr
