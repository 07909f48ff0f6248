"""Signing in over JSON: ``POST /v1/session``, for a page whose session expired mid-edit.

The editor keeps the edit, asks for the password in a dialog and posts it here; the
answer sets a new session cookie and gives the page its new CSRF token, and the page
retries the save.  The same ``LoginGuard`` as the ``/login`` form (back-off per client
and per account, lockout, argon2 off the event loop), so this is no way around it.

CSRF: a JSON body only (FastAPI refuses any other body with 422, and a cross-site form
cannot send ``application/json`` without a CORS preflight, which this server never
grants) and the same-site check of the form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.api.auth import SESSION_COOKIE, same_site
from app.api.deps import AccountsDep, LoginsDep, SettingsDep
from app.api.errors import ProblemError, problem_responses
from app.api.logins import LoginRefused
from app.config import Settings
from app.store.accounts import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH

router = APIRouter(prefix="/v1", tags=["登录"])


class LoginBody(BaseModel):
    model_config = ConfigDict(strict=True)

    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH, description="用户名")
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH, description="密码")


def set_session_cookie(settings: Settings, response: Response, token: str) -> None:
    """The session cookie, as every sign-in sets it (``/login``, ``/setup``, ``POST /v1/session``)."""
    response.set_cookie(
        SESSION_COOKIE, token, max_age=settings.session_hours * 3600, httponly=True,
        samesite="lax", secure=settings.secure_cookies, path="/",
    )


@router.post("/session", summary="登录（JSON），返回新的 CSRF 令牌", responses=problem_responses(401, 403, 423, 429, 503))
async def sign_in(
    body: LoginBody, request: Request, response: Response, logins: LoginsDep, accounts: AccountsDep, settings: SettingsDep
) -> dict:
    if not same_site(request):
        raise ProblemError(403, "跨站请求已被拒绝（CSRF 防护）")
    client = request.client.host if request.client else "unknown"
    try:
        user = await logins.login(body.username.strip(), body.password, client)
    except LoginRefused as refused:
        field = refused.field or ("password" if refused.status == 401 else None)
        errors = [{"field": field, "message": refused.detail}] if field else None
        raise ProblemError(refused.status, refused.detail, errors, headers=refused.headers or None) from None
    token, csrf = await run_in_threadpool(accounts.create_session, user.username)
    set_session_cookie(settings, response, token)
    return {"username": user.username, "role": user.role, "csrf_token": csrf}
