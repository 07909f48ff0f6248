"""Typed dependencies shared by the route modules.

They only read app state (never the database), so they are ``async``: a plain ``def``
would cost a thread hand-off per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.errors import ProblemError
from app.config import Settings, ShopDirectory
from app.engine.assistant import Assistant
from app.shop import ShopProfile


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_assistant(request: Request) -> Assistant:
    return request.app.state.holder.current()


async def get_shops(request: Request) -> ShopDirectory:
    return request.app.state.shops


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
ShopsDep = Annotated[ShopDirectory, Depends(get_shops)]


def resolve_shop(shops: ShopDirectory, key: str | None, override: ShopProfile | None) -> ShopProfile:
    if key is not None and key not in shops.shops:
        raise ProblemError(
            422,
            f"shop_key：没有名为 {key!r} 的店铺",
            [{"field": "shop_key", "message": f"可选：{', '.join(shops.shops)}"}],
        )
    return shops.resolve(key, override)
