"""Web push end to end: subscribe, an alert is queued with its event, the worker posts it to a
local push service with a valid VAPID JWT and an aes128gcm payload the browser can decrypt;
410 removes the subscription, 429/5xx are retried, retries never push twice, and endpoints off
the allowlist are refused at subscribe."""

from __future__ import annotations

from typing import Any

import pytest

from backend.errors import PushEndpointRefused
from backend.jobs import DeliverPush, enqueue_push
from backend.push.hosts import check_endpoint
from backend.push.notification import PAYLOAD_LIMIT, encode
from backend.push.schemas import Notification
from tests.helpers import create_declaration
from tests.push.standin import PushService, Subscriber, check_vapid

PROBLEM = "application/problem+json"


async def subscribe(client: Any, headers: dict[str, str], sub: Subscriber, status: int = 201) -> str:
    resp = await client.post("/api/push/subscriptions", json=sub.subscription_json(), headers=headers)
    assert resp.status_code == status, resp.text
    return str(resp.json()["id"])


async def start_inspection(client: Any, auth: Any, db: Any, post: str = "ALAKOL") -> str:
    decl = await create_declaration(client, await auth("keden"), post=post, corridor="red")
    inspection_id = decl["inspection"]["id"]
    login = await db.fetchval("SELECT login FROM users WHERE id = $1", decl["inspection"]["inspector_id"])
    resp = await client.post(f"/api/inspections/{inspection_id}/start", headers=await auth(login))
    assert resp.status_code == 200, resp.text
    return str(inspection_id)


async def alert_id(db: Any, kind: str, object_id: str) -> str:
    return str(await db.fetchval("SELECT id FROM alerts WHERE kind = $1 AND object_id = $2", kind, object_id))


async def test_vapid_key_is_an_uncompressed_p256_point(client, auth, settings) -> None:
    resp = await client.get("/api/push/vapid-public-key", headers=await auth("head.alakol"))
    assert resp.status_code == 200
    from tests.push.standin import b64d

    point = b64d(resp.json()["key"])
    assert len(point) == 65 and point[0] == 4
    again = await client.get("/api/push/vapid-public-key", headers=await auth("auditor"))
    assert again.json() == resp.json()  # one key, kept in the data dir
    assert (settings.data_dir / "secrets.json").exists()


async def test_alert_round_trip_to_the_push_service(client, auth, db, push_service: PushService, drain) -> None:
    head = push_service.subscriber("head")
    await subscribe(client, await auth("head.alakol"), head)
    key = (await client.get("/api/push/vapid-public-key", headers=await auth("head.alakol"))).json()["key"]
    inspection_id = await start_inspection(client, auth, db)
    assert push_service.received == []  # never sent inside the request
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'deliver_push'") == 1
    await drain()
    [got] = push_service.to(head)
    claims = check_vapid(got, push_service.origin, key)
    assert claims["aud"] == push_service.origin
    assert got.headers["content-encoding"] == "aes128gcm"
    assert got.headers["ttl"] == "3600" and got.headers["urgency"] == "low"
    payload = head.decrypt(got.body)
    alert = await alert_id(db, "inspection_started", inspection_id)
    assert payload["alert_id"] == alert == payload["id"]
    assert payload["title"] == "Досмотр начат" and payload["link"] == f"/inspections/{inspection_id}"
    assert payload["body"]
    assert len(got.body) <= 4096
    # The job again, as a retry after a crash would run it: nothing is posted twice.
    async with db.transaction():
        await enqueue_push(db, DeliverPush(alert_id=alert))
    await drain()
    assert len(push_service.to(head)) == 1
    status = await db.fetchval("SELECT status FROM push_deliveries WHERE alert_id = $1", alert)
    assert status == "sent"


async def test_gone_subscription_is_removed(client, auth, db, push_service, drain) -> None:
    head = push_service.subscriber("gone")
    sub_id = await subscribe(client, await auth("head.alakol"), head)
    push_service.answer(head, (410, {}))
    await start_inspection(client, auth, db)
    await drain()
    assert len(push_service.to(head)) == 1
    own = await client.get("/api/push/subscriptions", headers=await auth("head.alakol"))
    assert own.json() == []
    assert await db.fetchval("SELECT count(*) FROM push_subscriptions WHERE id = $1", sub_id) == 0
    assert await db.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'push.subscription_gone' AND object_id = $1",
        sub_id) == 1
    await start_inspection(client, auth, db)  # a later alert has nobody to push to
    await drain()
    assert len(push_service.to(head)) == 1


@pytest.mark.parametrize("answers", [
    [(429, {"Retry-After": "0"})],
    [(503, {})],
    [(429, {"Retry-After": "0"}), (500, {"Retry-After": "0"})],
], ids=["429", "503", "429 then 500"])
async def test_busy_push_service_is_retried(client, auth, db, push_service, drain, answers) -> None:
    head = push_service.subscriber("busy")
    await subscribe(client, await auth("head.alakol"), head)
    push_service.answer(head, *answers)
    inspection_id = await start_inspection(client, auth, db)
    await drain()
    posts = push_service.to(head)
    assert len(posts) == len(answers) + 1
    assert head.decrypt(posts[-1].body)["alert_id"] == await alert_id(db, "inspection_started", inspection_id)
    row = await db.fetchrow("SELECT status, last_status FROM push_deliveries")
    assert (row["status"], row["last_status"]) == ("sent", 201)


async def test_persistent_overload_goes_back_to_the_queue(client, auth, db, push_service, drain) -> None:
    head = push_service.subscriber("overloaded")
    await subscribe(client, await auth("head.alakol"), head)
    # Three answers in the job exhaust its attempts; the queue's retry brings the fourth.
    push_service.answer(head, *[(503, {"Retry-After": "0"})] * 3)
    await start_inspection(client, auth, db)
    await drain()
    assert len(push_service.to(head)) == 4
    row = await db.fetchrow("SELECT status, attempts FROM push_deliveries")
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_refused_push_is_final(client, auth, db, push_service, drain) -> None:
    head = push_service.subscriber("refused")
    await subscribe(client, await auth("head.alakol"), head)
    push_service.answer(head, (403, {}))  # e.g. a VAPID key the service does not accept
    await start_inspection(client, auth, db)
    await drain()
    assert len(push_service.to(head)) == 1
    assert await db.fetchval("SELECT status FROM push_deliveries") == "failed"
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'deliver_push'") == 0


async def test_test_notification_goes_through_the_queue(client, auth, push_service, drain) -> None:
    inspector = await auth("insp.alakol.1")
    tablet = push_service.subscriber("tablet")
    await subscribe(client, inspector, tablet)
    resp = await client.post("/api/push/test", headers=inspector)
    assert resp.status_code == 202
    assert resp.json()["subscriptions"] == 1
    assert push_service.received == []
    await drain()
    [got] = push_service.to(tablet)
    payload = tablet.decrypt(got.body)
    assert payload["kind"] == "test" and payload["id"] == resp.json()["notification_id"]
    assert payload["alert_id"] is None


async def test_subscriptions_are_per_user_and_device(client, auth, db, push_service) -> None:
    head, auditor = await auth("head.alakol"), await auth("auditor")
    phone, laptop = push_service.subscriber("phone"), push_service.subscriber("laptop")
    phone_id = await subscribe(client, head, phone)
    await subscribe(client, head, laptop)
    assert await subscribe(client, head, phone, status=200) == phone_id  # a refresh
    listed = (await client.get("/api/push/subscriptions", headers=head)).json()
    assert {s["endpoint"] for s in listed} == {phone.endpoint, laptop.endpoint}
    assert "keys" not in listed[0]
    assert (await client.get("/api/push/subscriptions", headers=auditor)).json() == []
    # Someone else's subscription is not theirs to delete.
    resp = await client.delete(f"/api/push/subscriptions/{phone_id}", headers=auditor)
    assert resp.status_code == 404 and resp.headers["content-type"].startswith(PROBLEM)
    assert (await client.delete(f"/api/push/subscriptions/{phone_id}", headers=head)).status_code == 204
    assert (await client.delete(f"/api/push/subscriptions/{phone_id}", headers=head)).status_code == 404
    # A shared browser changes hands: the endpoint follows whoever subscribed it last.
    await subscribe(client, auditor, laptop, status=201)
    assert [s["endpoint"] for s in (await client.get("/api/push/subscriptions", headers=auditor)).json()] == [laptop.endpoint]
    assert (await client.get("/api/push/subscriptions", headers=head)).json() == []


@pytest.mark.parametrize("endpoint", [
    "https://push.evil.example/send/abc",
    "http://127.0.0.2:9/push/x",  # loopback, but not on the list
    "ftp://127.0.0.1/push/x",
    "https://user:pw@127.0.0.1/push/x",
    "not a url",
    "https://127.0.0.1.evil.example/push",
])
async def test_endpoint_off_the_allowlist_is_refused(client, auth, db, push_service, endpoint) -> None:
    body = push_service.subscriber("x").subscription_json() | {"endpoint": endpoint}
    resp = await client.post("/api/push/subscriptions", json=body, headers=await auth("head.alakol"))
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["code"] == "push_endpoint_not_allowed"
    assert await db.fetchval("SELECT count(*) FROM push_subscriptions") == 0


@pytest.mark.parametrize("mutate", [
    lambda b: b["keys"].update(p256dh="AAAA"),
    lambda b: b["keys"].update(auth="AAAA"),
    lambda b: b["keys"].pop("auth"),
    lambda b: b.update(extra=1),
    lambda b: b.update(expirationTime="tomorrow"),
], ids=["short p256dh", "short auth", "no auth", "unknown field", "bad expiration"])
async def test_bad_subscription_is_a_400(client, auth, push_service, mutate) -> None:
    body = push_service.subscriber("bad").subscription_json()
    mutate(body)
    resp = await client.post("/api/push/subscriptions", json=body, headers=await auth("head.alakol"))
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] in ("invalid_request", "invalid_push_keys")


def test_allowlist_rules() -> None:
    hosts = ("fcm.googleapis.com", "*.notify.windows.com", "127.0.0.1:8443", "localhost")
    assert check_endpoint("https://fcm.googleapis.com/fcm/send/x", hosts) == "https://fcm.googleapis.com"
    assert check_endpoint("https://wns2-par02p.notify.windows.com/w/?token=x", hosts) == \
        "https://wns2-par02p.notify.windows.com"
    assert check_endpoint("http://127.0.0.1:8443/p", hosts) == "http://127.0.0.1:8443"
    assert check_endpoint("http://localhost:1234/p", hosts) == "http://localhost:1234"
    for bad in ("http://fcm.googleapis.com/x",  # plain http off loopback
                "https://127.0.0.1:8444/p",  # another port than listed
                "https://notify.windows.com.evil/x", "https://evilfcm.googleapis.com/x"):
        with pytest.raises(PushEndpointRefused):
            check_endpoint(bad, hosts)


def test_payload_stays_under_3_kib() -> None:
    n = Notification(id="a", kind="validation_failed", title="Т" * 200, body="Очень длинно " * 1000,
                     link="/inspections/x", alert_id="a")
    data = encode(n)
    assert len(data) <= PAYLOAD_LIMIT
    assert data.decode().count("…") == 1
