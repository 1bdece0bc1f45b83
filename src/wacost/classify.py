"""Put a WhatsApp message template in Meta's categories, with reasons and a calibrated confidence.

Meta's rules are the spec:

* **authentication** is a one-time passcode in Meta's fixed shape (a copy-code, one-tap or
  zero-tap OTP button; "{{1}} is your verification code", an optional security notice
  and expiry) and nothing else;
* **utility** is triggered by, and specific to, the user's own transaction, account,
  order, booking or request, with nothing promotional;
* anything promotional, mixed (an order update with a coupon) or unclear is **marketing**.

The verdict weighs evidence in context: a multinomial logistic regression over
interpretable features (words, word stems and word pairs, lexicon concepts in 14 languages
and the words around them, buttons and their types, placeholders, promo cues; see
:mod:`wacost.classifier.features`). Its weights were learned from a labelled corpus by
``scripts/train_classifier.py`` and ship as ``wacost/classifier/model.json``; inference is
plain Python. The confidence is calibrated (temperature scaling fitted on the out-of-fold
scores of the training split's real templates), and the reasons are the features that decided the verdict, each
quoting the template's own words.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wacost.classifier.features import Evidence, Lexicon, extract
from wacost.classifier.text import normalize_text, read_template
from wacost.errors import WacostError

__all__ = [
    "CATEGORIES",
    "Classification",
    "ClassifierDataError",
    "ClassifierRules",
    "classify_template",
    "classify_templates",
    "declared_category",
    "load_classifier_rules",
    "normalize_text",
]

MARKETING = "marketing"
UTILITY = "utility"
AUTHENTICATION = "authentication"
CATEGORIES: tuple[str, ...] = (MARKETING, UTILITY, AUTHENTICATION)
MODEL_PATH = Path(__file__).resolve().parent / "classifier" / "model.json"
MODEL_FORMAT = "wacost-classifier/1"
_MAX_REASONS = 3
_MIN_CONTRIBUTION = 0.05  # a feature that moves the verdict less than this is not a reason
_MAX_CONFIDENCE = 0.99  # a learned model is never certain
# Features that tip a verdict but say little to a reader: shown only when nothing else is.
_GENERIC = (
    "s:placeholders_",
    "s:other_variables_",
    "s:no_body_variables",
    "s:length_",
    "w:{{}}",
    "w:!",
    "w:?",
    "w:#",
    "w:<n>",
    "b:{{}}",
)
# Shape features whose evidence is a span of the text: what the quote shows.
_SHAPES = {"own_reference": "a reference to the user's own item"}


class ClassifierDataError(WacostError, ValueError):
    """The classifier's model file is unreadable or malformed.

    A :class:`~wacost.errors.WacostError`, so the CLI reports it as one line and exit 2;
    also a ``ValueError`` for callers that catch that. The message is kept on one line.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(" ".join(message.split()), hint)


@dataclass(frozen=True)
class ClassifierRules:
    """A loaded model: learned weights, the concept lexicon and the calibration."""

    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    temperature: float
    weights: Mapping[str, Sequence[float]]
    lexicon: Lexicon
    source: str
    prefix: int = 0  # word stems the model reads (``p:`` features): their length, 0 for none
    ngrams: tuple[int, int] = (0, 0)  # runs of letters in words (``g:`` features), (0, 0): none


def load_classifier_rules(path: Path | None = None) -> ClassifierRules:
    """Load the shipped model, or the model file at `path` (written by the training script).

    Raises :class:`ClassifierDataError` naming the file and what is wrong.
    """
    where = str(path) if path is not None else "wacost/classifier/model.json"
    try:
        # bytes: json decodes them several times faster than a text file's reader does
        data = json.loads(Path(path or MODEL_PATH).read_bytes())
    except OSError as exc:
        raise ClassifierDataError(f"{where}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassifierDataError(f"{where}: not valid JSON: {exc}") from None
    try:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"format must be {MODEL_FORMAT!r}")
        classes = tuple(str(c) for c in data["classes"])
        if sorted(classes) != sorted(CATEGORIES):
            raise ValueError(f"classes must be {', '.join(CATEGORIES)}")
        names = str(data["features"]).split("\t")
        weights = _weights(data["weights"], names, len(classes), where)
        return ClassifierRules(
            classes=classes,
            intercept=tuple(float(v) for v in data["intercept"]),
            temperature=float(data["temperature"]),
            weights=weights,
            lexicon=Lexicon.from_json(data["lexicon"]),
            source=where,
            prefix=int(data.get("prefix", 0)),
            ngrams=_ngrams(data.get("ngrams", [0, 0])),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ClassifierDataError(f"{where}: not a wacost classifier model: {exc}") from None


class _Weights(Mapping[str, Sequence[float]]):
    """Feature name -> one weight per class, each row read from its text when first asked
    for: a template uses a few hundred of the model's thousands of features, so loading the
    model does not convert every number."""

    def __init__(self, rows: dict[str, str], size: int, where: str) -> None:
        self._rows = rows
        self._parsed: dict[str, tuple[float, ...]] = {}
        self._size = size
        self._where = where

    def __getitem__(self, name: str) -> tuple[float, ...]:
        row = self._parsed.get(name)
        if row is None:
            text = self._rows[name]
            try:
                row = tuple(float(v) for v in text.split(" "))
            except ValueError:
                row = ()
            if len(row) != self._size:
                raise ClassifierDataError(
                    f"{self._where}: not a wacost classifier model: the weights of {name!r} "
                    f"must be {self._size} numbers, not {text!r}"
                )
            self._parsed[name] = row
        return row

    def get(self, name: str, default: Any = None) -> Any:  # no exception for a miss
        row = self._parsed.get(name)
        if row is not None:
            return row
        return self[name] if name in self._rows else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, name: object) -> bool:
        return name in self._rows


def _weights(
    value: object, names: list[str], size: int, where: str
) -> Mapping[str, Sequence[float]]:
    """The model's weights: a string of one row per feature (tab-separated, the numbers of
    a row separated by spaces), or a flat list of numbers (one per class for each feature)."""
    if isinstance(value, str):
        rows = value.split("\t")
        if len(rows) != len(names) or value.count(" ") != (size - 1) * len(names):
            raise ValueError("weights must hold one number per class for each feature")
        return _Weights(dict(zip(names, rows)), size, where)
    if not isinstance(value, list) or len(value) != size * len(names):
        raise ValueError("weights must hold one number per class for each feature")
    return {name: value[i * size : i * size + size] for i, name in enumerate(names)}


def _ngrams(value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("ngrams must be [shortest, longest]")
    low, high = (int(v) for v in value)
    if not 0 <= low <= high <= 10 or (high and not low):
        raise ValueError("ngrams must be [shortest, longest] between 1 and 10, or [0, 0]")
    return low, high


_DEFAULT_RULES: ClassifierRules | None = None


def _default_rules() -> ClassifierRules:
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_classifier_rules()
    return _DEFAULT_RULES


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Classification:
    """The classifier's verdict on one template."""

    name: str
    language: str | None
    declared_category: str | None  # lower case, as the definition carries it, or None
    category: str  # the verdict: "marketing", "utility" or "authentication"
    confidence: float  # calibrated probability of the verdict, rounded to 2 decimals
    reasons: tuple[str, ...]
    marketing_probability: float = 0.0  # calibrated P(marketing), rounded to 2 decimals

    @property
    def disagrees(self) -> bool:
        """True when the template declares a category other than the verdict."""
        return self.declared_category is not None and self.declared_category != self.category

    @property
    def recategorization_risk(self) -> bool:
        """True when a utility or authentication template reads as marketing.

        Meta re-categorizes such templates to MARKETING (and bills them as marketing);
        :attr:`marketing_probability` says how likely that is.
        """
        return self.declared_category in (UTILITY, AUTHENTICATION) and self.category == MARKETING

    def to_dict(self) -> dict[str, object]:
        """Return the `classify --format json` object for this template."""
        return {
            "name": self.name,
            "language": self.language,
            "declared_category": self.declared_category,
            "category": self.category,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "recategorization_risk": self.recategorization_risk,
        }


def declared_category(template: Mapping[str, Any]) -> str | None:
    """The category the template declares, lower case, or None."""
    value = template.get("category")
    if isinstance(value, str) and value.strip().lower() in CATEGORIES:
        return value.strip().lower()
    return None


# --------------------------------------------------------------------------- scoring


def probabilities(rules: ClassifierRules, values: Mapping[str, float]) -> list[float]:
    """Calibrated class probabilities (in ``rules.classes`` order) for a feature vector."""
    scores = list(rules.intercept)
    for name, value in values.items():
        row = rules.weights.get(name)
        if row is not None:
            for k, weight in enumerate(row):
                scores[k] += value * weight
    top = max(scores)
    exps = [math.exp((s - top) / rules.temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _quote(text: str, evidence: Evidence) -> str:
    if isinstance(evidence, str):
        return ""
    snippet = " ".join(text[evidence[0] : evidence[1]].split())
    return snippet if len(snippet) <= 60 else snippet[:57] + "..."


def _describe(name: str, quote: str, evidence: Evidence, rules: ClassifierRules, side: str) -> str:
    kind, _, rest = name.partition(":")
    if kind == "s":
        if isinstance(evidence, str):
            return evidence
        shape = _SHAPES.get(rest, rest.replace("_", " "))
        return f'{shape}: "{quote}"' if quote else shape
    if kind == "l":
        for key, _, reason in rules.lexicon.concepts:
            if key == rest:
                return f'{reason}: "{quote}"' if quote else f"{reason} ({evidence})"
    if kind == "k":
        what = {
            MARKETING: "promotional content",
            UTILITY: "about the user's own business",
            AUTHENTICATION: "one-time code wording",
        }
        return f'{what.get(rest, rest)}: "{quote}"'
    if kind in ("f", "z"):
        return f'{"opens with" if kind == "f" else "ends on"} {rest} wording: "{quote}"'
    if kind == "n":
        return f'"{quote}" ({rest.replace("+", " next to ")} reads as {side})'
    if kind == "c":
        return f'"{quote}" in context reads as {side}'
    where = {"bw": "button", "fw": "footer"}.get(kind, "")
    return f'{side} {where + " " if where else ""}wording: "{quote}"'


def _reasons(
    rules: ClassifierRules,
    text: str,
    values: Mapping[str, float],
    evidence: Mapping[str, Evidence],
    verdict: int,
    other: int,
) -> list[str]:
    """The features that pushed the verdict over the runner-up, strongest first."""
    side = rules.classes[verdict]
    share: dict[str, float] = {}
    for name, value in values.items():
        row = rules.weights.get(name)
        if row is not None:
            share[name] = value * (row[verdict] - row[other])
    # A concept count (k:utility) is credited to the concepts it counted: quote those.
    concepts = {key: category for key, category, _ in rules.lexicon.concepts}
    for name in [n for n in share if n.startswith("k:")]:
        counted = [n for n in values if n.startswith("l:") and concepts.get(n[2:]) == name[2:]]
        part = share.pop(name) / max(1, len(counted))
        for concept in counted:
            share[concept] = share.get(concept, 0.0) + part
    # Runs of letters (g:) are credited to the word that holds them, as one reason.
    evidence = dict(evidence)
    for name in [n for n in share if n.startswith("g:")]:
        span = evidence[name]
        word = f"g:{span[0]}-{span[1]}" if isinstance(span, tuple) else name
        evidence[word] = span
        share[word] = share.get(word, 0.0) + share.pop(name)
    scored = [(contribution, name) for name, contribution in share.items()]
    # Informative evidence first, strongest first; generic cues only if nothing else.
    scored.sort(key=lambda item: (item[1].startswith(_GENERIC), -item[0], item[1]))
    reasons: list[str] = []
    quoted: list[str] = []
    for contribution, name in scored:
        if contribution < _MIN_CONTRIBUTION or len(reasons) >= _MAX_REASONS:
            continue
        if reasons and name.startswith(_GENERIC):
            break
        quote = _quote(text, evidence[name])
        if quote and any(quote.casefold() in q.casefold() for q in quoted):
            continue  # already shown inside a longer quote
        if quote:
            quoted.append(quote)
        reason = _describe(name, quote, evidence[name], rules, side)
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def classify_template(
    template: Mapping[str, Any], rules: ClassifierRules | None = None
) -> Classification:
    """Return the category Meta would most likely give `template`, with reasons.

    `template` is one object of Meta's ``GET /<WABA_ID>/message_templates`` response.
    Missing or odd fields are treated as absent; this never raises on template content.
    """
    if rules is None:
        rules = _default_rules()
    if not isinstance(template, Mapping):
        template = {}
    name = template.get("name")
    language = template.get("language")
    declared = declared_category(template)
    parts = read_template(template)
    values, evidence = extract(parts, rules.lexicon, declared, rules.prefix, rules.ngrams)
    probs = probabilities(rules, values)
    if "s:otp_button" in values:
        # Only authentication templates can carry an OTP button (Meta's fixed shape): such a
        # template is authentication, or marketing when it also promotes something.
        probs[rules.classes.index(UTILITY)] = 0.0
        total = sum(probs)
        probs = [p / total for p in probs]
    ranked = sorted(range(len(probs)), key=lambda k: -probs[k])
    verdict, other = ranked[0], ranked[1]
    category = rules.classes[verdict]
    reasons = _reasons(rules, parts.text, values, evidence, verdict, other)
    if category == AUTHENTICATION and "s:otp_button" in values:
        shape = str(evidence["s:otp_button"])
        reasons = [shape, *(r for r in reasons if r != shape)][:_MAX_REASONS]
    if category == MARKETING:
        utility = rules.classes.index(UTILITY)
        also = _reasons(rules, parts.text, values, evidence, utility, verdict)[:1]
        if also and not also[0].startswith(("utility wording", "nothing")):
            reasons.append(f"also {also[0]} (mixed content counts as marketing)")
        if "s:no_words" in values:
            reasons.append("no real content, only placeholders: unclear content is marketing")
        elif not reasons or probs[verdict] < 0.6:
            reasons.append("no clear transactional or one-time-code purpose: unclear is marketing")
    elif category == UTILITY and probs[rules.classes.index(MARKETING)] < 0.2:
        reasons.append("nothing promotional")
    return Classification(
        name=name.strip() if isinstance(name, str) and name.strip() else "(unnamed)",
        language=language.strip() if isinstance(language, str) and language.strip() else None,
        declared_category=declared,
        category=category,
        confidence=round(min(probs[verdict], _MAX_CONFIDENCE), 2),
        reasons=tuple(reasons),
        marketing_probability=round(probs[rules.classes.index(MARKETING)], 2),
    )


def classify_templates(
    templates: Iterable[Mapping[str, Any]], rules: ClassifierRules | None = None
) -> list[Classification]:
    """Classify many templates with one loaded model."""
    if rules is None:
        rules = _default_rules()
    return [classify_template(template, rules) for template in templates]
