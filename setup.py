"""Build step: the wheel carries the bundled content as ``app/_content/``.

The repository keeps the content at the top (intents/, templates/, rules/, lexicon/),
where editors and reviewers find it; package data cannot reach outside the package,
so the wheel's ``build_py`` copies those folders into ``app/_content/``, and
``app.PROJECT_ROOT`` points there when the package is installed.  An editable install
(``pip install -e .``, what ``make`` does) reads the checkout's own folders instead.
Everything else about the package is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

#: What the server and ``shouhou lint`` read, folder by folder (rules/README.md is for people).
CONTENT = {
    "intents": ["*.yaml"],
    "templates": ["variables.yaml", "replies/*/*.j2"],
    "rules": ["*.yaml"],
    "lexicon": ["*.txt", "*.yaml"],
}


def content_files() -> list[Path]:
    return sorted(p for folder, patterns in CONTENT.items() for pattern in patterns for p in (ROOT / folder).glob(pattern))


class BuildPyWithContent(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source in content_files():
            target = Path(self.build_lib, "app", "_content", source.relative_to(ROOT))
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithContent})
