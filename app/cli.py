"""The ``shouhou`` command line: serve, suggest, check, lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.config import ConfigError, Settings, ShopDirectory, field_errors

app = typer.Typer(help="售后助手 shouhou：回复建议与合规检查。", no_args_is_help=True, add_completion=False)


def _engine(settings: Settings):
    """The engine over what the server serves: the store (seeded with the bundled files)."""
    from app.editing.sync import load_from_store, seed_store
    from app.engine.assistant import Assistant
    from app.matching.index_cache import IndexCache
    from app.text.segment import Segmenter

    store, _ = _stores(settings)
    seed_store(store, settings)
    pack, rules, _ = load_from_store(store, settings)
    # The classifier the server (or the last command) trained on the same examples is read from disk.
    # jieba's dictionary is loaded only if the command splits text (``check`` never does).
    return Assistant.build(pack, rules, Segmenter(cache_dir=settings.cache_dir, lazy=True), index_cache=IndexCache(settings.cache_dir))


def _default_shop(settings: Settings):
    try:
        return ShopDirectory.from_file(settings.shops_file).default
    except ConfigError as e:
        typer.secho(str(e), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


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
    workers: Annotated[int, typer.Option(min=1, max=64, help="工作进程数（共用同一个数据库；编辑会通知每个进程）")] = 1,
) -> None:
    """启动 HTTP 服务（API、文档 /docs）。"""
    import os

    from pydantic import ValidationError

    from app import serving

    # The app reads its settings from the environment (also in --reload's worker process):
    # pass the address on, so that the setup URL and the allowed hosts name the real one.
    if host is not None:
        os.environ["SHOUHOU_HOST"] = host
    if port is not None:
        os.environ["SHOUHOU_PORT"] = str(port)
    try:
        settings = Settings()
        settings.check_safe_to_serve()
        ShopDirectory.from_file(settings.shops_file)
    except ValidationError as e:
        for name, message in field_errors(e):
            typer.secho(f"设置 SHOUHOU_{name.upper()} 有误：{message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except ConfigError as e:
        typer.secho(str(e), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if reload and workers > 1:
        typer.secho("--reload 只能和一个工作进程一起用", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    serving.run(settings, reload=reload, workers=workers)


@app.command()
def suggest(
    message: Annotated[str, typer.Argument(help="买家消息")],
    context: Annotated[list[str], typer.Option("--context", "-c", help="模板变量，如 order_id=123，可重复")] = [],  # noqa: B006
    top_k: Annotated[int, typer.Option(help="最多几条建议")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（与 /v1/suggest 相同的字段）")] = False,
) -> None:
    """匹配买家消息的意图，并给出建议回复。"""
    settings = Settings()
    shop = _default_shop(settings)  # a bad shops file is reported before the engine is built
    engine = _engine(settings)
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
    """检查回复草稿里的风险承诺与违规；有「禁止发送」的说法时退出码为 1。"""
    from app.guard.severity import SEVERITY_NAMES
    from app.shop import ShopProfile

    settings = Settings()
    shop = _default_shop(settings)  # a bad shops file is reported before the engine is built
    engine = _engine(settings)
    if carriers is not None:
        shop = shop.merged(ShopProfile(carriers=[c.strip() for c in carriers.split(",") if c.strip()]))
    flags = engine.check(text, shop).flags
    if as_json:
        typer.echo(json.dumps({"flags": [f.model_dump() for f in flags]}, ensure_ascii=False, indent=2))
    elif not flags:
        typer.secho("没有发现风险。", fg=typer.colors.GREEN)
    else:
        for f in flags:
            color = typer.colors.RED if f.severity == "block" else typer.colors.YELLOW
            typer.secho(f"[{SEVERITY_NAMES.get(f.severity, f.severity)}] {f.rule}  {f.start}-{f.end}", fg=color, bold=True)
            typer.echo(f"  {_mark(text, f.start, f.end)}")
            typer.echo(f"  原因：{f.message}")
            if f.suggestion:
                typer.echo(f"  建议改为：{f.suggestion}")
    if any(f.severity == "block" for f in flags):
        raise typer.Exit(1)


@app.command()
def lint(
    content_dir: Annotated[Path | None, typer.Option(help="内容目录（默认项目根目录）")] = None,
    store: Annotated[bool, typer.Option("--store", help="校验内容库（服务器正在使用的内容，含编辑保存的版本）而不是文件")] = False,
) -> None:
    """校验所有意图、模板和风险规则文件；有问题时列出文件与行号并以非零退出。"""
    from app.editing.lint import lint_content, lint_store

    settings = Settings(content_dir=content_dir) if content_dir else Settings()
    problems, summary = lint_store(settings) if store else lint_content(settings)
    for p in problems:
        typer.secho(str(p), fg=typer.colors.RED, err=True)
    if problems:
        typer.secho(f"发现 {len(problems)} 个问题。", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.secho(f"内容检查通过：{summary}", fg=typer.colors.GREEN)


def _stores(settings: Settings):
    from app.store import AccountStore, ContentStore, open_engine

    db = open_engine(settings.database_url)
    return ContentStore(db), AccountStore(db)


@app.command("export")
def export_content(
    directory: Annotated[Path, typer.Argument(help="写到哪个目录（会生成 intents/、templates/replies/、rules/）")],
) -> None:
    """把内容库的当前内容导出为文件（便于在 git 中审阅）。"""
    from app.editing.sync import document_path, seed_store

    settings = Settings()
    store, _ = _stores(settings)
    seed_store(store, settings)
    count = 0
    for kind, docs in store.export_all().items():
        for key, body in docs.items():
            path = document_path(directory, kind, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body if body.endswith("\n") else body + "\n", encoding="utf-8")
            count += 1
    typer.echo(f"已导出 {count} 个文件到 {directory}")


@app.command("import")
def import_content(
    directory: Annotated[Path, typer.Argument(help="包含 intents/、templates/replies/、rules/ 的目录")],
    author: Annotated[str, typer.Option(help="记在版本历史里的作者")] = "import",
    comment: Annotated[str, typer.Option(help="版本说明")] = "从文件导入",
) -> None:
    """把文件作为新版本导入内容库（内容没变的不生成新版本）；先整体校验，有问题则什么都不导入。

    整个导入是一个事务：中途写入失败时，内容库保持原样。
    """
    from sqlalchemy.exc import SQLAlchemyError

    from app.editing.lint import lint_content
    from app.editing.sync import read_documents

    if not directory.is_dir():
        typer.secho(f"{directory}：不是一个目录，未导入。", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    settings = Settings(content_dir=directory)
    problems, _ = lint_content(settings)  # unreadable files, directories named *.yaml and bad YAML too
    for p in problems:
        typer.secho(str(p), fg=typer.colors.RED, err=True)
    if problems:
        typer.secho(f"发现 {len(problems)} 个问题，未导入。", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    store, _ = _stores(Settings())
    try:
        changed = store.import_all(read_documents(directory), author=author, comment=comment)
    except (SQLAlchemyError, ValueError, OSError) as e:
        # The driver's own message, without SQLAlchemy's statement and parameters (document bodies).
        reason = str(getattr(e, "orig", None) or e).strip().split("\n")[0] or type(e).__name__
        typer.secho(f"导入失败，内容库没有任何改动：{reason}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    for kind, key in changed:
        typer.echo(f"  {kind} {key}")
    typer.echo(f"已导入 {len(changed)} 个有变化的文件。")


keys_app = typer.Typer(help="API key（给 IM 机器人等程序使用）。", no_args_is_help=True)
users_app = typer.Typer(help="网页登录的用户。", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")

ROLE_HELP = "角色：agent（客服：suggest/check）、editor（编辑内容）、admin（规则、key、用户）"


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="这个 key 给谁用，如 im-bot")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)] = "agent",
) -> None:
    """新建一个 API key；明文只显示这一次。"""
    _, accounts = _stores(Settings())
    try:
        secret, info = accounts.create_api_key(name, role)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    typer.echo(f"已创建 key #{info.id}（{info.name}，{info.role}）。请妥善保存，之后不会再显示：")
    typer.echo(secret)


@keys_app.command("list")
def keys_list() -> None:
    """列出所有 API key（只显示前缀）。"""
    _, accounts = _stores(Settings())
    for k in accounts.list_api_keys():
        state = f"已吊销 {k.revoked_at:%Y-%m-%d}" if k.revoked else "有效"
        typer.echo(f"#{k.id}\t{k.prefix}…\t{k.name}\t{k.role}\t{state}")


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="key 的编号或前缀")]) -> None:
    """吊销一个 API key，立即失效。"""
    from app.store import NotFound

    _, accounts = _stores(Settings())
    try:
        info = accounts.revoke_api_key(int(key) if key.isdigit() else key)
    except NotFound:
        typer.secho(f"没有这个 key：{key}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已吊销 #{info.id}（{info.name}）")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)] = "editor",
    password: Annotated[str, typer.Option(prompt="密码", hide_input=True, confirmation_prompt=True, help="不填则提示输入")] = "",
) -> None:
    """新建网页登录用户。"""
    from app.store import AlreadyExists

    _, accounts = _stores(Settings())
    try:
        user = accounts.create_user(username, password, role)
    except (ValueError, AlreadyExists) as e:
        typer.secho(str(e) or f"用户已存在：{username}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已创建用户 {user.username}（{user.role}）")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="用户名")],
    password: Annotated[str, typer.Option(prompt="新密码", hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """修改用户密码。"""
    from app.store import NotFound

    _, accounts = _stores(Settings())
    try:
        accounts.set_password(username, password)
    except (ValueError, NotFound) as e:
        typer.secho(str(e), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo("密码已更新。")


@users_app.command("list")
def users_list() -> None:
    """列出用户。"""
    _, accounts = _stores(Settings())
    for u in accounts.list_users():
        state = "已停用" if u.disabled else "正常"
        typer.echo(f"{u.username}\t{u.role}\t{state}{'，已锁定（密码错误次数过多）' if u.locked else ''}")


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """解除因多次密码错误而锁定的账号（也清零错误次数）。"""
    from app.store import NotFound

    _, accounts = _stores(Settings())
    try:
        accounts.unlock(username)
    except NotFound:
        typer.secho(f"没有这个用户：{username}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已解锁 {username}，可以重新登录了。")


if __name__ == "__main__":
    app()
