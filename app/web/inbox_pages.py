"""The editors' learning inbox page: ``/editor/inbox``.

The page only lays out ``GET /v1/inbox`` and calls ``/v1/inbox/preview`` and
``/v1/inbox/apply`` from its script (``static/inbox.js``), with the session's CSRF
token; the server renders the intent picker and the filters.  Editor role, signed
in: anyone else is sent to sign in, or told they need the role.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.deps import AssistantDep, ShopsDep
from app.web.pages import SignedIn, _render

router = APIRouter(include_in_schema=False)


@router.get("/editor/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, who: SignedIn, engine: AssistantDep, shops: ShopsDep):
    if not who.allows("editor"):
        return _render(request, "documents_list.html", who, 403, nav="inbox", title="需要模板编辑权限才能处理收件箱",
                       rows=[], headers=["—"], q="", can_edit=False, new_url="")
    intents = sorted(engine.pack.intents.values(), key=lambda i: (i.category, i.label))
    shop_list = [{"key": k, "name": p.name or k} for k, p in shops.shops.items()]
    categories = sorted({i.category for i in intents})
    return _render(request, "inbox.html", who, nav="inbox", intents=intents, shops=shop_list, categories=categories)
