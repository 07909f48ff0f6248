"""``shouhou export`` and ``import`` carry the word lists and the variables like the other documents."""

from __future__ import annotations

from typer.testing import CliRunner

from app import PROJECT_ROOT
from app.cli import app
from app.store import ContentStore, open_engine

runner = CliRunner()


def test_the_word_lists_and_variables_are_exported_and_an_edited_one_imported(tmp_path):
    env = {"SHOUHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    out = tmp_path / "exported"
    r = runner.invoke(app, ["export", str(out)], env=env)
    assert r.exit_code == 0, r.output
    for name in ("couriers.yaml", "domain.txt", "promises.yaml"):
        assert (out / "lexicon" / name).read_text(encoding="utf-8") == (PROJECT_ROOT / "lexicon" / name).read_text(encoding="utf-8")
    assert (out / "templates" / "variables.yaml").read_text(encoding="utf-8") == (
        PROJECT_ROOT / "templates" / "variables.yaml"
    ).read_text(encoding="utf-8")

    domain = out / "lexicon" / "domain.txt"
    domain.write_text(domain.read_text(encoding="utf-8") + "一直钻毛 2000 n\n", encoding="utf-8")
    r = runner.invoke(app, ["import", str(out)], env=env)
    assert r.exit_code == 0, r.output
    assert "lexicon domain" in r.output and "已导入 1 个" in r.output
    store = ContentStore(open_engine(env["SHOUHOU_DATABASE_URL"]))
    assert store.get("lexicon", "domain").body.endswith("一直钻毛 2000 n\n")

    domain.write_text(domain.read_text(encoding="utf-8") + "钻毛 很多\n", encoding="utf-8")
    r = runner.invoke(app, ["import", str(out)], env=env)
    assert r.exit_code == 1 and "未导入" in r.output and "词频" in r.output and "domain.txt:" in r.output
