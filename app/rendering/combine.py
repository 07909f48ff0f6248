"""One reply for a message with several problems: one greeting, each problem's answer, one closing.

Each template is written to be sent alone, so it opens with a greeting (亲爱的小王， / 亲，)
and often ends with a closing (有任何问题随时找我。).  Glued together as they are, a
two-problem reply greets twice.  ``combine`` keeps the first reply's greeting and the last
reply's closing, drops the others, and joins the answers with 另外 so it reads as one
message.  Sentences are cut, never words: a part whose greeting or closing cannot be told
apart keeps it.
"""

from __future__ import annotations

import re

__all__ = ["combine"]

#: A greeting that opens a reply: 亲爱的小王， / 亲， / 您好， / 亲亲～
_GREETING = re.compile(r"^\s*(?:(?:亲爱的[^，,。！!？?\s]{0,20}|亲亲|亲|您好|你好)[，,！!~～、\s]*)+")
#: A sentence that only closes the conversation: no part of the answer is lost without it.
_CLOSING = re.compile(
    r"^(?:有任何(?:问题|疑问)[^。！!]*|如有(?:问题|疑问)[^。！!]*|后面使用中有任何问题[^。！!]*|祝您[^。！!]*|"
    r"感谢您的(?:理解|支持|耐心)[^。！!]*|麻烦您稍等一下[^。！!]*|请问还有什么可以帮您的吗)[。！!？?~～]*$"
)
_SENTENCE = re.compile(r"[^。！!？?~～]+[。！!？?~～]*")


def _sentences(text: str) -> list[str]:
    return _SENTENCE.findall(text.strip())


def _without_closing(text: str) -> str:
    parts = _sentences(text)
    while len(parts) > 1 and _CLOSING.match(parts[-1].strip(" ，,")):
        parts.pop()
    return "".join(parts)


def _without_greeting(text: str) -> str:
    rest = _GREETING.sub("", text, count=1)
    return rest if rest.strip() else text


def combine(texts: list[str]) -> str:
    """The replies in ``texts`` (best first) as one message."""
    texts = [t.strip() for t in texts if t.strip()]
    if len(texts) < 2:
        return texts[0] if texts else ""
    out = []
    for i, text in enumerate(texts):
        if i > 0:
            text = _without_greeting(text)
        if i < len(texts) - 1:
            text = _without_closing(text)
        if i > 0:
            text = "另外，" + text
        out.append(text)
    return "\n".join(out)
