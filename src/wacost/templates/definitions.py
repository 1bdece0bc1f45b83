"""Load template definitions: Meta's message_templates export (JSON) or a YAML list of the same.

Meta's `GET /<WABA_ID>/message_templates` answers `{"data": [...], "paging": {...}}`; each
object has `name`, `language`, `category` (MARKETING, UTILITY, AUTHENTICATION), `status` and
`components`. One name may exist in several languages.
"""

from __future__ import annotations

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


@dataclass
class TemplateBook:
    """Every template definition loaded, findable by name and language."""

    by_key: dict[tuple[str, str | None], TemplateDef] = field(default_factory=dict)
    by_name: dict[str, list[TemplateDef]] = field(default_factory=dict)

    def add(self, template: TemplateDef) -> None:
        key = (template.name, template.language)
        if key in self.by_key:
            self.by_name[template.name].remove(self.by_key[key])
        self.by_key[key] = template
        self.by_name.setdefault(template.name, []).append(template)

    def find(self, name: str, language: str | None) -> list[TemplateDef]:
        """The definitions a campaign row means: its language if given and defined, else every language."""
        if language:
            exact = self.by_key.get((name, language))
            if exact is not None:
                return [exact]
        return list(self.by_name.get(name, []))

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
    """Template definitions from parsed JSON/YAML `data`; InputFileError naming the bad entry."""
    result = []
    for index, item in enumerate(_objects(data, where)):
        key = f"{where}: data[{index}]"
        if not isinstance(item, Mapping):
            raise InputFileError(f"{key}: a template must be an object", "each entry needs a name")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputFileError(f"{key}: template has no name", "each template needs a 'name'")
        language = item.get("language")
        if isinstance(language, Mapping):  # the send-message shape {"code": "en_US"}
            language = language.get("code")
        if language is not None and not isinstance(language, str):
            raise InputFileError(
                f"{key}.language: {language!r} is not a language code", "write e.g. en_US"
            )
        raw_category = item.get("category")
        category = None
        if raw_category not in (None, ""):
            category = Category.parse(str(raw_category))
            if category is None or category is Category.SERVICE:
                raise InputFileError(
                    f"{key}.category: {raw_category!r} is not a template category",
                    "use MARKETING, UTILITY or AUTHENTICATION",
                )
        components = item.get("components", [])
        if components is not None and not isinstance(components, list):
            raise InputFileError(f"{key}.components: must be a list", "see Meta's template format")
        status = item.get("status")
        result.append(
            TemplateDef(
                name=name.strip(),
                language=language.strip()
                if isinstance(language, str) and language.strip()
                else None,
                category=category,
                status=str(status).upper() if status else None,
                raw=dict(item),
                origin=f"{where}: data[{index}]",
            )
        )
    return result


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
