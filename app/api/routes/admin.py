"""Accounts over JSON, for admins: API keys for bots, users for the pages."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.auth import AdminDep
from app.api.errors import ProblemError
from app.store.errors import AlreadyExists, InvalidOperation, NotFound

router = APIRouter(prefix="/v1", tags=["管理"])

RoleName = Literal["agent", "editor", "admin"]


class KeyBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="这个 key 给谁用，如 im-bot")
    role: RoleName = "agent"


class UserBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=10, max_length=1024)
    role: RoleName = "editor"


class UserChange(BaseModel):
    role: RoleName | None = None
    disabled: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=1024)


def _key(k) -> dict:
    return {
        "id": k.id, "name": k.name, "prefix": k.prefix, "role": k.role, "created_at": k.created_at.isoformat(),
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
    }


def _user(u) -> dict:
    return {"username": u.username, "role": u.role, "disabled": u.disabled, "created_at": u.created_at.isoformat()}


@router.get("/keys", summary="API key 列表（只显示前缀）")
def list_keys(request: Request, _: AdminDep) -> dict:
    return {"keys": [_key(k) for k in request.app.state.accounts.list_api_keys()]}


@router.post("/keys", status_code=201, summary="新建 API key（明文只返回这一次）")
def create_key(body: KeyBody, request: Request, _: AdminDep) -> dict:
    secret, info = request.app.state.accounts.create_api_key(body.name.strip(), body.role)
    return {**_key(info), "key": secret}


@router.delete("/keys/{key_id}", summary="吊销 API key")
def revoke_key(key_id: int, request: Request, _: AdminDep) -> dict:
    try:
        return _key(request.app.state.accounts.revoke_api_key(key_id))
    except NotFound:
        raise ProblemError(404, f"没有编号为 {key_id} 的 API key") from None


@router.get("/users", summary="用户列表")
def list_users(request: Request, _: AdminDep) -> dict:
    return {"users": [_user(u) for u in request.app.state.accounts.list_users()]}


@router.post("/users", status_code=201, summary="新建用户")
def create_user(body: UserBody, request: Request, _: AdminDep) -> dict:
    try:
        return _user(request.app.state.accounts.create_user(body.username, body.password, body.role))
    except AlreadyExists:
        raise ProblemError(409, f"用户名已存在：{body.username}", [{"field": "username", "message": "已存在"}]) from None
    except ValueError as e:
        raise ProblemError(422, str(e), [{"field": "username", "message": str(e)}]) from None


@router.patch("/users/{username}", summary="修改用户的角色、停用状态或密码")
def change_user(username: str, body: UserChange, request: Request, _: AdminDep) -> dict:
    accounts = request.app.state.accounts
    try:
        if body.password is not None:
            accounts.set_password(username, body.password)
        if body.role is not None:
            accounts.set_role(username, body.role)
        if body.disabled is not None:
            accounts.set_disabled(username, body.disabled)
        user = accounts.get_user(username)
    except NotFound:
        raise ProblemError(404, f"没有这个用户：{username}") from None
    except InvalidOperation as e:
        raise ProblemError(409, str(e)) from None
    if user is None:
        raise ProblemError(404, f"没有这个用户：{username}")
    return _user(user)
