"""One error shape for every failure: RFC 9457 problem details, in Chinese.

``{"type", "title", "status", "detail", "errors": [{"field", "message"}]}`` —
``errors`` names each wrong field.  A 500 never carries a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    429: "请求过于频繁",
    500: "服务器内部错误",
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


_MESSAGES = {
    "missing": "缺少此字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "list_type": "应为数组",
    "extra_forbidden": "不认识的字段",
    "json_invalid": "不是合法的 JSON",
}


def _field_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p != "body"] or ["body"]
        kind = e.get("type", "")
        msg = _MESSAGES.get(kind)
        if msg is None:
            ctx = e.get("ctx") or {}
            if kind == "string_too_short":
                msg = "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
            elif kind == "string_too_long":
                msg = f"不能超过 {ctx.get('max_length')} 个字符"
            elif kind == "value_error":
                msg = str(ctx.get("error") or e.get("msg"))
            else:
                msg = e.get("msg", "无效")
        out.append({"field": ".".join(loc), "message": msg, "type": kind})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = _field_errors(exc)
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
        elif exc.status_code == 405:
            detail = "这个地址不支持该请求方法"
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "服务器内部错误，已记录，请稍后再试")
