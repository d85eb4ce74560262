"""The Teams app manifest: Seula's command list, rendering, validation and the app package zip."""

from __future__ import annotations

import functools
import json
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
SCHEMA_DIR = MANIFEST_DIR / "schema"
MANIFEST_SCHEMA_FILE = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_FILE = "MicrosoftTeams.Localization.schema.json"
# Where Microsoft publishes the vendored schemas; they are registered under these URLs, never fetched.
SCHEMA_BASE_URL = "https://developer.microsoft.com/json-schemas/teams/v1.30/"
DEFAULT_WEBSITE_URL = "https://github.com/seula-bot/seula"

# Pixel sizes Teams requires of each icon the manifest may name.
ICON_SIZES_PX = {"color": (192, 192), "outline": (32, 32), "color32x32": (32, 32)}
# Teams' command menu limits; schema 1.30 itself allows 128 and 4000, the menu shows far less.
MAX_COMMAND_TITLE_CHARS = 32
MAX_COMMAND_DESCRIPTION_CHARS = 128
MAX_COMMANDS_PER_LIST = 12

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TEMPLATE_TOKEN = re.compile(r"\{\{([A-Za-z0-9_]*)\}\}")
_APP_VERSION = re.compile(r"^(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)$")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_ALPHA_COLOR_TYPES = frozenset({4, 6})  # greyscale + alpha, RGBA
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same package bytes
_MAX_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class ManifestCommand:
    """A bot command as the Teams command menu lists it."""

    title: str
    description: str
    language: Literal["en", "fi"]


MANIFEST_COMMANDS: tuple[ManifestCommand, ...] = (
    ManifestCommand("who knows", "Find colleagues who know about a topic, e.g. who knows kubernetes", "en"),
    ManifestCommand("kuka osaa", "Etsi kollegat, jotka osaavat aiheen, esim. kuka osaa kubernetes", "fi"),
    ManifestCommand("help", "What Seula can do and how to opt out", "en"),
    ManifestCommand("apua", "Mitä Seula osaa ja miten jättäydyt pois", "fi"),
    # The menu holds 12 commands: the variants of hide me / show me are described inside them (the help card
    # shows these descriptions, and tests/test_docs.py checks that every variant named here is understood).
    ManifestCommand("hide me", "Never suggest me to anyone; or hide me from X: not for topic X", "en"),
    ManifestCommand(
        "piilota minut", "Älä ehdota minua kenellekään; tai piilota minut aiheesta X: ei aiheessa X", "fi"
    ),
    ManifestCommand(
        "show me", "Suggest me again; or show me for X, show me only to my team, show me to everyone", "en"
    ),
    ManifestCommand(
        "näytä minut",
        "Ehdota minua taas; tai näytä minut aiheesta X, näytä minut vain tiimilleni, näytä minut kaikille",
        "fi",
    ),
    ManifestCommand(
        "what do you know about me",
        "Why Seula may suggest you: your topics, the evidence, where you were suggested",
        "en",
    ),
    ManifestCommand(
        "mitä tiedät minusta",
        "Miksi Seula voi ehdottaa sinua: aiheesi, perusteet ja missä sinua ehdotettiin",
        "fi",
    ),
    ManifestCommand("forget me", "Erase everything Seula holds about you (asks you to confirm first)", "en"),
    ManifestCommand(
        "unohda minut", "Poista kaikki, mitä Seulalla on sinusta (kysyy ensin vahvistuksen)", "fi"
    ),
)


class ManifestError(Exception):
    """The manifest or a file it names breaks the Teams schema or a Teams rule."""

    def __init__(self, violations: Iterable[str]) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"- {violation}" for violation in self.violations)
        super().__init__(f"invalid Teams app manifest:\n{lines}")


def render_manifest(bot_id: str, website_url: str = DEFAULT_WEBSITE_URL) -> dict[str, Any]:
    """Return the manifest template with the bot id and website URL filled in."""
    problems = []
    if not _GUID.match(bot_id):
        problems.append(
            f"bot_id: {bot_id!r} is not a GUID; expected the bot's Microsoft Entra app id, "
            "like 00000000-0000-0000-0000-000000000000"
        )
    if not website_url.startswith("https://"):
        problems.append(f"website_url: {website_url!r} must be an https:// URL")
    if problems:
        raise ManifestError(problems)
    template = _read_json(MANIFEST_DIR / "manifest.json")
    values = {"BOT_ID": bot_id, "WEBSITE_URL": website_url.rstrip("/")}
    filled: dict[str, Any] = _fill_tokens(template, values)
    return filled


def validate_manifest(manifest: dict[str, Any], *, asset_dir: Path = MANIFEST_DIR) -> None:
    """Raise ManifestError naming every schema and Teams-rule violation of the manifest and its files."""
    problems = [*_schema_violations(manifest, MANIFEST_SCHEMA_FILE), *_teams_rule_violations(manifest)]
    problems += _icon_violations(manifest, asset_dir)
    problems += _localization_violations(manifest, asset_dir)
    if problems:
        raise ManifestError(problems)


def build_app_package(bot_id: str, out_path: Path, website_url: str = DEFAULT_WEBSITE_URL) -> Path:
    """Validate the rendered manifest and write the Teams app package zip, all files at its root."""
    manifest = render_manifest(bot_id, website_url)
    validate_manifest(manifest)
    contents = {"manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"}
    for name in _package_file_names(manifest):
        contents[name] = (MANIFEST_DIR / name).read_bytes()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    return out_path


def _fill_tokens(value: Any, values: dict[str, str]) -> Any:
    """Replace known {{TOKEN}}s in every string of a JSON value; validation catches unknown ones."""
    if isinstance(value, str):
        return _TEMPLATE_TOKEN.sub(lambda match: values.get(match.group(1), match.group(0)), value)
    if isinstance(value, list):
        return [_fill_tokens(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill_tokens(item, values) for key, item in value.items()}
    return value


@functools.cache
def _schema_validator(schema_file: str) -> Any:
    """Build, once, a validator for a vendored schema that can never reach the network."""
    # jsonschema is imported here, not at module level: runtime code imports MANIFEST_COMMANDS and
    # should not need the build-time validator installed.
    from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator, validators
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    # Passing our own registry switches off jsonschema's deprecated fetching of remote $refs: a URL not
    # registered here fails with NoSuchResource instead of reaching the network.
    registry: Registry[Any] = Registry().with_resources(
        (SCHEMA_BASE_URL + name, DRAFT4.create_resource(_read_json(SCHEMA_DIR / name)))
        for name in (MANIFEST_SCHEMA_FILE, LOCALIZATION_SCHEMA_FILE)
    )
    # Validate as Microsoft's own tooling does (ajv-draft-04), which departs from strict draft-04 twice:
    # it enforces `const` and `if`/`then` (later-draft keywords the Teams schemas use, e.g. on
    # manifestVersion), and it applies keywords beside a `$ref` (the localization schema puts every
    # maxLength there), where draft-04 says to ignore them.
    teams_validator = validators.create(
        meta_schema=Draft4Validator.META_SCHEMA,
        validators={
            **Draft4Validator.VALIDATORS,
            "const": Draft6Validator.VALIDATORS["const"],
            "if": Draft7Validator.VALIDATORS["if"],
        },
        type_checker=Draft4Validator.TYPE_CHECKER,
        format_checker=Draft4Validator.FORMAT_CHECKER,
        id_of=DRAFT4.id_of,
    )
    schema = registry.contents(SCHEMA_BASE_URL + schema_file)
    return teams_validator(schema, registry=registry)


def _schema_violations(document: dict[str, Any], schema_file: str) -> list[str]:
    """List a document's violations of a vendored schema as 'json.path: reason'."""
    try:
        errors = sorted(_schema_validator(schema_file).iter_errors(document), key=lambda e: e.json_path)
    except re.error as error:
        # One Teams pattern (an Office add-in custom function's name) uses ECMAScript's \p{L}, which
        # Python's re lacks; only manifests with `extensions` reach it.
        return [
            f"$: cannot be checked against {schema_file}: a schema pattern is not a Python regex ({error})"
        ]
    return [f"{error.json_path}: {_shorten(error.message)}" for error in errors]


def _teams_rule_violations(manifest: dict[str, Any]) -> list[str]:
    """List breaches of Teams rules that the JSON schema does not express."""
    problems = _leftover_token_violations(manifest, "")
    version = manifest.get("version")
    if isinstance(version, str) and not _APP_VERSION.match(version):
        problems.append(f"$.version: {version!r} is not MAJOR.MINOR.PATCH")
    bots = [_as_dict(bot) for bot in _as_list(manifest.get("bots"))]
    for bot_index, bot in enumerate(bots):
        bot_path = f"$.bots[{bot_index}]"
        bot_id = bot.get("botId")
        if not isinstance(bot_id, str) or not _GUID.match(bot_id):
            problems.append(f"{bot_path}.botId: {bot_id!r} is not a GUID (the bot's Microsoft Entra app id)")
        for list_index, command_list in enumerate(_as_list(bot.get("commandLists"))):
            problems += _command_list_violations(
                _as_dict(command_list), f"{bot_path}.commandLists[{list_index}]"
            )
    permissions = _as_dict(_as_dict(manifest.get("authorization")).get("permissions"))
    if permissions.get("resourceSpecific") and bots:
        app_id = _as_dict(manifest.get("webApplicationInfo")).get("id")
        if app_id != bots[0].get("botId"):
            problems.append(
                f"$.webApplicationInfo.id: {app_id!r} must equal the botId for resource-specific consent"
            )
    return problems


def _leftover_token_violations(document: dict[str, Any], prefix: str) -> list[str]:
    """List every {{TOKEN}} still present in a document's strings."""
    return [
        f"{prefix}{path}: template token {token.group(0)} was never filled in"
        for path, text in _strings_with_paths(document, "$")
        for token in _TEMPLATE_TOKEN.finditer(text)
    ]


def _command_list_violations(command_list: dict[str, Any], path: str) -> list[str]:
    """List the Teams command-menu limits one command list breaks."""
    commands = [_as_dict(command) for command in _as_list(command_list.get("commands"))]
    problems = []
    if len(commands) > MAX_COMMANDS_PER_LIST:
        problems.append(
            f"{path}.commands: {len(commands)} commands, Teams allows at most {MAX_COMMANDS_PER_LIST}"
        )
    seen: set[str] = set()
    for index, command in enumerate(commands):
        title, description = str(command.get("title", "")), str(command.get("description", ""))
        if len(title) > MAX_COMMAND_TITLE_CHARS:
            problems.append(
                f"{path}.commands[{index}].title: {title!r} is {len(title)} characters, "
                f"Teams allows at most {MAX_COMMAND_TITLE_CHARS}"
            )
        if len(description) > MAX_COMMAND_DESCRIPTION_CHARS:
            problems.append(
                f"{path}.commands[{index}].description: {len(description)} characters, "
                f"Teams allows at most {MAX_COMMAND_DESCRIPTION_CHARS}"
            )
        if title.casefold() in seen:
            problems.append(f"{path}.commands[{index}].title: {title!r} appears twice in this list")
        seen.add(title.casefold())
    return problems


def _icon_violations(manifest: dict[str, Any], asset_dir: Path) -> list[str]:
    """List icons that are missing, not PNG, the wrong size, or (outline) without transparency."""
    icons = _as_dict(manifest.get("icons"))
    problems = []
    for key, (width, height) in ICON_SIZES_PX.items():
        path = f"$.icons.{key}"
        name = icons.get(key)
        if not isinstance(name, str):
            continue  # the schema reports a missing required icon or a non-string one
        problem = _root_file_problem(name, asset_dir)
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        header = _read_png_header(asset_dir / name)
        if header is None:
            problems.append(f"{path}: {name!r} is not a PNG file")
            continue
        found_width, found_height, color_type = header
        if (found_width, found_height) != (width, height):
            problems.append(
                f"{path}: {name!r} is {found_width}x{found_height} pixels, Teams requires {width}x{height}"
            )
        if key == "outline" and color_type not in _PNG_ALPHA_COLOR_TYPES:
            problems.append(f"{path}: {name!r} has no alpha channel; Teams requires white on transparent")
    return problems


def _localization_violations(manifest: dict[str, Any], asset_dir: Path) -> list[str]:
    """List localization files that are missing or break the localization schema."""
    languages = _as_list(_as_dict(manifest.get("localizationInfo")).get("additionalLanguages"))
    problems = []
    for index, language in enumerate(languages):
        path = f"$.localizationInfo.additionalLanguages[{index}].file"
        name = _as_dict(language).get("file")
        if not isinstance(name, str):
            continue
        problem = _root_file_problem(name, asset_dir)
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        try:
            strings = _read_json(asset_dir / name)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            problems.append(f"{path}: {name!r} is not UTF-8 JSON ({error})")
            continue
        if not isinstance(strings, dict):
            problems.append(f"{path}: {name!r} must hold a JSON object")
            continue
        prefix = f"{name}: "
        problems += [prefix + problem for problem in _schema_violations(strings, LOCALIZATION_SCHEMA_FILE)]
        problems += _leftover_token_violations(strings, prefix)
    return problems


def _root_file_problem(name: str, asset_dir: Path) -> str | None:
    """Say why a file the manifest names cannot go at the package root, or None if it can."""
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        return f"{name!r} must be a plain file name: Teams wants every package file at the zip root"
    if not (asset_dir / name).is_file():
        return f"{name!r} does not exist in {asset_dir}"
    return None


def _read_png_header(file: Path) -> tuple[int, int, int] | None:
    """Return (width, height, colour type) from a PNG's IHDR chunk, or None if the file is not a PNG."""
    with file.open("rb") as stream:
        head = stream.read(26)
    # Signature (8 bytes), IHDR length (4) and type (4), then width, height, bit depth, colour type.
    if len(head) < 26 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    width, height, _bit_depth, color_type = struct.unpack(">IIBB", head[16:26])
    return width, height, color_type


def _package_file_names(manifest: dict[str, Any]) -> list[str]:
    """Name the files besides manifest.json that the package must carry: icons, then localizations."""
    icons = manifest["icons"]
    names = [icons[key] for key in ICON_SIZES_PX if key in icons]
    languages = manifest.get("localizationInfo", {}).get("additionalLanguages", [])
    return names + [language["file"] for language in languages]


def _strings_with_paths(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (JSON path, string) for every string in a JSON value, keys in jsonschema's path style."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_with_paths(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{key!r}]"
            yield from _strings_with_paths(item, child)


def _read_json(file: Path) -> Any:
    """Parse a UTF-8 JSON file."""
    return json.loads(file.read_text(encoding="utf-8"))


def _as_dict(value: Any) -> dict[str, Any]:
    """Return the value if it is a JSON object, else an empty one (the schema reports the wrong type)."""
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    """Return the value if it is a JSON array, else an empty one (the schema reports the wrong type)."""
    return value if isinstance(value, list) else []


def _shorten(message: str) -> str:
    """Cut a schema error message that quotes a large instance down to a readable length."""
    if len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 1] + "…"
