"""Rail identity on a scan: a scanner's 8-digit wagon number that fails its check digit.

The image is evidence and is kept whatever the scanner typed; the scan is flagged
(`wagon_number_invalid`) and the IDK operators of the post are alerted, so the operator
checks the number on the wagon and links the image by hand if the number was misread.
"""

from __future__ import annotations

import asyncpg

from backend.alerts.service import raise_alert
from backend.jobs import DeliverPush, enqueue_push
from contract.numbers import WAGON_FORMAT, is_valid_wagon

INVALID_WAGON_NUMBER = "invalid_wagon_number"


def wagon_number_invalid(wagon: str) -> bool:
    """Only 8-digit numbers carry the check digit; other formats are not judged here."""
    return bool(WAGON_FORMAT.match(wagon)) and not is_valid_wagon(wagon)


SET_FLAG = "UPDATE idk_scans SET wagon_number_invalid = true WHERE id = $1"

HAS_SUBSCRIBERS = """
SELECT EXISTS (SELECT 1 FROM alert_recipients r JOIN push_subscriptions s ON s.user_id = r.user_id
               WHERE r.alert_id = $1)
"""

# The post's IDK operators read this alert (the heads get every alert of the post anyway).
ADD_OPERATORS = """
INSERT INTO alert_recipients (alert_id, user_id)
SELECT $1, id FROM users WHERE active AND role = 'idk_operator' AND post_code = $2
ON CONFLICT DO NOTHING
"""


async def flag_invalid_wagon(
    conn: asyncpg.Connection, scan_id: str, post_code: str, image_id: str, wagon: str
) -> str | None:
    """Inside the registering transaction: flag the scan and alert; returns the alert id."""
    await conn.execute(SET_FLAG, scan_id)
    alert_id = await raise_alert(
        conn, kind=INVALID_WAGON_NUMBER, post_code=post_code, object_type="idk_scan",
        object_id=scan_id, title=f"ИДК: номер вагона {wagon} не проходит проверку",
        body=(f"Сканер передал снимок {image_id} с номером вагона {wagon}, контрольная цифра "
              "которого неверна. Сверьте номер на вагоне и при необходимости свяжите снимок "
              "с декларацией вручную."),
        dedupe_key=f"{INVALID_WAGON_NUMBER}:{scan_id}", link=f"/idk/{scan_id}",
        code=INVALID_WAGON_NUMBER, params={"wagon": wagon, "image_id": image_id},
    )
    if alert_id is None:
        return None
    pushed = await conn.fetchval(HAS_SUBSCRIBERS, alert_id)  # raise_alert queued the push
    await conn.execute(ADD_OPERATORS, alert_id, post_code)
    if not pushed and await conn.fetchval(HAS_SUBSCRIBERS, alert_id):
        await enqueue_push(conn, DeliverPush(alert_id=alert_id))
    return alert_id
