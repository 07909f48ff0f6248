"""Feedback on suggestions and the supervisors' statistics (api.md, "Feedback and statistics").

* ``POST /v1/feedback``: what the agent did with a suggestion (copied, inserted, sent
  with the final text, dismissed with a reason); an unknown ``suggestion_id`` is a 404,
  the same action reported twice counts once (``{"counted": false}``).
* ``GET /v1/stats?from=&to=&shop=`` (editor role): messages by problem class and
  priority per day, week and month, top intents, no-match, acceptance per template,
  intent and agent, guard flags by rule and blocked sends.

Days are Beijing time (UTC+8), the shops' own.  Both handlers are plain ``def``: the
store work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from app import stats as statistics
from app.api.auth import AgentDep, EditorDep
from app.api.deps import AssistantDep, PeriodDep
from app.api.errors import ProblemError, problem_responses
from app.api.recording import EventsDep
from app.api.schemas import STRICT
from app.store.errors import NotFound
from app.store.models import SUGGESTION_ID_LEN

router = APIRouter(prefix="/v1", tags=["反馈与统计"], responses=problem_responses(401, 403))



# -- feedback ------------------------------------------------------------------------------------


class FeedbackRequest(BaseModel):
    model_config = STRICT

    suggestion_id: str = Field(min_length=1, max_length=SUGGESTION_ID_LEN, description="建议回复的编号（suggest 返回的 suggestion_id）")
    action: Literal["copied", "inserted", "sent", "dismissed"] = Field(
        description="copied 复制、inserted 放入输入框、sent 已发送、dismissed 不采用"
    )
    final_text: str | None = Field(None, max_length=5000, description="最终发出的文字（与建议不同即算修改后采用）")
    reason: str | None = Field(None, max_length=200, description="不采用的原因，如 不相关、语气不对")


class FeedbackResponse(BaseModel):
    counted: bool = Field(description="false：同一操作已经报告过（只算一次），或服务器没有开启记录")


@router.post(
    "/feedback", response_model=FeedbackResponse, responses=problem_responses(404), summary="报告客服对一条建议回复的操作"
)
def feedback(body: FeedbackRequest, events: EventsDep, _: AgentDep) -> dict:
    try:
        counted = events.feedback(body.suggestion_id, body.action, body.final_text, body.reason)
    except NotFound:
        raise ProblemError(
            404,
            "找不到这条建议回复：suggestion_id 不存在，或已超过保留期被删除",
            [{"field": "suggestion_id", "message": "不存在"}],
        ) from None
    return {"counted": counted}


@router.delete(
    "/feedback/{suggestion_id}/dismissed", response_model=FeedbackResponse,
    summary="撤销“不合适”：这条建议不再算作被拒（统计、排序和收件箱随之更新）",
)
def retract_dismissal(
    suggestion_id: Annotated[str, Path(min_length=1, max_length=SUGGESTION_ID_LEN, description="建议回复的编号")],
    events: EventsDep,
    _: AgentDep,
) -> dict:
    return {"counted": events.retract(suggestion_id, "dismissed")}


# -- statistics ----------------------------------------------------------------------------------


class OutcomeOut(BaseModel):
    shown: int
    accepted: int = Field(description="原样采用（复制、放入输入框或发送，未修改）")
    edited: int = Field(description="修改后采用")
    dismissed: int = Field(description="不采用")
    acceptance_rate: float | None = Field(description="(accepted + edited) / shown；没有展示过时为 null")


class IntentCount(OutcomeOut):
    id: str
    label: str
    category: str
    priority: str | None
    count: int = Field(description="提到这个问题的买家消息数")


class CategoryCount(BaseModel):
    category: str
    priority: str | None = Field(description="问题分类的优先级（其意图中最高的）")
    count: int = Field(description="提到这类问题的买家消息数（一条消息每类只算一次）")


class PriorityCount(BaseModel):
    priority: str
    count: int


class TemplateOutcome(OutcomeOut):
    template_id: str
    intent: str
    combined: bool = Field(False, description="几个问题合成的一条回复（template_id 为各模板以 + 相连）")


class AgentOutcome(OutcomeOut):
    agent: str = Field(description="用户名；API key 为 key:名称；本机免登录为 local")
    kind: str = Field(description="session、key、local 或 open")
    messages: int


class RuleCount(BaseModel):
    rule: str
    count: int


class ReasonCount(BaseModel):
    reason: str
    count: int


class PeriodCount(BaseModel):
    messages: int
    no_match: int
    by_category: list[CategoryCount]


class DayCount(PeriodCount):
    date: str = Field(description="YYYY-MM-DD（北京时间）")


class WeekCount(PeriodCount):
    week: str = Field(description="这一周的星期一，YYYY-MM-DD")


class MonthCount(PeriodCount):
    month: str = Field(description="YYYY-MM")


class ChecksOut(BaseModel):
    flagged: int = Field(description="有提示的检查次数（客服连续修改同一草稿只算一次）")
    blocked: int = Field(description="有“禁止发送”（block）提示、拦下的发送（“拦下的承诺”）")


class StatsResponse(BaseModel):
    model_config = {"populate_by_name": True}

    from_: str = Field(alias="from", description="起始日期（含）")
    to: str = Field(description="结束日期（含）")
    shop: str | None
    timezone: str
    messages: int
    no_match: int
    no_match_rate: float | None
    by_intent: list[IntentCount]
    by_category: list[CategoryCount]
    by_priority: list[PriorityCount]
    suggestions: OutcomeOut
    by_template: list[TemplateOutcome]
    by_agent: list[AgentOutcome]
    dismiss_reasons: list[ReasonCount]
    flags: list[RuleCount] = Field(description="回复检查的提示，按规则")
    alerts: list[RuleCount] = Field(description="买家消息本身引出的风险提醒，按规则")
    checks: ChecksOut
    by_day: list[DayCount]
    by_week: list[WeekCount]
    by_month: list[MonthCount]


@router.get(
    "/stats", response_model=StatsResponse, response_model_by_alias=True, summary="统计：问题分类、采用率、合规提示（编辑角色）"
)
def stats(
    events: EventsDep,
    engine: AssistantDep,
    _: EditorDep,
    asked: PeriodDep,
) -> dict:
    return statistics.figures(events.store, engine.pack, asked.first, asked.last, asked.shop)
