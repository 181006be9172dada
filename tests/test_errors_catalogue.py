"""The problem catalogue is one module: every problem class lives in backend.errors, each
stable `code` is defined once, and every class carries a status, code and title.

The whole backend and worker are imported first, so a problem class defined anywhere else
(a domain's schemas, a routes module) is found and named here.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import backend
import media_pipeline
from backend import errors
from backend.errors import Problem

ROOT = Path(__file__).resolve().parents[1]


def _import_everything() -> None:
    for package in (backend, media_pipeline):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)


def _all_problems() -> list[type[Problem]]:
    found: list[type[Problem]] = []
    stack = [Problem]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_every_problem_class_is_in_the_catalogue() -> None:
    _import_everything()
    elsewhere = [f"{c.__module__}.{c.__qualname__}" for c in _all_problems()
                 if c.__module__ != errors.__name__ and not c.__module__.startswith("tests.")]
    assert elsewhere == []


def test_each_code_is_defined_once_with_status_and_title() -> None:
    _import_everything()
    by_code: dict[str, list[str]] = {}
    for cls in _all_problems():
        if cls.__module__.startswith("tests."):
            continue
        assert isinstance(cls.status, int) and 400 <= cls.status <= 599, cls
        assert isinstance(cls.code, str) and cls.code.isidentifier() and cls.code.islower(), cls
        assert isinstance(cls.title, str) and cls.title.strip(), cls
        by_code.setdefault(cls.code, []).append(cls.__name__)
    assert {code: names for code, names in by_code.items() if len(names) > 1} == {}
    # codes clients and tests depend on keep their status
    expected = {"unsupported_media_type": 415, "checksum_mismatch": 460, "verdict_final": 409,
                "push_endpoint_not_allowed": 422, "day_not_over": 409, "link_not_found": 404,
                "invalid_container_number": 400, "hash_mismatch": 422, "forbidden": 403}
    assert {c.code: c.status for c in _all_problems() if c.code in expected} == expected


def test_a_problem_carries_its_detail_and_extra() -> None:
    exc = errors.TooManyAttempts("wait", retry_after=30)
    assert (exc.status, exc.code, exc.detail, exc.extra) == (429, "too_many_attempts", "wait",
                                                              {"retry_after": 30})
    assert errors.UploadNotFound().detail == "No such upload"


def _modules_loaded(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\n"
         "print('\\n'.join(m for m in sys.modules if m.split('.')[0] == 'litestar'))"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )
    return [line for line in out.stdout.splitlines() if line]


def test_the_worker_imports_no_litestar() -> None:
    # everything build_queue_manager registers (validation, web push, the IDK second opinion)
    loaded = _modules_loaded(
        "import backend.errors, media_pipeline.worker, media_pipeline.runner\n"
        "import media_pipeline.idk_assess, backend.push.delivery\n"
        "from media_pipeline.worker import build_queue_manager"
    )
    assert loaded == []


def test_the_check_sees_litestar_when_it_is_there() -> None:
    # the subprocess check above would pass vacuously if it could not see the import
    assert "litestar" in _modules_loaded("import backend.ops.problems")


def test_the_catalogue_alone_imports_no_litestar() -> None:
    assert _modules_loaded("import backend.errors") == []
