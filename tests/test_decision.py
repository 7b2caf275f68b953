"""bot.decision: the answer-or-decline model, its fit and the shipped coefficients."""

from __future__ import annotations

import numpy as np
import pytest

from bot import decision


def test_fit_is_deterministic_and_finds_the_signal():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 3))
    y = (x[:, 0] - 0.5 * x[:, 2] + 0.3 * rng.standard_normal(400) > 0).astype(float)
    first = decision.fit(x, y)
    again = decision.fit(x, y)
    for a, b in zip(first[:3], again[:3], strict=True):
        assert np.array_equal(a, b)
    _, _, coef, _ = first
    assert coef[0] > 1 and coef[2] < -0.5 and abs(coef[1]) < 0.5


def test_a_choice_fit_puts_each_groups_mass_on_its_positive_row():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(300), 5)
    x = rng.standard_normal((len(groups), 3))
    # In each group the positive is the row with the highest x0 - x2 (plus noise); a shift
    # shared by a group's rows (column 1) says nothing about which row it is.
    x[:, 1] = np.repeat(rng.standard_normal(300), 5)
    noisy = x[:, 0] - x[:, 2] + 0.2 * rng.standard_normal(len(groups))
    y = np.zeros(len(groups))
    y[np.arange(300) * 5 + noisy.reshape(300, 5).argmax(axis=1)] = 1.0
    y[:5] = 1.0  # an all-positive group carries no information and is left out
    beta = decision.fit_choice(x, y, groups)
    assert np.array_equal(beta, decision.fit_choice(x, y, groups))
    assert beta[0] > 2 and beta[2] < -2 and abs(beta[1]) < 1e-6
    chosen = (x @ beta).reshape(300, 5).argmax(axis=1)
    assert (y.reshape(300, 5)[np.arange(300), chosen][1:] == 1).mean() > 0.8


def _model(coef: list[float]) -> decision.DecisionModel:
    inputs = len(decision.input_names())
    sentence_inputs = len(decision.input_names(decision.SENTENCE_FEATURES))
    return decision.DecisionModel(
        features=decision.FEATURES,
        mean=(0.0,) * inputs,
        scale=(1.0,) * inputs,
        coef=tuple(coef),
        intercept=0.0,
        threshold=0.5,
        sentence_mean=(0.0,) * sentence_inputs,
        sentence_scale=(1.0,) * sentence_inputs,
        sentence_coef=(1.0,) + (0.0,) * (sentence_inputs - 1),
    )


def test_probability_and_sentence_score_follow_the_coefficients():
    n, inputs = len(decision.FEATURES), len(decision.input_names())
    square = decision.input_names().index("dense*dense")
    coef = [0.0] * inputs
    coef[0], coef[square] = 1.0, 0.5
    model = _model(coef)
    x = np.array([[0.0] * n, [2.0, 3.0] + [0.0] * (n - 2)])
    p = model.probability(x)
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(1 / (1 + np.exp(-(2 + 0.5 * 4))))  # 2 and its square
    sentences = np.zeros((2, len(decision.SENTENCE_FEATURES)))
    sentences[:, 0] = [0.2, 0.7]  # the first sentence feature is the cosine
    assert model.sentence_score(sentences).tolist() == pytest.approx([0.2, 0.7])


def test_inputs_are_the_features_and_their_pairwise_products():
    x = np.arange(1.0, len(decision.FEATURES) + 1)[None, :]
    expanded = decision.expand(x)[0]
    names = decision.input_names()
    assert len(expanded) == len(names) == len(x[0]) * (len(x[0]) + 3) // 2
    assert expanded[names.index("sentence*coverage")] == 2.0 * 5.0


def test_the_shipped_model_loads_and_a_stale_one_is_refused(tmp_path):
    model = decision.shipped()
    assert model.features == decision.FEATURES and 0 < model.threshold < 1
    assert model.fitted.get("figures")  # how it was fitted travels with it
    stale = {**model.to_dict(), "features": ["dense"]}
    with pytest.raises(decision.DecisionModelError, match="make calibrate"):
        decision.DecisionModel.from_dict(stale)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(decision.DecisionModelError, match="damaged"):
        decision.DecisionModel.load(tmp_path / "broken.json")


def test_each_embedding_model_has_its_own_fit_and_onnx_variants_share_it():
    assert decision.model_path("all-MiniLM-L6-v2") == decision.MODEL_PATH
    assert decision.model_path("all-MiniLM-L6-v2+onnx-int8") == decision.MODEL_PATH
    assert decision.model_path("hash-384").name == "decision-hash-384.json"
    assert decision.shipped("all-MiniLM-L6-v2").fitted["embedder"] == "all-MiniLM-L6-v2"
    assert decision.shipped("hash-384").fitted["embedder"] == "hash-384"


def test_an_embedder_without_a_fit_gets_the_default_with_a_warning(caplog):
    with caplog.at_level("WARNING", logger="bot.decision"):
        model = decision.shipped("some-other-model")
    assert model.fitted["embedder"] == "all-MiniLM-L6-v2"
    assert "No decision model fitted for some-other-model" in caplog.text
