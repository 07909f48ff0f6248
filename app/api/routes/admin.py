"""Accounts over JSON, for admins: API keys for bots, users for the pages."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app.api.auth import AdminDep
from app.api.deps import AccountsDep
from app.api.errors import ProblemError, problem_responses
from app.api.schemas import MAX_DB_INT, STRICT
from app.store.accounts import MAX_PASSWORD_LENGTH, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH
from app.store.errors import AlreadyExists, InvalidField, InvalidOperation, NotFound
from app.store.roles import Role

router = APIRouter(prefix="/v1", tags=["管理"], responses=problem_responses(401, 403))


class KeyBody(BaseModel):
    model_config = STRICT

    name: str = Field(min_length=1, max_length=100, description="这个 key 给谁用，如 im-bot")
    role: Role = "agent"


class UserBody(BaseModel):
    model_config = STRICT

    username: str = Field(min_length=1, max_length=MAX_USERNAME_LENGTH)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: Role = "editor"


class UserChange(BaseModel):
    model_config = STRICT

    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(
        None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH, description="新密码；同时解除锁定"
    )


def _key(k) -> dict:
    return {
        "id": k.id, "name": k.name, "prefix": k.prefix, "role": k.role, "created_at": k.created_at.isoformat(),
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
    }


def _user(u) -> dict:
    return {
        "username": u.username, "role": u.role, "disabled": u.disabled, "locked": u.locked,
        "created_at": u.created_at.isoformat(),
    }


@router.get("/keys", summary="API key 列表（只显示前缀）")
def list_keys(accounts: AccountsDep, _: AdminDep) -> dict:
    return {"keys": [_key(k) for k in accounts.list_api_keys()]}


@router.post("/keys", status_code=201, summary="新建 API key（明文只返回这一次）")
def create_key(body: KeyBody, accounts: AccountsDep, _: AdminDep) -> dict:
    secret, info = accounts.create_api_key(body.name.strip(), body.role)
    return {**_key(info), "key": secret}


@router.delete("/keys/{key_id}", summary="吊销 API key", responses=problem_responses(404))
def revoke_key(key_id: Annotated[int, Path(ge=1, le=MAX_DB_INT, description="key 的编号")], accounts: AccountsDep, _: AdminDep) -> dict:
    try:
        return _key(accounts.revoke_api_key(key_id))
    except NotFound:
        raise ProblemError(404, f"没有编号为 {key_id} 的 API key") from None


@router.get("/users", summary="用户列表")
def list_users(accounts: AccountsDep, _: AdminDep) -> dict:
    return {"users": [_user(u) for u in accounts.list_users()]}


@router.post("/users", status_code=201, summary="新建用户", responses=problem_responses(409))
def create_user(body: UserBody, accounts: AccountsDep, _: AdminDep) -> dict:
    try:
        return _user(accounts.create_user(body.username, body.password, body.role))
    except AlreadyExists:
        raise ProblemError(409, f"用户名已存在：{body.username}", [{"field": "username", "message": "已存在"}]) from None
    except InvalidField as e:
        raise ProblemError(422, f"{e.field}：{e}", [{"field": e.field, "message": str(e)}]) from None


@router.patch("/users/{username}", summary="修改用户的角色、停用状态或密码", responses=problem_responses(404, 409))
def change_user(username: str, body: UserChange, accounts: AccountsDep, _: AdminDep) -> dict:
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


@router.post("/users/{username}/unlock", summary="解除因多次密码错误而锁定的账号", responses=problem_responses(404))
def unlock_user(username: str, accounts: AccountsDep, _: AdminDep) -> dict:
    try:
        return _user(accounts.unlock(username))
    except NotFound:
        raise ProblemError(404, f"没有这个用户：{username}") from None
