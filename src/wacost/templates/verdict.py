"""The category a campaign row's template is billed in, and why (declared, overridden, classified)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wacost.models import (
    CATEGORY_ORDER,
    Category,
)
from wacost.templates.definitions import TemplateBook, TemplateDef

Classifier = Callable[[TemplateDef], Any]


@dataclass(frozen=True)
class TemplateVerdict:
    """The category a campaign row's template is billed in, and why."""

    category: Category
    language: str | None
    warnings: tuple[tuple[str, str], ...] = ()
    risk: bool = False  # declared utility, reads as marketing
    name: str | None = None  # the defined name the row means (Meta's spelling), if found


def _short(text: str, limit: int = 80) -> str:
    """Text from an input file, cut for a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resolve_template(
    name: str,
    language: str,
    override: str,
    book: TemplateBook,
    classifier: Classifier | None = None,
    assume_recategorized: bool = False,
) -> TemplateVerdict:
    """The billing category of one distinct (template, language, category column) triple."""
    lang = language or None
    if override:
        category = Category(override)
        return TemplateVerdict(category, lang)
    if not name:
        return TemplateVerdict(Category.SERVICE, None)
    match = book.match(name, lang)
    found = list(match.definitions)
    if not found:
        hint = (
            f"; did you mean {' or '.join(repr(n) for n in match.suggestions)}?"
            if match.suggestions
            else ""
        )
        return TemplateVerdict(
            Category.MARKETING,
            match.language,
            (
                (
                    "unknown_template",
                    f"template {_short(name)!r} is not defined in --templates and has no category; "
                    f"priced as marketing, the most Meta could bill{hint}",
                ),
            ),
        )
    lang = match.language
    notes: list[tuple[str, str]] = []
    if match.case_differs:
        notes.append(
            (
                "template_name_case",
                f"template {_short(name)!r}: Meta's template names are lower case and its API "
                f"needs the name exactly; priced as {_short(match.name)!r}",
            )
        )
    if match.unknown_language:
        notes.append(
            (
                "unknown_language",
                f"template {_short(match.name)!r} is not defined in language {_short(lang or '')!r} "
                f"(it has {', '.join(match.languages)}); Meta cannot send it so; priced as the "
                "template",
            )
        )
        lang = None  # the row's language is none of the template's
    warnings: list[tuple[str, str]] = notes
    categories: list[Category] = []
    risk = False
    for template in found:
        if template.status and template.status != "APPROVED":
            warnings.append(
                (
                    "template_not_approved",
                    f"template {_short(name)!r} ({template.language}) is {template.status}; "
                    "only approved templates can be sent",
                )
            )
        if template.category is None:
            if classifier is None:
                categories.append(Category.MARKETING)
                warnings.append(
                    (
                        "unknown_template",
                        f"template {_short(name)!r} has no category; priced as marketing",
                    )
                )
                continue
            verdict = classifier(template)
            categories.append(Category(verdict.category))
            warnings.append(
                (
                    "classified_template",
                    f"template {_short(name)!r} has no category; classified as {verdict.category}"
                    f" ({'; '.join(verdict.reasons[:2])})",
                )
            )
        else:
            category = template.category
            if classifier is not None and category is Category.UTILITY:
                verdict = classifier(template)
                if verdict.category == Category.MARKETING.value:
                    risk = True
                    if assume_recategorized:
                        category = Category.MARKETING
                        warnings.append(
                            (
                                "assumed_recategorized",
                                f"template {_short(name)!r} is declared utility but reads as marketing; "
                                "priced as marketing (--assume-recategorized)",
                            )
                        )
                    else:
                        warnings.append(
                            (
                                "recategorization_risk",
                                f"template {_short(name)!r} is declared utility but reads as marketing "
                                f"({'; '.join(verdict.reasons[:2])}); Meta may move it to marketing",
                            )
                        )
            categories.append(category)
    distinct = sorted(set(categories), key=CATEGORY_ORDER.index)
    if len(distinct) > 1:
        warnings.append(
            (
                "ambiguous_template",
                f"template {_short(name)!r} has categories {', '.join(c.value for c in distinct)} "
                "in different languages and the row gives no language it has; priced as "
                f"{distinct[0].value}, the dearest",
            )
        )
    languages = {t.language for t in found}
    resolved_language = lang or (next(iter(languages)) if len(languages) == 1 else None)
    return TemplateVerdict(
        distinct[0],
        resolved_language,
        tuple(warnings),
        risk and not assume_recategorized,
        match.name,
    )


def default_classifier() -> Classifier | None:
    """The packaged classifier (`wacost.classify`), loading its word lists on first use only."""
    try:
        from wacost.classify import classify_template
    except ImportError:  # the classifier ships with the package; this only guards partial checkouts
        return None

    def classify(template: TemplateDef) -> Any:
        # the model is loaded on the first verdict asked for, once a process (classify's cache):
        # only campaigns that need a verdict pay for it
        return classify_template(template.raw)

    return classify
