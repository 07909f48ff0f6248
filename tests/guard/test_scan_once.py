"""The guard scans a text once: one automaton pass picks the few patterns worth running,
suggestions already checked are not checked again, and the buyer's message is normalised
once per suggest — with exactly the flags and alerts of running every pattern every time."""

from __future__ import annotations

import app.guard.scanner as matcher_module
import app.guard.text_views as views_module
from app import PROJECT_ROOT
from app.content.files import load_content
from app.engine.assistant import Assistant
from app.guard.guard import Guard
from app.guard.prefilter import required_literals
from app.guard.rules import Pattern, parse_rule
from app.rendering.renderer import Renderer
from app.shop import ShopProfile


def _texts(rules) -> list[tuple[str, ShopProfile | None]]:
    """Every example of every rule and alert, and every bundled reply template (its source
    and as rendered, with and without an order), with small edits that move hits about."""
    out: list[tuple[str, ShopProfile | None]] = []
    for r in rules:
        specs = [r.examples] + ([r.alert.examples] if r.alert is not None else [])
        for ex in (e for s in specs for e in [*s.flag, *s.pass_]):
            out += [(ex.text, ex.shop), ("亲，" + ex.text + "哦", ex.shop), (ex.text.replace("，", " "), None)]
    pack, _ = load_content(PROJECT_ROOT / "intents", PROJECT_ROOT / "templates")
    renderer = Renderer({v.name: v.label for v in pack.variables.values()})
    for tpl in pack.templates.values():
        out.append((tpl.body, None))
        for ctx in (None, {"buyer_name": "小王", "order_id": "3312456789", "item_name": "F5716 女鞋"}):
            out.append((renderer.render(tpl.body, ctx).text, None))
    return out


def test_the_prefilter_changes_no_flag_and_no_alert(rules, shoe_shop, monkeypatch) -> None:
    fast = Guard(rules)
    # The same rules with no literal known for any pattern: every pattern runs on every text.
    monkeypatch.setattr(matcher_module, "required_literals", lambda pattern: None)
    slow = Guard(rules)
    # the prefilter is on only in one
    assert len(slow._scanner._always) == len(slow._scanner._patterns) > len(fast._scanner._always)
    for text, shop in _texts(rules):
        for s in {id(x): x for x in (shop, shoe_shop)}.values():
            assert fast.check(text, s) == slow.check(text, s), text
            assert fast.alerts(text, s) == slow.alerts(text, s), text


def test_a_clean_reply_runs_few_patterns(guard) -> None:
    """Of the hundreds of patterns, a plain reply needs only those whose words it contains."""
    ran: list[int] = []

    class Counting:  # stands in for the list of patterns, counting which ones are run
        def __init__(self, patterns):
            self.patterns = patterns

        def __getitem__(self, k):
            ran.append(k)
            return self.patterns[k]

        def __len__(self):
            return len(self.patterns)

    m = guard._scanner
    original = m._patterns
    m._patterns = Counting(original)  # type: ignore[assignment]
    try:
        flags = guard.check("亲，非常抱歉给您带来不便，麻烦您拍几张照片给我们，我们核实后马上为您处理。")
    finally:
        m._patterns = original
    assert flags == []
    assert len(original) > 150
    assert len(ran) < len(original) // 5


def test_what_a_pattern_needs_found_before_it_runs() -> None:
    def needs(regex: str):
        return required_literals(Pattern(regex, regex))

    both = {a + b + c for a in ("给您", "帮您") for b in ("发", "安排") for c in ("韵达", "中通")}
    assert needs(r"(?:给您|帮您)(?:发|安排)(?:韵达|中通)") == (both,)  # the whole, spelt out
    # A number between them: each side is needed on its own.
    assert set(needs(r"(?:赔|补偿)(?:给)?\d+(?:元|块钱|块)")) == {frozenset({"赔", "补偿"}), frozenset({"元", "块"})}
    assert needs(r"(?:包邮)?到家") == (frozenset({"到家"}),)  # the optional part is not needed
    assert needs(r"WeChat") == (frozenset({"wechat"}),)  # the text is lower-case
    assert needs(r"\d+元?") is None  # nothing to look for: it always runs
    assert needs(r"(?:加|添)?.{0,3}(?:微信|vx)?") is None


RULE = """\
id: we_chat
severity: block
title: 测试
message: 测试用
patterns: ['wechat号']
examples:
  flag: [我的wechat号]
  pass: [我的微博号]
"""


def test_a_letter_that_ignorecase_folds_into_ascii_still_flags() -> None:
    """İ matches i under IGNORECASE and NFKC keeps it: such a text runs every pattern."""
    rule, problems = parse_rule(RULE.replace("wechat", "weixin"), "rules/we_chat.yaml")
    assert problems == [] and rule is not None
    guard = Guard([rule])
    assert [f.excerpt for f in guard.check("加我weİxin号")] == ["weİxin号"]
    assert [f.excerpt for f in guard.check("加我WEIXIN号")] == ["WEIXIN号"]
    assert guard.check("加我微信号") == []


def test_cached_results_are_per_text_and_per_shop(guard, monkeypatch) -> None:
    guard = Guard(guard.rules)  # a guard of its own: an empty cache
    views_made: list[str] = []
    make_views = views_module.make_views

    def counting(text, normalized=None):
        views_made.append(text)
        return make_views(text, normalized)

    monkeypatch.setattr("app.guard.guard.make_views", counting)
    text = "好的亲，这就给您发韵达"
    yunda, sto = ShopProfile(carriers=["韵达"]), ShopProfile(carriers=["申通"])
    assert guard.check_cached(text, yunda) == []
    first = guard.check_cached(text, sto)
    assert [f.rule for f in first] == ["carrier_commitment"]
    assert guard.check_cached(text, yunda) == [] and guard.check_cached(text, sto) == first
    assert len(views_made) == 2  # one scan per (text, shop); the repeats were remembered
    first.clear()  # what a caller does with the list does not reach the cache
    assert guard.check_cached(text, sto) != []


def test_suggest_normalises_the_message_once_and_checks_a_reply_once(engine: Assistant, monkeypatch) -> None:
    message = "能给我发顺丰吗 急用，保证明天到吗"
    normalised: list[str] = []
    make_views: list[str] = []
    real_normalize, real_views = views_module.normalize, views_module.make_views

    def counting_normalize(text):
        normalised.append(text)
        return real_normalize(text)

    def counting_views(text, normalized=None):
        make_views.append(text)
        return real_views(text, normalized)

    monkeypatch.setattr(views_module, "normalize", counting_normalize)
    monkeypatch.setattr("app.guard.guard.make_views", counting_views)
    shop = ShopProfile(carriers=["申通"])
    engine.guard._cache.clear()
    first = engine.suggest(message, {"buyer_name": "小王"}, shop)
    assert first.alerts and first.suggestions
    assert message not in normalised  # the alerts reuse the normalisation of matching
    replies = [s.text for s in first.suggestions]
    assert all(r in make_views for r in replies)
    make_views.clear()
    again = engine.suggest(message, {"buyer_name": "小王"}, shop)
    assert [s.flags for s in again.suggestions] == [s.flags for s in first.suggestions]
    assert not any(r in make_views for r in replies)  # the same replies are not scanned again


def test_the_fast_paths_see_every_separator_and_every_run() -> None:
    """make_views looks for separators with one regex, normalize for runs to collapse with
    another: each must find every character the slow per-character test would."""
    from app.guard.text_views import _MAYBE_SEPARATOR, _is_separator
    from app.text.normalize import _RUNS, is_punct

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert [c for c in chars if _is_separator(c) and not _MAYBE_SEPARATOR.fullmatch(c)] == []
    assert [c for c in chars if is_punct(c) and not _RUNS.search("a" + c + c)] == []
    assert [c for c in chars if c.isspace() and not _RUNS.search("a" + c + "b") and c != " "] == []
