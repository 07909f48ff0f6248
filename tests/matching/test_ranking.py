"""Ranking that learns: after simulated feedback a preferred template moves first; a pinned one stays first."""

from __future__ import annotations

import random

from app import PROJECT_ROOT
from app.content.files import ContentPack, parse_template, template_path
from app.engine.assistant import Assistant
from app.ranking import PRIOR_WEIGHT, Ranking, RankingTable, TemplateCount

COLOUR = "收到的鞋子颜色和图片差好多，实物暗了一个色"
STANDARD, APOLOGY, SHORT = "color_difference/standard", "color_difference/apology", "color_difference/short"


def first_templates(engine: Assistant, ranking: Ranking | None, message: str = COLOUR) -> list[str]:
    return [s.template_id for s in engine.suggest(message, top_k=3, ranking=ranking).suggestions]


def simulate(engine: Assistant, prefer: str, rounds: int, seed: int = 7) -> RankingTable:
    """Agents of one shop use ``prefer`` 60 % of the times it is shown, any other template 10 %."""
    rng = random.Random(seed)
    shown: dict[str, int] = {}
    used: dict[str, int] = {}
    table = RankingTable()
    for _ in range(rounds):
        for tid in first_templates(engine, table.for_shop("shop")):
            shown[tid] = shown.get(tid, 0) + 1
            if rng.random() < (0.6 if tid == prefer else 0.1):
                used[tid] = used.get(tid, 0) + 1
        table = RankingTable.from_counts(
            TemplateCount("shop", t.split("/")[0], t, n, used.get(t, 0)) for t, n in shown.items()
        )
    return table


def test_without_data_the_default_order_stays(engine):
    assert first_templates(engine, None)[0] == STANDARD
    empty = RankingTable().for_shop("shop")
    assert empty is None
    # A shop with data for other intents only: this intent keeps its default order.
    other = RankingTable.from_counts([TemplateCount("shop", "thanks", "thanks/short", 20, 15)]).for_shop("shop")
    assert first_templates(engine, other) == first_templates(engine, None)


def test_the_template_agents_prefer_moves_first(engine):
    table = simulate(engine, SHORT, rounds=30)
    order = first_templates(engine, table.for_shop("shop"))
    assert order[0] == SHORT
    assert set(order) == {STANDARD, APOLOGY, SHORT}  # the others are still shown
    # Rankings are per shop: another shop still gets the default order.
    assert first_templates(engine, table.for_shop("another"))[0] == STANDARD


def test_scores_are_pulled_towards_the_intent_mean(engine):
    ranking = RankingTable.from_counts(
        [
            TemplateCount("shop", "color_difference", STANDARD, 200, 80),
            TemplateCount("shop", "color_difference", SHORT, 2, 2),
        ]
    ).for_shop("shop")
    prior = 82 / 202  # the intent's mean acceptance in this shop
    short = ranking.score(SHORT, "color_difference")
    assert short == (2 + PRIOR_WEIGHT * prior) / (2 + PRIOR_WEIGHT)
    assert prior < short < 0.6  # two uses out of two showings is promising, not certain
    # A template never shown scores the mean: it is neither buried nor promoted.
    assert ranking.score(APOLOGY, "color_difference") == prior
    assert first_templates(engine, ranking) == [SHORT, APOLOGY, STANDARD]


def test_a_pinned_template_stays_first(engine):
    pack = engine.pack
    source = (PROJECT_ROOT / "templates" / "replies" / template_path(APOLOGY)).read_text(encoding="utf-8")
    text = source.replace("title:", "pinned: true\ntitle:", 1)
    pinned, problems = parse_template(text)
    assert problems == [] and pinned.pinned is True
    templates = {**pack.templates, APOLOGY: pinned}
    edited = Assistant.build(
        ContentPack(pack.intents, templates, pack.out_of_scope, pack.variables, pack.fragments),
        engine.rules, engine.matcher.segmenter, previous=engine,
    )
    assert first_templates(edited, None)[0] == APOLOGY  # pinned comes first by default too
    table = simulate(edited, SHORT, rounds=30)
    order = first_templates(edited, table.for_shop("shop"))
    assert order[:2] == [APOLOGY, SHORT]  # the preferred one rises, but not above the pinned one

