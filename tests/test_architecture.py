"""Each SDK has one home: botbuilder in the Teams edge, msgraph in the Graph source, SQL in the store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in [REPO / "app.py", *(REPO / "bot").rglob("*.py"), *(REPO / "cards").rglob("*.py")])

HOMES = {
    ("botbuilder", "botframework"): ("bot/teams/",),
    ("msgraph", "kiota_abstractions", "kiota_http", "azure.identity"): ("bot/graph/",),
    ("sqlalchemy", "alembic", "aiosqlite", "asyncpg"): ("bot/store/",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_sdks_are_imported_only_in_their_home(path: Path) -> None:
    relative = path.relative_to(REPO).as_posix()
    for prefixes, homes in HOMES.items():
        for module in imported_modules(path):
            if module.split(".")[0] in {p.split(".")[0] for p in prefixes} and any(
                module == p or module.startswith(p + ".") for p in prefixes
            ):
                assert relative.startswith(homes), f"{relative} imports {module}; it belongs in {homes}"


def test_the_domain_and_cards_never_import_the_teams_edge() -> None:
    for path in SOURCES:
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith(("bot/teams/", "bot/web.py", "app.py")):
            continue
        assert not any(m.startswith("bot.teams") for m in imported_modules(path)), relative
