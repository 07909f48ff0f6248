"""How long abusive templates take to be refused, and what the worst accepted templates cost.

    .venv/bin/python benchmarks/bench_templates.py

"Cold" is what a preview or a save pays (check, compile, render with a new renderer);
"cached" is what a suggestion pays once the template is compiled.  Context values are
the longest the API accepts (500 characters).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rendering.language import MAX_TEMPLATE_CHARS  # noqa: E402
from app.rendering.renderer import Renderer, RenderError  # noqa: E402
from tests.rendering.payloads import ISSUE  # noqa: E402

CONTEXT = {"buyer_name": "a" * 500, "order_id": "9" * 500, "item_name": "ﬃ" * 500}


def fill(unit: str, prefix: str = "", suffix: str = "") -> str:
    return prefix + unit * ((MAX_TEMPLATE_CHARS - len(prefix) - len(suffix)) // len(unit)) + suffix


WORST = {
    "4,000 characters of variables and filters": fill("{{ buyer_name|length }}"),
    "4,000 characters of if": fill("{% if order_id %}{% endif %}"),
    "joins over 500 items": fill("{% if buyer_name|join(',')|length %}{% endif %}"),
    "a loop at the step bound": "{% for c in buyer_name %}"
    + "{% if c in order_id or c == 'x' and c != 'y' %}{% endif %}" * 3
    + "{% endfor %}",
    "500 literal items, a replace each": "{% for x in [" + ",".join(["1"] * 500) + "] %}"
    "{% if buyer_name|replace('a', 'bb')|length %}{% endif %}{% endfor %}",
    "upper() that triples each character": fill("{% if item_name|upper|length %}{% endif %}"),
}


def timed(source: str, renderer: Renderer | None = None) -> tuple[float, str]:
    r = renderer or Renderer({})
    started = time.perf_counter()
    try:
        r.render(source, CONTEXT)
        outcome = "rendered"
    except RenderError as e:
        outcome = f"refused: {e.message[:40]}"
    return (time.perf_counter() - started) * 1000, outcome


def main() -> None:
    print("Abusive templates (issue 8), cold, median of 5:")
    for name, body, _ in ISSUE:
        runs = [timed(body) for _ in range(5)]
        print(f"  {name:28s} {statistics.median(t for t, _ in runs):6.2f} ms  {runs[0][1]}")
    print("Worst accepted templates:")
    for name, source in WORST.items():
        cold = statistics.median(timed(source)[0] for _ in range(5))
        warm = Renderer({})
        timed(source, warm)
        cached = statistics.median(timed(source, warm)[0] for _ in range(20))
        print(f"  {name:40s} cold {cold:6.1f} ms, cached {cached:5.2f} ms  ({timed(source)[1]})")


if __name__ == "__main__":
    main()
