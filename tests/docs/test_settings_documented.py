"""Every setting is documented in the README (a setting nobody can find is a setting nobody uses)."""

from app import PROJECT_ROOT
from app.config import Settings


def test_every_setting_is_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"SHOUHOU_{name.upper()}" not in readme]
    assert missing == []
