"""Form views over JSON: a document's source read into form fields and written back, the
intent example check and the rule tester (see docs/api.md, 表单视图).

Templates and intents need the editor role; rules, the word lists (couriers, domain words) and
the variables the admin role.  The logic is in
``app/editing/forms.py`` and ``app/editing/form_checks.py``; the handlers are thin.
"""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.auth import AdminDep, EditorDep
from app.api.deps import AssistantDep
from app.api.errors import problem_responses
from app.api.schemas import MAX_MESSAGE, STRICT
from app.content.models import ID_RE
from app.editing.form_checks import check_examples, form_choices, try_rule
from app.editing.forms import (
    MAX_ITEM,
    MAX_ITEMS,
    CouriersFields,
    DomainFields,
    IntentFields,
    RuleFields,
    TemplateFields,
    VariablesFields,
    read_form,
    write_form,
)

MAX_SOURCE = 60_000  # as a save (app/api/routes/documents.py)

router = APIRouter(prefix="/v1", tags=["内容编辑"], responses=problem_responses(401, 403))

Source = Annotated[str, Field(max_length=MAX_SOURCE, description="文件全文（与保存时的 source 相同）")]


class ReadBody(BaseModel):
    model_config = STRICT

    source: Source


class TemplateWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: TemplateFields


class IntentWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: IntentFields


class RuleWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: RuleFields


class CouriersWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: CouriersFields


class DomainWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: DomainFields


class VariablesWrite(BaseModel):
    model_config = STRICT

    source: Source
    fields: VariablesFields


class ExamplesBody(BaseModel):
    model_config = STRICT

    intent: str = Field(pattern=ID_RE, max_length=64, description="这些例句所属的意图")
    examples: list[Annotated[str, Field(max_length=MAX_ITEM)]] = Field(max_length=MAX_ITEMS, description="例句")


class RuleTestBody(BaseModel):
    model_config = STRICT

    source: Source = Field(min_length=1)
    text: str = Field(min_length=1, max_length=MAX_MESSAGE, description="要测试的一段客服回复")


def _read(kind: str, source: str, choices: dict | None = None) -> dict:
    result = read_form(kind, source)  # type: ignore[arg-type]
    return {"fields": result.fields, "problems": result.problems, "choices": choices or {}}


def _write(kind: str, source: str, fields) -> dict:
    result = write_form(kind, source, fields)  # type: ignore[arg-type]
    return {"source": result.source, "problems": result.problems}


@router.post("/templates/form/read", summary="模板源文件 → 表单字段")
def template_read(body: ReadBody, engine: AssistantDep, _: EditorDep) -> dict:
    return _read("template", body.source, form_choices("template", engine))


@router.post("/templates/form/write", summary="表单字段 → 模板源文件（保留其余内容）")
def template_write(body: TemplateWrite, _: EditorDep) -> dict:
    return _write("template", body.source, body.fields)


@router.post("/intents/form/read", summary="意图源文件 → 表单字段")
def intent_read(body: ReadBody, engine: AssistantDep, _: EditorDep) -> dict:
    return _read("intent", body.source, form_choices("intent", engine))


@router.post("/intents/form/write", summary="表单字段 → 意图源文件（保留注释和其余内容）")
def intent_write(body: IntentWrite, _: EditorDep) -> dict:
    return _write("intent", body.source, body.fields)


@router.post("/rules/form/read", summary="规则源文件 → 表单字段")
def rule_read(body: ReadBody, _: AdminDep) -> dict:
    return _read("rule", body.source)


@router.post("/rules/form/write", summary="表单字段 → 规则源文件（保留注释和其余内容）")
def rule_write(body: RuleWrite, _: AdminDep) -> dict:
    return _write("rule", body.source, body.fields)


@router.post("/lexicon/couriers/form/read", summary="快递公司词表 → 表单字段")
def couriers_read(body: ReadBody, _: AdminDep) -> dict:
    return _read("couriers", body.source)


@router.post("/lexicon/couriers/form/write", summary="表单字段 → 快递公司词表（保留注释和其余内容）")
def couriers_write(body: CouriersWrite, _: AdminDep) -> dict:
    return _write("couriers", body.source, body.fields)


@router.post("/lexicon/domain/form/read", summary="行业词表 → 表单字段")
def domain_read(body: ReadBody, _: AdminDep) -> dict:
    return _read("domain", body.source)


@router.post("/lexicon/domain/form/write", summary="表单字段 → 行业词表（保留注释、词频和词性）")
def domain_write(body: DomainWrite, _: AdminDep) -> dict:
    return _write("domain", body.source, body.fields)


@router.post("/variables/form/read", summary="变量表 → 表单字段")
def variables_read(body: ReadBody, _: AdminDep) -> dict:
    return _read("variables", body.source)


@router.post("/variables/form/write", summary="表单字段 → 变量表（保留注释和其余内容）")
def variables_write(body: VariablesWrite, _: AdminDep) -> dict:
    return _write("variables", body.source, body.fields)


@router.post("/intents/examples/check", summary="检查例句：重复、别的意图也有、会被匹配到别的意图")
def examples_check(body: ExamplesBody, engine: AssistantDep, _: EditorDep) -> dict:
    return {"intent": body.intent, "examples": check_examples(engine, body.intent, body.examples)}


@router.post("/rules/test", summary="测试规则（未保存的修改）：在一段文字里命中哪些地方")
def rule_test(body: RuleTestBody, engine: AssistantDep, _: AdminDep) -> dict:
    result = try_rule(body.source, body.text, engine)
    return {"flags": [f.model_dump() for f in result.flags], "problems": result.problems}
