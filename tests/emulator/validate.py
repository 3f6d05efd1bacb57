"""Discord's checks on what a bot sends, with its error codes and nested 50035 error trees."""

from __future__ import annotations

import re
from typing import Any

from .constants import LOCALES
from .payloads import Json

UNKNOWN_APPLICATION = 10002
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_COMMAND = 10063
CANNOT_EDIT_OTHERS = 50005
ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
EMPTY_MESSAGE = 50006
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000
NONCE_MAX = 25

# Discord: ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$; the script ranges admit their combining vowel signs.
_COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097f\u0e00-\u0e7f]{1,32}$")


def error(code: int, message: str, errors: Json | None = None) -> Json:
    body: Json = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def field_error(path: str, code: str, text: str) -> Json:
    """Discord's nested 50035 error tree for one field, e.g. path 'embeds.0.title'."""
    tree: Json = {"_errors": [{"code": code, "message": text}]}
    for part in reversed(path.split(".")):
        tree = {part: tree}
    return tree


class ApiError(Exception):
    """Raised by handlers; rest.py turns it into Discord's JSON error answer."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> Json:
        return error(self.code, self.message, self.errors)


def form_error(path: str, code: str, text: str) -> ApiError:
    return ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", field_error(path, code, text))


def _max_len(value: Any, limit: int, path: str) -> None:
    if value is not None and len(str(value)) > limit:
        raise form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _url(value: Any, path: str, *, allow_attachment: bool = True) -> None:
    if value is None:
        return
    schemes = ("http", "https", "attachment") if allow_attachment else ("http", "https")
    scheme = str(value).split(":", 1)[0].lower()
    if scheme not in schemes:
        raise form_error(
            path, "URL_TYPE_INVALID_SCHEME", f'Scheme "{scheme}" is not supported. Scheme must be one of {schemes}.'
        )


def embed_size(embed: Json) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def validate_embeds(embeds: list[Json]) -> None:
    if len(embeds) > EMBEDS_MAX:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    for i, e in enumerate(embeds):
        at = f"embeds.{i}"
        _max_len(e.get("title"), EMBED_TITLE, f"{at}.title")
        _max_len(e.get("description"), EMBED_DESCRIPTION, f"{at}.description")
        _url(e.get("url"), f"{at}.url", allow_attachment=False)
        if e.get("color") is not None and not 0 <= int(e["color"]) <= 0xFFFFFF:
            raise form_error(f"{at}.color", "NUMBER_TYPE_MAX", "int value should be less than or equal to 16777215.")
        fields = e.get("fields") or []
        if len(fields) > EMBED_FIELDS:
            raise form_error(f"{at}.fields", "BASE_TYPE_MAX_LENGTH", f"Must be {EMBED_FIELDS} or fewer in length.")
        for j, f in enumerate(fields):
            for key, limit in (("name", FIELD_NAME), ("value", FIELD_VALUE)):
                if not f.get(key):
                    raise form_error(f"{at}.fields.{j}.{key}", "BASE_TYPE_REQUIRED", "This field is required")
                _max_len(f[key], limit, f"{at}.fields.{j}.{key}")
        footer = e.get("footer") or {}
        _max_len(footer.get("text"), FOOTER_TEXT, f"{at}.footer.text")
        author = e.get("author") or {}
        _max_len(author.get("name"), AUTHOR_NAME, f"{at}.author.name")
        for key in ("image", "thumbnail"):
            _url((e.get(key) or {}).get("url"), f"{at}.{key}.url")
    if sum(embed_size(e) for e in embeds) > EMBED_TOTAL:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", f"Embed size exceeds maximum size of {EMBED_TOTAL}")


def validate_components(rows: list[Json]) -> None:
    if len(rows) > 5:
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            continue  # components v2 layouts are not checked further
        inner = row.get("components") or []
        if not 1 <= len(inner) <= 5:
            raise form_error(f"components.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        for j, c in enumerate(inner):
            at = f"components.{i}.components.{j}"
            if c.get("type") == 2 and c.get("style") == 5:
                _url(c.get("url"), f"{at}.url", allow_attachment=False)
            elif not c.get("custom_id"):
                raise form_error(f"{at}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
            _max_len(c.get("custom_id"), 100, f"{at}.custom_id")
            _max_len(c.get("label"), 80, f"{at}.label")


def validate_allowed_mentions(am: Json | None) -> None:
    if not am:
        return
    parse = am.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in ("roles", "users", "everyone"):
            raise form_error(
                f"allowed_mentions.parse.{i}", "ENUM_TYPE_COERCE", f"Value '{kind}' is not a valid enum value."
            )
    for kind in ("users", "roles"):
        if kind in parse and am.get(kind):
            raise form_error(
                "allowed_mentions",
                "ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def validate_message(body: Json, *, creating: bool) -> None:
    """Checks shared by channel messages, interaction responses and webhook messages."""
    content = body.get("content")
    _max_len(content, CONTENT_MAX, "content")
    embeds = body.get("embeds") or []
    validate_embeds(embeds)
    validate_components(body.get("components") or [])
    validate_allowed_mentions(body.get("allowed_mentions"))
    nonce = body.get("nonce")
    if nonce is not None and isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        raise form_error("nonce", "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
    if creating and not (content or embeds or body.get("components") or body.get("sticker_ids") or body.get("poll")):
        raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")


def _valid_name(name: Any) -> bool:
    return isinstance(name, str) and bool(_COMMAND_NAME.match(name)) and name == name.lower()


def _localizations(node: Json, field: str, at: str, *, is_name: bool) -> None:
    """Per-locale variants follow the rules of the field they localise, under known locale keys only."""
    values = node.get(field)
    if values is None:
        return
    if not isinstance(values, dict):
        raise form_error(f"{at}{field}", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    for locale, text in values.items():
        here = f"{at}{field}.{locale}"
        if locale not in LOCALES:
            raise form_error(here, "LOCALE_INVALID", f"Invalid locale: {locale}")
        if is_name:
            if not _valid_name(text):
                raise form_error(here, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif not isinstance(text, str) or not 1 <= len(text) <= 100:
            raise form_error(here, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _validate_localized(node: Json, at: str) -> None:
    _localizations(node, "name_localizations", at, is_name=True)
    _localizations(node, "description_localizations", at, is_name=False)


def _validate_choices(choices: list[Json], at: str) -> None:
    if len(choices) > 25:
        raise form_error(f"{at}choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    for j, choice in enumerate(choices):
        here = f"{at}choices.{j}."
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            raise form_error(f"{here}name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        # A choice's name is display text, so its variants are checked like descriptions.
        _localizations(choice, "name_localizations", here, is_name=False)


def _validate_options(options: list[Json], at: str) -> None:
    if len(options) > 25:
        raise form_error(f"{at}options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for i, o in enumerate(options):
        here = f"{at}options.{i}."
        name = o.get("name", "")
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(f"{here}name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if name in names:
            raise form_error(
                f"{here}name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name already exists"
            )
        names.add(name)
        if not 1 <= len(o.get("description", "")) <= 100:
            raise form_error(f"{here}description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        _validate_localized(o, here)
        _validate_choices(o.get("choices") or [], here)
        if o.get("type") in (1, 2):
            _validate_options(o.get("options") or [], here)
            continue
        if o.get("required"):
            if seen_optional:
                raise form_error(
                    f"{here}required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True


def validate_commands(commands: list[Json]) -> None:
    if not isinstance(commands, list):
        raise form_error("_root", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    if sum(1 for c in commands if c.get("type", 1) == 1) > 100:
        raise form_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for i, c in enumerate(commands):
        kind = c.get("type", 1)
        name = c.get("name", "")
        if (name, kind) in seen:
            raise form_error(
                f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Application command names must be unique ({name})"
            )
        seen.add((name, kind))
        if kind == 1:
            if not _COMMAND_NAME.match(name) or name != name.lower():
                raise form_error(f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            if not 1 <= len(c.get("description", "")) <= 100:
                raise form_error(f"{i}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            _validate_localized(c, f"{i}.")
            _validate_options(c.get("options") or [], f"{i}.")
