"""Demo declarations and IDK scans on top of the base seed (posts, users)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from backend.auth.actor import Actor
from backend.declarations import service as declarations
from backend.declarations.schemas import DeclarationIn
from backend.idk.schemas import ScanFields, VerdictIn
from backend.idk.service import give_verdict, register_scan
from backend.idk.xray import xray_png
from backend.seed import database_is_empty, seed_base
from backend.settings import Settings
from backend.storage.factory import open_store

log = logging.getLogger("dosmotr.demo")

# (number, post, corridor, procedure, transport, lines)
DEMO_DECLARATIONS: list[tuple[Any, ...]] = [
    ("50508/221126/0000101", "ALTYNKOL", "green", "import",
     {"wagons": ["52817343"], "containers": ["MSKU9070323"]},
     [("8471300000", "Ноутбуки портативные", "коробки", 240, 3120.0, 2900.0)]),
    ("50508/221126/0000102", "ALTYNKOL", "yellow", "transit",
     {"wagons": ["52817350"], "containers": ["CSQU3054383"]},
     [("6403990000", "Обувь кожаная", "коробки", 180, 2700.0, 2500.0),
      ("6109100000", "Футболки хлопковые", "мешки", 60, 1200.0, 1150.0)]),
    ("50508/221126/0000103", "ALTYNKOL", "red", "import",
     {"wagons": ["52817368"], "containers": ["TGHU1234560"]},
     [("8517130000", "Смартфоны", "коробки", 96, 1100.0, 950.0)]),
    ("50503/221126/0000201", "ALAKOL", "green", "export",
     {"vehicle_plate": "123 ABC 02"},
     [("1001990000", "Пшеница", "мешки", 400, 20400.0, 20000.0)]),
    ("50503/221126/0000202", "ALAKOL", "red", "import",
     {"vehicle_plate": "777 KZA 05"},
     [("8703231990", "Запчасти автомобильные", "паллеты", 18, 9000.0, 8600.0)]),
]

# (image_id, wagon, containers, packaging, hidden block, verdict)
DEMO_SCANS = [
    ("ALT-2611-0001", "52817343", ["MSKU9070323"], "boxes", False, "clear"),
    ("ALT-2611-0002", "52817350", ["CSQU3054383"], "boxes", True, "suspicion"),
    ("ALT-2611-0003", "52817368", ["TGHU1234560"], "bags", False, None),
]


async def seed_demo(conn: asyncpg.Connection, settings: Settings) -> bool:
    """Seed once into an empty database; returns False when data was already there."""
    if not await database_is_empty(conn):
        log.info("database already holds data; demo seed skipped")
        return False
    users = await seed_base(conn, settings.demo_password)
    by_login = {u["login"]: u for u in users}

    def actor(login: str) -> Actor:
        u = by_login[login]
        return Actor(id=u["id"], login=login, name=u["name"], role=u["role"],
                     post_code=u["post"], session_id="seed")

    keden = actor("keden")
    for number, post, corridor, procedure, transport, lines in DEMO_DECLARATIONS:
        body = {
            "number": number, "procedure": procedure, "post_code": post,
            "declarant": "ТОО «Шёлковый путь Логистик»", "corridor": corridor,
            "transport": {"wagons": [], "containers": [], **transport},
            "lines": [
                {"hs_code": hs, "description": d, "packaging": p, "places": n,
                 "gross_kg": g, "net_kg": net}
                for hs, d, p, n, g, net in lines
            ],
        }
        await declarations.create(conn, keden, msgspec.convert(body, DeclarationIn))

    store = open_store(settings.object_store, settings.data_dir)
    operator = actor("idk.altynkol")
    scanned = datetime.now(UTC) - timedelta(hours=2)
    for i, (image_id, wagon, containers, packaging, hidden, verdict) in enumerate(DEMO_SCANS):
        png = await asyncio.to_thread(
            xray_png, 1000 + i, packaging=packaging, hidden_block=hidden  # type: ignore[arg-type]
        )
        fields = ScanFields(image_id=image_id, scanner="NUCTECH MB1215DE (демо)",
                            scanned_at=scanned + timedelta(minutes=4 * i),
                            composition_number="KP-2611-07", wagon_number=wagon,
                            container_numbers=containers)
        scan, _ = await register_scan(conn, store, operator.id, "ALTYNKOL", fields, png, "image/png")
        if verdict is not None:
            areas = [{"x": 400, "y": 120, "w": 160, "h": 110, "note": "плотный однородный блок"}] \
                if verdict == "suspicion" else []
            await give_verdict(
                conn, operator, scan.id,
                msgspec.convert({"verdict": verdict, "risk_areas": areas}, VerdictIn), store,
            )
    log.info("demo data seeded")
    return True
