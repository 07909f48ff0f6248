"""The phrase library of the reply box, and the signed-in agent's own profile.

* ``POST /v1/phrases/search``: templates and personal phrases for what the agent
  typed after ``/`` (short code, title, text, pinyin initials), rendered with the
  order context; any agent may search, a signed-in one also gets their
  favourites, recently used and personal phrases.
* ``/v1/phrases/personal``, ``/v1/phrases/favourites/{id}``, ``/v1/phrases/used``:
  a signed-in agent's own phrases, stars and recent uses (stored per user).
* ``GET``/``PUT /v1/me``: who is signed in, and the nickname that fills 【客服昵称】.

The library is per person, so these need a session (an API key or the local
workbench without signing in gets 403 or 401); the session's writes need its
CSRF token like every other (``auth.get_principal``).  Handlers are thin: the
store (``store/phrases.py``) keeps the data and ``rendering/phrases.py`` ranks.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from app.api.auth import AgentDep, Principal, get_principal
from app.api.deps import AccountsDep, AssistantDep, PhrasesDep, ShopsDep, resolve_shop
from app.api.errors import ProblemError, problem_responses
from app.api.schemas import STRICT, Context
from app.engine.assistant import Assistant
from app.rendering.phrases import MAX_QUERY, TEMPLATE_PREFIX, PhraseIndex, personal_phrase, rank
from app.rendering.renderer import RenderError
from app.shop import ShopProfile
from app.store.errors import InvalidField, NotFound
from app.store.phrases import (
    MAX_SHORTCODE,
    MAX_TEXT,
    MAX_TITLE,
    PersonalPhrase,
    TooMany,
    is_phrase_id,
    personal_number,
)
from app.store.roles import Role

router = APIRouter(prefix="/v1", tags=["短语库"], responses=problem_responses(401, 403))

#: The templates of the content being served, as searchable phrases (rebuilt when the content changes).
_TEMPLATES = PhraseIndex()
#: A phrase id in a path: ``tpl:color_difference/standard`` or ``my:12``.
PhraseIdPath = Annotated[str, Path(min_length=4, max_length=120, description="短语 id：tpl:模板id 或 my:编号")]
PersonalNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="个人短语编号（my:12 的 12）")]


# -- bodies ----------------------------------------------------------------------------------


class SearchBody(BaseModel):
    model_config = STRICT

    q: str = Field("", max_length=MAX_QUERY, description="输入框里 / 之后的内容：简码、标题、正文或拼音首字母；空则列出常用")
    context: Context = Field(default_factory=dict, description="模板变量：buyer_name、order_id…")
    shop: ShopProfile | None = Field(None, description="本次请求使用的店铺资料，覆盖服务器配置")
    shop_key: str | None = Field(None, max_length=64, description="服务器已配置的店铺之一")
    limit: int = Field(20, ge=1, le=100, description="最多返回几条")


class PersonalBody(BaseModel):
    model_config = STRICT

    title: str = Field(min_length=1, max_length=MAX_TITLE, description="标题，1–40 字")
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="短语正文，1–2000 字")
    shortcode: str | None = Field(None, min_length=1, max_length=MAX_SHORTCODE, description="简码：字母、数字或汉字，1–16 个")


class UsedBody(BaseModel):
    model_config = STRICT

    id: str = Field(min_length=4, max_length=120, description="刚用过的短语 id：tpl:模板id 或 my:编号")


class NicknameBody(BaseModel):
    model_config = STRICT

    nickname: str = Field(min_length=1, max_length=20, description="客服昵称，1–20 字，填入回复里的【客服昵称】")


class PhraseOut(BaseModel):
    id: str = Field(description="tpl:模板id 或 my:编号")
    kind: Literal["template", "personal"]
    title: str
    shortcode: str | None
    intent: str | None = Field(description="模板所属意图；个人短语为 null")
    text: str = Field(description="按 context 填好的回复")
    missing_vars: list[str]
    favourite: bool
    last_used: str | None = Field(description="最近一次使用的时间（ISO 8601），没用过为 null")


class PhrasesOut(BaseModel):
    phrases: list[PhraseOut]


class MeOut(BaseModel):
    username: str
    role: Role
    nickname: str | None


# -- dependencies ----------------------------------------------------------------------------


async def signed_in(request: Request) -> Principal:
    """A person signed in with a session: the library and the profile are theirs."""
    principal = await get_principal(request)
    if principal is None:
        raise ProblemError(401, "请先登录：收藏、个人短语和昵称跟着登录的客服走")
    if principal.via != "session":
        raise ProblemError(403, "收藏、个人短语和昵称只对登录的客服开放，API key 不能使用")
    return principal


SessionDep = Annotated[Principal, Depends(signed_in)]


def _field_problem(e: InvalidField) -> ProblemError:
    return ProblemError(422, f"{e.field}：{e}", [{"field": e.field, "message": str(e)}])


def _check_phrase_id(engine: Assistant, phrase_id: str, field: str) -> None:
    """422 for an id of the wrong form, 404 for a template the content does not have."""
    if not is_phrase_id(phrase_id):
        raise ProblemError(422, f"{field}：短语 id 应为 tpl:模板id 或 my:编号",
                           [{"field": field, "message": "应为 tpl:模板id 或 my:编号"}])
    if phrase_id.startswith(TEMPLATE_PREFIX) and phrase_id[len(TEMPLATE_PREFIX):] not in engine.pack.templates:
        raise ProblemError(404, f"没有这个模板：{phrase_id[len(TEMPLATE_PREFIX):]}")


def _personal_out(p: PersonalPhrase, favourite: bool = False, last_used=None) -> dict:
    return {"id": p.phrase_id, "kind": "personal", "title": p.title, "shortcode": p.shortcode, "intent": None,
            "text": p.text, "missing_vars": [], "favourite": favourite,
            "last_used": last_used.isoformat() if last_used is not None else None}


def _not_yours(number: int) -> ProblemError:
    return ProblemError(404, f"没有这条个人短语：my:{number}")


# -- search ----------------------------------------------------------------------------------


@router.post("/phrases/search", response_model=PhrasesOut, summary="短语库：按简码、标题、正文或拼音首字母查找",
             responses=problem_responses(422))
def search(
    body: SearchBody, engine: AssistantDep, shops: ShopsDep, store: PhrasesDep, who: AgentDep
) -> dict:
    shop = resolve_shop(shops, body.shop_key, body.shop)
    ordered = [t for intent in engine.pack.intents for t in engine.templates_for(intent)]
    phrases = list(_TEMPLATES.phrases(engine.pack, ordered))
    favourites, recent = {}, {}
    if who.via == "session":  # a person: their own library too
        library = store.library(who.name)
        favourites, recent = library.favourites, library.recent
        phrases = [personal_phrase(p.id, p.title, p.text, p.shortcode) for p in library.personal] + phrases
    # Filled as /v1/suggest fills its replies; the signed-in agent's nickname where the context is silent.
    values = engine.known_values({"agent_name": who.nickname} if who.nickname else {}, body.context, shop)
    out = []
    for ranked in rank(phrases, body.q, favourites, recent, limit=len(phrases)):
        phrase = ranked.phrase
        if phrase.kind == "personal":
            text, missing = phrase.body, []
        else:
            try:
                rendered = engine.renderer.render(phrase.body, values)
            except RenderError:
                continue  # a broken template is skipped, never a failed request; lint catches it
            text, missing = rendered.text, rendered.missing_vars
        out.append({
            "id": phrase.id, "kind": phrase.kind, "title": phrase.title, "shortcode": phrase.shortcode,
            "intent": phrase.intent, "text": text, "missing_vars": missing, "favourite": ranked.favourite,
            "last_used": ranked.last_used.isoformat() if ranked.last_used is not None else None,
        })
        if len(out) == body.limit:
            break
    return {"phrases": out}


# -- personal phrases ------------------------------------------------------------------------


@router.get("/phrases/personal", response_model=PhrasesOut, summary="我的个人短语")
def list_personal(store: PhrasesDep, who: SessionDep) -> dict:
    library = store.library(who.name)
    return {"phrases": [_personal_out(p, p.phrase_id in library.favourites, library.recent.get(p.phrase_id))
                        for p in library.personal]}


@router.post("/phrases/personal", status_code=201, response_model=PhraseOut, summary="新建个人短语",
             responses=problem_responses(409, 422))
def add_personal(body: PersonalBody, store: PhrasesDep, who: SessionDep) -> dict:
    try:
        return _personal_out(store.add_personal(who.name, body.title, body.text, body.shortcode))
    except InvalidField as e:
        raise _field_problem(e) from None
    except TooMany as e:
        raise ProblemError(409, str(e), title="个人短语已达上限") from None


@router.put("/phrases/personal/{number}", response_model=PhraseOut, summary="修改自己的个人短语",
            responses=problem_responses(404, 422))
def update_personal(number: PersonalNumber, body: PersonalBody, store: PhrasesDep, who: SessionDep) -> dict:
    try:
        p = store.update_personal(who.name, number, body.title, body.text, body.shortcode)
    except InvalidField as e:
        raise _field_problem(e) from None
    except NotFound:
        raise _not_yours(number) from None
    recent = store.recent(who.name)
    return _personal_out(p, p.phrase_id in store.favourites(who.name), recent.get(p.phrase_id))


@router.delete("/phrases/personal/{number}", status_code=204, summary="删除自己的个人短语",
               responses=problem_responses(404, 422))
def delete_personal(number: PersonalNumber, store: PhrasesDep, who: SessionDep) -> Response:
    try:
        store.delete_personal(who.name, number)
    except NotFound:
        raise _not_yours(number) from None
    return Response(status_code=204)


# -- favourites and recent -------------------------------------------------------------------


@router.put("/phrases/favourites/{phrase_id:path}", status_code=204, summary="收藏短语",
            responses=problem_responses(404, 422))
def add_favourite(phrase_id: PhraseIdPath, store: PhrasesDep, engine: AssistantDep, who: SessionDep) -> Response:
    _check_phrase_id(engine, phrase_id, "phrase_id")
    try:
        store.add_favourite(who.name, phrase_id)
    except NotFound:
        raise _not_yours(personal_number(phrase_id)) from None
    return Response(status_code=204)


# 404: only for a path no route can take (a line break in it), like every other path.
@router.delete("/phrases/favourites/{phrase_id:path}", status_code=204, summary="取消收藏",
               responses=problem_responses(404, 422))
def remove_favourite(phrase_id: PhraseIdPath, store: PhrasesDep, who: SessionDep) -> Response:
    if not is_phrase_id(phrase_id):
        raise ProblemError(422, "phrase_id：短语 id 应为 tpl:模板id 或 my:编号",
                           [{"field": "phrase_id", "message": "应为 tpl:模板id 或 my:编号"}])
    store.remove_favourite(who.name, phrase_id)  # a phrase that was not starred is not starred now either
    return Response(status_code=204)


@router.post("/phrases/used", status_code=204, summary="记录刚用过的短语（最近使用，保留 50 条）",
             responses=problem_responses(404, 422))
def record_use(body: UsedBody, store: PhrasesDep, engine: AssistantDep, who: SessionDep) -> Response:
    _check_phrase_id(engine, body.id, "id")
    try:
        store.record_use(who.name, body.id)
    except NotFound:
        raise _not_yours(personal_number(body.id)) from None
    return Response(status_code=204)


# -- the signed-in agent ---------------------------------------------------------------------


@router.get("/me", response_model=MeOut, summary="当前登录的客服")
def me(accounts: AccountsDep, who: SessionDep) -> dict:
    return {"username": who.name, "role": who.role, "nickname": accounts.get_nickname(who.name)}


@router.put("/me", response_model=MeOut, summary="修改自己的客服昵称", responses=problem_responses(422))
def set_me(body: NicknameBody, accounts: AccountsDep, who: SessionDep) -> dict:
    try:
        nickname = accounts.set_nickname(who.name, body.nickname)
    except InvalidField as e:
        raise _field_problem(e) from None
    return {"username": who.name, "role": who.role, "nickname": nickname}
