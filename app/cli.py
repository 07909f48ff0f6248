"""The ``shouhou`` command line: serve, suggest, check, lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.config import Settings, ShopDirectory

app = typer.Typer(help="售后助手 shouhou：回复建议与合规检查。", no_args_is_help=True, add_completion=False)


def _engine(settings: Settings):
    from app.assistant import Engine
    from app.content.source import load_from_files
    from app.text.segment import Segmenter

    pack, rules, _ = load_from_files(settings)
    return Engine.build(pack, rules, Segmenter())


def _parse_context(items: list[str]) -> dict[str, str]:
    ctx = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"应写成 名称=值：{item!r}", param_hint="--context")
        ctx[key.strip()] = value
    return ctx


def _mark(text: str, start: int, end: int) -> str:
    return f"{text[:start]}【{text[start:end]}】{text[end:]}"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址（默认 127.0.0.1）")] = None,
    port: Annotated[int | None, typer.Option(help="端口（默认 8000）")] = None,
    reload: Annotated[bool, typer.Option(help="代码变化时自动重启（开发用）")] = False,
) -> None:
    """启动 HTTP 服务（API、文档 /docs）。"""
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "app.main:app",
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_level="info",
    )


@app.command()
def suggest(
    message: Annotated[str, typer.Argument(help="买家消息")],
    context: Annotated[list[str], typer.Option("--context", "-c", help="模板变量，如 order_id=123，可重复")] = [],  # noqa: B006
    top_k: Annotated[int, typer.Option(help="最多几条建议")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（与 /v1/suggest 相同的字段）")] = False,
) -> None:
    """匹配买家消息的意图，并给出建议回复。"""
    settings = Settings()
    engine = _engine(settings)
    shop = ShopDirectory.from_file(settings.shops_file).default
    result = engine.suggest(message, _parse_context(context), shop, top_k)
    if as_json:
        out = {
            "intents": [{"id": m.id, "label": m.label, "score": m.score} for m in result.match.intents],
            "suggestions": [
                {
                    "template_id": s.template_id,
                    "intent": s.intent,
                    "text": s.text,
                    "missing_vars": s.missing_vars,
                    "flags": [f.model_dump() for f in s.flags],
                }
                for s in result.suggestions
            ],
            "alerts": [a.model_dump() for a in result.alerts],
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if not result.match.intents:
        typer.echo("没有把握匹配到售后意图，建议人工回复。")
        return
    typer.echo("意图：" + "，".join(f"{m.label}({m.id}) {m.score:.2f}" for m in result.match.intents))
    for a in result.alerts:
        typer.secho(f"提醒[{a.severity}] {a.message}", fg=typer.colors.YELLOW)
    for i, s in enumerate(result.suggestions, 1):
        typer.echo(f"\n{i}. [{s.template_id}] {s.text}")
        if s.missing_vars:
            typer.echo(f"   缺少变量：{', '.join(s.missing_vars)}")
        for f in s.flags:
            typer.secho(f"   ⚠ {f.rule}[{f.severity}] {f.message}", fg=typer.colors.RED)


@app.command()
def check(
    text: Annotated[str, typer.Argument(help="准备发送的回复草稿")],
    carriers: Annotated[str | None, typer.Option(help="本店快递，逗号分隔，覆盖配置，如 申通,中通")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """检查回复草稿里的风险承诺与违规；有 block 级问题时退出码为 1。"""
    from app.shop import ShopProfile

    settings = Settings()
    engine = _engine(settings)
    shop = ShopDirectory.from_file(settings.shops_file).default
    if carriers is not None:
        shop = shop.merged(ShopProfile(carriers=[c.strip() for c in carriers.split(",") if c.strip()]))
    flags = engine.check(text, shop)
    if as_json:
        typer.echo(json.dumps({"flags": [f.model_dump() for f in flags]}, ensure_ascii=False, indent=2))
    elif not flags:
        typer.secho("没有发现风险。", fg=typer.colors.GREEN)
    else:
        for f in flags:
            color = typer.colors.RED if f.severity == "block" else typer.colors.YELLOW
            typer.secho(f"[{f.severity}] {f.rule}  {f.start}-{f.end}", fg=color, bold=True)
            typer.echo(f"  {_mark(text, f.start, f.end)}")
            typer.echo(f"  原因：{f.message}")
            if f.suggestion:
                typer.echo(f"  建议改为：{f.suggestion}")
    if any(f.severity == "block" for f in flags):
        raise typer.Exit(1)


@app.command()
def lint(
    content_dir: Annotated[Path | None, typer.Option(help="内容目录（默认项目根目录）")] = None,
) -> None:
    """校验所有意图、模板和风险规则文件；有问题时列出文件与行号并以非零退出。"""
    from app.lint import lint_content

    settings = Settings(content_dir=content_dir) if content_dir else Settings()
    problems, summary = lint_content(settings)
    for p in problems:
        typer.secho(str(p), fg=typer.colors.RED, err=True)
    if problems:
        typer.secho(f"发现 {len(problems)} 个问题。", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.secho(f"内容检查通过：{summary}", fg=typer.colors.GREEN)


if __name__ == "__main__":
    app()
