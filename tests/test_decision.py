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


def test_probability_follows_the_coefficients():
    n, inputs = len(decision.FEATURES), len(decision.input_names())
    square = decision.input_names().index("dense*dense")
    coef = [0.0] * inputs
    coef[0], coef[square] = 1.0, 0.5
    model = decision.DecisionModel(
        features=decision.FEATURES,
        mean=(0.0,) * inputs,
        scale=(1.0,) * inputs,
        coef=tuple(coef),
        intercept=0.0,
        threshold=0.5,
    )
    p = model.probability(np.array([[0.0] * n, [2.0] + [0.0] * (n - 1)]))
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(1 / (1 + np.exp(-(2 + 0.5 * 4))))  # 2 and its square


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
