"""Train wacost's template classifier and write it to src/wacost/classifier/model.json.

Usage (development only; needs the `dev` extra, which brings scikit-learn):
    PYTHONPATH=src python scripts/train_classifier.py [--check]

Data: the labelled corpus tests/data/corpus/*.yaml (entries with `label` and `split`) and
the hand-written tuning set tests/data/labelled_templates.yaml (train). Only the `train`
split is fitted on; `dev` is used to choose the regularization and report; `blind` is
never read here. Steps:

1. compile the concept lexicon from src/wacost/classifier_data/*.yaml (terms in every
   language, grouped into concepts such as `discount`, `order`, `otp_code`);
2. turn every template into interpretable features (wacost.classifier.features);
3. choose the training data by its keys (the training data rule RULE, chosen on dev: labels
   read from developers' reports of Meta's verdicts are left out, and the other real labels
   below high trust are smoothed: see RULES), then
   fit a multinomial logistic regression (L2, classes balanced, real marketing templates
   weighted up: see sample_weights) on the features scaled by family (FAMILY_SCALE); its
   strength is picked on the log loss of grouped
   cross-validation on train (5 folds by source group, a team-written contrast scenario
   in all its languages at once: see cv_group) plus the log loss on dev, and
   the out-of-fold figures are printed overall, per category, on real templates only
   and per language;
4. fit a temperature on the out-of-fold scores of train's real templates (source_kind
   other than team_written). Not on all of train: the team-written groups are
   translations of one another, so a held-out group is rarely new text and its scores are
   too sure of themselves (temperature 1.0 where real templates and dev both want ~1.3).
   Dev's reliability table (scripts/classifier_accuracy.py) is then held out too;
5. write the weights (rounded, near-zero ones dropped), lexicon and calibration as JSON.
`--check` trains and reports without writing; `--compare` prints the comparison of the
training data rules recorded above RULES.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from wacost.classifier.features import Lexicon, extract  # noqa: E402
from wacost.classifier.lexicon import phrase_heads  # noqa: E402
from wacost.classifier.text import read_template, term_tokens  # noqa: E402

LEXICON_DIR = ROOT / "src" / "wacost" / "classifier_data"
MODEL_PATH = ROOT / "src" / "wacost" / "classifier" / "model.json"
CORPUS_DIR = ROOT / "tests" / "data" / "corpus"
TUNING_SET = ROOT / "tests" / "data" / "labelled_templates.yaml"
DISTINCTIONS = ROOT / "tests" / "data" / "classifier_distinctions.yaml"
CLASSES = ("marketing", "utility", "authentication")
MIN_COUNT = 2  # a word feature must occur in this many training templates
# How much each family of features weighs before the L2 penalty (a feature scaled by a costs
# 1/a^2 as much to use, so the model leans on the families scaled up). Chosen on grouped
# cross-validation over train and on dev (never blind): the OTP shape (Meta's fixed
# authentication form) up, so a preset-text OTP template needs no wording to be recognised;
# word pairs and a concept's neighbouring words down, since they repeat what the words and
# concepts say and otherwise learn the team-written phrasings by heart.
FAMILY_SCALE = {"otp": 3.0, "b": 0.5, "c": 0.5, "n": 0.5, "p": 0.5, "g": 0.5}
OTP_SHAPE = ("s:otp", "s:preset_text", "s:security_notice", "s:code_expiry")
# Word stems (p: features, see wacost.classifier.features.extract) read by the model: their
# length, 0 for none. Measured neutral on cross-validation and dev at 4, 5 and 6 letters
# (within one template either way), so off; `--prefix 5` trains with them.
PREFIX = 0
# Runs of letters inside words (g: features, 3 to 5 letters with `--ngrams 3 5`): they let
# inflections, compounds and unseen spellings share weights. Off: neutral on this corpus;
# on a trial merge with the new real templates and languages (issue 11, second round) they
# lifted dev (87.2 % -> 88.7 %, real templates 78.2 % -> 81.1 %) but not grouped CV
# (92.5 % -> 91.9 %; real 82.2 % -> 82.0 %), made model.json 2.4 times larger and loading
# slower than the 50 ms budget. Worth retrying with pruning once the corpus has grown.
NGRAMS = (0, 0)
# Tried for issue 11's third round and dropped (grouped 5-fold CV on train, seeds 7, 1 and 2,
# and dev; figures all / real / real marketing caught, before -> after, seed 7 unless said):
# - the s:own_reference family (wacost.classifier.features._anchoring), KEPT: CV 93.9 -> 94.0,
#   real 83.3 -> 82.9, real marketing 66.4 -> 66.4 (mean of 3 seeds: real 83.9 -> 83.8, real
#   marketing 68.0 -> 68.9); dev 93.6 -> 93.8, 89.5 -> 89.9, 74.6 -> 76.1; log loss CV 0.166 ->
#   0.163, dev 0.212 -> 0.199. On the corpus merged with the realA/realB/realC groups (never
#   seen while designing it; 3 seeds): CV 92.3 -> 92.7, real 80.9 -> 81.0, real marketing
#   66.7 -> 67.4; dev 91.6, 86.8 unchanged, real marketing 69.9 -> 71.1.
#   The greeting-only variable alone is not the marketing sign it was thought to be: real
#   train templates whose only variable is the greeting's name are 15 utility, 14 marketing.
#   A reference to the user's own item is a strong utility sign on real templates (train 119
#   utility to 12 marketing, dev 69 to 2); its absence is not a marketing one (194 to 122).
# - splitting every concept (l:) or the concept counts (k:) by reference / no reference:
#   neutral (CV real 83.1-83.5, dev 88.8-89.5). More shapes crossed with no reference (a
#   question, "!", length, placeholder count, phone button): CV real 83.1-83.5, dev real marketing
#   73.1 (down). The s: shapes scaled 1.5, 2 or 3: neutral to worse on dev.
# - a "reply to this message" ask (reply, responde, antworte, svara, balas, ...) with no
#   reference: one template more on CV, none on dev: not worth a lexicon concept.
# - concept counts (k:) as sqrt, log or capped at 2: neutral (dev log loss a little lower,
#   accuracy the same or lower). Word features required in 2, 3 or 5 CV groups instead of 2
#   templates: neutral. Word (w:) scaled 0.7, concepts (l:/k:) 1.5, shapes (s:) 1.5, button and
#   footer words 0.5: within a template or two either way. C 0.25, 0.3, 0.35: neutral.
# - the placeholder features left out of the team-written templates (whose marketing rarely
#   has variables, unlike real marketing): CV real 82.9 -> 83.9, real marketing 66.4 -> 68.5,
#   but dev 93.8 -> 92.2 (team-written utility with variables read as marketing).
# - a bias toward marketing after the fit (+0.25 to +1.5 on its score): trades real utility for
#   real marketing about one for one on CV and dev. Gradient-boosted trees on the same features
#   (scikit-learn HistGradientBoosting, 300 rounds): CV real 83.7, real marketing 66.4, dev
#   92.0 (87.4 real): no better, and not readable as reasons.
# Issue 11, fourth round (3-seed means of grouped 5-fold CV on train's real templates, seeds
# 7, 1, 2, C=0.5; dev all / real). Start: CV real 80.20 % (marketing 68.17, utility 85.13),
# dev 91.7 / 87.1. KEPT, each on top of the one before: a Marathi lexicon (mr.yaml): CV real
# 80.40 (Marathi 5/33 -> 9/33), dev unchanged; quote-ready and donation-appeal concepts
# (meta_recategorized.yaml): 81.02, dev unchanged; f:/z: (category of the first and last
# concept): 81.38, dev 92.1 / 87.5; z: skipping the footer: 81.58, dev 92.1 / 87.5; an
# awareness concept ("did you know?", "we've opened", Meta's own marketing examples; dev's
# French ones translate train's English): 82.00, dev 92.5 / 88.1; Hindi and Marathi for en's
# "your registration", "registered", "scheduled", "your session" (written after reading the
# Devanagari CV errors, so CV hi-Deva 28 -> 36/51 and Marathi 11 -> 12/33 flatter them):
# 82.41, dev 92.7 / 88.4. DROPPED:
# - f: alone 80.97 (dev 91.9 / 87.1); z: alone 81.22 (92.1 / 87.1); the concept's key in place
#   of its category 80.92 (91.9 / 87.5); f:/z: scaled 0.5: 81.33 (91.9 / 87.1).
# - a "personal outreach" concept (a person introducing themselves: "this is {{1}} from",
#   "aqui é", "mi nombre es", in the lexicon's languages; real train 25 marketing / 20 utility):
#   CV real 81.38 -> 81.38 (marketing +1.0, utility -0.5), dev 92.1 -> 91.9, real 87.5 -> 87.1.
# - concepts read from named placeholders' names ({{pre_approved}}, {{credit_card}}) into l:
#   and k:: CV real 81.38 -> 81.38, dev 92.1 -> 91.9, real 87.5 -> 87.1.
# - "!" (w:!) scaled 0.5 (team-written marketing uses it 6 times as often as its utility;
#   real marketing only twice): CV real 82.00 -> 81.94, dev 92.5 -> 92.1, real 88.1 -> 87.5.
# - s:mixed (concepts of both marketing and utility present): CV real 82.00 -> 81.94, dev
#   92.5 -> 92.3, real 88.1 -> 87.8.
# - C 0.35 / 0.7 with these features: CV real 81.53 / 81.38, dev 92.1 / 91.9 (0.5: 81.58, 92.1).
# - not encoded, the labels disagree with the family: membership-fee ("mensalidade",
#   "mensualidad") reminders are marketing and utility in the same groups with the same
#   wording; "complete your profile / registration" is utility in 3 of 4 real templates.
# - not tried on purpose: the template's name as evidence (many corpus names were made up
#   from the source's wording or name the scenario, tw_<lang>_<scenario>, which would leak the
#   label into the figures) and the declared category (not evidence from the content).
# How the templates are dealt into the 5 cross-validation folds. The out-of-fold figures move
# by about a point on real templates (3 points on real marketing, 149 templates) from one
# deal to another: compare a change over several (`--seed 1`, `--seed 2`), not on one.
SEED = 7


# --------------------------------------------------------------------------- data


def language_of(entry: dict[str, Any]) -> str:
    """Two-letter language of the text; Hindi split into Devanagari and Latin (Hinglish)."""
    template = entry["template"]
    code = str(entry.get("text_language") or template.get("language") or "??")
    lang = code.replace("-", "_").split("_")[0].lower()
    if lang == "hi":
        text = json.dumps(template.get("components"), ensure_ascii=False)
        lang = "hi-Deva" if any("\u0900" <= c <= "\u097f" for c in text) else "hi-Latn"
    return lang


def _entries(path: Path, default_split: str | None) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("templates") or data.get("entries") or []
    out = []
    for item in data or []:
        if not isinstance(item, dict):
            continue
        label = str(item.get("label") or item.get("expected") or "").lower()
        split = str(item.get("split") or default_split or "")
        if label not in CLASSES or split not in ("train", "dev", "blind"):
            continue
        template = item.get("template") if isinstance(item.get("template"), dict) else item
        entry = {
            "template": template,
            "label": label,
            "split": split,
            "group": str(item.get("group") or item.get("source") or path.name),
            "source": str(item.get("source") or path.name),
            "trust": str(item.get("trust") or ""),
            "source_kind": str(item.get("source_kind") or "team_written"),
            "declared": str(item.get("category") or "").lower(),
            "text_language": item.get("text_language"),
            "file": path.name,
        }
        entry["language"] = language_of(entry)
        out.append(entry)
    return out


def _distinctions() -> list[dict[str, Any]]:
    """The team's examples of Meta's distinctions (compact form), as train entries."""
    out = []
    for i, item in enumerate(yaml.safe_load(DISTINCTIONS.read_text(encoding="utf-8"))):
        buttons = [{"type": "QUICK_REPLY", "text": label} for label in item.get("buttons", [])]
        if item.get("otp"):
            buttons.append({"type": "OTP", "otp_type": item["otp"].upper()})
        body: dict[str, Any] = {"type": "BODY"}
        if item.get("text"):
            body["text"] = item["text"]
        if item.get("security"):
            body["add_security_recommendation"] = True
        components: list[dict[str, Any]] = [body]
        if item.get("expiry"):
            components.append({"type": "FOOTER", "code_expiration_minutes": item["expiry"]})
        if buttons:
            components.append({"type": "BUTTONS", "buttons": buttons})
        template = {
            "name": f"distinction_{i}",
            "language": item["language"],
            "components": components,
        }
        entry = {"template": template, "label": item["label"], "split": "train"}
        entry |= {"group": "team-distinctions", "source": DISTINCTIONS.name, "trust": "team"}
        entry |= {"text_language": None, "file": DISTINCTIONS.name, "source_kind": "team_written"}
        entry |= {"declared": ""}
        entry["language"] = language_of(entry)
        out.append(entry)
    return out


_SCENARIO_RE = re.compile(r"^tw_[a-z]+(?:_latn)?_([a-z]\d+_\w+)$")


def cv_group(entry: dict[str, Any]) -> str:
    """The group an entry is held out with in cross-validation: its source group, except
    that the team's contrast scenarios (tw_<lang>_<scenario>, one group per language) are
    held out in every language at once, so a scenario is never judged on its translation."""
    name = str(entry["template"].get("name") or "")
    match = _SCENARIO_RE.match(name)
    if entry["group"].startswith("team-written-contrasts-") and match:
        return "team-written-contrasts:" + match.group(1)
    return str(entry["group"])


def _fingerprint(template: dict[str, Any]) -> str:
    parts = read_template(template)
    return " ".join(parts.text.lower().split())


def load_examples(splits: tuple[str, ...]) -> list[dict[str, Any]]:
    """Labelled examples of the given splits; the corpus wins over the tuning set on a
    duplicate text, and a text seen in blind or dev is never also trained on."""
    corpus: list[dict[str, Any]] = []
    for path in sorted(CORPUS_DIR.glob("*.yaml")):
        corpus.extend(_entries(path, None))
    held = {_fingerprint(e["template"]) for e in corpus if e["split"] != "train"}
    seen = {_fingerprint(e["template"]) for e in corpus}
    extra = [
        e
        for e in _entries(TUNING_SET, "train") + _distinctions()
        if _fingerprint(e["template"]) not in seen | held
    ]
    return [e for e in corpus + extra if e["split"] in splits]


# --------------------------------------------------------------------------- lexicon


def compile_lexicon(folder: Path = LEXICON_DIR) -> dict[str, Any]:
    """Concept terms of every YAML file in `folder`, as lookup tables (see Lexicon)."""
    files = sorted(folder.glob("*.yaml"), key=lambda p: (p.name != "signals.yaml", p.name))
    concepts: dict[str, tuple[str, str]] = {}
    url_scope: set[str] = set()
    terms: dict[str, list[str]] = {}
    ignore: list[str] = []
    anchors: set[str] = set()
    salutations: set[str] = set()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for word in data.get("salutations") or []:
            salutations.update(term_tokens(str(word)))
        for key, spec in (data.get("signals") or {}).items():
            concepts[key] = (spec["category"], spec["reason"])
            if spec.get("anchor"):
                anchors.add(key)
            if spec.get("scope") == "urls":
                url_scope.add(key)
            terms.setdefault(key, []).extend(spec.get("terms") or [])
        for key, entries in (data.get("terms") or {}).items():
            terms.setdefault(key, []).extend(entries or [])
        ignore.extend(data.get("ignore") or [])
    keys = sorted(concepts)
    ids = {key: i for i, key in enumerate(keys)}
    tables: dict[str, dict[str, list[int]]] = {
        n: {} for n in ("exact", "prefix", "suffix", "infix")
    }
    regex: list[tuple[str, int]] = []
    urls: list[tuple[str, int]] = []
    longest = 1
    for key, entries in terms.items():
        for entry in entries:
            term = str(entry["term"] if isinstance(entry, dict) else entry).strip()
            if key in url_scope:
                urls.append((term.strip("*").lower(), ids[key]))
                continue
            if term.startswith("re:"):
                regex.append((term[3:].strip(), ids[key]))
                continue
            open_start, open_end = term.startswith("*"), term.endswith("*") and len(term) > 1
            words = term_tokens(term.strip("*").strip())
            if not words:
                continue
            longest = max(longest, len(words))
            table = (
                ("infix" if open_end else "suffix")
                if open_start
                else "prefix"
                if open_end
                else "exact"
            )
            bucket = tables[table].setdefault(" ".join(words), [])
            if ids[key] not in bucket:
                bucket.append(ids[key])
    ignored: dict[str, list[int]] = {}
    for phrase in ignore:
        words = term_tokens(phrase.strip("*"))
        if words:
            ignored[" ".join(words)] = [1]
            longest = max(longest, len(words))
    # Stored compactly (per concept, its phrases joined by tabs): loads several times faster.
    # The words a longer phrase starts with are stored too, not worked out on every load.
    starters, seconds = phrase_heads({**tables, "ignore": ignored})
    return {
        "concepts": [[key, *concepts[key]] for key in keys],
        **{name: _compact(table) for name, table in tables.items()},
        "regex": regex,
        "urls": urls,
        "ignore": _compact(ignored),
        "max_tokens": longest,
        "anchors": sorted(ids[key] for key in anchors),
        "salutations": sorted(salutations),
        "starters": starters,
        "seconds": seconds,
    }


def _compact(table: dict[str, list[int]]) -> list[tuple[int, str]]:
    """{phrase: [concept id, ...]} as [(concept id, "phrase\tphrase..."), ...]."""
    by_concept: dict[int, list[str]] = {}
    for phrase, ids in table.items():
        for concept in ids:
            by_concept.setdefault(concept, []).append(phrase)
    return [(concept, "\t".join(sorted(p))) for concept, p in sorted(by_concept.items())]


# --------------------------------------------------------------------------- training


def scale_of(name: str) -> float:
    """The FAMILY_SCALE of a feature name (1 for a family not listed)."""
    family = "otp" if name.startswith(OTP_SHAPE) else name.split(":", 1)[0]
    return FAMILY_SCALE.get(family, 1.0)


def featurize(examples: list[dict[str, Any]], lexicon: Lexicon) -> list[dict[str, float]]:
    """Feature values as the model sees them in training (scaled by FAMILY_SCALE)."""
    from wacost.classify import declared_category

    rows = []
    for example in examples:
        template = example["template"]
        parts = read_template(template)
        values, _ = extract(parts, lexicon, declared_category(template), PREFIX, NGRAMS)
        rows.append({k: v * scale_of(k) for k, v in values.items()})
    return rows


def _keep_features(rows: list[dict[str, float]]) -> set[str]:
    unique = {id(row): row for row in rows}.values()  # a smoothed template counts once
    counts: Counter[str] = Counter(name for row in unique for name in row)
    return {
        name
        for name, count in counts.items()
        if (count >= MIN_COUNT or name.startswith(("l:", "s:", "k:")))
    }


def _softmax(scores: Any, temperature: float) -> Any:
    import numpy as np

    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sample_weights(examples: list[dict[str, Any]]) -> list[float]:
    """Each template's weight in the fit (on top of the balanced class weights): a real
    marketing template counts as much as the real utility templates outnumber it.

    The balanced class weights are computed over all of train, where the team-written
    groups supply most of the marketing; among real templates marketing is the scarce class
    (about 1 in 3 of train's real marketing/utility templates), so without this the model
    learns Meta's stricter marketing verdicts from too few examples. Measured (grouped
    5-fold CV, seeds 7, 1 and 2, averaged; and dev) against weight 1: CV real 83.6 -> 84.1 %,
    real marketing caught 68.2 -> 70.5 %, real utility 89.9 -> 89.7 %, all 93.8 -> 94.0 %;
    dev 93.8 % and real 89.9 % unchanged, real marketing 76.1 -> 77.6 %, real utility
    94.1 -> 93.6 % (one template each way). On the corpus merged with the realA/realB/realC
    groups (3 seeds; not seen while choosing it): CV all 92.7 -> 92.7 %, real 81.0 -> 81.1 %,
    real marketing 67.4 -> 69.7 %, real utility 86.6 -> 85.7 %; dev unchanged (91.6 %, real
    86.8 %, real marketing 71.1 %). A fixed 2.5 or 3 did about the same; weighting
    all real templates up (1.5 to 5), only the team-written ones down (0.1 to 0.5), balancing
    classes within real and team-written data separately, weighting groups by 1/size^p or
    low-trust labels by half were neutral or traded utility for marketing one for one.
    """
    ratio = real_marketing_weight(examples)
    return [
        ratio if e["source_kind"] != "team_written" and e["label"] == "marketing" else 1.0
        for e in examples
    ]


def real_marketing_weight(examples: list[dict[str, Any]]) -> float:
    """How many times the real utility templates outnumber the real marketing ones."""
    real = [e["label"] for e in examples if e["source_kind"] != "team_written"]
    return real.count("utility") / max(1, real.count("marketing"))


# --------------------------------------------------------------------------- training data rules
# How far each training template is trusted, as a multiplier on sample_weights. A rule reads
# only the keys of the entries (trust, source_kind, declared category, label, note, group) and
# the texts, never a list of group names, so it applies unchanged to groups added later. It
# is computed on the templates being fitted (inside each cross-validation fold on that fold's
# training part), and the weights are rescaled to keep their total, so a rule moves weight
# between templates without changing the strength of the regularization.
#
# Issue 11, sixth round: the choice of training data. Last session's 113 real train templates
# (mostly developers' notes quoting Meta's verdict, near-identical texts labelled both ways)
# made dev worse (514 -> 507/571); the rule below is chosen on dev and grouped CV, never
# blind. Command (C=0.5, the C chosen before; each rule in its own line; one run of all takes
# ~40 minutes on 2 shared cores):
#   PYTHONPATH=src python scripts/train_classifier.py --compare [RULE[+SMOOTHING] ...]
# Columns: grouped 5-fold CV on train (mean of deals 7, 1, 2): accuracy all / real, real
# marketing caught / real utility right, log loss all / real (raw); dev (fitted on all
# train): right all / real; all utility / marketing / authentication; real utility /
# marketing; log loss all / real (calibrated by the temperature fitted on deal 7's real
# out-of-fold scores). Train: 2374 (761 real); dev: 571 (361 real: 247 utility, 106
# marketing, 8 authentication).
#   rule                   CV all  real  r.mkt r.util loss      | dev all real; util mkt auth; real u / m; loss
#   a_all (as before)      91.58 79.89 69.55 84.71 .231/.529 | 507 298; 330 141 36; 213/77 .316/.423
#   b_trust_0.7_0.4        91.48 79.68 70.21 84.04 .231/.529 | 507 298; 330 141 36; 213/77 .315/.423
#   b_trust_0.5_0.5        91.34 79.50 69.95 83.91 .230/.528 | 510 301; 334 140 36; 217/76 .314/.423
#   b_trust_0.5_0.25       91.31 79.37 69.95 83.70 .230/.530 | 511 302; 334 141 36; 217/77 .316/.425
#   b_trust_0.3_0.15       91.29 79.63 70.73 83.70 .230/.532 | 509 300; 333 140 36; 216/76 .315/.427
#   b_low_0.5              91.56 79.85 69.95 84.44 .232/.530 | 507 298; 330 141 36; 213/77 .317/.424
#   c_recategorized_0.5    91.59 80.07 68.90 85.32 .230/.528 | 508 299; 333 139 36; 216/75 .313/.419
#   c_conflicts_0.5        91.63 80.11 70.08 84.78 .231/.528 | 506 297; 330 140 36; 213/76 .315/.422
#   c_conflicts_0.25       91.53 80.03 69.69 84.85 .231/.528 | 506 297; 330 140 36; 213/76 .315/.421
#   c_mixed_groups_0.5     91.58 79.76 70.34 84.11 .228/.525 | 506 297; 330 140 36; 213/76 .316/.426
#   bc (trust .5/.25, recategorized .5)
#                          91.48 80.03 69.69 84.85 .230/.531 | 509 300; 334 139 36; 217/75 .312/.422
#   d_reports_0.5          91.58 80.07 70.34 84.58 .229/.525 | 508 299; 332 140 36; 215/76 .314/.422
#   d_reports_0.25         91.41 79.72 69.95 84.24 .228/.524 | 508 299; 333 139 36; 216/75 .313/.423
#   d_reports_dropped      91.36 81.03 69.16 86.67 .238/.541 | 511 302; 338 137 36; 221/73 .322/.438
#   e_group_1/sqrt         91.46 79.76 69.82 84.38 .232/.529 | 506 297; 329 141 36; 212/77 .317/.427
#   a_all+0.05             91.31 79.59 70.08 83.97 .225/.484 | 506 297; 329 141 36; 212/77 .306/.416
#   a_all+0.1              91.08 79.24 70.08 83.43 .230/.478 | 506 297; 329 141 36; 212/77 .304/.413
#   a_all+0.2              90.62 78.10 69.69 81.89 .243/.492 | 501 292; 328 137 36; 211/73 .310/.418
#   b_trust_0.5_0.25+0.1   91.13 79.19 70.60 83.10 .226/.488 | 507 298; 331 140 36; 214/76 .307/.419
#   b_trust_0.3_0.15+0.1   91.15 79.37 71.00 83.16 .226/.498 | 509 300; 333 140 36; 216/76 .309/.423
#   c_recategorized_0.5+0.1 91.13 79.28 70.21 83.43 .230/.481 | 504 295; 330 138 36; 213/74 .304/.413
#   bc+0.1                 91.15 79.06 69.82 83.30 .227/.491 | 507 298; 332 139 36; 215/75 .305/.417
#   d_reports_0.5+0.1      91.03 79.15 70.21 83.23 .230/.483 | 506 297; 330 140 36; 213/76 .304/.413
#   d_reports_0.25+0.1     90.96 78.98 69.82 83.16 .231/.487 | 505 296; 330 139 36; 213/75 .303/.412
#   d_reports_dropped+0.05 91.10 80.29 69.42 85.39 .231/.500 | 510 301; 338 136 36; 221/72 .306/.418
#   d_reports_dropped+0.1  90.68 79.37 68.77 84.31 .236/.496 | 512 303; 339 137 36; 222/73 .303/.413  KEPT
#   d_report_recategorizations_dropped+0.1 (only the reports of a UTILITY submission made marketing)
#                          90.66 79.19 65.49 85.72 .237/.488 | 508 299; 336 136 36; 219/72 .300/.406
#   d_report_marketing_dropped+0.1 (only the reports labelled marketing)
#                          90.61 79.24 64.30 86.40 .238/.491 | 510 301; 339 135 36; 222/71 .303/.410
#   reference, not a rule (last session's 57 groups left out by name: the corpus groups not in
#   commit 87dff1e; 113 train templates; a list of names, so not usable on a merged corpus):
#   without them            91.79 80.64 69.95 85.66 .233/.548 | 514 306; 335 143 36; 219/79 .312/.418
#   without them +0.1       91.29 79.50 69.95 83.91 .229/.492 | 507 298; 333 138 36; 216/74 .307/.416
# b_: real templates of trust medium x, low y. c_recategorized: a real template declared
# UTILITY labelled marketing (Meta's verdict on a submission; 96 in train); c_conflicts: a
# real template with a near twin of the other label (word sets' Jaccard >= 0.5; 35 in
# train); c_mixed_groups: the real templates of a group whose UTILITY submissions got both
# verdicts (29 groups, 273 templates); d_reports: developers' reports (approved_export with
# trust medium; 271 in train, 124 in dev); e_group: real groups weighted 1/sqrt(size);
# +x: label smoothing x (see SMOOTHING). A rule for labels the note calls inferred was not
# run: 2 train templates carry one.
# KEPT, by the brief's test (dev real accuracy and dev log loss together, CV to break ties):
# d_reports_dropped+0.1 is the best on both (303/361 real, log loss .303/.413); leaving the
# reports out alone gives the same accuracy gain (302) with a worse log loss, smoothing alone
# the log loss without the accuracy. It costs 4 of dev's 170 marketing templates (141 ->
# 137) for 9 utility ones (330 -> 339), and CV real accuracy falls 79.89 -> 79.37 (its log
# loss improves .529 -> .496). The differences between rules are 1 to 5 of dev's 361 real
# templates: within the noise of one split, so the evidence is the agreement of the figures
# with what is known of those labels (second labeller's kappa 0.43-0.60 on them, against
# 0.98 on the rest; last session's retrain). New groups of developers' reports (approved_
# export, trust medium) are evaluated in dev and blind but not trained on under this rule.
# Against the reference by name (514, 306 real), the rule trades 3 real templates of dev for a
# lower log loss (.303/.413 against .312/.418); neither is better on both. Leaving out only the
# reports' recategorizations has the lowest dev log loss (.300/.406) but 4 real templates
# fewer (299) and catches far less real marketing in CV (65.5 %); the test applied (most dev
# real templates right, dev log loss no worse than a_all's, CV for ties) keeps all reports out.


def is_real(entry: dict[str, Any]) -> bool:
    return entry["source_kind"] != "team_written"


def is_report(entry: dict[str, Any]) -> bool:
    """A real template whose label comes from a developer's report of Meta's verdict (the
    README's approved_export with trust medium), not from an export or Meta's own pages."""
    return entry["source_kind"] == "approved_export" and entry["trust"] == "medium"


def is_recategorized(entry: dict[str, Any]) -> bool:
    """A real template declared UTILITY (or TRANSACTIONAL) whose label is marketing: Meta's
    verdict on a submission, the kind of label on which notes disagree most."""
    return (
        is_real(entry)
        and entry["declared"] in ("utility", "transactional")
        and (entry["label"] == "marketing")
    )


def _word_set(entry: dict[str, Any]) -> frozenset[str]:
    cached = entry.get("_words")
    if cached is None:
        parts = read_template(entry["template"])
        cached = frozenset(w for w in term_tokens(parts.text) if w != "{{}}")
        entry["_words"] = cached
    return cast(frozenset[str], cached)


def conflicting(examples: list[dict[str, Any]], threshold: float = 0.5) -> list[bool]:
    """Real templates with a near twin (word sets' Jaccard >= threshold) of another label
    among the real templates given: the pairs where one account's verdict contradicts
    another's on the same kind of text."""
    real = [i for i, e in enumerate(examples) if is_real(e) and e["label"] != "authentication"]
    sets = {i: _word_set(examples[i]) for i in real}
    out = [False] * len(examples)
    for a, i in enumerate(real):
        for j in real[a + 1 :]:
            if examples[i]["label"] == examples[j]["label"]:
                continue
            si, sj = sets[i], sets[j]
            if si and sj and len(si & sj) >= threshold * len(si | sj):
                out[i] = out[j] = True
    return out


def mixed_verdicts(examples: list[dict[str, Any]]) -> list[bool]:
    """Real templates of groups whose UTILITY submissions got both verdicts (some kept
    utility, some made marketing): one account's reviewers disagreeing with themselves."""
    verdicts: dict[str, set[str]] = {}
    for e in examples:
        if is_real(e) and e["declared"] in ("utility", "transactional"):
            verdicts.setdefault(e["group"], set()).add(e["label"])
    return [is_real(e) and len(verdicts.get(e["group"], ())) > 1 for e in examples]


def _by(flag: Any, factor: float) -> Any:
    def rule(examples: list[dict[str, Any]]) -> list[float]:
        return [factor if flag(e) else 1.0 for e in examples]

    return rule


def _trust(medium: float, low: float) -> Any:
    def rule(examples: list[dict[str, Any]]) -> list[float]:
        table = {"medium": medium, "low": low}
        return [table.get(e["trust"], 1.0) if is_real(e) else 1.0 for e in examples]

    return rule


def _flagged(flags: Any, factor: float) -> Any:
    def rule(examples: list[dict[str, Any]]) -> list[float]:
        return [factor if c else 1.0 for c in flags(examples)]

    return rule


def _group_root(power: float) -> Any:
    def rule(examples: list[dict[str, Any]]) -> list[float]:
        sizes = Counter(e["group"] for e in examples if is_real(e))
        raw = [sizes[e["group"]] ** -power if is_real(e) else 1.0 for e in examples]
        # the real templates keep their total weight: only its spread over groups changes
        real = [i for i, e in enumerate(examples) if is_real(e)]
        scale = len(real) / max(1e-9, sum(raw[i] for i in real))
        return [w * scale if is_real(e) else w for w, e in zip(raw, examples)]

    return rule


def _product(*rules: Any) -> Any:
    def rule(examples: list[dict[str, Any]]) -> list[float]:
        out = [1.0] * len(examples)
        for each in rules:
            out = [a * b for a, b in zip(out, each(examples))]
        return out

    return rule


def _none(examples: list[dict[str, Any]]) -> list[float]:
    return [1.0] * len(examples)


RULES: dict[str, Any] = {
    "a_all": _none,
    "b_trust_0.7_0.4": _trust(0.7, 0.4),
    "b_trust_0.5_0.25": _trust(0.5, 0.25),
    "b_low_0.5": _trust(1.0, 0.5),
    "c_recategorized_0.5": _by(is_recategorized, 0.5),
    "c_conflicts_0.5": _flagged(conflicting, 0.5),
    "c_conflicts_0.25": _flagged(conflicting, 0.25),
    "c_mixed_groups_0.5": _flagged(mixed_verdicts, 0.5),
    "d_reports_0.5": _by(is_report, 0.5),
    "d_reports_0.25": _by(is_report, 0.25),
    "d_reports_dropped": _by(is_report, 0.0),
    "e_group_1/sqrt": _group_root(0.5),
    "bc_trust_0.5_0.25_recategorized_0.5": _product(_trust(0.5, 0.25), _by(is_recategorized, 0.5)),
    "d_report_recategorizations_dropped": _by(lambda e: is_report(e) and is_recategorized(e), 0),
    "d_report_marketing_dropped": _by(lambda e: is_report(e) and e["label"] == "marketing", 0),
    "b_trust_0.5_0.5": _trust(0.5, 0.5),
    "b_trust_0.3_0.15": _trust(0.3, 0.15),
    "b_trust_0.7_0.25": _trust(0.7, 0.25),
}
# Label smoothing for labels less than high trust: each such real marketing/utility template
# is also fitted as the other of the two classes, with this share of its weight (`smoothed`).
SMOOTHING = 0.1
RULE = "d_reports_dropped"


def rule_weights(examples: list[dict[str, Any]], rule: str) -> list[float]:
    """sample_weights (of the templates the rule keeps) times the rule's multipliers,
    rescaled to sample_weights' total."""
    factors = RULES[rule](examples)
    kept = [i for i, f in enumerate(factors) if f > 0]
    base = [0.0] * len(examples)
    for i, w in zip(kept, sample_weights([examples[i] for i in kept])):
        base[i] = w
    weights = [b * f for b, f in zip(base, factors)]
    scale = sum(base) / max(1e-9, sum(weights))
    return [w * scale for w in weights]


def smoothed(
    rows: list[dict[str, float]],
    labels: list[str],
    weights: list[float],
    examples: list[dict[str, Any]],
    share: float,
) -> tuple[list[dict[str, float]], list[str], list[float]]:
    """The fit's rows with each real, less-than-high-trust marketing/utility template also
    given as the other class at `share` of its weight (and `1 - share` as its own)."""
    if not share:
        return rows, labels, weights
    other = {"marketing": "utility", "utility": "marketing"}
    out_rows, out_labels, out_weights = list(rows), list(labels), list(weights)
    for i, e in enumerate(examples):
        if is_real(e) and e["trust"] != "high" and labels[i] in other:
            out_weights[i] = weights[i] * (1 - share)
            out_rows.append(rows[i])
            out_labels.append(other[labels[i]])
            out_weights.append(weights[i] * share)
    return out_rows, out_labels, out_weights


def fit(
    rows: list[dict[str, float]],
    labels: list[str],
    c: float,
    weights: list[float] | None = None,
) -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    keep = _keep_features(rows)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([{k: v for k, v in r.items() if k in keep} for r in rows])
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, labels, sample_weight=weights)
    return vectorizer, model


def scores_of(fitted: Any, rows: list[dict[str, float]]) -> Any:
    vectorizer, model = fitted
    raw = model.decision_function(vectorizer.transform(rows))
    order = [list(model.classes_).index(c) for c in CLASSES]
    scores = raw[:, order]
    for i, row in enumerate(rows):
        if "s:otp_button" in row:  # as wacost.classify does: an OTP button is never utility
            scores[i, CLASSES.index("utility")] = -1e4
    return scores


def fit_examples(
    rows: list[dict[str, float]],
    examples: list[dict[str, Any]],
    c: float,
    rule: str,
    smoothing: float = 0.0,
) -> Any:
    """Fit on `examples` (featurized as `rows`) weighted by the training data rule."""
    labels = [e["label"] for e in examples]
    weights = rule_weights(examples, rule)
    keep = [i for i, w in enumerate(weights) if w > 0]
    rows, labels, weights = smoothed(
        [rows[i] for i in keep],
        [labels[i] for i in keep],
        [weights[i] for i in keep],
        [examples[i] for i in keep],
        smoothing,
    )
    return fit(rows, labels, c, weights)


def out_of_fold(
    rows: list[dict[str, float]],
    examples: list[dict[str, Any]],
    groups: list[str],
    c: float,
    by_group: bool = False,
    rule: str = RULE,
    smoothing: float = 0.0,
    seed: int | None = None,
) -> Any:
    """Out-of-fold scores; the rule's weights are computed on each fold's training part."""
    import numpy as np
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

    labels = [e["label"] for e in examples]
    scores = np.zeros((len(rows), len(CLASSES)))
    folds: Any = (
        LeaveOneGroupOut()
        if by_group
        else StratifiedGroupKFold(
            n_splits=5, shuffle=True, random_state=SEED if seed is None else seed
        )
    )
    for train_idx, test_idx in folds.split(rows, labels, groups):
        fitted = fit_examples(
            [rows[i] for i in train_idx], [examples[i] for i in train_idx], c, rule, smoothing
        )
        scores[test_idx] = scores_of(fitted, [rows[i] for i in test_idx])
    return scores


def log_loss(scores: Any, labels: list[str], temperature: float) -> float:
    probs = _softmax(scores, temperature)
    return -float(
        sum(math.log(max(probs[i, CLASSES.index(y)], 1e-12)) for i, y in enumerate(labels))
    ) / len(labels)


def fit_temperature(scores: Any, labels: list[str]) -> float:
    grid = [0.3 + 0.05 * i for i in range(155)]
    return min(grid, key=lambda t: log_loss(scores, labels, t))


def accuracy(scores: Any, labels: list[str]) -> float:
    picked = [CLASSES[int(i)] for i in scores.argmax(axis=1)]
    return sum(p == y for p, y in zip(picked, labels)) / max(1, len(labels))


def export(
    fitted: Any, temperature: float, lexicon: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    vectorizer, model = fitted
    order = [list(model.classes_).index(c) for c in CLASSES]
    weights: dict[str, list[float]] = {}
    for j, name in enumerate(vectorizer.feature_names_):
        scale = scale_of(name)  # fold the scale in
        row = [round(float(model.coef_[k, j]) * scale, 3) for k in order]
        if max(abs(v) for v in row) >= 0.005:
            weights[name] = row
    names = sorted(weights)
    return {
        "format": "wacost-classifier/1",
        "classes": list(CLASSES),
        "intercept": [round(float(model.intercept_[k]), 4) for k in order],
        "temperature": round(temperature, 3),
        "prefix": PREFIX,
        "ngrams": list(NGRAMS),
        # feature names joined by tabs, then their weights (one per class, in that order,
        # separated by spaces) joined by tabs: read row by row when used (see
        # wacost.classify._Weights), it loads several times faster than a list of numbers
        "features": "\t".join(names),
        "weights": "\t".join(" ".join(repr(v) for v in weights[name]) for name in names),
        "lexicon": lexicon,
        "meta": meta,
    }


def report(name: str, scores: Any, examples: list[dict[str, Any]]) -> None:
    """Accuracy overall, per category, on real templates only and per language."""
    picked = [CLASSES[int(i)] for i in scores.argmax(axis=1)]
    right = [p == e["label"] for p, e in zip(picked, examples)]

    def rate(keep: list[bool]) -> str:
        hits, total = sum(r for r, k in zip(right, keep) if k), sum(keep)
        return f"{hits}/{total} = {hits / total:.1%}" if total else "-"

    real = [e["source_kind"] != "team_written" for e in examples]
    for who, among in (("all", [True] * len(examples)), ("real", real)):
        line = [f"{who} {rate(among)}"]
        for label in CLASSES:
            keep = [a and e["label"] == label for a, e in zip(among, examples)]
            line.append(f"{label} {rate(keep)}")
        print(f"  {name} {who:<4}: " + "; ".join(line))
    langs = sorted({e["language"] for e in examples})
    print(
        f"  {name} per language: "
        + "  ".join(
            f"{lang} {sum(r for r, e in zip(right, examples) if e['language'] == lang)}"
            f"/{sum(e['language'] == lang for e in examples)}"
            for lang in langs
        )
    )


def compare(
    names: list[str] | None,
    x_train: list[dict[str, float]],
    train: list[dict[str, Any]],
    x_dev: list[dict[str, float]],
    dev: list[dict[str, Any]],
    c: float,
) -> None:
    """One line per training data rule: grouped 5-fold CV on train (mean of deals 7, 1, 2)
    overall and on real templates, and dev overall, real, by category, with log losses."""
    import numpy as np

    groups = [cv_group(e) for e in train]
    y_train, y_dev = [e["label"] for e in train], [e["label"] for e in dev]
    real = [i for i, e in enumerate(train) if is_real(e)]
    dev_real = [i for i, e in enumerate(dev) if is_real(e)]
    candidates = names or [*RULES, "a_all+0.1", "a_all+0.2"]
    print(
        f"C={c}; cv = mean of deals 7, 1, 2 (accuracy all / real / real marketing / real "
        "utility; log loss all / real, raw); dev = fitted on all train (accuracy all / real; "
        "all: utility / marketing / authentication; real: utility / marketing; log loss all / "
        "real with the temperature fitted on deal 7's real out-of-fold scores)"
    )

    def pct(scores: Any, labels: list[str], keep: list[int], label: str | None = None) -> str:
        idx = [i for i in keep if label is None or labels[i] == label]
        hits = sum(CLASSES[int(np.argmax(scores[i]))] == labels[i] for i in idx)
        return f"{hits}/{len(idx)}"

    for name in candidates:
        rule, _, share = name.partition("+")
        smoothing = float(share or 0.0)
        cv: list[list[float]] = []
        temperature = 1.0
        for seed in (7, 1, 2):
            oof = out_of_fold(x_train, train, groups, c, rule=rule, smoothing=smoothing, seed=seed)
            picked = [CLASSES[int(i)] for i in oof.argmax(axis=1)]
            right = [p == y for p, y in zip(picked, y_train)]
            ry = [y_train[i] for i in real]
            cv.append(
                [
                    sum(right) / len(right),
                    sum(right[i] for i in real) / len(real),
                    sum(right[i] for i in real if y_train[i] == "marketing")
                    / ry.count("marketing"),
                    sum(right[i] for i in real if y_train[i] == "utility") / ry.count("utility"),
                    log_loss(oof, y_train, 1.0),
                    log_loss(oof[real], ry, 1.0),
                ]
            )
            if seed == 7:
                temperature = fit_temperature(oof[real], ry)
        mean = [sum(col) / len(col) for col in zip(*cv)]
        scores = scores_of(fit_examples(x_train, train, c, rule, smoothing), x_dev)
        every = list(range(len(dev)))
        dev_loss = log_loss(scores, y_dev, temperature)
        dev_real_loss = log_loss(scores[dev_real], [y_dev[i] for i in dev_real], temperature)
        print(
            f"{name:<20} cv {mean[0]:.2%} / {mean[1]:.2%} / {mean[2]:.2%} / {mean[3]:.2%}"
            f"  loss {mean[4]:.3f} / {mean[5]:.3f}"
            f" | dev {pct(scores, y_dev, every)} / {pct(scores, y_dev, dev_real)};"
            f" {pct(scores, y_dev, every, 'utility')} / {pct(scores, y_dev, every, 'marketing')}"
            f" / {pct(scores, y_dev, every, 'authentication')};"
            f" real {pct(scores, y_dev, dev_real, 'utility')}"
            f" / {pct(scores, y_dev, dev_real, 'marketing')}"
            f"  loss {dev_loss:.3f} / {dev_real_loss:.3f} (T {temperature:.2f})",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    global PREFIX, NGRAMS, SEED, RULE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="train and report, write nothing")
    parser.add_argument("--c", type=float, default=None, help="regularization (skip the search)")
    parser.add_argument("--prefix", type=int, default=None, help="override PREFIX")
    parser.add_argument(
        "--ngrams", type=int, nargs=2, default=None, metavar=("N", "M"), help="override NGRAMS"
    )
    parser.add_argument(
        "--scale",
        action="append",
        default=[],
        metavar="FAMILY=X",
        help="override a FAMILY_SCALE entry (w, b, bw, fw, p, l, c, n, k, s, otp)",
    )
    parser.add_argument(
        "--by-language", action="store_true", help="also cross-validate leaving one language out"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="deal of the cross-validation folds (default 7)"
    )
    parser.add_argument(
        "--rule", choices=sorted(RULES), default=None, help=f"training data rule (default {RULE})"
    )
    parser.add_argument(
        "--smoothing", type=float, default=None, help="label smoothing share (see SMOOTHING)"
    )
    parser.add_argument(
        "--compare",
        nargs="*",
        metavar="RULE[+SMOOTHING]",
        default=None,
        help="compare training data rules (all when none named) at one C, 3 deals; write nothing",
    )
    args = parser.parse_args(argv)
    if args.seed is not None:
        SEED = args.seed
    if args.prefix is not None:
        PREFIX = args.prefix
    if args.ngrams is not None:
        NGRAMS = (args.ngrams[0], args.ngrams[1])
    for item in args.scale:
        family, _, value = item.partition("=")
        FAMILY_SCALE[family.strip()] = float(value)
    if args.rule is not None:
        RULE = args.rule
    smoothing = SMOOTHING if args.smoothing is None else args.smoothing

    lexicon_json = compile_lexicon()
    lexicon = Lexicon.from_json(lexicon_json)
    train = load_examples(("train",))
    dev = load_examples(("dev",))
    y_train, y_dev = [e["label"] for e in train], [e["label"] for e in dev]
    groups = [cv_group(e) for e in train]
    print(f"train {len(train)} {dict(Counter(y_train))}; dev {len(dev)} {dict(Counter(y_dev))}")
    print(f"families scaled {FAMILY_SCALE}, word stems {PREFIX or 'off'}, letter runs {NGRAMS}")

    x_train, x_dev = featurize(train, lexicon), featurize(dev, lexicon)
    if args.compare is not None:
        compare(args.compare or None, x_train, train, x_dev, dev, args.c or 0.5)
        return 0
    print(f"training data rule {RULE}" + (f", label smoothing {smoothing}" if smoothing else ""))
    c_grid = [args.c] if args.c else [0.5, 1.0, 2.0]
    best: tuple[float, float, Any] | None = None
    for c in c_grid:
        oof = out_of_fold(x_train, train, groups, c, rule=RULE, smoothing=smoothing)
        loss = log_loss(oof, y_train, 1.0)
        dev_scores = scores_of(fit_examples(x_train, train, c, RULE, smoothing), x_dev)
        dev_loss = log_loss(dev_scores, y_dev, 1.0)
        print(
            f"C={c:<5} cv log loss {loss:.3f}  cv accuracy {accuracy(oof, y_train):.3f}  "
            f"dev log loss {dev_loss:.3f}  dev accuracy {accuracy(dev_scores, y_dev):.3f}"
        )
        # chosen on both: out-of-fold train (grouped by source) and dev; never blind
        if best is None or loss + dev_loss < best[0]:
            best = (loss + dev_loss, c, oof)
    assert best is not None
    _, c, oof = best
    print(f"chosen C={c}; grouped 5-fold cross-validation on train (out-of-fold):")
    report("cv ", oof, train)
    if args.by_language:
        langs = [e["language"] for e in train]
        print("leave-one-language-out on train:")
        lolo = out_of_fold(x_train, train, langs, c, True, RULE, smoothing)
        report("lolo", lolo, train)
    fitted = fit_examples(x_train, train, c, RULE, smoothing)
    dev_scores = scores_of(fitted, x_dev) if dev else None
    if dev:
        print("dev (model fitted on all of train):")
        report("dev", dev_scores, dev)
    # calibrated on the real templates of train, out of fold: see step 4 above
    real = [i for i, e in enumerate(train) if e["source_kind"] != "team_written"]
    temperature = fit_temperature(oof[real], [y_train[i] for i in real])
    print(
        f"temperature {temperature:.2f} (fitted on train's real templates out of fold; on all "
        f"of train out of fold it would be {fit_temperature(oof, y_train):.2f}"
        + (f", on dev {fit_temperature(dev_scores, y_dev):.2f})" if dev else ")")
    )
    if dev:
        print(
            f"dev log loss {log_loss(dev_scores, y_dev, 1.0):.3f} raw, "
            f"{log_loss(dev_scores, y_dev, temperature):.3f} calibrated"
        )
    digest = hashlib.sha256()
    for path in [
        *sorted(CORPUS_DIR.glob("*.yaml")),
        TUNING_SET,
        DISTINCTIONS,
        *sorted(LEXICON_DIR.glob("*.yaml")),
    ]:
        digest.update(path.read_bytes())
    meta = {
        "trained_on": dict(sorted(Counter(y_train).items())),
        "regularization_c": c,
        "real_marketing_weight": round(
            real_marketing_weight([e for e, f in zip(train, RULES[RULE](train)) if f > 0]), 3
        ),
        "training_data_rule": RULE + (f", label smoothing {smoothing}" if smoothing else ""),
        "family_scale": dict(sorted(FAMILY_SCALE.items())),
        "temperature_fitted_on": "train real templates, out of fold",
        "data_sha256": digest.hexdigest(),
        "script": "scripts/train_classifier.py",
    }
    model = export(fitted, temperature, lexicon_json, meta)
    print(f"{len(model['features'].split(chr(9)))} features")
    if not args.check:
        MODEL_PATH.write_text(
            json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
