"""Tests for wacost.classifier.text: normalization and tokens of scripts written without spaces.

Chinese, Japanese, Thai (and Lao, Khmer, Myanmar) runs become overlapping character bigrams,
each with a span that maps back to the original text, so features and reasons quote the
template as written. Korean keeps its spaced words.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wacost.classifier.features import Lexicon, extract
from wacost.classifier.text import normalize_text, prepare, read_template, term_tokens, tokenize


def _quoted(text: str) -> list[tuple[str, str]]:
    """(token, the original text its span covers) for every token of `text`."""
    prepared, index = prepare(text)
    return [
        (token, text[index[start] : index[end - 1] + 1]) for token, start, end in tokenize(prepared)
    ]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("您的订单已发货", ["您的", "的订", "订单", "单已", "已发", "发货"]),
        ("訂單 {{1}} 已出貨。", ["訂單", "{{}}", "已出", "出貨", "。"]),
        ("ご注文ありがとう", ["ご注", "注文", "文あ", "あり", "りが", "がと", "とう"]),
        ("クーポン", ["クー", "ーポ", "ポン"]),
        # a lone character of an unspaced script is one token
        ("a 的 b", ["a", "的", "b"]),
        # digits and Latin letters next to Han characters are their own tokens
        ("订单12345已发货", ["订单", "12345", "已发", "发货"]),
        ("ORDER号码", ["order", "号码"]),
        # Korean is written with spaces: words, not bigrams
        ("주문하신 상품이 발송되었습니다", ["주문하신", "상품이", "발송되었습니다"]),
        # ... and a number or Latin word written against Hangul is its own token
        ("10분 후 OTP를", ["10", "분", "후", "otp", "를"]),
    ],
)
def test_unspaced_scripts_become_bigrams(text: str, tokens: list[str]) -> None:
    assert [token for token, _, _ in tokenize(prepare(text)[0])] == tokens


@pytest.mark.parametrize(
    "text",
    [
        "您的验证码是 {{1}}。请勿与他人分享。",
        "【認証コード】{{1}} は、あなたの確認コードです。",
        "รหัสยืนยันของคุณคือ {{1}} ห้ามแชร์รหัสนี้",
        "ລະຫັດຢືນຢັນຂອງທ່ານ",
        "သင့်အတည်ပြုကုဒ်",
        "លេខកូដរបស់អ្នក",
        "인증 코드는 {{1}}입니다.",
        "  Mixed: 您好 Ana,\n\t订单 #A12 已发货 ",
    ],
)
def test_spans_map_back_to_the_original_text(text: str) -> None:
    quoted = _quoted(text)
    assert quoted
    for token, original in quoted:
        if token == "{{}}":
            assert original.startswith("{{") and original.endswith("}}")
        else:
            # these scripts are not case-folded or stripped: the span is the token itself
            assert original.lower() == token


def test_bigram_spans_overlap_and_cover_the_run() -> None:
    text = "请确认您的预约"
    prepared, index = prepare(text)
    spans = [(start, end) for _, start, end in tokenize(prepared)]
    assert spans == [(i, i + 2) for i in range(len(text) - 1)]
    assert "".join(text[index[s]] for s, _ in spans) + text[-1] == text


def test_thai_marks_stay_with_their_letter() -> None:
    # ที่ is a consonant with a vowel mark and a tone mark: one character for the bigrams
    tokens = [token for token, _, _ in tokenize(prepare("ที่นี่")[0])]
    assert tokens == ["ที่นี่"]
    tokens = [token for token, _, _ in tokenize(prepare("ส่งแล้ว")[0])]
    assert tokens == ["ส่ง", "งแ", "แล้", "ล้ว"]
    for token, original in _quoted("คำสั่งซื้อของคุณจัดส่งแล้ว"):
        assert original == token
        assert not token[0].isspace()


def test_kana_and_hangul_stay_composed() -> None:
    assert normalize_text("ガイド") == "ガイド"
    assert normalize_text("한국어") == "한국어"
    assert normalize_text("ＡＢＣ１２３") == "abc123"  # full-width forms still fold


def test_hebrew_points_are_removed() -> None:
    assert normalize_text("שָׁלוֹם") == "שלום"
    assert normalize_text("קוד־אימות") == "קוד־אימות"  # the maqaf stays


def test_lexicon_phrases_match_bigrams_and_quote_the_original() -> None:
    assert term_tokens("验证码") == ["验证", "证码"]
    lexicon = Lexicon.from_json(
        {
            "concepts": [
                ["order", "utility", "refers to the user's order"],
                ["otp_code", "authentication", "mentions a verification code"],
            ],
            "exact": [[0, " ".join(term_tokens("注文"))], [1, " ".join(term_tokens("確認コード"))]],
            "prefix": [],
            "suffix": [],
            "infix": [],
            "regex": [],
            "urls": [],
            "ignore": [],
            "max_tokens": 4,
        }
    )
    template = {
        "components": [
            {"type": "BODY", "text": "ご注文 {{1}} の確認コードは {{2}} です。"},
        ]
    }
    parts = read_template(template)
    values, evidence = extract(parts, lexicon, None)
    assert values["l:order"] == 1.0
    assert values["l:otp_code"] == 1.0
    order, code = evidence["l:order"], evidence["l:otp_code"]
    assert isinstance(order, tuple) and isinstance(code, tuple)
    assert parts.text[order[0] : order[1]] == "注文"
    assert parts.text[code[0] : code[1]] == "確認コード"


def test_a_zero_width_joiner_does_not_split_a_devanagari_word() -> None:
    # Marathi writes the eyelash ra as ra + virama + ZWJ; the word stays one token, and its
    # spelling without the joiner reads the same. The non-joiner (Persian) is left alone.
    text = "तुमचा र्\u200dहास झाला"
    prepared, index = prepare(text)
    words = [token for token, _, _ in tokenize(prepared)]
    assert words == ["तुमचा", "र्हास", "झाला"]
    assert words == term_tokens("तुमचा र्हास झाला")
    start, end = tokenize(prepared)[1][1:]
    assert text[index[start] : index[end - 1] + 1] == "र्\u200dहास"
    assert "\u200c" in normalize_text("می\u200cخواهم")


# Characters below U+0E00 of every kind the tokenizer tells apart: letters of several
# scripts, Devanagari and other Indic marks, digits, "_", placeholders, punctuation, spaces.
_NARROW = (
    "aZß0_9 .,!?%#{}\u00e9\u0301\u0410\u05d0\u0627\u0661\u0915\u093e\u094d\u0985\u0d15\u0dff\t\n"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_NARROW, "{{}}", "{{1}}"]), max_size=40).map("".join))
def test_text_below_u0e00_is_tokenized_as_the_full_pattern_does(text: str) -> None:
    """tokenize reads a text with no character from U+0E00 up with a smaller pattern (the
    full one is compiled only when needed): the tokens are the full pattern's."""
    from wacost.classifier.text import token_re

    prepared, _ = prepare(text)
    full = [(m.group(0), m.start(), m.end()) for m in token_re().finditer(prepared)]
    assert tokenize(prepared) == full


def test_a_wide_character_anywhere_uses_the_full_pattern() -> None:
    # the Han run is split into bigrams even when the text starts in Latin letters
    assert [t for t, _, _ in tokenize(prepare("order 订单已发货")[0])] == [
        "order",
        "订单",
        "单已",
        "已发",
        "发货",
    ]
