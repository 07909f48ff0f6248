"""Refuse text that nothing downstream can hold: lone surrogates and NUL.

JSON may carry ``"\\ud800"``, half of a UTF-16 pair.  Python decodes it to a string
that has no UTF-8 form, so OpenCC, SQLite, PostgreSQL and the JSON answer all fail
on it; PostgreSQL also refuses NUL (``\\u0000``, or ``%00`` in a path or form) in text.
Nobody types either.  One app-wide dependency looks at every path parameter, every
string of a JSON body (object keys too) and every form field before any model or
handler sees them, and answers 422 naming the field.  Query strings are not looked at:
they cannot carry surrogates (decoded with replacement characters) and no query
parameter reaches the store as text.
"""

from __future__ import annotations

import re

from fastapi import Request

from app.api.errors import ProblemError

_UNENCODABLE = re.compile("[\x00\ud800-\udfff]")
# In JSON either can only be written as an escape (raw control characters and surrogates are
# not valid JSON text), so a body without one needs no second look.
_MAYBE_IN_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def _message(ch: str) -> str:
    return f"含有无效的字符（U+{ord(ch):04X}），请删除后重试"


def unencodable_fields(data: object) -> list[tuple[str, str]]:
    """``(field, message)`` for each string in ``data`` (decoded JSON) that holds a lone surrogate or NUL.

    Fields are dotted paths as in the other 422s (``message``, ``context.order_id``,
    ``shop.carriers.0``); a bad object key is reported on the object that holds it.
    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if m := _UNENCODABLE.search(value):
                found.append((path or "body", _message(m.group())))
        elif isinstance(value, dict):
            for key, item in value.items():
                if m := _UNENCODABLE.search(key):
                    found.append((path or "body", "字段名" + _message(m.group())))
                    continue
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


async def refuse_unencodable(request: Request) -> None:
    """App-wide dependency: 422 when a path parameter, the JSON body or a form field holds a lone surrogate or NUL."""
    errors = [
        {"field": name, "message": _message(m.group())}
        for name, value in request.path_params.items()
        if isinstance(value, str) and (m := _UNENCODABLE.search(value))
    ]
    route = request.scope.get("route")
    content_type = request.headers.get("content-type", "")
    if getattr(route, "body_field", None) is not None:  # FastAPI has read the body: cached on the request
        if not content_type or "json" in content_type:
            # The common case has no escape that could spell one: no second parse of the body.
            if _MAYBE_IN_JSON.search(await request.body()):
                try:
                    data = await request.json()
                except (ValueError, RecursionError):
                    data = None  # malformed JSON gets its 400 from FastAPI
                errors += [{"field": f, "message": msg} for f, msg in unencodable_fields(data)]
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            errors += [
                {"field": name, "message": _message(m.group())}
                for name, value in form.multi_items()
                if isinstance(value, str) and (m := _UNENCODABLE.search(value))
            ]
    if errors:
        raise ProblemError(422, "；".join(f"{e['field']}：{e['message']}" for e in errors), errors)
