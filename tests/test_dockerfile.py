"""The Dockerfile stays a plain mirror of the README quick start and the Makefile (no Docker engine runs here,
so the file is read, not built): same Python, the same make target builds the demo, the same serve command
in public mode, a non-root user, a health check on the served port."""

from __future__ import annotations

import json
import re

from astrodisc.app.public_mode import PUBLIC_ENV
from astrodisc.paths import PROJECT_ROOT

HEALTH_PATH = "/_stcore/health"  # Streamlit's health endpoint


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (PROJECT_ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _all(name: str) -> list[str]:
    return [args for instruction, args in _instructions() if instruction == name]


def _one(name: str) -> str:
    (args,) = _all(name)
    return args


def _makefile() -> tuple[dict[str, str], dict[str, tuple[list[str], list[str]]]]:
    """The Makefile's variables and its rules: target -> (prerequisites, recipe lines)."""
    variables, rules, target = {}, {}, None
    for line in (PROJECT_ROOT / "Makefile").read_text().splitlines():
        if line.startswith("\t") and target is not None:
            rules[target][1].append(line.strip())
        elif match := re.match(r"^(\w+)\s*[:?]?=\s*(.*)$", line):
            variables[match[1]] = match[2].strip()
        elif match := re.match(r"^([\w./-]+):(?!=)\s*([^#]*)", line):
            target = match[1]
            rules[target] = (match[2].split(), [])
    return variables, rules


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\((\w+)\)", lambda m: variables[m[1]], text)


def _readme_first_command() -> list[str]:
    """The first command of the README's quick start, as words (its comment dropped)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\s+```bash\n(.*?)```", readme, re.DOTALL)
    assert block, "the README has no quick start block"
    return block[1].splitlines()[0].split("#")[0].split()


def _cmd() -> list[str]:
    return json.loads(_one("CMD"))


def test_the_image_uses_the_python_the_project_requires():
    base = _one("FROM")
    version = re.match(r"python:(\d+\.\d+)-slim", base)
    assert version, base
    assert f'requires-python = ">={version[1]}"' in (PROJECT_ROOT / "pyproject.toml").read_text()


def test_the_image_builds_the_demos_the_readme_command_serves():
    """`make demo` serves and builds what is missing behind the app; the image builds the same demos with
    `make demo-data` (the same command without --serve), so at run time it has nothing left to build."""
    words = _readme_first_command()
    assert words[0] == "make"
    variables, rules = _makefile()
    (serve,) = rules[words[1]][1]
    (build,) = rules["demo-data"][1]
    assert _expand(serve, variables).split()[: len(build.split()) + 1] == [
        *_expand(build, variables).split(),
        "--serve",
    ]
    assert any(re.search(r"\bmake demo-data\b", run) for run in _all("RUN")), _all("RUN")


def test_the_image_serves_what_make_demo_serves_in_public_mode():
    variables, rules = _makefile()
    (serve,) = rules[_readme_first_command()[1]][1]
    assert _cmd() == _expand(serve, variables).split() + ["--public"]
    assert _one("ENV") == f"{PUBLIC_ENV}=1"
    port = variables["PORT"]
    assert _one("EXPOSE") == port and _cmd()[_cmd().index("--port") + 1] == port


def test_the_app_runs_as_a_non_root_user_and_is_health_checked_on_its_port():
    user = _one("USER")
    assert user not in ("root", "0") and not user.startswith("0:")
    health = _one("HEALTHCHECK")
    assert f"http://localhost:{_makefile()[0]['PORT']}{HEALTH_PATH}" in health
    command = json.loads(health.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]  # python-slim has no curl
    compile(command[2], "healthcheck", "exec")


def test_debian_packages_are_installed_the_way_the_makefile_installs_them():
    _, rules = _makefile()
    makefile_apt = next(line for _, recipe in rules.values() for line in recipe if "apt-get install" in line)
    install = re.search(r"apt-get update -qq && apt-get install -y -qq", makefile_apt)
    assert install, makefile_apt
    assert any(install[0] in run and re.search(r"\bmake\b", run) for run in _all("RUN"))  # make runs the Makefile


def test_the_host_venv_and_data_stay_out_of_the_image():
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "data/*" in ignored
