"""The Teams app manifest template, its validation and the app package zip."""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import validators
from referencing import Registry

from bot.manifest_package import (
    LOCALIZATION_SCHEMA_FILE,
    MANIFEST_COMMANDS,
    MANIFEST_DIR,
    MANIFEST_SCHEMA_FILE,
    MAX_COMMAND_DESCRIPTION_CHARS,
    MAX_COMMAND_TITLE_CHARS,
    SCHEMA_DIR,
    ManifestError,
    build_app_package,
    render_manifest,
    validate_manifest,
)

BOT_ID = "8f0c3b52-6a0e-4c51-9d3e-2b7f4a1c9e60"
RSC_PERMISSIONS = {"ChannelMessage.Read.Group", "TeamMember.Read.Group"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test here that tries to open a network connection (schema refs must resolve offline)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def manifest() -> dict[str, Any]:
    """A freshly rendered manifest that tests may change."""
    return render_manifest(BOT_ID)


@pytest.fixture
def asset_dir(tmp_path: Path) -> Path:
    """A writable copy of the manifest folder, for tests that break a file."""
    copy = tmp_path / "manifest"
    shutil.copytree(MANIFEST_DIR, copy, ignore=shutil.ignore_patterns("tools", "schema"))
    return copy


def load_json(path: Path) -> Any:
    """Parse a UTF-8 JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def plain_schema_errors(document: dict[str, Any], schema_file: str) -> list[str]:
    """Validate with stock jsonschema as the schema's $schema says, independently of the code under test."""
    schema = load_json(SCHEMA_DIR / schema_file)
    validator = validators.validator_for(schema)(schema, registry=Registry())
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


def violations_of(manifest: dict[str, Any], **kwargs: Any) -> tuple[str, ...]:
    """Return the violations validate_manifest reports, failing if it reports none."""
    with pytest.raises(ManifestError) as raised:
        validate_manifest(manifest, **kwargs)
    return raised.value.violations


# --- the template and the shipped schemas ---------------------------------------------------------------


def test_rendered_manifest_validates_against_the_shipped_schema(manifest: dict[str, Any]) -> None:
    validate_manifest(manifest)
    assert plain_schema_errors(manifest, MANIFEST_SCHEMA_FILE) == []


def test_finnish_localization_validates_against_the_shipped_schema() -> None:
    strings = load_json(MANIFEST_DIR / "fi.json")
    assert plain_schema_errors(strings, LOCALIZATION_SCHEMA_FILE) == []
    assert strings["name.short"] == "Seula"


def test_manifest_targets_the_shipped_schema_version(manifest: dict[str, Any]) -> None:
    schema = load_json(SCHEMA_DIR / MANIFEST_SCHEMA_FILE)
    version = schema["properties"]["manifestVersion"]["const"]
    assert manifest["manifestVersion"] == version
    assert f"/v{version}/MicrosoftTeams.schema.json" in manifest["$schema"]
    assert (
        f"/v{version}/MicrosoftTeams.Localization.schema.json"
        in load_json(MANIFEST_DIR / "fi.json")["$schema"]
    )


def keyword_values(value: Any, keyword: str, path: str = "#") -> list[tuple[str, Any]]:
    """Collect (schema path, value) for every occurrence of a keyword in a schema."""
    if isinstance(value, dict):
        own = [(path, value[keyword])] if keyword in value else []
        return own + [
            hit for key, item in value.items() for hit in keyword_values(item, keyword, f"{path}/{key}")
        ]
    if isinstance(value, list):
        return [
            hit
            for index, item in enumerate(value)
            for hit in keyword_values(item, keyword, f"{path}/{index}")
        ]
    return []


@pytest.mark.parametrize("schema_file", [MANIFEST_SCHEMA_FILE, LOCALIZATION_SCHEMA_FILE])
def test_vendored_schemas_are_valid_and_only_reference_themselves(schema_file: str) -> None:
    schema = load_json(SCHEMA_DIR / schema_file)
    validator_class = validators.validator_for(schema)
    # Not check_schema(): its regex format check trips over one ECMAScript-only pattern (next test).
    assert list(validator_class(validator_class.META_SCHEMA).iter_errors(schema)) == []
    refs = [ref for _, ref in keyword_values(schema, "$ref")]
    assert refs, "expected internal $refs"
    assert [ref for ref in refs if not ref.startswith("#")] == []


def test_only_an_unused_schema_pattern_is_beyond_python_regexes() -> None:
    # ajv compiles patterns as ECMAScript with the u flag; Python's re has no \p{L}. The one such pattern
    # sits under `extensions` (Office add-in custom functions), which Seula's manifest does not use.
    schema = load_json(SCHEMA_DIR / MANIFEST_SCHEMA_FILE)
    unusable = []
    for path, pattern in keyword_values(schema, "pattern"):
        try:
            re.compile(pattern)
        except re.error:
            unusable.append(path)
    assert unusable == ["#/definitions/extensionFunction/properties/name"]


def test_vendored_schemas_ship_with_their_licence_and_origin() -> None:
    assert "MIT License" in (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")
    readme = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    assert "@microsoft/app-manifest" in readme
    assert "build/json-schemas/teams/v1.30/" in readme


# --- commands, permissions, URLs ----------------------------------------------------------------------


def test_every_command_list_equals_manifest_commands(manifest: dict[str, Any]) -> None:
    expected = [{"title": c.title, "description": c.description} for c in MANIFEST_COMMANDS]
    command_lists = manifest["bots"][0]["commandLists"]
    assert [command_list["commands"] for command_list in command_lists] == [expected] * len(command_lists)
    scopes = [scope for command_list in command_lists for scope in command_list["scopes"]]
    assert sorted(scopes) == sorted(manifest["bots"][0]["scopes"]) == ["groupChat", "personal", "team"]


def test_manifest_commands_fit_the_teams_command_menu() -> None:
    titles = [command.title for command in MANIFEST_COMMANDS]
    assert titles == [
        "who knows",
        "kuka osaa",
        "help",
        "apua",
        "hide me",
        "piilota minut",
        "show me",
        "näytä minut",
        "what do you know about me",
        "mitä tiedät minusta",
        "forget me",
        "unohda minut",
    ]
    assert {command.language for command in MANIFEST_COMMANDS} == {"en", "fi"}
    for command in MANIFEST_COMMANDS:
        assert 0 < len(command.title) <= MAX_COMMAND_TITLE_CHARS
        assert 0 < len(command.description) <= MAX_COMMAND_DESCRIPTION_CHARS


def test_rsc_lets_the_bot_read_channel_messages_and_members(manifest: dict[str, Any]) -> None:
    granted = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {(p["name"], p["type"]) for p in granted} == {(name, "Application") for name in RSC_PERMISSIONS}
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": "https://notapplicable"}


def test_bot_id_and_website_url_are_filled_in() -> None:
    manifest = render_manifest(BOT_ID, "https://seula.example.org/")
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["developer"] == {
        "name": "Seula contributors",
        "websiteUrl": "https://seula.example.org",
        "privacyUrl": "https://seula.example.org#privacy",
        "termsOfUseUrl": "https://seula.example.org#terms-of-use",
    }
    assert "{{" not in json.dumps(manifest)


def test_default_website_is_the_project_repository(manifest: dict[str, Any]) -> None:
    assert manifest["developer"]["websiteUrl"] == "https://github.com/seula-bot/seula"


# --- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bot_id",
    [
        "",
        "seula-bot",
        "{{BOT_ID}}",
        "8f0c3b526a0e4c519d3e2b7f4a1c9e60",
        "{8f0c3b52-6a0e-4c51-9d3e-2b7f4a1c9e60}",
        "8f0c3b52-6a0e-4c51-9d3e-2b7f4a1c9e6",
        " 8f0c3b52-6a0e-4c51-9d3e-2b7f4a1c9e60",
    ],
)
def test_a_bot_id_that_is_not_a_guid_is_refused(bot_id: str, tmp_path: Path) -> None:
    out = tmp_path / "seula.zip"
    with pytest.raises(ManifestError, match=r"bot_id: .* is not a GUID") as raised:
        build_app_package(bot_id, out)
    assert raised.value.violations == (
        f"bot_id: {bot_id!r} is not a GUID; expected the bot's Microsoft Entra app id, "
        "like 00000000-0000-0000-0000-000000000000",
    )
    assert not out.exists()


def test_a_plain_http_website_is_refused() -> None:
    with pytest.raises(ManifestError, match=r"website_url: 'http://seula\.example\.org' must be an https"):
        render_manifest(BOT_ID, "http://seula.example.org")


def test_a_too_long_command_title_is_refused(manifest: dict[str, Any]) -> None:
    manifest["bots"][0]["commandLists"][1]["commands"][2]["title"] = "who knows about this very long topic"
    assert violations_of(manifest) == (
        "$.bots[0].commandLists[1].commands[2].title: 'who knows about this very long topic' "
        "is 36 characters, Teams allows at most 32",
    )


def test_a_too_long_command_description_is_refused(manifest: dict[str, Any]) -> None:
    manifest["bots"][0]["commandLists"][0]["commands"][0]["description"] = "x" * 129
    assert violations_of(manifest) == (
        "$.bots[0].commandLists[0].commands[0].description: 129 characters, Teams allows at most 128",
    )


def test_more_than_twelve_commands_in_a_list_are_refused(manifest: dict[str, Any]) -> None:
    manifest["bots"][0]["commandLists"][0]["commands"] = [
        {"title": f"command {n}", "description": "a command"} for n in range(13)
    ]
    assert "$.bots[0].commandLists[0].commands: 13 commands, Teams allows at most 12" in violations_of(
        manifest
    )


def test_a_duplicate_command_title_is_refused(manifest: dict[str, Any]) -> None:
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    commands[-1] = {"title": "Help", "description": "again"}
    assert violations_of(manifest) == (
        "$.bots[0].commandLists[0].commands[11].title: 'Help' appears twice in this list",
    )


def test_a_wrong_icon_size_is_refused(manifest: dict[str, Any]) -> None:
    manifest["icons"]["color"] = "outline.png"
    assert violations_of(manifest) == (
        "$.icons.color: 'outline.png' is 32x32 pixels, Teams requires 192x192",
    )


def test_an_icon_that_is_not_a_png_is_refused(manifest: dict[str, Any], asset_dir: Path) -> None:
    (asset_dir / "color.png").write_bytes(b"GIF89a not a png at all, despite the name")
    assert violations_of(manifest, asset_dir=asset_dir) == ("$.icons.color: 'color.png' is not a PNG file",)


def test_an_outline_icon_without_transparency_is_refused(manifest: dict[str, Any], asset_dir: Path) -> None:
    (asset_dir / "outline.png").write_bytes(png_bytes(32, 32, color_type=2))
    assert violations_of(manifest, asset_dir=asset_dir) == (
        "$.icons.outline: 'outline.png' has no alpha channel; Teams requires white on transparent",
    )


def test_a_missing_or_nested_file_is_refused(manifest: dict[str, Any], asset_dir: Path) -> None:
    (asset_dir / "fi.json").unlink()
    manifest["icons"]["outline"] = "icons/outline.png"
    problems = violations_of(manifest, asset_dir=asset_dir)
    assert problems[0].startswith("$.icons.outline: 'icons/outline.png' must be a plain file name")
    assert problems[1].startswith(
        "$.localizationInfo.additionalLanguages[0].file: 'fi.json' does not exist in "
    )
    assert len(problems) == 2


def test_a_broken_localization_file_is_refused(manifest: dict[str, Any], asset_dir: Path) -> None:
    strings = load_json(asset_dir / "fi.json")
    strings["description.short"] = "x" * 81
    strings["name.nickname"] = "{{NICKNAME}}"
    (asset_dir / "fi.json").write_text(json.dumps(strings), encoding="utf-8")
    problems = violations_of(manifest, asset_dir=asset_dir)
    assert any(p.startswith("fi.json: $['description.short']: ") and "is too long" in p for p in problems)
    assert any(
        p.startswith("fi.json: $: 'name.nickname' does not match any of the regexes") for p in problems
    )
    assert "fi.json: $['name.nickname']: template token {{NICKNAME}} was never filled in" in problems


def test_a_leftover_template_token_is_refused(manifest: dict[str, Any]) -> None:
    manifest["developer"]["privacyUrl"] = "https://{{PRIVACY_HOST}}/privacy"
    assert violations_of(manifest) == (
        "$.developer.privacyUrl: template token {{PRIVACY_HOST}} was never filled in",
    )


def test_an_unrendered_template_is_refused_on_every_placeholder() -> None:
    template = load_json(MANIFEST_DIR / "manifest.json")
    problems = violations_of(template)
    assert "$.bots[0].botId: template token {{BOT_ID}} was never filled in" in problems
    assert "$.webApplicationInfo.id: template token {{BOT_ID}} was never filled in" in problems
    assert "$.developer.websiteUrl: template token {{WEBSITE_URL}} was never filled in" in problems
    assert "$.bots[0].botId: '{{BOT_ID}}' is not a GUID (the bot's Microsoft Entra app id)" in problems


def test_rsc_with_a_different_web_application_id_is_refused(manifest: dict[str, Any]) -> None:
    manifest["webApplicationInfo"]["id"] = "00000000-0000-0000-0000-000000000001"
    assert violations_of(manifest) == (
        "$.webApplicationInfo.id: '00000000-0000-0000-0000-000000000001' must equal the botId "
        "for resource-specific consent",
    )


def test_another_manifest_version_is_refused(manifest: dict[str, Any]) -> None:
    # Regression: the Teams schemas declare draft-04, whose validator ignores `const`, so without the
    # extended validator any manifestVersion passed.
    manifest["manifestVersion"] = "1.29"
    assert violations_of(manifest) == ("$.manifestVersion: '1.30' was expected",)


def test_a_non_semver_app_version_is_refused(manifest: dict[str, Any]) -> None:
    manifest["version"] = "0.1"
    assert violations_of(manifest) == ("$.version: '0.1' is not MAJOR.MINOR.PATCH",)


def test_a_manifest_reaching_the_ecmascript_only_pattern_is_refused_not_crashed(
    manifest: dict[str, Any],
) -> None:
    manifest["extensions"] = [{"runtimes": [{"customFunctions": {"functions": [{"name": "sum"}]}}]}]
    (problem,) = violations_of(manifest)
    assert problem.startswith("$: cannot be checked against MicrosoftTeams.schema.json: a schema pattern")


def test_a_manifest_of_the_wrong_shape_is_refused_without_crashing(manifest: dict[str, Any]) -> None:
    manifest["bots"] = "a bot"
    manifest["icons"] = ["color.png"]
    manifest["localizationInfo"] = None
    problems = violations_of(manifest)
    assert "$.bots: 'a bot' is not of type 'array'" in problems
    assert "$.icons: ['color.png'] is not of type 'object'" in problems


# --- the app package ----------------------------------------------------------------------------------


def test_package_holds_exactly_the_manifest_icons_and_localization_at_its_root(tmp_path: Path) -> None:
    out = build_app_package(BOT_ID, tmp_path / "dist" / "seula.zip")
    assert out == tmp_path / "dist" / "seula.zip"
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "fi.json", "manifest.json", "outline.png"]
        packaged = json.loads(package.read("manifest.json"))
        assert package.read("color.png") == (MANIFEST_DIR / "color.png").read_bytes()
        assert package.read("fi.json") == (MANIFEST_DIR / "fi.json").read_bytes()
    assert packaged["bots"][0]["botId"] == BOT_ID
    assert packaged["webApplicationInfo"]["id"] == BOT_ID
    assert packaged == render_manifest(BOT_ID)


def test_package_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = build_app_package(BOT_ID, Path("seula.zip"))
    assert (tmp_path / "seula.zip").is_file()
    assert zipfile.ZipFile(out).testzip() is None


def test_package_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first = build_app_package(BOT_ID, tmp_path / "first.zip").read_bytes()
    second = build_app_package(BOT_ID, tmp_path / "second.zip").read_bytes()
    assert first == second


# --- the icons themselves -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "size"), [("color.png", (192, 192)), ("outline.png", (32, 32))])
def test_icons_are_pngs_of_the_sizes_teams_requires(name: str, size: tuple[int, int]) -> None:
    data = (MANIFEST_DIR / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == size


def test_outline_icon_is_white_on_transparent() -> None:
    width, height, pixels = decode_rgba_png((MANIFEST_DIR / "outline.png").read_bytes())
    assert (width, height) == (32, 32)
    assert {pixel[:3] for pixel in pixels if pixel[3] > 0} == {(255, 255, 255)}
    alphas = [pixel[3] for pixel in pixels]
    assert alphas.count(0) > len(pixels) // 3, "the background should be transparent"
    assert alphas.count(255) > 0, "the symbol should be drawn"


# --- tiny PNG helpers, so the tests need no Pillow ----------------------------------------------------


def png_bytes(width: int, height: int, color_type: int) -> bytes:
    """Encode a blank 8-bit PNG of the given size and colour type (2 = RGB, 6 = RGBA)."""
    channels = {2: 3, 6: 4}[color_type]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff" * width * channels for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def decode_rgba_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Decode a non-interlaced 8-bit RGBA PNG into (width, height, pixels)."""
    width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert (bit_depth, color_type, interlace) == (8, 6, 0), "expected 8-bit RGBA, not interlaced"
    idat, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw, stride, bpp = zlib.decompress(idat), width * 4, 4
    previous, pixels = bytearray(stride), []
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for x in range(stride):
            left = row[x - bpp] if x >= bpp else 0
            up, up_left = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                row[x] = (row[x] + predictor) & 0xFF
        pixels += [tuple(row[i : i + 4]) for i in range(0, stride, 4)]
        previous = row
    return width, height, pixels
