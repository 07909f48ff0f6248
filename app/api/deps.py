"""Typed dependencies shared by the route modules and the pages.

Handlers and pages take what they need as one of these aliases (``AssistantDep``,
``AccountsDep``…) instead of reading ``request.app.state``, so that what a handler
uses is in its signature.  They only read app state (never the database), so they are
``async``: a plain ``def`` would cost a thread hand-off per dependency per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from app import stats as statistics
from app.api.errors import ProblemError
from app.api.logins import LoginGuard
from app.config import Settings, ShopDirectory
from app.engine.assistant import Assistant
from app.engine.holder import AssistantHolder
from app.shop import ShopProfile
from app.store.accounts import AccountStore
from app.store.content import ContentStore
from app.store.phrases import PhraseStore


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_assistant(request: Request) -> Assistant:
    """The assistant of the current content: one per request, even if an edit lands meanwhile."""
    return request.app.state.holder.current()


async def get_holder(request: Request) -> AssistantHolder:
    return request.app.state.holder


async def get_shops(request: Request) -> ShopDirectory:
    return request.app.state.shops


async def get_accounts(request: Request) -> AccountStore:
    return request.app.state.accounts


async def get_logins(request: Request) -> LoginGuard:
    return request.app.state.logins


async def get_content(request: Request) -> ContentStore:
    return request.app.state.store


async def get_store_engine(request: Request) -> Engine:
    return request.app.state.store_engine


async def get_phrases(request: Request) -> PhraseStore:
    return request.app.state.phrases


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
HolderDep = Annotated[AssistantHolder, Depends(get_holder)]
ShopsDep = Annotated[ShopDirectory, Depends(get_shops)]
AccountsDep = Annotated[AccountStore, Depends(get_accounts)]
LoginsDep = Annotated[LoginGuard, Depends(get_logins)]
ContentDep = Annotated[ContentStore, Depends(get_content)]
StoreEngineDep = Annotated[Engine, Depends(get_store_engine)]
PhrasesDep = Annotated[PhraseStore, Depends(get_phrases)]


def resolve_shop(shops: ShopDirectory, key: str | None, override: ShopProfile | None) -> ShopProfile:
    if key is not None and key not in shops.shops:
        raise ProblemError(
            422,
            f"shop_key：没有名为 {key!r} 的店铺",
            [{"field": "shop_key", "message": f"可选：{', '.join(shops.shops)}"}],
        )
    return shops.resolve(key, override)


@dataclass(frozen=True)
class PeriodQuery:
    """The days and shop a report is asked for: ``?from=&to=&shop=`` (days in Beijing time, both included)."""

    first: date
    last: date
    shop: str | None


def get_period(
    from_: str | None = Query(None, alias="from", max_length=20, description="起始日期（含），YYYY-MM-DD；默认 to 之前 30 天"),
    to: str | None = Query(None, max_length=20, description="结束日期（含），YYYY-MM-DD；默认今天（北京时间）"),
    shop: str | None = Query(None, max_length=64, description="只看这个店铺（店铺的 key）；默认全部"),
) -> PeriodQuery:
    """``app.stats.period`` over the query, its error as a 422 naming the field (for /v1/stats and /v1/inbox)."""
    try:
        first, last = statistics.period(from_, to)
    except statistics.PeriodError as e:
        raise ProblemError(422, e.detail, [{"field": e.field, "message": e.message}]) from None
    return PeriodQuery(first, last, shop or None)


PeriodDep = Annotated[PeriodQuery, Depends(get_period)]
