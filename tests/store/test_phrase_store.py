"""The phrase library in the store: personal phrases, favourites, recently used, nicknames (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from app.store.db import create_tables
from app.store.errors import InvalidField, NotFound
from app.store.models import Base
from app.store.phrases import MAX_PERSONAL, MAX_RECENT, PhraseStore, TooMany


@pytest.fixture
def phrases(db, clock, accounts) -> PhraseStore:
    for name in ("xiaomei", "ahua"):
        accounts.create_user(name, "a-long-password", "agent")
    return PhraseStore(db.engine, clock=clock)


def test_personal_phrases_belong_to_their_author(phrases, clock):
    mine = phrases.add_personal("xiaomei", " 发货时间 ", "亲，付款后48小时内为您发出哦，请您放心。", "fh")
    assert (mine.title, mine.shortcode, mine.phrase_id) == ("发货时间", "fh", f"my:{mine.id}")
    clock.advance(timedelta(minutes=1))
    second = phrases.add_personal("xiaomei", "好评感谢", "亲，感谢您的认可，期待您再次光临。")
    assert [p.title for p in phrases.list_personal("xiaomei")] == ["好评感谢", "发货时间"]  # newest change first
    assert phrases.list_personal("ahua") == []

    # someone else's phrase is as good as missing
    assert phrases.get_personal("ahua", mine.id) is None
    with pytest.raises(NotFound):
        phrases.update_personal("ahua", mine.id, "改掉", "改掉的内容")
    with pytest.raises(NotFound):
        phrases.delete_personal("ahua", mine.id)
    assert phrases.get_personal("xiaomei", mine.id).text.startswith("亲，付款后48小时内")

    clock.advance(timedelta(minutes=1))
    edited = phrases.update_personal("xiaomei", mine.id, "发货时间", "亲，付款后24小时内为您发出哦。", None)
    assert edited.shortcode is None and edited.updated_at > edited.created_at
    assert [p.id for p in phrases.list_personal("xiaomei")] == [mine.id, second.id]
    phrases.delete_personal("xiaomei", mine.id)
    assert [p.id for p in phrases.list_personal("xiaomei")] == [second.id]
    with pytest.raises(NotFound):
        phrases.delete_personal("xiaomei", mine.id)


@pytest.mark.parametrize(
    ("title", "text", "shortcode", "field"),
    [
        ("", "亲，您好", None, "title"),
        ("标" * 41, "亲，您好", None, "title"),
        ("换行\n标题", "亲，您好", None, "title"),
        ("问候", "   ", None, "text"),
        ("问候", "亲" * 2001, None, "text"),
        ("问候", "亲，您好", "w h", "shortcode"),
        ("问候", "亲，您好", "x" * 17, "shortcode"),
    ],
)
def test_bad_fields_are_named(phrases, title, text, shortcode, field):
    with pytest.raises(InvalidField) as e:
        phrases.add_personal("xiaomei", title, text, shortcode)
    assert e.value.field == field
    assert phrases.list_personal("xiaomei") == []


def test_a_short_code_is_used_once_per_agent(phrases):
    first = phrases.add_personal("xiaomei", "发货时间", "亲，付款后48小时内发出。", "fh")
    with pytest.raises(InvalidField) as e:
        phrases.add_personal("xiaomei", "发货提醒", "亲，已经为您催促仓库了。", "FH")
    assert e.value.field == "shortcode" and "fh" in str(e.value).casefold()
    assert phrases.add_personal("ahua", "发货时间", "亲，当天下午四点前付款当天发。", "fh").shortcode == "fh"
    # keeping one's own code on an edit is fine
    assert phrases.update_personal("xiaomei", first.id, "发货时间", "亲，48小时内发出。", "fh").shortcode == "fh"


def test_at_most_200_personal_phrases(phrases):
    for n in range(MAX_PERSONAL):
        phrases.add_personal("xiaomei", f"短语{n}", f"亲，这是第{n}条常用回复。")
    with pytest.raises(TooMany) as e:
        phrases.add_personal("xiaomei", "再来一条", "亲，这条存不下了。")
    assert "200" in str(e.value)
    assert len(phrases.list_personal("xiaomei")) == MAX_PERSONAL
    phrases.add_personal("ahua", "别人的", "亲，我的还能存。")  # the limit is per agent


def test_favourites(phrases, clock):
    mine = phrases.add_personal("xiaomei", "发货时间", "亲，48小时内发出。")
    assert phrases.add_favourite("xiaomei", "tpl:color_difference/standard")
    assert not phrases.add_favourite("xiaomei", "tpl:color_difference/standard")  # starred once
    clock.advance(timedelta(seconds=5))
    assert phrases.add_favourite("xiaomei", mine.phrase_id)
    stars = phrases.favourites("xiaomei")
    assert set(stars) == {"tpl:color_difference/standard", mine.phrase_id}
    assert stars[mine.phrase_id] - stars["tpl:color_difference/standard"] == timedelta(seconds=5)
    assert phrases.favourites("ahua") == {}

    with pytest.raises(NotFound):  # another agent's phrase cannot be starred
        phrases.add_favourite("ahua", mine.phrase_id)
    with pytest.raises(InvalidField):
        phrases.add_favourite("xiaomei", "color_difference/standard")

    assert phrases.remove_favourite("xiaomei", "tpl:color_difference/standard")
    assert not phrases.remove_favourite("xiaomei", "tpl:color_difference/standard")
    assert set(phrases.favourites("xiaomei")) == {mine.phrase_id}


def test_recently_used_keeps_the_newest_50(phrases, clock):
    for n in range(MAX_RECENT + 5):
        phrases.record_use("xiaomei", f"tpl:greeting/t{n}")
        clock.advance(timedelta(seconds=1))
    recent = list(phrases.recent("xiaomei"))
    assert len(recent) == MAX_RECENT
    assert recent[0] == f"tpl:greeting/t{MAX_RECENT + 4}" and recent[-1] == "tpl:greeting/t5"

    phrases.record_use("xiaomei", "tpl:greeting/t10")  # used again: first now, not twice
    recent = list(phrases.recent("xiaomei"))
    assert recent[0] == "tpl:greeting/t10" and recent.count("tpl:greeting/t10") == 1
    assert phrases.recent("ahua") == {}


def test_deleting_a_phrase_forgets_its_star_and_use(phrases):
    mine = phrases.add_personal("xiaomei", "发货时间", "亲，48小时内发出。")
    phrases.add_favourite("xiaomei", mine.phrase_id)
    phrases.record_use("xiaomei", mine.phrase_id)
    with pytest.raises(NotFound):
        phrases.record_use("ahua", mine.phrase_id)
    phrases.delete_personal("xiaomei", mine.id)
    assert phrases.favourites("xiaomei") == {} and phrases.recent("xiaomei") == {}


def test_nickname(accounts, phrases):
    assert accounts.get_nickname("xiaomei") is None
    assert accounts.set_nickname("xiaomei", " 小美 ") == "小美"
    assert accounts.set_nickname("xiaomei", "小美老师") == "小美老师"
    assert accounts.get_nickname("xiaomei") == "小美老师" and accounts.get_nickname("ahua") is None
    for bad in ("", "   ", "昵" * 21, "小\n美"):
        with pytest.raises(InvalidField) as e:
            accounts.set_nickname("xiaomei", bad)
        assert e.value.field == "nickname"
    with pytest.raises(NotFound):
        accounts.set_nickname("nobody", "小美")


def test_a_database_from_before_gets_the_new_tables(db, accounts):
    new = ["user_profiles", "personal_phrases", "favourite_phrases", "recent_phrases"]
    accounts.create_user("xiaomei", "a-long-password", "agent")
    Base.metadata.drop_all(db.engine, tables=[Base.metadata.tables[t] for t in new])
    assert not set(new) & set(inspect(db.engine).get_table_names())
    create_tables(db.engine)  # what every start does
    assert set(new) <= set(inspect(db.engine).get_table_names())
    assert accounts.get_user("xiaomei") is not None  # nothing else was touched
    assert PhraseStore(db.engine).add_personal("xiaomei", "问候", "亲，您好。").id >= 1


def test_the_whole_library_at_once(phrases, clock):
    mine = phrases.add_personal("xiaomei", "发货时间", "亲，48小时内发出。")
    phrases.add_favourite("xiaomei", "tpl:thanks/short")
    phrases.record_use("xiaomei", mine.phrase_id)
    clock.advance(timedelta(seconds=1))
    phrases.record_use("xiaomei", "tpl:thanks/short")
    library = phrases.library("xiaomei")
    assert [p.id for p in library.personal] == [mine.id]
    assert list(library.favourites) == ["tpl:thanks/short"]
    assert list(library.recent) == ["tpl:thanks/short", mine.phrase_id]
    other = phrases.library("ahua")
    assert (other.personal, other.favourites, other.recent) == ([], {}, {})
