"""Tests for wacost.classifier.features: words in every script, the OTP preset shape, word stems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wacost.classifier.features import extract, is_letters, is_word
from wacost.classifier.text import read_template
from wacost.classify import (
    MODEL_PATH,
    ClassifierDataError,
    classify_template,
    load_classifier_rules,
)

RULES = load_classifier_rules()


def _features(text: str, prefix: int = 0) -> tuple[dict[str, float], dict[str, object], str]:
    template = {"components": [{"type": "BODY", "text": text}]}
    parts = read_template(template)
    values, evidence = extract(parts, RULES.lexicon, None, prefix)
    return values, dict(evidence), parts.text


def test_words_with_vowel_signs_are_words() -> None:
    # Devanagari vowel signs are combining marks: str.isalnum() is False on "आपका".
    assert not "आपका".isalnum()
    assert is_word("आपका") and is_letters("आपका") and is_word("ऑर्डर2") and not is_letters("ऑर्डर2")
    assert not is_word("!") and not is_word("\u093e")  # a lone vowel sign is not a word
    values, _, _ = _features("आपका ऑर्डर {{1}} भेज दिया गया है और कल तक पहुँच जाएगा।")
    assert {"w:आपका", "w:ऑर्डर", "b:आपका ऑर्डर"} <= values.keys()
    assert "s:length_short" in values and "s:no_words" not in values


def test_an_otp_button_with_the_preset_text_reads_as_authentication() -> None:
    template = {
        "name": "login_code",
        "category": "AUTHENTICATION",
        "components": [
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ZERO_TAP"}]},
        ],
    }
    values, _ = extract(read_template(template), RULES.lexicon, "authentication")
    assert "s:preset_text" in values
    assert not any(name.startswith(("s:length_", "s:placeholders_")) for name in values)
    result = classify_template(template, RULES)
    assert result.category == "authentication", result.reasons
    assert result.reasons[0] == "an OTP button (zero-tap)"


def test_word_stems_only_when_asked_and_quote_the_whole_word() -> None:
    text = "La sua Prenotazione è confermata. Altre prenotazioni: {{1}}"
    values, _, _ = _features(text)
    assert not any(name.startswith("p:") for name in values)
    values, evidence, full = _features(text, prefix=5)
    assert "p:preno" in values and "p:confe" in values
    assert "p:altre" not in values  # "altre" is not longer than the stem
    start, end = evidence["p:preno"]  # type: ignore[misc]
    assert full[start:end] == "Prenotazione"


def test_a_model_with_word_stems_explains_them_with_the_word(tmp_path: Path) -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["prefix"] = 6
    names = data["features"].split("\t")
    data["features"] = "\t".join([*names, "p:zorgle"])
    data["weights"] += "\t-3.0 6.0 -3.0"  # marketing, utility, authentication
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = load_classifier_rules(path)
    assert rules.prefix == 6
    template = {"components": [{"type": "BODY", "text": "Zorglebert {{1}}"}]}
    result = classify_template(template, rules)
    assert result.category == "utility"
    assert any('"Zorglebert"' in reason for reason in result.reasons), result.reasons


def test_letter_runs_only_when_asked_and_credited_to_their_word(tmp_path: Path) -> None:
    values, _, _ = _features("Your Lieferstatus: {{1}}")
    assert not any(name.startswith("g:") for name in values)
    template = {"components": [{"type": "BODY", "text": "Your Lieferstatus: {{1}}"}]}
    values, found = extract(read_template(template), RULES.lexicon, None, 0, (3, 4))
    assert {"g:<li", "g:lie", "g:<lie", "g:us>", "g:tus>"} <= values.keys()
    start, end = found["g:lie"]  # type: ignore[misc]
    assert "Your Lieferstatus: {{1}}"[start:end] == "Lieferstatus"
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["ngrams"] = [3, 4]
    data["features"] += "\tg:<zo\tg:zor\tg:org"
    data["weights"] += "\t-1.0 2.0 -1.0" * 3
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = load_classifier_rules(path)
    assert rules.ngrams == (3, 4)
    result = classify_template(
        {"components": [{"type": "BODY", "text": "Zorglebert {{1}}"}]}, rules
    )
    assert result.category == "utility"
    # three runs of letters, one reason quoting the word that holds them
    assert sum('"Zorglebert"' in reason for reason in result.reasons) == 1, result.reasons


SAMPLE = {
    "category": "UTILITY",
    "components": [
        {"type": "BODY", "text": "Your order {{1}} has shipped! Use SAVE10 for 10% off."},
        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track order"}]},
    ],
}


def test_a_model_in_the_older_storage_classifies_the_same(tmp_path: Path) -> None:
    """Weights as a flat list of numbers and a lexicon without its phrase heads (the
    storage before the sixth session) give the same model as the compact storage."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert isinstance(data["weights"], str) and "starters" in data["lexicon"]
    rows = data["weights"].split("\t")
    data["weights"] = [float(v) for row in rows for v in row.split(" ")]
    del data["lexicon"]["starters"], data["lexicon"]["seconds"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    older = load_classifier_rules(path)
    assert older.lexicon.starters == RULES.lexicon.starters
    assert older.lexicon.seconds == RULES.lexicon.seconds
    assert len(older.weights) == len(RULES.weights) == len(rows)
    name = next(iter(RULES.weights))
    assert list(older.weights[name]) == list(RULES.weights[name])
    assert classify_template(SAMPLE, older) == classify_template(SAMPLE, RULES)


@pytest.mark.parametrize(
    ("weights", "message"),
    [("0.1 0.2 0.3", "one number per class"), (["0.1"], "one number per class")],
)
def test_a_model_with_the_wrong_number_of_weights_names_the_file(
    tmp_path: Path, weights: object, message: str
) -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["weights"] = weights
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ClassifierDataError, match=message) as caught:
        load_classifier_rules(path)
    assert str(path) in str(caught.value)


def test_a_weight_that_is_not_a_number_names_the_file_and_feature(tmp_path: Path) -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    names = data["features"].split("\t")
    rows = data["weights"].split("\t")
    rows[names.index("l:order")] = "0.1 x 0.3"
    data["weights"] = "\t".join(rows)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = load_classifier_rules(path)  # rows are read when first used
    with pytest.raises(ClassifierDataError, match="l:order") as caught:
        classify_template(SAMPLE, rules)
    assert str(path) in str(caught.value)


def test_a_model_with_bad_ngrams_names_the_file(tmp_path: Path) -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["ngrams"] = [5, 3]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ClassifierDataError, match="ngrams"):
        load_classifier_rules(path)


def _template_features(template: dict[str, object]) -> tuple[dict[str, float], dict[str, object]]:
    values, evidence = extract(read_template(template), RULES.lexicon, None)
    return values, dict(evidence)


def test_a_reference_to_the_users_own_item_is_quoted() -> None:
    values, evidence, text = _features("Hi {{1}}, your order #{{2}} has shipped.")
    assert "s:own_reference" in values and "s:no_own_reference" not in values
    start, end = evidence["s:own_reference"]  # type: ignore[misc]
    assert text[start:end] == "#{{2}}"
    # the greeting's name is not what the template is about: one other variable
    assert "s:other_variables_1" in values and "s:greeting_name_only" not in values
    # a link personal to the user (a variable in a URL button) is a reference too
    values, evidence = _template_features(
        {
            "components": [
                {"type": "BODY", "text": "Hello {{1}}, track it below."},
                {
                    "type": "BUTTONS",
                    "buttons": [{"type": "URL", "text": "Track", "url": "https://t.example/{{1}}"}],
                },
            ]
        }
    )
    assert "a link personal to the user" in str(evidence["s:own_reference"])


@pytest.mark.parametrize(
    "text", ["Hi {{1}}, we're live! Join us today.", "Olá {{1}}! Temos novidades para você 🎉"]
)
def test_only_a_greeting_name_and_nothing_of_the_users_own(text: str) -> None:
    values, _ = _template_features(
        {"components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": text}]}
    )
    assert {"s:no_own_reference", "s:greeting_name_only", "s:unanchored_image"} <= values.keys()
    assert "s:other_variables_0" in values and "s:own_reference" not in values


def test_an_otp_template_gets_no_reference_features() -> None:
    values, _ = _template_features(
        {
            "components": [
                {"type": "BODY", "text": "{{1}} is your verification code."},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]},
            ]
        }
    )
    assert not any(
        name.startswith(("s:own_", "s:no_own_", "s:unanchored_", "s:other_variables_"))
        for name in values
    )


def test_the_reason_quotes_the_reference() -> None:
    from wacost.classify import _describe

    text = "Your invoice #{{1}} of {{2}} is paid."
    _, evidence = _template_features({"components": [{"type": "BODY", "text": text}]})
    span = evidence["s:own_reference"]
    assert isinstance(span, tuple)
    quote = text[span[0] : span[1]]
    reason = _describe("s:own_reference", quote, span, RULES, "utility")
    assert reason == f'a reference to the user\'s own item: "{quote}"'
    assert classify_template({"components": [{"type": "BODY", "text": text}]}).category == "utility"


def test_the_opening_and_closing_concepts_skip_the_footer() -> None:
    template = {
        "components": [
            {
                "type": "BODY",
                "text": "Your order #{{1}} has shipped. Get 20% off with code SAVE20!",
            },
            {"type": "FOOTER", "text": "Reply STOP to unsubscribe"},
        ]
    }
    values, evidence = _template_features(template)
    text = read_template(template).text
    assert values.get("f:utility") == 1.0 and values.get("z:marketing") == 1.0
    start, end = evidence["z:marketing"]  # type: ignore[misc]
    assert text[start:end] == "code SAVE20"  # the footer's opt-out is not the call to action
    start, end = evidence["f:utility"]  # type: ignore[misc]
    assert text[start:end] == "Your order"
    from wacost.classify import _describe

    reason = _describe("z:marketing", "code SAVE20", (start, end), RULES, "marketing")
    assert reason == 'ends on marketing wording: "code SAVE20"'


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Hi {{1}}, your quote for {{2}} is ready. View and accept here: {{3}}", "quote_ready"),
        ("Olá {{1}}, a cotação que você pediu ficou pronta.", "quote_ready"),
        ("Hola {{1}}, necesitamos donantes esta semana. ¡Dona ahora!", "donation_appeal"),
        ("Did you know? We've opened a new store near you.", "awareness"),
        ("Le saviez-vous ? Nous venons d'ouvrir une boutique.", "awareness"),
        # Marathi: postpositions written onto the noun ("ऑर्डरची", "खात्यात")
        ("नमस्कार {{1}}, तुमच्या ऑर्डरची डिलिव्हरी आज होईल.", "order"),
        ("तुमच्या खात्यात {{1}} रुपये जमा झाले आहेत.", "account"),
    ],
)
def test_recategorization_families_and_marathi_are_concepts(text: str, concept: str) -> None:
    values, evidence, original = _features(text)
    assert "l:" + concept in values
    start, end = evidence["l:" + concept]  # type: ignore[misc]
    assert original[start:end].strip()  # quoted from the template


def test_an_accepted_quote_and_a_donation_receipt_are_not_the_families() -> None:
    values, _, _ = _features("Hi {{1}}, your quote no. {{2}} was accepted on {{3}}.")
    assert "l:quote_ready" not in values
    values, _, _ = _features("Thank you for your donation of {{1}}. Receipt no. {{2}}.")
    assert "l:donation_appeal" not in values
