"""The decision policy as a pure function: calibrated probabilities in, intents out."""

import dataclasses

import numpy as np
import pytest

from app.matching.classifier import fit_temperature
from app.matching.policy import OOS, POLICY_FILE, Policy, adjust, decide

P = Policy(accept=0.4, oos_ratio=1.0, secondary=0.6, whole_secondary=1.01, clause_may_lead=True)


def labels(decision):
    return [p.label for p in decision.intents]


def test_confident_intent_is_accepted_and_weak_one_is_not():
    assert labels(decide([{"a": 0.7, "b": 0.2, OOS: 0.1}], P)) == ["a"]
    weak = decide([{"a": 0.3, "b": 0.3, OOS: 0.4}], P)
    assert weak.intents == [] and weak.best_rejected.label == "a"


def test_out_of_scope_wins_when_more_probable_than_oos_ratio_times_the_intent():
    view = [{"a": 0.45, OOS: 0.5, "b": 0.05}]
    assert labels(decide(view, P)) == []
    assert labels(decide(view, dataclasses.replace(P, oos_ratio=1.2))) == ["a"]


def test_a_clause_adds_a_second_problem_only_when_confident():
    whole = {"a": 0.6, "b": 0.3, OOS: 0.1}
    sure, unsure = {"b": 0.8, "a": 0.1, OOS: 0.1}, {"b": 0.5, "a": 0.2, OOS: 0.3}
    assert labels(decide([whole, {"a": 0.9, OOS: 0.1}, sure], P)) == ["a", "b"]
    assert labels(decide([whole, {"a": 0.9, OOS: 0.1}, unsure], P)) == ["a"]


def test_a_clause_that_is_rather_out_of_scope_adds_nothing():
    whole = {"a": 0.7, OOS: 0.3}
    assert labels(decide([whole, {"b": 0.45, OOS: 0.55}], dataclasses.replace(P, secondary=0.3))) == ["a"]


def test_greeting_never_leads_when_a_clause_has_a_problem():
    whole = {"greeting": 0.6, "not_received": 0.3, OOS: 0.1}
    clause = {"greeting": 0.1, "not_received": 0.8, OOS: 0.1}
    got = decide([whole, {"greeting": 0.95, OOS: 0.05}, clause], P, standalone={"greeting"})
    assert labels(got) == ["not_received"]
    assert labels(decide([{"greeting": 0.9, OOS: 0.1}], P, standalone={"greeting"})) == ["greeting"]


def test_clause_may_lead_decides_whether_a_sharper_clause_becomes_the_main_intent():
    whole = {"a": 0.5, "b": 0.45, OOS: 0.05}
    views = [whole, {"b": 0.9, OOS: 0.1}]
    assert labels(decide(views, P))[0] == "b"
    assert labels(decide(views, dataclasses.replace(P, clause_may_lead=False)))[0] == "a"


def test_an_unsure_whole_message_lets_a_sure_clause_lead_below_clause_lead_below():
    # "包裹一直没收到 麻烦帮我看下": the whole turn spreads its probability, its first clause is sure.
    whole = {"a": 0.35, "b": 0.3, OOS: 0.35}
    views = [whole, {"b": 0.8, OOS: 0.2}, {OOS: 0.9, "a": 0.1}]
    leads_never = dataclasses.replace(P, clause_may_lead=False)
    assert labels(decide(views, leads_never)) == []
    assert labels(decide(views, dataclasses.replace(leads_never, clause_lead_below=0.5)))[0] == "b"
    # A whole message that is sure enough keeps its own best intent.
    sure_whole = [{"a": 0.6, "b": 0.3, OOS: 0.1}, {"b": 0.9, OOS: 0.1}]
    assert labels(decide(sure_whole, dataclasses.replace(leads_never, clause_lead_below=0.5)))[0] == "a"


def test_whole_message_runner_up_is_a_second_problem_above_whole_secondary():
    views = [{"a": 0.5, "b": 0.4, OOS: 0.1}]
    assert labels(decide(views, P)) == ["a"]
    assert labels(decide(views, dataclasses.replace(P, whole_secondary=0.35))) == ["a", "b"]


def test_keyword_raises_its_intent_and_negation_rules_it_out():
    probs = {"a": 0.4, "b": 0.35, OOS: 0.25}
    boosted = adjust(probs, dataclasses.replace(P, keyword_boost=1.0), keywords={"b"})
    assert boosted["b"] > boosted["a"] and abs(sum(boosted.values()) - 1) < 1e-9
    assert adjust(probs, P, negated={"a"})["a"] == 0.0
    assert adjust(probs, dataclasses.replace(P, keyword_boost=0.0), keywords={"b"}) == probs


def test_temperature_recovers_the_scale_of_noisy_margins():
    rng = np.random.default_rng(1)
    true_t = 0.25
    margins = rng.normal(size=(4000, 5))
    p = np.exp(margins / true_t)
    p /= p.sum(axis=1, keepdims=True)
    gold = np.array([rng.choice(5, p=row) for row in p])
    assert fit_temperature(margins, gold) == pytest.approx(true_t, rel=0.15)


def test_the_policy_file_loads_and_names_its_figures():
    policy = Policy.load(POLICY_FILE)
    assert 0 < policy.accept < 1 and 0 < policy.secondary <= 1
    assert {"top1", "oos_reject", "multi_recall"} <= set(policy.figures)


def test_an_unknown_policy_key_is_refused(tmp_path):
    f = tmp_path / "policy.yaml"
    f.write_text("accept: 0.4\nacept: 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="acept"):
        Policy.load(f)


def test_a_clause_intent_the_whole_message_does_not_support_is_left_out():
    whole = {"a": 0.9, "b": 0.01, OOS: 0.09}
    views = [whole, {"a": 0.9, OOS: 0.1}, {"b": 0.95, OOS: 0.05}]
    assert set(labels(decide(views, P))) == {"a", "b"}
    assert labels(decide(views, dataclasses.replace(P, clause_support=0.05))) == ["a"]


def test_a_greeting_glued_to_an_out_of_scope_question_is_no_match():
    glued = [{"greeting": 0.45, "a": 0.05, OOS: 0.5}, {"greeting": 0.99, OOS: 0.01}, {"a": 0.1, OOS: 0.9}]
    assert labels(decide(glued, P, standalone={"greeting"})) == []
    closing = [{"thanks": 0.7, OOS: 0.3}, {"thanks": 0.2, OOS: 0.8}, {"thanks": 0.95, OOS: 0.05}]
    assert labels(decide(closing, P, standalone={"thanks"})) == ["thanks"]


def test_a_keyword_of_another_intent_adds_it_when_keyword_secondary_allows():
    views = [{"a": 0.8, "b": 0.05, OOS: 0.15}]
    assert labels(decide(views, P, keywords=[{"b"}])) == ["a"]
    got = decide(views, dataclasses.replace(P, keyword_secondary=0.02), keywords=[{"b"}])
    assert labels(got) == ["a", "b"]


def test_a_whole_message_surely_out_of_scope_is_not_overturned_by_a_clause():
    views = [{"a": 0.1, OOS: 0.85, "b": 0.05}, {"a": 0.95, OOS: 0.05}]
    assert labels(decide(views, P)) == ["a"]
    assert labels(decide(views, dataclasses.replace(P, oos_veto=0.8))) == []
