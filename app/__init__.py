"""shouhou (售后助手): reply suggestions and compliance checks for Taobao/Tmall after-sales agents."""

import os
import tempfile
from pathlib import Path

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent
#: An installed wheel carries the bundled content here (``setup.py`` copies the top-level folders in).
_BUNDLED = _HERE / "_content"

#: True in a checkout (or an editable install): the content is at the top of the repository.
FROM_CHECKOUT = not (_BUNDLED / "intents").is_dir()

#: Where the bundled content is (intents/, templates/, rules/, lexicon/): the checkout's root,
#: or ``app/_content/`` in an installed wheel.
PROJECT_ROOT = _HERE.parent if FROM_CHECKOUT else _BUNDLED


def _user_dir(variable: str, fallback: str) -> Path:
    """``$XDG_…_HOME/shouhou`` or ``~/<fallback>/shouhou``; a temporary directory when there is no home."""
    if os.environ.get(variable):
        return Path(os.environ[variable]) / "shouhou"
    try:
        return Path.home() / fallback / "shouhou"
    except RuntimeError:  # no HOME and no passwd entry (a container run with an arbitrary uid)
        return Path(tempfile.gettempdir()) / f"shouhou-{os.getuid()}"


#: Where the SQLite file goes by default: ``data/`` in a checkout, the user's data directory when installed.
DATA_DIR = _HERE.parent / "data" if FROM_CHECKOUT else _user_dir("XDG_DATA_HOME", ".local/share")

#: Where caches go by default (jieba's prefix dictionary, the trained index): ``data/cache/`` in a
#: checkout, the user's cache directory when installed.  ``SHOUHOU_CACHE_DIR`` overrides it.
DEFAULT_CACHE_DIR = DATA_DIR / "cache" if FROM_CHECKOUT else _user_dir("XDG_CACHE_HOME", ".cache")


def cache_dir() -> Path:
    """The cache directory in effect: ``SHOUHOU_CACHE_DIR`` if set, else ``DEFAULT_CACHE_DIR``."""
    configured = os.environ.get("SHOUHOU_CACHE_DIR", "").strip()
    return Path(configured).expanduser() if configured else DEFAULT_CACHE_DIR
