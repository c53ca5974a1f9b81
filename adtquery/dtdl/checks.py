"""What every DTDL element shares: @type, members, name, @id, display texts, scalars.

`ElementParser` holds the state of one document's walk (its nested @ids, named schemas and
element count) and the checks common to all element kinds; parse.py adds the kinds themselves.
"""

from __future__ import annotations

from typing import Any, NoReturn

from adtquery.dtdl import syntax
from adtquery.dtdl.elements import Schema
from adtquery.dtdl.errors import DtdlParserError
from adtquery.dtdl.primitives import is_integer
from adtquery.dtdl.syntax import many, single


class ElementParser:
    """The walk of one document; every refusal names the model and the element."""

    def __init__(self, model_id: str, version: int) -> None:
        self.model_id = model_id
        self.version = version
        self.limits = syntax.LIMITS[version]
        self.ids: set[str] = set()
        self.schemas: dict[str, Schema] = {}
        self.count = 0

    def fail(self, where: str, message: str, reason: str = "dtdl-invalid") -> NoReturn:
        raise DtdlParserError(f"{self.model_id}: {where} {message}", reason=reason)

    def count_within(
        self, count: int, bounds: tuple[int, int | None], where: str, what: str
    ) -> None:
        least, most = bounds
        if count < least or (most is not None and count > most):
            limit = f"{least} to {most}" if most is not None else f"at least {least}"
            self.fail(
                where, f"has {count} {what}; DTDL v{self.version} allows {limit}.", "dtdl-limit"
            )

    def part(self, raw: Any, kinds: tuple[str, ...], where: str) -> tuple[dict[str, Any], str]:
        """A named sub-element (Field, EnumValue, MapKey, MapValue, command payload)."""
        raw = single(raw)
        if not isinstance(raw, dict):
            self.fail(where, f"must be a {kinds[0]} object.")
        kind, cotyped = self.types(raw, kinds, where, required=False)
        name = self.name(raw, where)
        self.element(raw, kind, cotyped, where)
        return raw, name

    def element(self, raw: dict[str, Any], kind: str, cotyped: bool, where: str) -> str | None:
        """Check what every nested element has; its @id, if any."""
        self.members(raw, kind, cotyped, where)
        self.descriptions(raw, where)
        self.count += 1
        return self.element_id(raw, where)

    def types(
        self, raw: dict[str, Any], allowed: tuple[str, ...], where: str, *, required: bool = True
    ) -> tuple[str, bool]:
        """The element's DTDL class and whether it has co-types (semantic or extension types)."""
        value = raw.get("@type")
        if value is None:
            if required:
                self.fail(
                    where, f"has no @type; expected {' or '.join(allowed)}.", "dtdl-missing-type"
                )
            return allowed[0], False
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.fail(
                where,
                f"has @type {value!r}; it must be a string or an array of strings.",
                "dtdl-unknown-type",
            )
        classes = {syntax.dtdl_class(n, self.version) for n in names} - {None}
        cotypes = [n for n in names if syntax.dtdl_class(n, self.version) is None]
        for cotype in cotypes:
            if cotype.startswith("dtmi:") and not syntax.is_dtmi(cotype):
                self.fail(
                    where,
                    f"has co-type {cotype!r}, which is not a valid DTMI.",
                    "dtdl-unknown-type",
                )
        if len(classes) != 1 or next(iter(classes)) not in allowed:
            self.fail(
                where, f"has @type {value!r}; expected {' or '.join(allowed)}.", "dtdl-unknown-type"
            )
        return next(iter(classes)), bool(cotypes)  # type: ignore[arg-type]

    def members(
        self, raw: dict[str, Any], kind: str, cotyped: bool, where: str, *, top: bool = False
    ) -> None:
        allowed = syntax.MEMBERS[kind]
        for key in raw:
            # DTDL lets co-typed elements carry the co-type's members (e.g. "unit" of a
            # semantic type); without a co-type an unknown member is a mistake, often a typo.
            if key not in allowed and (key.startswith("@") or not cotyped):
                known = ", ".join(sorted(m for m in allowed if not m.startswith("@")))
                self.fail(
                    where,
                    f"has member {key!r}, which a {kind} does not have ({known}).",
                    "dtdl-unknown-member",
                )
        if "@context" in raw and not top:
            for entry in many(raw["@context"]):
                if not isinstance(entry, str) or not syntax.is_dtmi(entry):
                    self.fail(
                        where,
                        f"has @context entry {entry!r}, which is not a DTMI.",
                        "dtdl-invalid-context",
                    )
                dtdl = syntax.DTDL_CONTEXT.fullmatch(entry)
                if dtdl and int(dtdl.group(1)) != self.version:
                    self.fail(
                        where,
                        "has a @context that changes the DTDL version inside a model.",
                        "dtdl-invalid-context",
                    )

    def name(self, raw: dict[str, Any], where: str) -> str:
        value = single(raw.get("name"))
        if value is None:
            self.fail(where, "has no name.", "dtdl-invalid-name")
        longest = self.limits.name_length
        if not isinstance(value, str) or not syntax.NAME.fullmatch(value) or len(value) > longest:
            self.fail(
                where,
                f"has name {value!r}, which is not a DTDL name: a letter, then letters, digits or "
                f"underscores, not ending in an underscore, at most {longest} characters.",
                "dtdl-invalid-name",
            )
        return value

    def element_id(self, raw: dict[str, Any], where: str) -> str | None:
        value = raw.get("@id")
        if value is None:
            return None
        if not syntax.is_dtmi(value, self.version) or len(value) > syntax.ID_LENGTH:
            self.fail(where, f"has @id {value!r}, which is not a valid DTMI.", "dtdl-invalid-id")
        if value.startswith(syntax.RESERVED_PREFIXES):
            self.fail(where, f"has @id {value!r}, in a namespace DTDL reserves.", "dtdl-invalid-id")
        if value in self.ids or value == self.model_id:
            self.fail(
                where,
                f"has @id {value!r}, which another element of the model has.",
                "dtdl-duplicate-id",
            )
        self.ids.add(value)
        return value

    def descriptions(self, raw: dict[str, Any], where: str) -> None:
        for key, longest in (
            ("displayName", self.limits.display_name_length),
            ("description", syntax.TEXT_LENGTH),
        ):
            if key in raw:
                for text in self.localizable(raw[key], f"{where} {key}"):
                    if len(text) > longest:
                        self.fail(
                            where, f"has a {key} longer than {longest} characters.", "dtdl-limit"
                        )
        comment = single(raw.get("comment"))
        if comment is not None and (
            not isinstance(comment, str) or len(comment) > syntax.TEXT_LENGTH
        ):
            self.fail(
                where,
                f"has a comment that is not a string of at most {syntax.TEXT_LENGTH} characters.",
            )

    def localizable(self, value: Any, where: str) -> list[str]:
        """The texts of a localizable string: a string, a language map, or an array of
        strings and {"@value", "@language"} objects."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            if all(syntax.LANGUAGE.fullmatch(k) and isinstance(v, str) for k, v in value.items()):
                return list(value.values())
        elif isinstance(value, list) and all(map(_tagged_text, value)):
            return [v if isinstance(v, str) else v["@value"] for v in value]
        self.fail(
            where,
            'is not a string or a language map of strings (such as {"en": "Room"}).',
            "dtdl-invalid-text",
        )

    def required(self, raw: dict[str, Any], key: str, where: str) -> Any:
        value = raw.get(key)
        if value is None:
            self.fail(where, f"has no {key}.", "dtdl-missing-member")
        return value

    def scalar(self, raw: dict[str, Any], key: str, where: str, kind: type) -> Any:
        value = single(raw.get(key))
        if value is None:
            return None
        if kind is bool and not isinstance(value, bool):
            self.fail(where, f"has {key} {value!r}; it must be true or false.")
        if kind is int and not is_integer(value):
            self.fail(where, f"has {key} {value!r}; it must be an integer.")
        return value


def _tagged_text(value: Any) -> bool:
    """An entry of a localizable string's array form: a string, or {"@value", "@language"}."""
    if isinstance(value, str):
        return True
    if not isinstance(value, dict) or not isinstance(value.get("@value"), str):
        return False
    language = value.get("@language", "en")
    return isinstance(language, str) and bool(syntax.LANGUAGE.fullmatch(language))
