"""shouhou (售后助手): reply suggestions and compliance checks for Taobao/Tmall after-sales agents."""

from pathlib import Path

__version__ = "0.1.0"

#: The project root that holds the bundled content (intents/, templates/, rules/, lexicon/).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
