"""Whether a passage answers a question, which passage comes first, and which sentence to
highlight: two linear models over a handful of signals.

    model = DecisionModel.load()
    model.probability(features) -> P(the passage holds the answer)   shown when >= threshold,
                                                                       higher first
    model.sentence_score(sentence_features) -> the key sentence's score  highest highlighted

The features of one candidate passage (`FEATURES`) and of its sentences (`SENTENCE_FEATURES`)
are computed by `bot.answering`; the coefficients are fitted by `scripts/calibrate.py` (`make
calibrate`) on the development question sets and shipped in `bot/data/decision.json`. The
probability is a logistic regression over all candidates (`fit`); the sentence choice is a
conditional logit (`fit_choice`): a passage's sentences compete for one softmax, which fits
"which one holds the answer" rather than "does this one, in isolation". (The same conditional
logit over a question's candidates, tried for their order, was no better in English over five
held-out folds and worse on tests/questions.py, so candidates are ordered by the probability.)
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ReportbotError

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
MODEL_PATH = DATA / "decision.json"  # fitted on the default embedding model's scores

FEATURES: tuple[str, ...] = (
    "dense",  # cosine of question and passage
    "sentence",  # cosine of question and the passage's closest sentence
    "dense_gap",  # dense minus the best dense among the candidates
    "sentence_gap",  # sentence minus the best sentence among the candidates
    "coverage",  # IDF-weighted share of the question's words in the passage
    "sentence_coverage",  # the same in the closest sentence
    "bm25",  # BM25 over the sum of the question's IDFs (0 when the lexical side missed it)
    "bm25_rel",  # BM25 over the best BM25 among the candidates
    "unseen",  # IDF-weighted share of the question's words the index has never seen
    "dense_rank",  # 1 / (1 + rank) on the dense side, 0 when absent
    "lexical_rank",  # 1 / (1 + rank) on the lexical side, 0 when absent
    "translated",  # 1 when the question was searched through its English rendering
    "window",  # best mean cosine of two adjacent sentences (an answer beside its subject)
    "window_coverage",  # best coverage of two adjacent sentences together
    "proximity",  # matched question words over the shortest stretch of text holding them all
    "local_coverage",  # coverage with each word weighed by its rarity among the candidates
    "local_sentence_coverage",  # the same in the passage's best sentence for it
    "local_coverage_gap",  # local_coverage minus the best among the candidates
    "pairs",  # share of the question's pairs of adjacent words found near each other
    "missing",  # IDF of the rarest question word the passage lacks, over the rarest's
    "terms",  # log(1 + the question's content words): how much the coverages can say
)

SENTENCE_FEATURES: tuple[str, ...] = (
    "sim",  # cosine of question and sentence
    "coverage",  # IDF-weighted share of the question's words in the sentence
    "sim_gap",  # sim minus the passage's best sim
    "coverage_gap",  # coverage minus the passage's best coverage
    "local_coverage",  # coverage weighed by rarity among the candidates (see FEATURES)
    "neighbour",  # the best cosine of the sentences beside it (its own when alone)
    "neighbour_coverage",  # the best coverage of the sentences beside it
    "position",  # 0 for the passage's first sentence, 1 for its last
    "length",  # log(1 + characters)
)


def expand(x: np.ndarray) -> np.ndarray:
    """The model's inputs: the features, then every product of two of them (squares too).

    The products let the fit weigh one signal by another (a high cosine counts for less when
    the question's rare words are missing); on the development set they lift the checking
    part's hit@1 (see README, "Abstention").
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    i, j = np.triu_indices(x.shape[1])
    return np.hstack([x, x[:, i] * x[:, j]])


def input_names(features: tuple[str, ...] = FEATURES) -> list[str]:
    """Names of the columns of `expand`: the features, then "a*b" for each product."""
    i, j = np.triu_indices(len(features))
    return [*features, *(f"{features[a]}*{features[b]}" for a, b in zip(i, j, strict=True))]


class DecisionModelError(ReportbotError):
    """The decision model file is missing or does not fit the features."""


@dataclass(frozen=True)
class DecisionModel:
    features: tuple[str, ...]  # the inputs are these and their pairwise products (`expand`)
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # show a passage whose probability is at least this
    sentence_mean: tuple[float, ...]  # the key sentence's model, over expand(SENTENCE_FEATURES)
    sentence_scale: tuple[float, ...]
    sentence_coef: tuple[float, ...]
    fitted: dict[str, Any] = field(default_factory=dict)  # how: data, seed, figures

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        return (expand(x) - np.asarray(self.mean)) / np.asarray(self.scale)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(answers) for each row of a (n, len(features)) matrix of features."""
        return 1.0 / (1.0 + np.exp(-(self._inputs(x) @ np.asarray(self.coef) + self.intercept)))

    def sentence_score(self, x: np.ndarray) -> np.ndarray:
        """The key-sentence score of each row of a passage's sentence features."""
        z = (expand(x) - np.asarray(self.sentence_mean)) / np.asarray(self.sentence_scale)
        return z @ np.asarray(self.sentence_coef)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path = MODEL_PATH) -> None:
        """Write the model as JSON (what `make calibrate` ships)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionModel:
        model = cls(
            features=tuple(data["features"]),
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            sentence_mean=tuple(data["sentence_mean"]),
            sentence_scale=tuple(data["sentence_scale"]),
            sentence_coef=tuple(data["sentence_coef"]),
            fitted=dict(data.get("fitted") or {}),
        )
        inputs = len(input_names())
        sentence_inputs = len(input_names(SENTENCE_FEATURES))
        if (
            model.features != FEATURES
            or not (len(model.mean) == len(model.scale) == len(model.coef))
            or len(model.mean) != inputs
            or not (
                len(model.sentence_mean)
                == len(model.sentence_scale)
                == len(model.sentence_coef)
                == sentence_inputs
            )
        ):
            raise DecisionModelError(
                "The decision model was fitted on other features; run `make calibrate`."
            )
        return model

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> DecisionModel:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise DecisionModelError(f"{path} is missing; run `make calibrate`.") from exc
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DecisionModelError(f"{path} is damaged ({exc}); run `make calibrate`.") from exc


def model_path(embedder_name: str | None = None) -> Path:
    """Where the model fitted for an embedding model's scores is kept.

    Cosines differ in scale from one embedding model to another, so each has its own fit:
    bot/data/decision.json for the default model (its ONNX variants share it), and
    bot/data/decision-<name>.json for another (the fake `hash-384` of the unit tests).
    """
    if embedder_name is None:
        return MODEL_PATH
    base = embedder_name.split("+", 1)[0]
    own = DATA / f"decision-{base}.json"
    return own if own.is_file() else MODEL_PATH


@lru_cache(maxsize=8)
def shipped(embedder_name: str | None = None) -> DecisionModel:
    """The model fitted for this embedding model (else the default one), read once."""
    path = model_path(embedder_name)
    model = DecisionModel.load(path)
    fitted_for = model.fitted.get("embedder")
    if embedder_name and fitted_for and fitted_for != embedder_name.split("+", 1)[0]:
        log.warning(
            "No decision model fitted for %s; using the one fitted for %s (`make calibrate`)",
            embedder_name,
            fitted_for,
        )
    return model


def fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    l2: float = 1e-3,
    steps: int = 500,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised columns.

    `x` holds the model's inputs (`expand` of the features). Returns (mean, scale, coef,
    intercept). Deterministic: no random start, no shuffling.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2 * w.sum())
    reg[-1] = 0.0  # the intercept is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (p - y)) + reg * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return mean, scale, beta[:-1], float(beta[-1])


def fit_choice(
    z: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    l2: float = 1e-3,
    steps: int = 100,
) -> np.ndarray:
    """A conditional logit: coefficients `b` so that softmax(z @ b) over each group's rows puts
    its mass on the group's positive rows (shared equally when there are several).

    `z` holds standardised inputs; `groups` labels each row's group (a question, a passage),
    rows of one group contiguous. Groups without a positive row, or with only positive rows,
    carry no information and are left out. Newton's method, as `fit`: deterministic.
    """
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    groups = np.asarray(groups)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    pos = np.add.reduceat(y, starts)
    size = np.diff(np.r_[starts, len(y)])
    keep_group = (pos > 0) & (pos < size)
    keep = np.repeat(keep_group, size)
    z, y = z[keep], y[keep]
    size, pos = size[keep_group], pos[keep_group]
    starts = np.r_[0, np.cumsum(size)[:-1]]
    target = y / np.repeat(pos, size)
    beta = np.zeros(z.shape[1])
    reg = l2 * len(size)

    def probabilities(b: np.ndarray) -> tuple[np.ndarray, float]:
        s = z @ b
        s = s - np.repeat(np.maximum.reduceat(s, starts), size)
        log_norm = np.log(np.add.reduceat(np.exp(s), starts))
        log_p = s - np.repeat(log_norm, size)
        return np.exp(log_p), float(-(target * log_p).sum() + reg / 2 * b @ b)

    p, loss = probabilities(beta)
    for _ in range(steps):
        grad = z.T @ (p - target) + reg * beta
        m = np.add.reduceat(z * p[:, None], starts)
        hess = (z * p[:, None]).T @ z - m.T @ m + reg * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        for _ in range(30):  # halve the step until the loss falls: Newton may overshoot
            p_new, loss_new = probabilities(beta - step)
            if loss_new <= loss:
                break
            step = step / 2
        else:
            break
        beta, p, loss = beta - step, p_new, loss_new
        if np.abs(step).max() < 1e-9:
            break
    return beta
