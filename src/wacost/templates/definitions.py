"""Load template definitions: Meta's message_templates export (JSON) or a YAML list of the same.

Meta's `GET /<WABA_ID>/message_templates` answers `{"data": [...], "paging": {...}}`; each
object has `name`, `language`, `category` (MARKETING, UTILITY, AUTHENTICATION), `status` and
`components`. One name may exist in several languages.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wacost.errors import InputFileError
from wacost.files import load_yaml_text, parse_json, read_text_file
from wacost.models import Category


@dataclass(frozen=True)
class TemplateDef:
    """One template in one language, as defined; `category` None when the definition has none."""

    name: str
    language: str | None
    category: Category | None
    status: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    origin: str = ""


_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[_\-]([A-Za-z0-9]{2,4}))?$")


def normalize_language(code: str) -> str:
    """A language code as Meta writes it: `pt-BR`, `pt_br` -> `pt_BR`; `EN` -> `en`.

    Meta's codes are a lower-case language, then an upper-case region after an underscore
    (en_US, pt_BR, zh_HK). Anything else is returned trimmed, as written.
    """
    text = code.strip()
    match = _LANGUAGE.match(text)
    if match is None:
        return text
    language, region = match.groups()
    return language.lower() + (f"_{region.upper()}" if region else "")


@dataclass(frozen=True)
class TemplateMatch:
    """What a campaign row's template name and language mean among the definitions.

    `definitions` is empty when the name is defined nowhere (then `suggestions` holds near
    names). `name` is the defined name (Meta's names are lower case only, so a row's
    `Black_Friday` can only mean `black_friday`: `case_differs` says the row wrote it so).
    `unknown_language` is set when the row names a language the template is not defined in:
    every language of the template is then in `definitions`.
    """

    name: str
    definitions: tuple[TemplateDef, ...] = ()
    case_differs: bool = False
    language: str | None = None
    unknown_language: bool = False
    suggestions: tuple[str, ...] = ()

    @property
    def languages(self) -> list[str]:
        return sorted({t.language for t in self.definitions if t.language})


@dataclass
class TemplateBook:
    """Every template definition loaded, findable by name and language."""

    by_key: dict[tuple[str, str | None], TemplateDef] = field(default_factory=dict)
    by_name: dict[str, list[TemplateDef]] = field(default_factory=dict)
    by_folded: dict[str, str] = field(default_factory=dict)  # lower-case name -> name

    def add(self, template: TemplateDef) -> None:
        key = (template.name, template.language)
        if key in self.by_key:
            self.by_name[template.name].remove(self.by_key[key])
        self.by_key[key] = template
        self.by_name.setdefault(template.name, []).append(template)
        self.by_folded.setdefault(template.name.lower(), template.name)

    def find(self, name: str, language: str | None) -> list[TemplateDef]:
        """The definitions a campaign row means: its language if given and defined, else every language."""
        return list(self.match(name, language).definitions)

    def match(self, name: str, language: str | None) -> TemplateMatch:
        """The definitions a campaign row's template and language mean, as Meta matches them.

        Meta creates names in lower case only (letters, digits and underscores), so a name in
        another case is matched case-insensitively, and flagged; a language is compared in
        Meta's spelling (pt-BR is pt_BR).
        """
        name = name.strip()
        lang = normalize_language(language) if language and language.strip() else None
        found = name if name in self.by_name else self.by_folded.get(name.lower())
        if found is None or not self.by_name.get(found):
            near = difflib.get_close_matches(name.lower(), list(self.by_folded), n=3, cutoff=0.75)
            return TemplateMatch(
                name, language=lang, suggestions=tuple(self.by_folded[n] for n in near)
            )
        every = tuple(self.by_name[found])
        if lang is not None:
            exact = self.by_key.get((found, lang))
            if exact is not None:
                return TemplateMatch(found, (exact,), found != name, lang)
            defined = {t.language for t in every}
            unknown = defined != {None}  # a definition without a language matches any
            return TemplateMatch(found, every, found != name, lang, unknown_language=unknown)
        return TemplateMatch(found, every, found != name, lang)

    def __len__(self) -> int:
        return len(self.by_key)

    def all(self) -> list[TemplateDef]:
        return list(self.by_key.values())


def _objects(data: object, where: str) -> Sequence[object]:
    if isinstance(data, Mapping):
        if "data" in data:
            items = data["data"]
        elif "templates" in data:
            items = data["templates"]
        elif "name" in data:
            items = [data]
        else:
            raise InputFileError(
                f"{where}: no 'data' list of templates",
                'give Meta\'s message_templates response ({"data": [...]}) or a list of templates',
            )
    else:
        items = data
    if not isinstance(items, list):
        raise InputFileError(
            f"{where}: data: expected a list of templates, found {type(items).__name__}",
            "give Meta's message_templates response or a YAML list",
        )
    return items


def parse_templates(data: object, where: str) -> list[TemplateDef]:
    """Template definitions from parsed JSON/YAML `data`; InputFileError naming the bad entry.

    One name in one language has one definition at Meta: two in a file with different
    categories are refused (the later would silently replace the earlier, perhaps with a
    cheaper category)."""
    result: list[TemplateDef] = []
    seen: dict[tuple[str, str | None], int] = {}
    for index, item in enumerate(_objects(data, where)):
        key = f"{where}: data[{index}]"
        if not isinstance(item, Mapping):
            raise InputFileError(f"{key}: a template must be an object", "each entry needs a name")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise InputFileError(
                f"{key}.name: {_shown(name)} is not a template name", "each template needs a 'name'"
            )
        if not isinstance(name, str) or not name.strip():
            raise InputFileError(f"{key}: template has no name", "each template needs a 'name'")
        key = f"{key} ({name.strip()[:60]!r})"  # the template named, as well as its place
        language = item.get("language")
        if isinstance(language, Mapping):  # the send-message shape {"code": "en_US"}
            language = language.get("code")
        if language is not None and not isinstance(language, str):
            raise InputFileError(
                f"{key}.language: {_shown(language)} is not a language code", "write e.g. en_US"
            )
        raw_category = item.get("category")
        category = None
        if raw_category not in (None, ""):
            category = Category.parse(raw_category) if isinstance(raw_category, str) else None
            if category is None or category is Category.SERVICE:
                raise InputFileError(
                    f"{key}.category: {_shown(raw_category)} is not a template category",
                    "use MARKETING, UTILITY or AUTHENTICATION",
                )
        components = item.get("components", [])
        if components is not None and not isinstance(components, list):
            raise InputFileError(f"{key}.components: must be a list", "see Meta's template format")
        status = item.get("status")
        result.append(
            TemplateDef(
                name=name.strip(),
                language=normalize_language(language)
                if isinstance(language, str) and language.strip()
                else None,
                category=category,
                status=str(status).upper() if status else None,
                raw=dict(item),
                origin=f"{where}: data[{index}]",
            )
        )
        _refuse_conflict(result, seen, where)
    return result


def _shown(value: object) -> str:
    """A value of a definition, short, as its JSON type where it is not a scalar."""
    if isinstance(value, (Mapping, list)):
        return f"an {'object' if isinstance(value, Mapping) else 'array'}"
    return repr(value)[:60]


def _refuse_conflict(
    result: list[TemplateDef], seen: dict[tuple[str, str | None], int], where: str
) -> None:
    """The last of `result` defines no name and language defined before in another category."""
    template = result[-1]
    key = (template.name, template.language)
    first = seen.setdefault(key, len(result) - 1)
    earlier = result[first]
    if earlier.category is not template.category:

        def said(t: TemplateDef) -> str:
            return t.category.value.upper() if t.category is not None else "no category"

        language = f" ({template.language})" if template.language else ""
        raise InputFileError(
            f"{where}: data[{first}] and data[{len(result) - 1}] both define template "
            f"{template.name!r}{language}, as {said(earlier)} and as {said(template)}",
            "keep the one Meta has",
        )


def load_template_file(path: Path) -> list[TemplateDef]:
    """The templates defined in one JSON or YAML file."""
    text = read_text_file(path, "template")
    if not text.strip():
        raise InputFileError(f"{path}: the file is empty", "export the templates from Meta again")
    where = str(path)
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped[:1] in ("{", "["):
        data = parse_json(text, where, "the file may be truncated; export it again")
    else:
        data = load_yaml_text(text, where)
    return parse_templates(data, where)


def load_templates(paths: Sequence[Path]) -> TemplateBook:
    """Every template in `paths`; a later file's definition replaces an earlier one's."""
    book = TemplateBook()
    for path in paths:
        for template in load_template_file(path):
            book.add(template)
    return book
