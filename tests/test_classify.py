"""Tests for wacost.classify: the learned template classifier, its model file and its corpus.

Figures on the train split are regression guards (the model was fitted on it); dev figures
guard what was measured while developing. The blind split is not scored here (see
scripts/classifier_accuracy.py --blind). Floors are the measured figures rounded down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wacost.classify import (
    CATEGORIES,
    Classification,
    ClassifierDataError,
    ClassifierRules,
    classify_template,
    classify_templates,
    load_classifier_rules,
    normalize_text,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from train_classifier import RULE, RULES, load_examples  # noqa: E402

UNSEEN_PATH = Path(__file__).parent / "data" / "classifier_unseen.yaml"


@pytest.fixture(scope="module")
def rules() -> ClassifierRules:
    return load_classifier_rules()


def body(
    text: str,
    *,
    category: str | None = "UTILITY",
    language: str = "en_US",
    buttons: list[dict[str, Any]] | None = None,
    name: str = "t",
) -> dict[str, Any]:
    template: dict[str, Any] = {
        "name": name,
        "language": language,
        "components": [{"type": "BODY", "text": text}],
    }
    if category is not None:
        template["category"] = category
    if buttons:
        template["components"].append({"type": "BUTTONS", "buttons": buttons})
    return template


# --------------------------------------------------------------------------- corpus floors


def _scores(split: str, rules: ClassifierRules) -> dict[str, tuple[int, int]]:
    examples = load_examples((split,))
    if split == "train":  # the templates the training data rule fits (see RULE)
        examples = [e for e, w in zip(examples, RULES[RULE](examples)) if w > 0]
    tally: dict[str, list[int]] = {c: [0, 0] for c in (*CATEGORIES, "all")}
    for example in examples:
        right = classify_template(example["template"], rules).category == example["label"]
        for key in (example["label"], "all"):
            tally[key][0] += right
            tally[key][1] += 1
    return {key: (hits, total) for key, (hits, total) in tally.items()}


# (split, overall, utility right, marketing caught); authentication must be all right.
# Regression guards a little under what was measured. Train counts the templates the model
# is fitted on: the training data rule (scripts/train_classifier.py, RULE) leaves out the
# 364 labels read from developers' reports (fitted: 2113/2116, utility 99.7 %, marketing
# 100 %). Dev: 88.7/91.9/79.9 %. Dev is not a held-out figure: its errors were read while
# writing the Meta-strict and utility-side lexicons and contrasts; blind is. The dev floors
# fell twice as harder real data joined dev: in the fourth session (34 real templates, 23/34
# right: overall 0.92 -> 0.91, marketing 0.85 -> 0.82), and in the fifth (50 real templates in
# 13 new groups of developers' reports of Meta's verdicts, mostly Spanish and Portuguese:
# 28/50 right; overall 0.91 -> 0.88, utility 0.94 -> 0.90). In the sixth the marketing floor
# fell 0.82 -> 0.80: the training data rule chosen on dev (real templates 298 -> 303/361, log
# loss 0.316 -> 0.303) catches 4 fewer of dev's 170 marketing templates (141 -> 137) and gets
# 9 more utility ones right (330 -> 339); then to 0.78 when the sixth session's 51 real dev
# templates (7 new groups, 19 marketing) joined: 43/51 right, marketing 14/19; dev as a whole
# 552/622 = 88.7 %, utility 91.9 %, marketing 151/189 = 79.9 % (its earlier 170: 137).
FLOORS = [("train", 0.99, 0.99, 0.99), ("dev", 0.88, 0.90, 0.78)]


@pytest.mark.parametrize(("split", "overall", "utility", "marketing"), FLOORS)
def test_accuracy_floors_on_the_corpus(
    split: str, overall: float, utility: float, marketing: float, rules: ClassifierRules
) -> None:
    scores = _scores(split, rules)
    assert scores["all"][1] >= 100, scores
    rate = {key: hits / total for key, (hits, total) in scores.items() if total}
    assert rate["all"] >= overall, scores
    assert rate["utility"] >= utility, scores
    assert rate["marketing"] >= marketing, scores
    assert scores["authentication"][0] == scores["authentication"][1], scores


def test_unseen_hand_written_cases(rules: ClassifierRules) -> None:
    """The old word-list tests' sentences (never trained on): at least 90 % right."""
    cases = yaml.safe_load(UNSEEN_PATH.read_text(encoding="utf-8"))
    wrong = [
        case["text"]
        for case in cases
        if classify_template(body(case["text"], language=case["language"]), rules).category
        != case["label"]
    ]
    assert len(cases) >= 80
    assert len(wrong) <= 0.1 * len(cases), wrong


def test_confidence_is_calibrated_on_dev(rules: ClassifierRules) -> None:
    """Where the model is more confident it is right more often (dev split: held out from
    the fit and from the temperature, which is fitted on train's real templates out of fold;
    the table is printed by scripts/classifier_accuracy.py)."""
    results = [
        (classify_template(e["template"], rules), e["label"]) for e in load_examples(("dev",))
    ]
    high = [r.category == label for r, label in results if r.confidence >= 0.9]
    low = [r.category == label for r, label in results if r.confidence < 0.9]
    assert high and low
    assert sum(high) / len(high) > sum(low) / len(low)
    assert sum(high) / len(high) >= 0.9


# --------------------------------------------------------------------------- authentication


PRESET_BODIES = {
    "en": "*{{1}}* is your verification code. For your security, do not share this code.",
    "es": "*{{1}}* es tu código de verificación. Por tu seguridad, no lo compartas.",
    "pt": "*{{1}}* é seu código de verificação. Para sua segurança, não o compartilhe.",
    "de": "*{{1}}* ist dein Verifizierungscode. Teile diesen Code aus Sicherheitsgründen mit niemandem.",
    "fr": "*{{1}}* est votre code de vérification. Pour votre sécurité, ne le partagez pas.",
    "it": "*{{1}}* è il tuo codice di verifica. Per la tua sicurezza, non condividerlo.",
    "nl": "*{{1}}* is je verificatiecode. Deel deze code niet, voor je eigen veiligheid.",
    "sv": "*{{1}}* är din verifieringskod. Dela inte den här koden av säkerhetsskäl.",
    "id": "*{{1}}* adalah kode verifikasi Anda. Demi keamanan, jangan bagikan kode ini.",
    "tr": "*{{1}}* doğrulama kodunuzdur. Güvenliğiniz için bu kodu kimseyle paylaşmayın.",
    "ar": "*{{1}}* هو رمز التحقق الخاص بك. للحفاظ على أمانك، لا تشارك هذا الرمز.",
    "hi": "*{{1}}* is your verification code. For your security, do not share this code.",
}
OTP_BUTTONS = {
    "otp_copy_code": {"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"},
    "otp_one_tap": {
        "type": "OTP",
        "otp_type": "ONE_TAP",
        "text": "Copy code",
        "autofill_text": "Autofill",
        "package_name": "com.example",
    },
    "otp_zero_tap": {"type": "otp", "otp_type": "zero_tap"},
    "copy_code": {"type": "COPY_CODE", "text": "Copy code"},
    "url_to_whatsapp_otp": {
        "type": "URL",
        "text": "Copy code",
        "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}",
    },
}


@pytest.mark.parametrize("language", sorted(PRESET_BODIES))
@pytest.mark.parametrize("button", sorted(OTP_BUTTONS))
@pytest.mark.parametrize("with_text", [True, False])
def test_preset_authentication_with_any_otp_button(
    language: str, button: str, with_text: bool, rules: ClassifierRules
) -> None:
    body_component: dict[str, Any] = {"type": "BODY", "add_security_recommendation": True}
    if with_text:
        body_component["text"] = PRESET_BODIES[language]
    template = {
        "name": "otp",
        "language": language,
        "category": "AUTHENTICATION",
        "components": [
            body_component,
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [OTP_BUTTONS[button]]},
        ],
    }
    result = classify_template(template, rules)
    assert result.category == "authentication", result.reasons
    # calibrated: a zero-tap button with no text at all is rare in the corpus
    assert result.confidence >= (0.75 if button == "otp_zero_tap" else 0.9)
    assert not result.disagrees
    assert any("OTP button" in reason or "copy-code button" in reason for reason in result.reasons)


def test_preset_bodies_in_russian_and_hindi_are_authentication(rules: ClassifierRules) -> None:
    for language, text in [
        (
            "ru",
            "*{{1}}* — ваш код подтверждения. В целях безопасности никому не сообщайте этот код.",
        ),
        ("hi", "*{{1}}* आपका सत्यापन कोड है। अपनी सुरक्षा के लिए इस कोड को किसी के साथ साझा न करें।"),
    ]:
        template = body(text, category="AUTHENTICATION", language=language)
        template["components"].append(
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}
        )
        result = classify_template(template, rules)
        assert result.category == "authentication", result.reasons
        assert result.reasons[0] == "an OTP button (copy-code)"


def test_otp_plus_promotion_is_marketing(rules: ClassifierRules) -> None:
    template = body(
        "{{1}} is your verification code. Get 20% off your next order with code NEW20!",
        category="AUTHENTICATION",
        buttons=[{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}],
    )
    result = classify_template(template, rules)
    assert result.category == "marketing", result.reasons
    assert result.recategorization_risk
    assert any('"20% off"' in reason for reason in result.reasons)


def test_otp_wording_without_a_button_is_authentication(rules: ClassifierRules) -> None:
    result = classify_template(
        body(
            "Your one-time password is {{1}}. It expires in 5 minutes. Do not share it.",
            category=None,
        ),
        rules,
    )
    assert result.category == "authentication"
    assert result.declared_category is None and not result.disagrees
    assert any('"one-time password"' in r for r in result.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Your parcel is in locker 12 at Central Station. Your pickup code is {{1}}. Do not share this code.",
        "Your booking reference is {{1}}. Check-in opens 24 hours before departure.",
        "Here is the gift card you purchased. Gift card code: {{1}}. Do not share this code.",
    ],
)
def test_codes_that_are_not_one_time_passcodes_are_not_authentication(
    text: str, rules: ClassifierRules
) -> None:
    assert classify_template(body(text), rules).category == "utility"


# --------------------------------------------------------------------------- Meta's contrasts


def test_order_update_with_a_promotional_tail_is_marketing(rules: ClassifierRules) -> None:
    result = classify_template(
        body("Your order #123 has shipped. Use code SAVE10 for 10% off your next order"), rules
    )
    assert result.category == "marketing"
    assert result.recategorization_risk and result.disagrees
    assert result.marketing_probability >= 0.5
    text = " | ".join(result.reasons)
    assert '"10% off"' in text
    assert "mixed content counts as marketing" in text


def test_plain_order_update_is_utility_with_nothing_promotional(rules: ClassifierRules) -> None:
    result = classify_template(
        body("Your order #123 has shipped and will be delivered on {{1}}."), rules
    )
    assert result.category == "utility"
    assert not result.recategorization_risk
    assert result.marketing_probability < 0.2
    assert "nothing promotional" in result.reasons
    # the order it refers to is quoted (the sixth session's model weighs "shipped" alone a
    # little towards marketing: shipped-and-coupon contrasts; the order reference decides)
    assert any(r.endswith('"Your order"') for r in result.reasons)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Your order {{1}} was delivered today. How was your delivery? Rate it below.", "utility"),
        # a discount or a cart nudge is marketing even when addressed to the user
        ("Hi {{1}}, you left items in your cart. Complete your purchase now!", "marketing"),
        ("Order now and get 20% off your first order!", "marketing"),
        ("Open an account today and get a $50 welcome bonus.", "marketing"),
        ("Upgrade your account to Premium and unlock exclusive features.", "marketing"),
        ("Congratulations!", "marketing"),
    ],
)
def test_meta_contrasts(text: str, label: str, rules: ClassifierRules) -> None:
    assert classify_template(body(text), rules).category == label


def test_only_placeholders_is_marketing(rules: ClassifierRules) -> None:
    result = classify_template(body("{{1}}"), rules)
    assert result.category == "marketing", result.reasons
    assert any("only placeholders" in r for r in result.reasons)


# --------------------------------------------------------------------------- reasons


def _quoted(reason: str) -> list[str]:
    return reason.split('"')[1::2]


@pytest.mark.parametrize("split", ["train", "dev"])
def test_every_verdict_has_reasons_that_quote_the_template(
    split: str, rules: ClassifierRules
) -> None:
    from wacost.classifier.text import read_template

    quoted = 0
    for example in load_examples((split,)):
        template = example["template"]
        result = classify_template(template, rules)
        assert result.reasons, result
        text = read_template(template).text
        for reason in result.reasons:
            for quote in _quoted(reason):
                quoted += 1
                assert quote.removesuffix("...") in " ".join(text.split()), (quote, text)
    assert quoted >= 100


def test_reasons_quote_the_original_text(rules: ClassifierRules) -> None:
    result = classify_template(
        body("¡REBAJAS! 20% de descuento en toda la tienda.", language="es"), rules
    )
    assert result.category == "marketing"
    joined = " ".join(result.reasons)
    assert '"REBAJAS"' in joined or '"20% de descuento"' in joined


def test_copy_code_button_on_a_marketing_template_is_a_coupon(rules: ClassifierRules) -> None:
    template = body(
        "Our spring sale is on. Use the code below at checkout.",
        category="MARKETING",
        buttons=[{"type": "COPY_CODE", "example": "SPRING25"}],
    )
    assert classify_template(template, rules).category == "marketing"


# --------------------------------------------------------------------------- shape


def test_to_dict_has_the_contract_keys_and_the_risk(rules: ClassifierRules) -> None:
    result = classify_template(
        {**body("Your invoice {{1}} is due on {{2}}."), "name": "invoice_due", "language": "en_GB"},
        rules,
    )
    data = result.to_dict()
    assert list(data) == [
        "name",
        "language",
        "declared_category",
        "category",
        "confidence",
        "reasons",
        "recategorization_risk",
    ]
    assert data["recategorization_risk"] is False
    assert data["name"] == "invoice_due" and data["language"] == "en_GB"
    assert data["declared_category"] == "utility" and data["category"] == "utility"
    assert isinstance(data["confidence"], float) and 0.0 <= data["confidence"] <= 1.0
    assert round(data["confidence"], 2) == data["confidence"]
    assert isinstance(data["reasons"], list) and all(isinstance(r, str) for r in data["reasons"])
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_declared_category_is_lower_case_or_none(rules: ClassifierRules) -> None:
    assert (
        classify_template(body("x", category="Marketing"), rules).declared_category == "marketing"
    )
    assert classify_template(body("x", category=None), rules).declared_category is None
    assert classify_template(body("x", category="SERVICE"), rules).declared_category is None


def test_disagrees_and_recategorization_risk() -> None:
    def make(declared: str | None, verdict: str) -> Classification:
        return Classification("t", "en", declared, verdict, 0.8, ("r",))

    assert make("utility", "marketing").recategorization_risk
    assert make("authentication", "marketing").recategorization_risk
    assert not make("marketing", "utility").recategorization_risk
    assert not make(None, "marketing").recategorization_risk
    assert make("marketing", "utility").disagrees
    assert not make(None, "utility").disagrees
    assert not make("utility", "utility").disagrees


def test_classification_is_frozen(rules: ClassifierRules) -> None:
    result = classify_template(body("Your order {{1}} has shipped."), rules)
    with pytest.raises(AttributeError):
        result.category = "marketing"  # type: ignore[misc]


# --------------------------------------------------------------------------- defensiveness


@pytest.mark.parametrize(
    "template",
    [
        {},
        {"name": None, "language": 5, "category": ["UTILITY"]},
        {"components": None},
        {"components": "BODY"},
        {"components": [None, 3, "x", [], {}]},
        {"components": [{"type": None, "text": "hello"}]},
        {"components": [{"type": "BODY", "text": None}]},
        {"components": [{"type": "BODY", "text": {"nested": True}}]},
        {"components": [{"type": "BUTTONS", "buttons": "OTP"}]},
        {"components": [{"type": "BUTTONS", "buttons": [None, 1, {"type": None}, {"text": 7}]}]},
        {"components": [{"type": "BUTTONS", "buttons": [{"type": "URL", "url": None}]}]},
        {"components": [{"type": "FOOTER", "code_expiration_minutes": "ten"}]},
        {"components": [{"type": "HEADER", "format": 12}]},
        {
            "components": [
                {"type": "CAROUSEL", "cards": [None, {"components": [None, {"text": 1}]}]}
            ]
        },
        {"category": "AUTHENTICATION", "components": [{"type": "BUTTONS", "buttons": [{}]}]},
    ],
)
def test_garbage_templates_do_not_raise(template: dict[str, Any], rules: ClassifierRules) -> None:
    result = classify_template(template, rules)
    assert result.category in CATEGORIES
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasons


def test_not_a_mapping_does_not_raise(rules: ClassifierRules) -> None:
    assert classify_template(None, rules).category == "marketing"  # type: ignore[arg-type]
    assert classify_template(["x"], rules).category == "marketing"  # type: ignore[arg-type]


def test_component_and_button_types_in_any_case(rules: ClassifierRules) -> None:
    template = {
        "name": "otp",
        "language": "en",
        "category": "authentication",
        "components": [
            {"type": "body", "add_security_recommendation": True},
            {"type": "Buttons", "buttons": [{"type": "Otp", "otp_type": "copy_code"}]},
        ],
    }
    result = classify_template(template, rules)
    assert result.category == "authentication"
    assert result.declared_category == "authentication"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "text",
                    "format",
                    "buttons",
                    "url",
                    "otp_type",
                    "components",
                    "add_security_recommendation",
                    "code_expiration_minutes",
                    "cards",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(components=json_values, category=json_values, name=json_values)
def test_any_json_never_raises(components: Any, category: Any, name: Any) -> None:
    result = classify_template({"name": name, "category": category, "components": components})
    assert result.category in CATEGORIES
    assert 0.0 <= result.confidence <= 1.0
    json.dumps(result.to_dict())


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_body_text_never_raises(text: str) -> None:
    result = classify_template(body(text))
    assert result.category in CATEGORIES


# --------------------------------------------------------------------------- model file


def test_normalization_strips_accents_but_keeps_other_scripts() -> None:
    assert normalize_text("Código de VERIFICAÇÃO") == "codigo de verificacao"
    assert normalize_text("SİPARİŞİNİZ ışık") == "siparisiniz isik"
    assert normalize_text("Straße") == "strasse"
    assert normalize_text("رَمْزُ التَّحَقُّق") == "رمز التحقق"
    assert normalize_text("कोड") == "कोड"


def test_shipped_model_records_how_it_was_trained(rules: ClassifierRules) -> None:
    from wacost.classify import MODEL_PATH

    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert data["meta"]["script"] == "scripts/train_classifier.py"
    assert sum(data["meta"]["trained_on"].values()) >= 400
    assert rules.temperature > 0 and len(rules.weights) >= 500
    concepts = {key for key, _, _ in rules.lexicon.concepts}
    assert {"discount", "order", "otp_code", "opt_out"} <= concepts


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "not a wacost classifier model"),
        ('{"format": "other"}', "format"),
        ('{"format": "wacost-classifier/1", "classes": ["a"]}', "classes"),
    ],
)
def test_bad_model_file_names_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ClassifierDataError) as caught:
        load_classifier_rules(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierDataError, match="cannot read"):
        load_classifier_rules(tmp_path / "missing.json")


def test_data_errors_are_wacost_errors() -> None:
    from wacost.errors import WacostError

    assert issubclass(ClassifierDataError, WacostError)
    assert issubclass(ClassifierDataError, ValueError)
    error = ClassifierDataError("model.json: not a wacost classifier model")
    assert str(error) == "model.json: not a wacost classifier model"


def test_cli_reports_a_broken_model_as_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from wacost import classify
    from wacost.cli import app

    broken = tmp_path / "model.json"
    broken.write_text("{", encoding="utf-8")
    monkeypatch.setattr(classify, "MODEL_PATH", broken)
    monkeypatch.setattr(classify, "_DEFAULT_RULES", None)
    samples = ROOT / "samples" / "templates.json"
    result = CliRunner().invoke(app, ["classify", str(samples)], catch_exceptions=False)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("wacost: error: wacost/classifier/model.json: not valid JSON")


def test_classify_templates_matches_one_by_one(rules: ClassifierRules) -> None:
    templates = [body("Your order {{1}} has shipped."), body("20% off everything!")]
    assert classify_templates(templates, rules) == [classify_template(t, rules) for t in templates]


def test_a_template_far_longer_than_meta_allows_is_read_in_bounds(wacost, tmp_path, monkeypatch):
    """A 320,000-character body took a minute to classify (the concept search grows faster
    than the text, and with the cube of a word's length): `classify` and an estimate of a
    template without a category seemed to hang. The classifier reads Meta's sizes, with room."""
    from wacost.classifier import features, lexicon, text

    body = "Hello {{1}}, your order " * 13_000 + "x" * 100_000
    button = {"type": "URL", "text": "y" * 50_000, "url": "https://" + "z" * 50_000}
    template = {
        "name": "huge",
        "language": "en_US",
        "components": [
            {"type": "BODY", "text": body},
            {"type": "BUTTONS", "buttons": [button] * 150},
        ],
    }
    parts = text.read_template(template)
    assert len(parts.text) <= text.MAX_TEMPLATE_TEXT
    assert all(len(value) <= text.MAX_TEXT for entry in parts.buttons for value in entry)
    assert len(parts.buttons) <= text.MAX_BUTTONS
    looked_up: list[int] = []
    lookup = features.Lexicon._lookup

    def measured(self: Any, words: Any, tables: str) -> list[int]:
        looked_up.append(max(len(word) for word in words))
        return lookup(self, words, tables)

    monkeypatch.setattr(features.Lexicon, "_lookup", measured)
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"data": [template]}))
    run = wacost("classify", path, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)[0]["name"] == "huge"
    assert looked_up and max(looked_up) <= lexicon.MAX_WORD
