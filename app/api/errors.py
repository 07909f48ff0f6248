"""One error shape for every failure: RFC 9457 problem details, in Chinese.

``{"type", "title", "status", "detail", "errors": [{"field", "message"}]}`` —
``errors`` names each wrong field.  A 500 never carries a traceback.

The OpenAPI schema says so too: ``install`` documents every error answer of every
operation as ``application/problem+json`` with the ``Problem`` schema.  Routes name
the statuses only they can return with ``responses=problem_responses(404, 409, …)``;
what any request can get (400, 413, 431, 500, and 422 where there is input) is added
to every operation.
"""

from __future__ import annotations

import logging
import re
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.content.problems import explain_error, model_fields_at
from app.store.db import is_busy

log = logging.getLogger("shouhou")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "请求格式错误",
    401: "需要登录或 API key",
    403: "没有权限",
    404: "找不到",
    405: "不支持的请求方法",
    409: "版本冲突",
    412: "版本冲突",
    413: "请求体过大",
    415: "请求类型不支持",
    422: "请求内容有误",
    423: "账号已锁定",
    428: "需要指明版本",
    429: "请求过于频繁",
    431: "请求头过大",
    500: "服务器内部错误",
    503: "服务暂时繁忙",
}


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(
        self, status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None, **extra: object
    ):
        self.status = status
        self.headers = headers
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


def problem(status: int, detail: str, errors: list[dict] | None = None, headers=None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES.get(status, "请求失败"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _body_model(request: Request | None):
    """The pydantic model of the route's JSON body, for a did-you-mean on an unknown field."""
    route = request.scope.get("route") if request is not None else None
    field = getattr(route, "body_field", None)
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _field_errors(exc: RequestValidationError, request: Request | None = None) -> list[dict]:
    """Each wrong field in Chinese, by the one translator of pydantic's errors (``app.content.problems``)."""
    model = _body_model(request)
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        where = "body"
        if len(loc) > 1 and loc[0] in ("body", "path", "query", "header", "cookie"):
            where, loc = loc[0], loc[1:]  # the parameter's own name: "version", "b", "message"
        elif loc == ["body"] or not loc:
            loc = ["body"]
        known = None
        if model is not None and where == "body":
            def known(parent: tuple, _model=model) -> list[str] | None:
                return model_fields_at(_model, parent)
        err = {**e, "loc": tuple(loc if loc != ["body"] else ())}
        translated = explain_error(err, known=known, json=True)
        out.append({"field": ".".join(loc), "message": translated.bare, "type": e.get("type", "")})
    return _merge_union_errors(out)


#: The member tags pydantic appends to a union's errors (``context.x.str``, ``context.x.int``…).
_UNION_MEMBERS = {"str": "字符串", "int": "整数", "float": "数字", "bool": "true 或 false", "none": "null"}


def _merge_union_errors(errors: list[dict]) -> list[dict]:
    """One error per field for a value that fits no member of a union: "context.x：应为字符串、整数或数字"."""
    out: list[dict] = []
    for e in errors:
        field, _, member = e["field"].rpartition(".")
        if member in _UNION_MEMBERS and e["type"].endswith("_type"):
            name = _UNION_MEMBERS[member]
            if out and out[-1].get("_union") is not None and out[-1]["field"] == field:
                out[-1]["_union"].append(name)
                continue
            out.append({"field": field, "type": e["type"], "_union": [name]})
        else:
            out.append(e)
    for e in out:
        names = e.pop("_union", None)
        if names is not None:
            e["message"] = "应为" + (names[0] if len(names) == 1 else "、".join(names[:-1]) + "或" + names[-1])
    return out


#: The problem document as the OpenAPI schema states it (``components.schemas.Problem``).
PROBLEM_SCHEMA = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details；errors 列出出错的字段",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "请求内容有误"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string", "example": "message：不能为空"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "example": "message"},
                    "message": {"type": "string", "example": "不能为空"},
                    "line": {"type": "integer", "description": "文件中的行号（保存内容时）"},
                    "column": {"type": "integer", "description": "行中的第几个字符（知道时）"},
                    "hint": {"type": "string", "description": "怎样改（message 的结尾已含这条提示）"},
                },
            },
        },
        "current_version": {"type": ["integer", "null"], "description": "409/412：当前的版本号"},
        "flags": {"type": "array", "items": {"type": "object"}, "description": "保存内容时：合规检查的提示"},
        "needs_confirmation": {"type": "boolean", "description": "有“需要确认”（warn）的提示，确认后可保存（confirm_warnings）"},
    },
}

#: What any request can be answered, whatever the operation: malformed (bad JSON, Host or header), a body
#: or headers too large, and the 500 that never carries a traceback.
ANY_REQUEST = (400, 413, 431, 500)

_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem_responses(*statuses: int) -> dict[int | str, dict]:
    """``responses=`` for a route or router: the statuses it can answer with a problem document."""
    return {status: {"description": _TITLES.get(status, "请求失败")} for status in statuses}


def describe_problems(schema: dict) -> dict:
    """Make the OpenAPI schema say what errors really look like (in place; returns ``schema``).

    Every operation gets ``ANY_REQUEST``; every 4xx/5xx answer — FastAPI's own 422
    included — is ``application/problem+json`` with the ``Problem`` schema.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in ANY_REQUEST:
                responses.setdefault(str(status), {"description": _TITLES[status]})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = _PROBLEM_CONTENT
                    if response.get("description") in (None, "", "Validation Error"):
                        response["description"] = _TITLES.get(int(status), "请求失败")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)  # FastAPI's 422 shape, which this app never sends
    return schema


def _allowed_methods(request: Request) -> str | None:
    """The methods of the API path, for a 405's ``Allow`` (Starlette names only the first route's).

    Read from the OpenAPI schema, so ``Allow`` and the documentation agree; where several
    paths match (``/v1/templates/{key}`` and ``/v1/templates/{key}/versions``) the most
    specific one, the one with the most fixed characters, is the resource.  None off the API.
    """
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = []
        for path, operations in request.app.openapi().get("paths", {}).items():
            parts = re.split(r"\{[^}]+\}", path)
            pattern = re.compile(".+".join(re.escape(part) for part in parts))
            table.append((pattern, sum(map(len, parts)), {method.upper() for method in operations}))
        request.app.state.allowed_methods = table
    matches = [(fixed, methods) for pattern, fixed, methods in table if pattern.fullmatch(request.url.path)]
    if not matches:
        return None
    best = max(fixed for fixed, _ in matches)
    allowed = set().union(*(methods for fixed, methods in matches if fixed == best))
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed))


def describe_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` and of its causes, with the exception types but not their messages."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 10:
        seen.add(id(current))
        kind = type(current)
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        prefix = "Traceback (most recent call last)" if not parts else "caused by"
        parts.append(f"{prefix}:\n{frames}{kind.__module__}.{kind.__qualname__} (message not logged)")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = _field_errors(exc, request)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "请求体不是合法的 JSON", [{"field": "body", "message": "不是合法的 JSON"}])
        detail = "；".join(f"{e['field']}：{e['message']}" for e in errors)
        return problem(422, detail, [{"field": e["field"], "message": e["message"]} for e in errors])

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError):
        return problem(exc.status, exc.detail, exc.errors, headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "请求失败")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "没有这个地址"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            detail = "这个地址不支持该请求方法"
            allow = _allowed_methods(request)
            if allow:
                headers = {**(headers or {}), "Allow": allow}
        return problem(exc.status_code, detail, headers=headers)

    # Any other error is logged once, and answered with a 500, by the access log (access_log.py).
    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError):
        # Another writer held the lock past the busy timeout (SQLite), or a lock timeout (PostgreSQL).
        if not is_busy(exc):
            raise exc
        log.warning("database busy on %s %s", request.method, request.url.path)
        return problem(503, "数据库正忙，请稍等几秒再试", headers={"Retry-After": "5"})

    default_openapi = app.openapi

    def openapi() -> dict:
        schema = default_openapi()  # FastAPI builds it once and keeps it in app.openapi_schema
        if "Problem" not in schema.get("components", {}).get("schemas", {}):
            describe_problems(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
