"""The three roles, their order (agent < editor < admin) and their Chinese names: the one definition."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["agent", "editor", "admin"]

#: Every role, weakest first.
ROLES: tuple[Role, ...] = get_args(Role)

#: What the pages and messages call each role.
ROLE_NAMES: dict[Role, str] = {"agent": "客服", "editor": "模板编辑", "admin": "管理员"}

_RANK = {role: rank for rank, role in enumerate(ROLES)}


def check_role(role: str) -> Role:
    """Return ``role`` if it is a known role, else raise ``ValueError``."""
    if role not in _RANK:
        raise ValueError(f"未知的角色：{role!r}（可选 {', '.join(ROLES)}）")
    return role  # type: ignore[return-value]


def role_allows(have: str, need: str) -> bool:
    """True if a holder of role ``have`` may do what needs role ``need`` (unknown roles allow nothing)."""
    if have not in _RANK:
        return False
    return _RANK[have] >= _RANK[check_role(need)]
