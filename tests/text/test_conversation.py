"""Chat pastes from 千牛, 旺旺, 京麦 and plain transcripts split into turns, and what the turns
give the templates."""

import pytest

from app.text.conversation import (
    MAX_CONVERSATION_CHARS,
    MAX_PASTE,
    MAX_TURNS,
    PasteTooLong,
    Turn,
    conversation_context,
    newest_buyer_turns,
    parse_chat,
    within_limits,
)

# 千牛: nickname and date-time on one line, the message below; the agent is a shop
# sub-account; history marker, read receipts; the newest message has two lines.
QIANNIU = """以上为历史消息
tb_xiaowang 2026-11-30 14:01:58
在吗 订单号 3312456789
某某旗舰店:小美 2026-11-30 14:02:11
在的亲，请问有什么可以帮您
已读
tb_xiaowang 2026-11-30 14:03:40
我想要韵达 申通到不了我这
某某旗舰店:小美 2026-11-30 14:04:02
好的亲，给您备注发韵达
—————— 以下为新消息 ——————
tb_xiaowang 2026-11-30 14:05:19
好的 那什么时候发货
还能送个鞋垫吗
"""

# 旺旺: 昵称(日期 时间): with full-width brackets and colon, a date line per day,
# blank lines between messages, Windows newlines, a picture placeholder.
WANGWANG = (
    "2026年11月29日 星期日\r\n\r\n"
    "小鹿乱撞ya（2026-11-29 20:15:03）：\r\n亲 鞋子收到了 左脚开胶了\r\n\r\n"
    "某某旗舰店：阿琳(2026-11-29 20:15:40):\r\n亲亲非常抱歉给您添麻烦了\r\n麻烦您拍一下开胶的位置哦\r\n\r\n"
    "2026年11月30日\r\n"
    "小鹿乱撞ya(2026-11-30 09:01:12):\r\n[图片]\r\n拍好了 您看下\r\n"
)

# 千牛, header and text on one line, times without a date under a date line.
ONE_LINE = """2026-11-30
tb_lin88 14:01:58 你好 我的快递三天没动了
某某旗舰店：小美 14:02:11 亲，麻烦提供一下快递单号哦
tb_lin88 14:02:30 快递单号 7731234567890
"""

# Time first, then the nickname; a shop prefix with a dash; a date line without a year.
TIME_FIRST = """11月30日
14:01:58 jiajia_0917
你好 我买的外套少了一个袖标
14:02:11 某某服饰专营店-小周
亲，非常抱歉给您添麻烦了
麻烦您提供一下订单编号哦
14:02:50 jiajia_0917
订单编号：330198765432109876
"""

# 京麦: 客服 in the nickname, a [商家] marker, a transfer line, the buyer going offline.
JINGMAI = """jd_4a7c9e21f 2026-11-30 10:20:05
你好 东西什么时候到
客服小美 2026-11-30 10:20:31
您好，欢迎光临，我是客服小美，很高兴为您服务
[商家] 小美 2026-11-30 10:21:02
亲，运单号 JDV012345678901 已经在派送了哦
会话已转接给客服小王
客服小王 2026-11-30 10:25:44
亲，还有什么可以帮您的吗
对方已下线
"""

# A transcript typed by hand: roles and a colon, a turn going on over two lines.
PLAIN = """买家：在吗，我昨天拍的裙子能改地址吗
客服：在的亲，还没发货可以改哦
买家：改成杭州市西湖区
文三路 100 号
客服：好的亲，已经给您备注新地址了
"""


def roles(turns):
    return [t.role for t in turns]


def test_qianniu_paste_with_shop_prefixed_agent():
    turns = parse_chat(QIANNIU)
    assert roles(turns) == ["buyer", "agent", "buyer", "agent", "buyer"]
    assert turns[0] == Turn("buyer", "在吗 订单号 3312456789", "tb_xiaowang", "2026-11-30T14:01:58")
    assert turns[1].name == "某某旗舰店:小美"
    assert turns[1].text == "在的亲，请问有什么可以帮您"  # the read receipt is gone
    # one message over two lines stays one turn
    assert turns[-1].text == "好的 那什么时候发货\n还能送个鞋垫吗"
    assert not any("历史消息" in t.text or "新消息" in t.text for t in turns)


def test_wangwang_paste_with_date_lines_and_windows_newlines():
    turns = parse_chat(WANGWANG)
    assert [(t.role, t.name) for t in turns] == [
        ("buyer", "小鹿乱撞ya"),
        ("agent", "某某旗舰店：阿琳"),
        ("buyer", "小鹿乱撞ya"),
    ]
    assert turns[1].text == "亲亲非常抱歉给您添麻烦了\n麻烦您拍一下开胶的位置哦"
    assert turns[1].at == "2026-11-29T20:15:40"
    # the placeholder stays: the agent sees that a picture came
    assert turns[2].text == "[图片]\n拍好了 您看下"
    assert "\r" not in "".join(t.text for t in turns)


def test_header_and_text_on_one_line_take_the_date_line():
    turns = parse_chat(ONE_LINE)
    assert [(t.role, t.text) for t in turns] == [
        ("buyer", "你好 我的快递三天没动了"),
        ("agent", "亲，麻烦提供一下快递单号哦"),
        ("buyer", "快递单号 7731234567890"),
    ]
    assert [t.at for t in turns] == ["2026-11-30T14:01:58", "2026-11-30T14:02:11", "2026-11-30T14:02:30"]


def test_time_before_nickname_and_dash_shop_prefix():
    turns = parse_chat(TIME_FIRST)
    assert [(t.role, t.name) for t in turns] == [
        ("buyer", "jiajia_0917"),
        ("agent", "某某服饰专营店-小周"),
        ("buyer", "jiajia_0917"),
    ]
    assert turns[1].text == "亲，非常抱歉给您添麻烦了\n麻烦您提供一下订单编号哦"
    # a date without a year cannot make a full timestamp: the time alone is kept
    assert turns[0].at == "14:01:58"


def test_jingmai_markers_and_system_lines():
    turns = parse_chat(JINGMAI)
    assert [(t.role, t.name) for t in turns] == [
        ("buyer", "jd_4a7c9e21f"),
        ("agent", "客服小美"),
        ("agent", "小美"),  # [商家] says who it is; the marker is not part of the name
        ("agent", "客服小王"),
    ]
    assert turns[2].text == "亲，运单号 JDV012345678901 已经在派送了哦"
    assert turns[3].text == "亲，还有什么可以帮您的吗"
    assert not any("转接" in t.text or "下线" in t.text for t in turns)


def test_system_lines_are_dropped_and_cards_kept():
    chat = """与 tb_mumu 的聊天记录
===== 以上是历史消息 =====
[系统消息] 买家通过手机淘宝咨询
tb_mumu 2026-11-30 16:10:02
[订单] 订单号：3312456789 F5716 女鞋 ¥268.00
这双什么时候能发
tb_mumu 撤回了一条消息
某某旗舰店:小美 2026-11-30 16:10:30
亲，今天下午就给您安排哦
客服小美已将会话转接给客服阿琳
对方已读
买家已离开会话
会话已结束，感谢您的咨询
"""
    turns = parse_chat(chat)
    assert [(t.role, t.text) for t in turns] == [
        ("buyer", "[订单] 订单号：3312456789 F5716 女鞋 ¥268.00\n这双什么时候能发"),
        ("agent", "亲，今天下午就给您安排哦"),
    ]
    assert conversation_context(turns)["order_id"] == "3312456789"
    # what a buyer writes about transfers and endings is not a system line
    chat = "tb_a 14:02:11\n能帮我转接给售后吗\n咨询结束了我还是没收到"
    assert parse_chat(chat)[0].text == "能帮我转接给售后吗\n咨询结束了我还是没收到"


def test_plain_transcript_with_roles():
    turns = parse_chat(PLAIN)
    assert roles(turns) == ["buyer", "agent", "buyer", "agent"]
    assert turns[2].text == "改成杭州市西湖区\n文三路 100 号"
    assert all(t.name is None and t.at is None for t in turns)


def test_paste_without_headers_is_one_buyer_turn():
    turns = parse_chat("亲 我收到的杯子\r\n碎了一个\n\n怎么办啊")
    assert turns == [Turn("buyer", "亲 我收到的杯子\n碎了一个\n怎么办啊")]
    assert parse_chat("") == []
    assert parse_chat("\n以上为历史消息\n\n") == []


def test_named_transcript_keeps_colons_inside_a_message():
    chat = "小王：在吗\n小美：在的亲\n小王：注意：我要顺丰\n小美：好的亲，给您备注"
    turns = parse_chat(chat, agent_names=["小美"])
    assert [(t.role, t.name, t.text) for t in turns] == [
        ("buyer", "小王", "在吗"),
        ("agent", "小美", "在的亲"),
        ("buyer", "小王", "注意：我要顺丰"),
        ("agent", "小美", "好的亲，给您备注"),
    ]


def test_shop_prefixed_colon_transcript():
    chat = "某某旗舰店：小美：亲，在的\n买家：订单什么时候发\n某某旗舰店：小美：今天就发哦"
    turns = parse_chat(chat)
    assert [(t.role, t.name, t.text) for t in turns] == [
        ("agent", "某某旗舰店：小美", "亲，在的"),
        ("buyer", None, "订单什么时候发"),
        ("agent", "某某旗舰店：小美", "今天就发哦"),
    ]


def test_roles_from_agent_names_and_shop_name():
    chat = "小美 14:02:11\n您好，欢迎光临\ntb_b 14:02:30\n在吗"
    # without knowing 小美, the first speaker is taken for the buyer
    assert roles(parse_chat(chat)) == ["buyer", "agent"]
    assert roles(parse_chat(chat, agent_names=["小美"])) == ["agent", "buyer"]
    dashed = "小熊家居-阿花 14:02:11\n您好\ntb_b 14:02:30\n在吗"
    assert roles(parse_chat(dashed, shop_name="小熊家居")) == ["agent", "buyer"]
    # a buyer nickname with a dash is not a shop prefix
    chat = "tb-lucky 14:02:11\n在吗\n某某旗舰店:小美 14:02:20\n在的亲"
    assert roles(parse_chat(chat)) == ["buyer", "agent"]


def test_explicit_buyer_marker_makes_other_speakers_agents():
    chat = "小美 14:02:11\n您好\n[买家] tb_c 14:02:30\n在吗"
    assert [(t.role, t.name) for t in parse_chat(chat)] == [("agent", "小美"), ("buyer", "tb_c")]


def test_a_new_header_is_a_new_turn_even_for_the_same_speaker():
    chat = "tb_a 14:02:11\n在吗\ntb_a 14:02:15\n有人吗\n某某旗舰店:小美 14:02:40\n在的亲"
    turns = parse_chat(chat)
    assert [t.text for t in turns] == ["在吗", "有人吗", "在的亲"]
    assert newest_buyer_turns(turns) == []


def test_times_and_dates_a_buyer_types_are_text():
    chat = (
        "tb_a 2026-11-30 14:02:11\n明天 14:30 能到吗\n我是这天下的单\n11月28日\n"
        "某某旗舰店:小美 2026-11-30 14:02:20\n亲，到货时间以物流为准哦"
    )
    turns = parse_chat(chat)
    assert [t.text for t in turns] == [
        "明天 14:30 能到吗\n我是这天下的单\n11月28日",
        "亲，到货时间以物流为准哦",
    ]


def test_read_marks_after_a_message_are_dropped():
    chat = "tb_a 14:02:11\n在吗 已读\n某某旗舰店:小美 14:02:20\n在的亲（未读）"
    assert [t.text for t in parse_chat(chat)] == ["在吗", "在的亲"]


def test_text_before_the_first_header_is_kept_as_buyer_text():
    chat = "能退吗\ntb_a 14:02:11\n在吗\n某某旗舰店:小美 14:02:20\n在的亲"
    turns = parse_chat(chat)
    assert [(t.role, t.name, t.text) for t in turns][0] == ("buyer", None, "能退吗")


def test_paste_over_the_limit_is_refused_in_chinese():
    with pytest.raises(PasteTooLong, match="超过上限"):
        parse_chat("亲" * (MAX_PASTE + 1))
    assert parse_chat("亲" * MAX_PASTE)[0].text == "亲" * MAX_PASTE


def test_within_limits_keeps_the_newest_turns():
    turns = [Turn("buyer" if i % 2 else "agent", f"第{i}条") for i in range(MAX_TURNS + 5)]
    kept, dropped = within_limits(turns)
    assert dropped == 5 and len(kept) == MAX_TURNS and kept[-1] == turns[-1]
    long = [Turn("buyer", "亲" * (MAX_CONVERSATION_CHARS // 2 + 1)) for _ in range(3)]
    kept, dropped = within_limits(long)
    assert kept == long[-1:] and dropped == 2


def test_context_from_a_qianniu_paste():
    ctx = conversation_context(parse_chat(QIANNIU))
    # 10 digits after 订单号; 韵达 is wanted, 申通 is turned down
    assert ctx == {"order_id": "3312456789", "courier": "韵达", "buyer_name": "tb_xiaowang"}


def test_context_takes_the_newest_mention_from_any_turn():
    turns = [
        Turn("buyer", "订单号：3312456789 还没发货", "tb_a"),
        Turn("agent", "亲，您说的是订单号 3312450000 这一单吗"),
        Turn("buyer", "对"),
    ]
    assert conversation_context(turns)["order_id"] == "3312450000"


def test_tracking_number_names_its_courier():
    turns = [
        Turn("buyer", "别发极兔 我要顺丰", "tb_a"),
        Turn("agent", "亲，我们只能发中通哦"),
        Turn("buyer", "那好吧 单号发我"),
        Turn("agent", "亲，运单号是 SF1234567890123"),
    ]
    ctx = conversation_context(turns)
    assert ctx["tracking_no"] == "SF1234567890123"
    assert ctx["courier"] == "顺丰"
    assert conversation_context(turns[:1])["courier"] == "顺丰"
    # a courier turned down after the wanted one is not the courier
    assert conversation_context([Turn("buyer", "我想要韵达 申通到不了我这")])["courier"] == "韵达"
    assert conversation_context([Turn("buyer", "发顺丰吧，不要给我发极兔")])["courier"] == "顺丰"
    assert conversation_context(turns[:2])["courier"] == "中通"


def test_context_from_other_pastes():
    assert conversation_context(parse_chat(ONE_LINE)) == {
        "tracking_no": "7731234567890",
        "buyer_name": "tb_lin88",
    }
    assert conversation_context(parse_chat(TIME_FIRST))["order_id"] == "330198765432109876"
    jd = conversation_context(parse_chat(JINGMAI))
    assert jd["tracking_no"] == "JDV012345678901" and jd["courier"] == "京东"
    # no nickname in a role transcript: no buyer name rather than "买家"
    assert "buyer_name" not in conversation_context(parse_chat(PLAIN))
    assert conversation_context([Turn("buyer", "在吗", "买家小王")])["buyer_name"] == "小王"


def test_newest_buyer_turns():
    assert newest_buyer_turns(parse_chat(QIANNIU)) == [4]
    turns = [Turn("buyer", "在吗"), Turn("agent", "在的"), Turn("buyer", "鞋开胶了"), Turn("buyer", "能换吗")]
    assert newest_buyer_turns(turns) == [2, 3]
    assert newest_buyer_turns(turns[:2]) == []
    assert newest_buyer_turns([Turn("buyer", "在吗"), Turn("buyer", "有人吗")]) == [0, 1]
    assert newest_buyer_turns([]) == []
