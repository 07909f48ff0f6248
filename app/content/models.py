"""The shapes of editable content: intents and reply templates.

These models validate what editors write, whether it comes from the bundled
files (``intents/*.yaml``, ``templates/replies/**.j2``) or from the store.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_RE = r"^[a-z][a-z0-9_]*$"
TEMPLATE_ID_RE = r"^[a-z][a-z0-9_]*/[a-z0-9][a-z0-9_\-]*$"
VAR_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Priority = Literal["high", "medium", "low"]

#: The longest short code an agent types to find a phrase (``sc1``, ``色差``).
MAX_SHORTCODE = 16


def shortcode_problem(code: str) -> str | None:
    """Why ``code`` cannot be a short code (in Chinese), or ``None`` if it can.

    A short code is 1–16 letters, digits or Chinese characters, without spaces or
    punctuation, so that it can be typed after ``/`` in the reply box.
    """
    if not code or len(code) > MAX_SHORTCODE:
        return f"简码应为 1 到 {MAX_SHORTCODE} 个字符"
    if not all(ch.isalnum() for ch in code):
        return "简码只能由字母、数字和汉字组成，不能有空格或标点"
    return None


def shortcode_key(code: str) -> str:
    """The form two short codes are compared in: ``SC1``, ``ｓｃ１`` and ``sc1`` are the same code."""
    return unicodedata.normalize("NFKC", code).casefold()


def _clean_list(values: list[str], field: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for v in values:
        v = v.strip()
        if not v:
            raise ValueError(f"{field} 中有空白条目")
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


class IntentSpec(BaseModel):
    """One intent: what buyers say when they mean it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_RE, max_length=64)
    label: str = Field(min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=40)
    priority: Priority = "medium"
    description: str = ""
    #: Only reported when no other intent matches (greetings, thanks): "在吗，我要退货"
    #: is a return request, not also a greeting.
    standalone: bool = False
    examples: list[str] = Field(min_length=1, max_length=2000)
    keywords: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("examples")
    @classmethod
    def _examples(cls, v: list[str]) -> list[str]:
        for e in v:
            if len(e) > 500:
                raise ValueError("单条例句不能超过500字")
        return _clean_list(v, "examples")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: list[str]) -> list[str]:
        for k in v:
            if len(k) > 30:
                raise ValueError("单个关键词不能超过30字")
        return _clean_list(v, "keywords")


class OutOfScope(BaseModel):
    """Messages that belong to no intent; they teach the matcher when to say "no match".

    ``fragments`` are pieces of longer messages that carry no problem by themselves
    (怎么回事, 我前天买的, 麻烦帮我看看): a clause like that must not add an intent.
    """

    model_config = ConfigDict(extra="forbid")

    id: Literal["_out_of_scope"] = "_out_of_scope"
    description: str = ""
    examples: list[str] = Field(min_length=1)
    fragments: list[str] = Field(default_factory=list, max_length=2000)

    @field_validator("fragments")
    @classmethod
    def _fragments(cls, v: list[str]) -> list[str]:
        for f in v:
            if len(f) > 100:
                raise ValueError("单个片段不能超过100字")
        return _clean_list(v, "fragments")


class TemplateMeta(BaseModel):
    """The front matter of a reply template."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=TEMPLATE_ID_RE, max_length=100)
    intent: str = Field(pattern=ID_RE, max_length=64)
    title: str = Field(min_length=1, max_length=60)
    tags: list[str] = Field(default_factory=list)
    variables: list[str] = Field(default_factory=list)
    #: Optional short code for the phrase library (``sc1``): unique across templates (lint, saves).
    shortcode: str | None = None
    #: ``pinned: true``: shown first among its intent's templates, whatever agents' feedback says
    #: (``app.ranking``).  ``false`` is kept as None, so that files never gain a ``pinned: false`` line.
    pinned: bool | None = None

    @field_validator("pinned")
    @classmethod
    def _pinned(cls, v: bool | None) -> bool | None:
        return True if v else None

    @field_validator("shortcode", mode="before")
    @classmethod
    def _shortcode_digits(cls, v: object) -> object:
        # ``shortcode: 12`` in YAML is a number; as a short code it is the text "12".
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("shortcode")
    @classmethod
    def _shortcode(cls, v: str | None) -> str | None:
        if v is not None and (problem := shortcode_problem(v)) is not None:
            raise ValueError(problem)
        return v

    @field_validator("variables")
    @classmethod
    def _vars(cls, v: list[str]) -> list[str]:
        for name in v:
            if not VAR_RE.match(name):
                raise ValueError(f"变量名 {name!r} 只能用小写字母、数字和下划线")
        return v


class ReplyTemplate(TemplateMeta):
    """A reply template: front matter plus the Jinja body."""

    body: str = Field(min_length=1, max_length=5000)
    #: Line of the file on which ``body`` starts (1-based), for error messages.
    body_line: int = 1


class Variable(BaseModel):
    """A context variable that templates may use (``templates/variables.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ID_RE)
    label: str
    sample: str = ""
    description: str = ""
