"""The promise ledger: promises found in agent turns (with offsets), the order note, and
drafts that break an earlier promise (``broken_promise``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from app.guard.guard import Guard
from app.guard.promises import (
    PROMISES_FILE,
    broken_promises,
    extract_promises,
    ledger,
    lexicon_problems,
    order_note,
    parse_lexicon,
)
from app.guard.rule_examples import ExampleCase, failure
from app.guard.rules import parse_rule
from app.shop import ShopProfile

_LEX = ledger().lexicon
_FIND = [(k.kind, ex) for k in _LEX.kinds for ex in k.examples.find]
_SKIP = [(k.kind, ex) for k in _LEX.kinds for ex in k.examples.skip]


def _agent(*texts: str) -> list[tuple[str, str]]:
    return [("agent", t) for t in texts]


@pytest.mark.parametrize(("kind", "ex"), _FIND, ids=[f"{k}:{e.text[:16]}" for k, e in _FIND])
def test_every_lexicon_example_is_found_with_its_span_and_value(guard, kind, ex) -> None:
    found = [p for p in extract_promises(_agent(ex.text), guard) if p.kind == kind]
    assert found, f"应找到 {kind}：{ex.text}"
    for p in found:
        assert p.text == ex.text[p.start : p.end] and p.turn == 0
    if ex.excerpt is not None:
        assert ex.excerpt in [p.text for p in found]
    assert ex.value in [p.value for p in found]


@pytest.mark.parametrize(("kind", "ex"), _SKIP, ids=[f"{k}:{e.text[:16]}" for k, e in _SKIP])
def test_no_lexicon_skip_example_is_a_promise_of_its_kind(guard, kind, ex) -> None:
    assert [p.text for p in extract_promises(_agent(ex.text), guard) if p.kind == kind] == []


def test_every_kind_carries_examples() -> None:
    for k in _LEX.kinds:
        assert len(k.examples.find) >= 2 and len(k.examples.skip) >= 3, k.kind


CHAT = [
    ("buyer", "在吗 订单号 3312456789"),
    ("agent", "在的亲，请问有什么可以帮您"),
    ("buyer", "我想要韵达 申通到不了我这，今天能发吗"),
    ("agent", "好的亲，给您备注发韵达"),
    ("buyer", "鞋盒里少了一双袜子"),
    (
        "agent",
        "实在抱歉亲，今天给您发出，少的袜子给您补发一双，再送您一副鞋垫，给您退5元，发票也给您开",
    ),
]


def test_a_conversation_gives_each_promise_with_its_turn_and_offsets(guard, shoe_shop) -> None:
    promises = extract_promises(CHAT, guard, shoe_shop)
    got = [(p.turn, p.kind, p.text, p.value) for p in promises]
    assert got == [
        (3, "carrier", "给您备注发韵达", "韵达"),
        (5, "ship_time", "今天给您发出", "今天"),
        (5, "resend", "给您补发一双", "一双"),
        (5, "gift", "送您一副鞋垫", "一副鞋垫"),
        (5, "refund", "给您退5元", "5元"),
        (5, "invoice", "发票也给您开", None),
    ]
    for p in promises:
        assert CHAT[p.turn][1][p.start : p.end] == p.text
    assert promises[0].as_dict() == {
        "turn": 3,
        "kind": "carrier",
        "text": "给您备注发韵达",
        "start": 4,
        "end": 11,
        "rule": "carrier_commitment",  # the shop ships 申通 only: the guard flags this promise
        "value": "韵达",
        "note": "发韵达",
    }
    # the buyer's own wishes (我想要韵达, 今天能发吗) are no promises
    assert {p.turn for p in promises} == {3, 5}


def test_a_chat_sent_again_gives_the_same_ledger_and_a_repeated_turn_its_own_index(guard, shoe_shop) -> None:
    # IM bots send the whole chat with every new buyer turn: each agent turn is read once, and
    # the same words said again later are a promise of that later turn.
    first = extract_promises(CHAT, guard, shoe_shop)
    longer = [*CHAT, ("buyer", "好的 那快点哦"), CHAT[3]]
    again = extract_promises(longer, guard, shoe_shop)
    assert again[: len(first)] == first
    assert [(p.turn, p.kind) for p in again[len(first) :]] == [(len(longer) - 1, "carrier")]


def test_a_promise_the_shop_can_keep_is_still_listed_without_a_rule(guard) -> None:
    shop = ShopProfile(carriers=["韵达", "申通"])
    [p] = extract_promises(_agent("好的亲，给您备注发韵达"), guard, shop)
    assert (p.kind, p.value, p.rule) == ("carrier", "韵达", None)
    [q] = extract_promises(_agent("好的亲 今天给您发出"), guard, ShopProfile(ship_within_hours=72))
    assert (q.kind, q.value, q.rule) == ("ship_time", "今天", "shipping_time_promise")


@pytest.mark.parametrize(
    "text",
    [
        "不能保证今天发哦，仓库这两天单量大",
        "预计明天到，具体以物流为准",
        "明天给您发货可以吗？",
        "大概明天能给您发出",
        "不能给您补发哦，需要先把鞋子寄回来",
        "请问您需要开发票吗",
        "我帮您确认一下韵达能不能发",
    ],
)
def test_negated_questioned_or_hedged_statements_are_no_promises(guard, text) -> None:
    assert extract_promises(_agent(text), guard) == []


def test_buyer_turns_are_ignored_and_turns_may_be_objects_or_dicts(guard) -> None:
    assert extract_promises([("buyer", "给我发韵达，今天发出，再送我一双袜子")], guard) == []
    turns = [
        SimpleNamespace(role="buyer", text="能发韵达吗"),
        {"role": "agent", "text": "好的亲，给您发韵达"},
        SimpleNamespace(role="agent", text="给您补发一双"),
    ]
    assert [(p.turn, p.kind) for p in extract_promises(turns, guard)] == [
        (1, "carrier"),
        (2, "resend"),
    ]


def test_spans_point_into_the_turn_as_typed(guard) -> None:
    text = "親，這邊給您發順豐哦"
    [p] = extract_promises(_agent(text), guard)
    assert (p.text, p.value) == ("這邊給您發順豐", "顺丰")
    assert text[p.start : p.end] == p.text


def test_a_risky_promise_only_the_guard_knows_is_listed_with_its_rule(guard, shoe_shop) -> None:
    text = "放心，这单保证后天到，假一赔十"
    kinds = {(p.kind, p.rule) for p in extract_promises(_agent(text), guard, shoe_shop)}
    assert ("delivery", "delivery_guarantee") in kinds
    assert ("compensation", "compensation_promise") in kinds


def test_order_note_is_one_short_line(guard, shoe_shop) -> None:
    promises = extract_promises(CHAT, guard, shoe_shop)
    assert order_note(promises) == "旺旺承诺：发韵达；今天发货；补发一双；送一副鞋垫；退5元；开发票"
    assert order_note([]) == ""
    # the same promise twice is noted once
    twice = extract_promises(_agent("给您发韵达", "那就韵达吧"), guard)
    assert order_note(twice) == "旺旺承诺：发韵达"
    many = extract_promises(_agent(*[f"送您{n}双袜子" for n in range(2, 60)]), guard)
    note = order_note(many)
    assert len(note) <= 200 and note.startswith("旺旺承诺：送2双袜子；") and note.endswith("等")


# --------------------------------------------------------------------------- broken promises

BROKEN = [
    # (earlier agent turns, draft, excerpt, turn that made the promise, words in the message)
    (
        ["在的亲", "好的亲，给您备注发韵达"],
        "好的亲，给您发申通",
        "给您发申通",
        1,
        "第2句已承诺发韵达",
    ),
    (["好的亲 今天给您发出"], "亲，仓库说明天才能给您发出哦", "明天才能给您发出", 0, "今天发货"),
    (["您放心，明天一定给您发货"], "亲，预计后天给您寄出", "后天给您寄出", 0, "明天发货"),
    (["亲，已经加急了，保证明天到"], "亲，后天就能到了", "后天就能到", 0, "明天送达"),
    (["实在抱歉亲，给您补发一双"], "不好意思亲，这款不能给您补发了", "不能给您补发", 0, "补发一双"),
    (["不好意思亲，给您退5元差价"], "抱歉亲，差价退不了哦", "退不了", 0, "退5元"),
    (["实在不好意思，送您一双袜子"], "亲，赠品已经送完了哦", "赠品已经送完了", 0, "送一双袜子"),
    (["可以的亲，给您开发票"], "亲，我们这边开不了发票哦", "开不了发票", 0, "开发票"),
    (["非常抱歉，给您补5元"], "耽误您了，给您补3元", "给您补3元", 0, "补偿5元"),
    (["好的亲，给您发韵达"], "亲，快递是没法指定的哦", "快递是没法指定", 0, "发韵达"),
]


@pytest.mark.parametrize(
    ("earlier", "draft", "excerpt", "turn", "words"), BROKEN, ids=[b[1][:12] for b in BROKEN]
)
def test_a_draft_that_breaks_a_promise_is_blocked_with_its_turn(
    guard, earlier, draft, excerpt, turn, words
) -> None:
    promises = extract_promises(_agent(*earlier), guard)
    [flag] = broken_promises(draft, promises, guard)
    assert (flag.rule, flag.severity, flag.excerpt, flag.turn) == (
        "broken_promise",
        "block",
        excerpt,
        turn,
    )
    assert draft[flag.start : flag.end] == flag.excerpt
    assert words in flag.message and "违背承诺" in flag.message
    assert flag.suggestion and "按" in flag.suggestion
    assert flag.model_dump()["turn"] == turn


def test_the_carrier_flag_reads_like_the_spec(guard) -> None:
    turns = [("buyer", "我想要韵达 申通到不了我这"), ("agent", "好的亲，给您备注发韵达")]
    [flag] = broken_promises("好的亲，给您发申通", extract_promises(turns, guard), guard)
    assert flag.message == "第2句已承诺发韵达，这里却说「给您发申通」，前后不一致会被判违背承诺"
    assert flag.suggestion == "按您说的给您发韵达"


@pytest.mark.parametrize(
    ("earlier", "draft"),
    [
        ("好的亲，给您备注发韵达", "好的亲，按您说的给您发韵达"),
        ("好的亲，给您备注发韵达", "不能给您发申通的，给您发韵达哈"),
        ("好的亲 今天给您发出", "亲，今天下午给您发出哦"),
        ("好的亲，明天给您发出", "亲，今天就给您发出"),  # earlier than promised
        ("非常抱歉，给您补5元", "耽误您了，给您补8元"),
        ("实在抱歉亲，给您补发一双", "补发的那双今天给您发出"),
        ("可以的亲，给您开发票", "发票开好后发您邮箱哦"),
        ("在的亲，请问有什么可以帮您", "好的亲，给您发申通"),  # nothing was promised
    ],
)
def test_a_draft_that_keeps_the_promise_is_not_flagged(guard, earlier, draft) -> None:
    assert broken_promises(draft, extract_promises(_agent(earlier), guard), guard) == []


def test_the_latest_promise_of_a_kind_counts(guard) -> None:
    promises = extract_promises(_agent("好的亲，给您发韵达", "在的", "那就改发顺丰吧"), guard)
    assert broken_promises("好的，给您发顺丰", promises, guard) == []
    [flag] = broken_promises("好的，给您发韵达", promises, guard)
    assert flag.turn == 2 and "第3句已承诺发顺丰" in flag.message


def test_a_disabled_rule_flags_nothing(guard, rules) -> None:
    off = [
        r.model_copy(update={"enabled": False}) if r.id == "broken_promise" else r for r in rules
    ]
    quiet = Guard(off)
    promises = extract_promises(_agent("好的亲，给您发韵达"), quiet)
    assert promises and broken_promises("给您发申通", promises, quiet) == []


def test_ordinary_flags_keep_their_shape(guard) -> None:
    [flag] = guard.check("保证明天到")
    assert "turn" not in flag.model_dump()


def test_an_editor_saving_a_wrong_example_is_told_why(guard) -> None:
    rule, _ = parse_rule(
        (PROMISES_FILE.parent.parent / "rules" / "broken_promise.yaml").read_text(encoding="utf-8")
    )
    assert rule is not None
    agreeing = rule.examples.pass_[0]  # 按您说的给您发韵达: keeps the promise
    problem = failure(guard, ExampleCase("broken_promise", "flag", agreeing))
    assert problem is not None and "应标记 broken_promise" in problem
    assert failure(guard, ExampleCase("broken_promise", "flag", rule.examples.flag[0])) is None


def test_a_bad_lexicon_is_refused() -> None:
    text = PROMISES_FILE.read_text(encoding="utf-8")
    with pytest.raises(ValidationError):
        parse_lexicon(text.replace("compare: differs", "compare: sideways"))
    with pytest.raises(ValidationError):
        parse_lexicon(text.replace("  - kind: gift", "  - kind: gifts"))


@pytest.mark.parametrize(
    ("draft", "excerpt"), [("給您發申通哦", "給您發申通"), ("给您发申\u200b通", "给您发申\u200b通"), ("给您发ＳＴＯ", "给您发ＳＴＯ")]
)
def test_a_contradiction_is_found_through_rewrites_with_its_span(guard, draft, excerpt) -> None:
    promises = extract_promises(_agent("好的亲，给您备注发韵达"), guard)
    [flag] = broken_promises(draft, promises, guard)
    assert flag.turn == 0 and draft[flag.start : flag.end] == flag.excerpt
    assert flag.excerpt == excerpt  # as the agent typed it, the courier included


def test_a_flagged_promise_of_no_listed_kind_is_other(guard) -> None:
    [p] = extract_promises(_agent("亲，好评返现5元哦"), guard)
    assert (p.kind, p.rule, p.text) == ("other", "review_inducement", "好评返现5元")
    assert order_note([p]) == "旺旺承诺：好评返现5元"


def test_lint_names_a_broken_lexicon_and_a_failing_example(guard, tmp_path) -> None:
    assert lexicon_problems(guard) == []
    text = PROMISES_FILE.read_text(encoding="utf-8")
    wrong = tmp_path / "promises.yaml"
    wrong.write_text(text.replace("        - 寄回的时候请用顺丰\n", "        - 好的，给您发顺丰\n"), encoding="utf-8")
    changed = wrong.read_text(encoding="utf-8").splitlines().index("        - 好的，给您发顺丰") + 1
    [problem] = lexicon_problems(guard, wrong)
    assert (problem.path, problem.line, problem.message) == (str(wrong), changed, "carrier 不应找到承诺：好的，给您发顺丰")
    wrong.write_text(text.replace("compare: differs", "compare: sideways"), encoding="utf-8")
    [problem] = lexicon_problems(guard, wrong)
    sideways = text.splitlines().index("    compare: differs") + 1
    assert (problem.line, problem.message) == (sideways, "「kinds 第 1 条的 compare」只能是 differs、later、less 或 none")
    wrong.write_text(text.replace("(?P<value>{courier})'", "(?P<value>{courier}'", 1), encoding="utf-8")
    [problem] = lexicon_problems(guard, wrong)
    assert problem.message.startswith("承诺词表里有一条模式不是有效的正则表达式：括号不配对")
