"""The Spanish tone reader: its measured operating point, its offline model, names, and abstentions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis import tone_es
from analysis import tone_validation as v
from analysis.tone import ANALYZER_VERSION, score_text
from analysis.tone_curves import load_curves
from analysis.tone_names import names, strip_names

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def polar() -> list[v.Row]:
    return v.spanish_rows()[0]


def test_the_operating_point_holds_on_the_held_out_half(polar: list[v.Row]) -> None:
    """The shipped threshold is what the rule picks on the tuning half, and on the held-out half
    (never used to choose it) posts at or above it are right in sign at least 80% of the time."""
    assert len(polar) == 797
    tuning, held = v.split(polar)
    assert {r.text for r in tuning}.isdisjoint({r.text for r in held})
    assert v.choose_threshold(tuning) == tone_es.THRESHOLD
    point = v.at_threshold(held, tone_es.THRESHOLD)
    assert point.accuracy >= v.TARGET, f"held-out accuracy {point.accuracy:.3f} at {tone_es.THRESHOLD}"
    assert point.scored >= v.MIN_ROWS
    # The method reaches the bar at a coverage of at least 20% of the held-out half.
    assert dict(v.curve(held))[20] >= v.TARGET


def test_the_curve_the_report_shows_is_the_one_the_code_computes(polar: list[v.Row]) -> None:
    entry = load_curves()["es"]
    _tuning, held = v.split(polar)
    assert entry["threshold"] == tone_es.THRESHOLD and entry["method"] == tone_es.METHOD
    assert entry["curve"] == [[c, round(a, 4)] for c, a in v.curve(held)]
    assert entry["operating_point"]["accuracy"] == round(v.at_threshold(held, tone_es.THRESHOLD).accuracy, 4)
    assert load_curves()["en"]["threshold"] is None


def test_the_rule_refuses_a_threshold_when_the_reader_is_no_better_than_chance() -> None:
    rows = [v.Row(str(i), i % 2, 1.0 + (i % 7) / 10) for i in range(400)]  # always positive: half wrong
    assert v.choose_threshold(rows) is None
    assert v.wilson_lower(80, 100) < 0.8 < v.wilson_lower(90, 100)


def test_auc_matches_its_definition() -> None:
    rows = [v.Row("a", 1, 0.9), v.Row("b", 1, 0.2), v.Row("c", 0, 0.2), v.Row("d", 0, -0.5)]
    # positives outrank negatives in 3 pairs, tie in 1: (3 + 0.5) / 4
    assert v.auc(rows) == pytest.approx(0.875)


def test_the_fast_reader_equals_evomsas_own_model() -> None:
    texts = [text for text, _klass in v.evomsa_tweets()]
    raw = tone_es.raw_model().transform(texts)
    labels = list(tone_es.raw_model()._labels)
    pos, neg = labels.index("positive"), labels.index("negative")
    model = tone_es.model()
    for text, row in zip(texts, raw, strict=True):
        assert model.polarity(text) == pytest.approx(row[pos] - row[neg], abs=1e-9)


def test_the_model_loads_from_the_package_file_never_the_downloader(monkeypatch: pytest.MonkeyPatch) -> None:
    import EvoMSA.utils

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("EvoMSA's downloader was called")

    monkeypatch.setattr(EvoMSA.utils, "download", refuse)
    monkeypatch.setattr(EvoMSA.utils, "get_model", refuse)
    tone_es.raw_model.cache_clear()
    tone_es.model.cache_clear()
    try:
        assert tone_es.model_path().is_file() and tone_es.model_path().name == "ha_Es.tm"
        assert tone_es.model().polarity("gracias") is not None
    finally:
        tone_es.raw_model.cache_clear()
        tone_es.model.cache_clear()


def test_a_confident_spanish_statement_is_scored_with_method_and_confidence() -> None:
    praise = score_text("Bukele es el mejor presidente del mundo, gracias por devolvernos la paz.", "es")
    outrage = score_text("Estoy harto de tanta corrupción, mentiras y abusos de poder.", "es")
    assert praise.method == outrage.method == "evomsa-ha_es"
    assert praise.score is not None and praise.score > 0 and praise.label == "positive"
    assert outrage.score is not None and outrage.score < 0 and outrage.label == "negative"
    for tone in (praise, outrage):
        assert tone.confidence is not None and tone.confidence >= tone_es.THRESHOLD
        assert tone.model_polarity is not None and tone.score == pytest.approx(tone_es.score_of(tone.model_polarity))
        assert tone.abstain_reason is None and tone.lang == "es"


def test_below_the_threshold_spanish_abstains_never_zero() -> None:
    tone = score_text("El ministerio informa que el trámite de pasaportes será en las oficinas centrales.", "es")
    assert tone.score is None and tone.label is None and tone.method is None
    assert tone.abstain_reason == "low_confidence:es"
    assert tone.confidence is not None and tone.confidence < tone_es.THRESHOLD
    assert tone.model_polarity is not None  # the reading is kept: it shows how far below the bar
    assert score_text("Gracias a todos por el apoyo", None).lang_method == "detector"


@pytest.mark.parametrize("sentence", [
    "{} habló hoy", "{} llegó", "Gracias {}", "Estoy harto de tanta corrupción en {}",
    "La conferencia de prensa sobre {} será mañana", "Celebramos la sentencia sobre {}",
])
@pytest.mark.parametrize("name", ["El Salvador", "Bukele", "CECOT", "Tren de Aragua", "@nayibbukele",
                                  "#ElSalvador", "EL SALVADOR", "Nayib Bukele", "el CECOT", "los Estados Unidos"])
def test_names_never_move_a_spanish_score(sentence: str, name: str) -> None:
    with_name = score_text(sentence.format(name), "es")
    without = score_text(" ".join(sentence.format("").split()), "es")
    keys = ("score", "label", "method", "abstain_reason", "confidence", "model_polarity")
    assert {k: getattr(with_name, k) for k in keys} == {k: getattr(without, k) for k in keys}


def test_unprotected_the_names_would_move_the_model() -> None:
    """Why the names go: read as words, they shift the margin across the bar."""
    model = tone_es.model()
    plain = model.polarity("llegó")
    named = model.polarity("El Tren de Aragua llegó")
    assert plain is not None and named is not None
    assert abs(plain) >= tone_es.THRESHOLD > abs(named)
    assert strip_names("El Tren de Aragua llegó") == "llegó"
    assert strip_names("la visita del presidente Bukele al CECOT") == "la visita del presidente a"
    assert {"El Salvador", "Bukele", "CECOT", "Tren de Aragua"} <= set(names())


def test_a_text_of_names_alone_has_no_tone() -> None:
    tone = score_text("El Salvador, Bukele, CECOT, Tren de Aragua", "es")
    assert tone.score is None and tone.abstain_reason == "no_signal"


@pytest.mark.parametrize("text,lang", [("Obrigado a todos pelo apoio e pela amizade", "pt"),
                                       ("Merci à tous pour votre soutien et votre amitié", "fr")])
def test_portuguese_and_french_still_abstain(text: str, lang: str) -> None:
    tone = score_text(text, lang)
    assert tone.score is None and tone.abstain_reason == f"unsupported_language:{lang}"


def test_the_version_names_the_spanish_reader() -> None:
    assert f"es:evomsa{tone_es.evomsa_version()}-ha_Es.tm-t{tone_es.THRESHOLD}" in ANALYZER_VERSION


def test_the_switch_keeps_spanish_abstaining(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        from analysis.tone import ANALYZER_VERSION, score_text
        tone = score_text("Estoy harto de tanta corrupción, mentiras y abusos de poder.", "es")
        print(tone.abstain_reason, tone.score, ANALYZER_VERSION.endswith("+es:off"))
    """)
    env = {**os.environ, tone_es.ENV_SWITCH: "off", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["unsupported_language:es", "None", "True"]


def test_the_public_affairs_set_is_labelled_and_covers_the_registers() -> None:
    path = ROOT / "tests" / "data" / "tone_es_public_affairs.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    assert len(rows) == 50 and all(len(r) == 3 for r in rows)
    assert {label for label, _, _ in rows} == {"positive", "negative", "neutral"}
    assert {"announcement", "court", "mockery", "security", "outrage"} <= {register for _, register, _ in rows}


def test_the_method_page_curve_draws_both_languages_and_the_spanish_operating_point() -> None:
    from reports.tone_curve import tone_validation_context

    context = tone_validation_context()
    assert context is not None and context["languages"] == ["English", "Spanish"]
    svg = str(context["svg"])
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1  # only Spanish is thresholded
    assert "Spanish operating point" in svg and "<desc" in svg
    spanish = load_curves()["es"]
    assert context["rows"][0]["values"][1] == f"{spanish['curve'][0][1]:.3f}"
    assert context["es"]["threshold"] == tone_es.THRESHOLD
    assert context["es"]["accuracy_pct"] == f"{100 * spanish['operating_point']['accuracy']:.0f}"
