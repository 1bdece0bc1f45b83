"""Recategorization risk in the estimate, and `wacost classify` on the sample templates."""

from __future__ import annotations

from decimal import Decimal as D

from tests.conftest import SAMPLES, write

TEMPLATES = SAMPLES / "templates.json"


def sample(wacost, *args):
    run = wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        "2026-11-25",
        "--format",
        "json",
        *args,
    )
    assert run.exit_code == 0, run.stderr
    return run.json()


def test_sample_exposure_worked_out_by_hand(wacost):
    report = sample(wacost)
    # cart_reminder is declared utility but offers 10% off: if Meta moves it to marketing,
    # UK 8 x (0.0635 - 0.0220) + Indonesia 10 x (0.0411 - 0.0250) + Saudi Arabia 7 x (0.0576 - 0.0107)
    expected = (
        8 * (D("0.0635") - D("0.0220"))
        + 10 * (D("0.0411") - D("0.0250"))
        + 7 * (D("0.0576") - D("0.0107"))
    )
    risk = report["recategorization_risk"]
    assert risk["extra_cost"] == str(expected) == "0.8213"
    assert risk["templates"] == [
        {"template": "cart_reminder", "language": "en_US", "messages": 25, "extra_cost": "0.8213"}
    ]
    warning = next(w for w in report["warnings"] if w["code"] == "recategorization_risk")
    assert warning["count"] == 25 and "cart_reminder" in warning["message"]


def test_assume_recategorized_prices_them_as_marketing(wacost):
    base = sample(wacost)
    moved = sample(wacost, "--assume-recategorized")
    assert D(moved["totals"]["cost"]) == D(base["totals"]["cost"]) + D("0.8213") == D("9.3966")
    cart = [t for t in moved["by_template"] if t["template"] == "cart_reminder"]
    assert cart[0]["category"] == "marketing"


def test_exposure_in_every_format(wacost):
    for fmt in ("table", "markdown", "csv"):
        run = wacost(
            "estimate",
            SAMPLES / "campaign.csv",
            "--templates",
            TEMPLATES,
            "--date",
            "2026-11-25",
            "--format",
            fmt,
        )
        assert "0.8213" in run.stdout, fmt


def test_template_without_category_is_classified(wacost, tmp_path):
    templates = write(
        tmp_path / "t.yaml",
        """
- name: flash_sale
  language: en_US
  components:
    - {type: BODY, text: "Flash sale! 30% off all shoes this weekend only. Shop now!"}
- name: otp
  language: en_US
  components:
    - {type: BODY, text: "{{1}} is your verification code. For your security, do not share this code."}
    - {type: BUTTONS, buttons: [{type: OTP, otp_type: COPY_CODE, text: Copy code}]}
""",
    )
    campaign = write(
        tmp_path / "c.csv", "phone,template\n+919876543210,flash_sale\n+919876543211,otp\n"
    )
    run = wacost(
        "estimate", campaign, "--templates", templates, "--date", "2026-11-25", "--format", "json"
    )
    report = run.json()
    assert report["totals"]["cost"] == str(D("0.0118") + D("0.0014"))
    codes = [w["code"] for w in report["warnings"]]
    assert codes.count("classified_template") == 2


def test_classify_json_follows_the_contract(wacost):
    run = wacost("classify", TEMPLATES, "--format", "json")
    assert run.exit_code == 0, run.stderr
    results = run.json()
    assert len(results) == 9
    for item in results:
        assert set(item) == {
            "name",
            "language",
            "declared_category",
            "category",
            "confidence",
            "reasons",
            "recategorization_risk",
        }
        assert item["recategorization_risk"] is (item["name"] == "cart_reminder")
        assert 0.0 <= item["confidence"] <= 1.0 and item["reasons"]
    verdicts = {(r["name"], r["language"]): r["category"] for r in results}
    assert verdicts[("login_code", "en_US")] == "authentication"
    assert verdicts[("cart_reminder", "en_US")] == "marketing"
    assert verdicts[("order_shipped", "en_US")] == "utility"
    assert verdicts[("spring_sale", "de")] == "marketing"


def test_classify_table_flags_disagreements(wacost):
    run = wacost("classify", TEMPLATES)
    assert run.exit_code == 0
    cart_line = next(line for line in run.stdout.splitlines() if "cart_reminder" in line)
    assert "⚠" in cart_line
    assert "declared category differs" in run.stdout
