"""The Dockerfile installs what the Makefile installs, ships the PWA and models, runs unprivileged.

There is no Docker engine here, so the image is checked by reading the Dockerfile; that the
wheel it builds carries the PWA, the models and a working OCR is proven by test_wheel.py.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.deploy.test_wheel import SOURCES

ROOT = Path(__file__).resolve().parents[2]
NO_DEPS = ROOT / "deploy" / "no-deps.txt"


def _instructions() -> list[tuple[str, str]]:
    text = ROOT.joinpath("Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _pip_installs(commands: list[str]) -> list[list[str]]:
    """argv after `pip install` for every pip install in these shell commands."""
    found = []
    for command in commands:
        for part in re.split(r"&&|;", command):
            argv = shlex.split(part)
            for i in range(len(argv) - 1):
                if argv[i] in ("pip", "pip3") and argv[i + 1] == "install":
                    found.append(argv[i + 2:])
    return found


def _makefile_install_recipe() -> list[str]:
    lines = ROOT.joinpath("Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("$(STAMP):"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return [c for c in recipe if not c.startswith("#")]


def _normalise(installs: list[list[str]]) -> set[tuple[str, ...]]:
    """What each install puts in: the project, a requirements file, or named packages."""
    kinds = set()
    for argv in installs:
        args = [a for a in argv if a not in ("--quiet", "-q", "--no-cache-dir", "--upgrade", "-e")]
        no_deps = "--no-deps" in args
        args = [a for a in args if a != "--no-deps"]
        if args == ["pip"]:
            continue  # upgrading pip itself
        if "-r" in args:
            req = Path(args[args.index("-r") + 1]).name
            kinds.add(("requirements", req, str(no_deps)))
        elif len(args) == 1 and (args[0].startswith(".") or "dosmotr-" in args[0]):
            kinds.add(("project", str(no_deps)))
        else:
            kinds.add(("packages", *sorted(args), str(no_deps)))
    return kinds


def test_dockerfile_installs_exactly_what_the_makefile_installs() -> None:
    docker = _normalise(_pip_installs([rest for word, rest in _instructions() if word == "RUN"]))
    make = _normalise(_pip_installs(_makefile_install_recipe()))
    assert make == docker == {("project", "False"), ("requirements", "no-deps.txt", "True")}
    copies = [rest for word, rest in _instructions() if word == "COPY"]
    assert any("deploy/no-deps.txt" in c for c in copies)
    # The no-deps list pins the OCR (the worker's identity check reads its models).
    pins = [line.split("#")[0].strip() for line in NO_DEPS.read_text().splitlines()]
    assert "rapidocr-onnxruntime==1.4.4" in pins
    assert all("==" in p for p in pins if p)


def test_image_builds_the_wheel_from_every_source_the_package_needs() -> None:
    copied = set()
    for word, rest in _instructions():
        if word == "COPY" and "--from" not in rest:
            copied.update(Path(p).name for p in rest.split()[:-1])
    assert set(SOURCES) <= copied
    # PWA and models ship inside the wheel (setup.py), not as loose folders next to a source tree.
    runs = " ".join(rest for word, rest in _instructions() if word == "RUN")
    assert "pip wheel" in runs


def test_base_images_are_pinned() -> None:
    args = {}
    for word, rest in _instructions():
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args[key] = value
    images = []
    for word, rest in _instructions():
        if word == "FROM":
            image = rest.split()[0]
            images.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image))
    assert images
    for image in images:
        _, _, tag = image.partition(":")
        assert tag and tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+", tag) or "@sha256:" in image, image


def test_runs_as_non_root_with_a_healthcheck() -> None:
    instructions = _instructions()
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    last_user = max(i for i, (word, _) in enumerate(instructions) if word == "USER")
    assert last_user > last_from
    (health,) = [rest for word, rest in instructions if word == "HEALTHCHECK"]
    argv = json.loads(health[health.index("CMD") + 3:].strip())
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "<healthcheck>", "exec")  # the one-liner is valid Python
    assert "/healthz" in argv[2] or "/readyz" in argv[2]
    (cmd,) = [rest for word, rest in instructions if word == "CMD"]
    assert json.loads(cmd)[0] == "dosmotr"
