"""The assistant: one version of the content turned into a ready engine, and the
``suggest`` and ``check`` operations built from matching, rendering and the guard.

An ``Assistant`` is immutable; when editors change content, a new one is built
(``Assistant.build``) and swapped in atomically, so requests in flight finish on
the version they started with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app.content.files import ContentPack
from app.guard.alerts import Alert, situation_alerts
from app.guard.guard import Flag, Guard
from app.guard.promises import Promise, broken_promises, extract_promises
from app.guard.rules import Rule
from app.matching.index_cache import IndexCache
from app.matching.matcher import IntentMatcher, MatchResult, keyword_words
from app.ranking import Ranking
from app.rendering.combine import combine
from app.rendering.renderer import Renderer, RenderError
from app.shop import ShopProfile
from app.text.conversation import Turn, conversation_context, message_context, newest_buyer_turns
from app.text.entities import Entity, extract
from app.text.normalize import normalize
from app.text.segment import Segmenter

log = logging.getLogger("shouhou")


@dataclass
class Suggestion:
    template_id: str
    intent: str
    title: str
    text: str
    missing_vars: list[str]
    flags: list[Flag]


@dataclass
class SuggestResult:
    match: MatchResult
    suggestions: list[Suggestion]
    alerts: list[Alert]
    entities: list[Entity]
    #: The values the replies were filled with (request context, conversation, shop profile).
    variables: dict[str, str] = field(default_factory=dict)
    #: Variables some suggestion still lacks, in order of first appearance.
    missing: list[str] = field(default_factory=list)
    #: Several problems answered in one reply (one greeting, one closing), or None.
    combined: Suggestion | None = None
    #: With a conversation: the buyer turns answered, and the agent's promises so far.
    answering: list[int] | None = None
    promises: list[Promise] | None = None
    #: The buyer text answered: the message, or the newest buyer turns joined.
    text: str = ""


@dataclass
class CheckResult:
    flags: list[Flag]
    promises: list[Promise] | None = None


@dataclass
class Assistant:
    """Matcher, renderer and guard for one content revision."""

    pack: ContentPack
    rules: list[Rule]
    matcher: IntentMatcher
    renderer: Renderer
    guard: Guard
    revision: int = 0
    _by_intent: dict[str, list] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        pack: ContentPack,
        rules: list[Rule],
        segmenter: Segmenter,
        revision: int = 0,
        previous: Assistant | None = None,
        index_cache: IndexCache | None = None,
    ) -> Assistant:
        """The engine for this content; ``index_cache`` (on disk) spares training a classifier
        already trained on the same examples, by this or another process.  ``segmenter`` gives
        the cache directory and laziness: the words kept whole are this content's (its lexicon's
        domain words and couriers, its intents' keywords), in a tokenizer remembered by them."""
        if previous is not None and previous.pack.lexicon == pack.lexicon and previous.pack.intents == pack.intents:
            segmenter = previous.matcher.segmenter  # the same words (normalising every keyword costs ~5 ms)
        else:
            segmenter = segmenter.for_lexicon(pack.lexicon, keyword_words(pack.intents))
            if previous is not None and previous.matcher.segmenter.digest == segmenter.digest:
                segmenter = previous.matcher.segmenter  # same words (a promise-lexicon edit): keep the matcher
        # An edit changes one kind of content; keep the parts it did not touch (building the
        # guard compiles every rule, the matcher trains a classifier).
        same = (
            previous is not None
            and previous.matcher.segmenter is segmenter
            and (previous.pack.intents, previous.pack.out_of_scope, previous.pack.fragments)
            == (pack.intents, pack.out_of_scope, pack.fragments)
        )
        if same:
            matcher = previous.matcher
        else:
            featurizer = previous.matcher.featurizer if previous is not None else None
            matcher = IntentMatcher(
                pack.intents, pack.out_of_scope, segmenter, featurizer=featurizer, fragments=pack.fragments,
                index_cache=index_cache,
            )
        kept_guard = previous is not None and previous.rules == rules and previous.guard.lexicon == pack.lexicon
        guard = previous.guard if kept_guard else Guard(rules, pack.lexicon)
        labels = {v.name: v.label for v in pack.variables.values()}
        # The renderer keeps its compiled templates (keyed by their text) across edits.
        renderer = previous.renderer if previous is not None and previous.renderer.labels == labels else Renderer(labels)
        by_intent: dict[str, list] = {}
        for tpl in sorted(pack.templates.values(), key=_template_order):
            by_intent.setdefault(tpl.intent, []).append(tpl)
        return cls(pack, rules, matcher, renderer, guard, revision, _by_intent=by_intent)

    def templates_for(self, intent: str, ranking: Ranking | None = None) -> list:
        """The intent's templates, best first: pinned, then by ``ranking`` (the shop's feedback), then
        the default order (``standard`` first)."""
        templates = self._by_intent.get(intent, [])
        return ranking.order(templates) if ranking is not None else templates

    def suggest(
        self,
        message: str | None,
        context: dict[str, object] | None = None,
        shop: ShopProfile | None = None,
        top_k: int = 3,
        explain: bool = False,
        conversation: list[Turn] | None = None,
        ranking: Ranking | None = None,
    ) -> SuggestResult:
        """Replies to ``message`` or to the newest buyer turns of ``conversation`` (after its last
        agent turn; ``message``, when given too, is the newest of them).  ``ranking`` orders each
        intent's templates by what the shop's agents used (``app.ranking``; None: the default order)."""
        turns = list(conversation or [])
        if message is not None and conversation is not None:
            turns.append(Turn("buyer", message))
        answering = newest_buyer_turns(turns) if conversation is not None else None
        if answering is not None:
            message = "\n".join(turns[i].text for i in answering)
        if not message:
            raise ValueError("nothing to answer: a message, or a conversation that ends with a buyer turn")
        n = normalize(message)
        match = self.matcher.match(n, explain=explain)
        couriers = self.pack.lexicon.couriers
        entities = extract(n, couriers)
        said = conversation_context(turns, couriers) if conversation is not None else message_context(message, entities, couriers)
        values = self.known_values(said, context, shop)
        # Interleave: the best template of each matched intent first, then the second ones…
        queues = [list(self.templates_for(m.id, ranking)) for m in match.intents]
        picked = []
        while len(picked) < top_k and any(queues):
            for q in queues:
                if q and len(picked) < top_k:
                    picked.append(q.pop(0))
        suggestions = []
        for tpl in picked:
            try:
                rendered = self.renderer.render(tpl.body, values)
            except RenderError:
                continue  # a broken template is skipped, never a failed request; lint catches it
            # The same template and context give the same text: its flags are remembered.
            flags = self.guard.check_cached(rendered.text, shop)
            suggestions.append(
                Suggestion(tpl.id, tpl.intent, tpl.title, rendered.text, rendered.missing_vars, flags)
            )
        missing = list(dict.fromkeys(v for s in suggestions for v in s.missing_vars))
        alerts = situation_alerts(message, shop, self.guard, normalized=n)  # normalised once
        promises = extract_promises(turns, self.guard, shop) if conversation is not None else None
        return SuggestResult(
            match, suggestions, alerts, entities, {k: str(v) for k, v in values.items() if v is not None},
            missing, self._combined(suggestions, shop), answering, promises, message,
        )

    def conversation_context(self, turns: list[Turn]) -> dict[str, str]:
        """What a conversation tells the templates, with this content's couriers."""
        return conversation_context(turns, self.pack.lexicon.couriers)

    @staticmethod
    def known_values(
        said: dict[str, str], context: dict[str, object] | None, shop: ShopProfile | None
    ) -> dict[str, object]:
        """What the replies can be filled with: the shop profile's facts, then what the
        conversation ``said`` (order and tracking numbers, the buyer's nickname), then the
        request's ``context``, each overriding the one before."""
        values: dict[str, object] = {}
        if shop is not None and shop.name:
            values["shop_name"] = shop.name
        carriers = shop.carriers if shop is not None else None
        if carriers and len(carriers) == 1:
            values["courier"] = carriers[0]
        said = dict(said)
        # A courier the buyer asks for is not the one the parcel travels with: only a courier the
        # shop uses (or any, when the shop's are unknown) fills the replies.
        if "courier" in said and carriers and said["courier"] not in carriers:
            del said["courier"]
        values.update(said)
        values.update({k: v for k, v in (context or {}).items() if v is not None and v != ""})
        return values

    def _combined(self, suggestions: list[Suggestion], shop: ShopProfile | None) -> Suggestion | None:
        """The first suggestion of each intent, as one reply; None for a single problem."""
        firsts: dict[str, Suggestion] = {}
        for s in suggestions:
            firsts.setdefault(s.intent, s)
        if len(firsts) < 2:
            return None
        parts = list(firsts.values())
        text = combine([s.text for s in parts])
        missing = list(dict.fromkeys(v for s in parts for v in s.missing_vars))
        return Suggestion(
            "+".join(s.template_id for s in parts), parts[0].intent, "合并回复",
            text, missing, self.guard.check_cached(text, shop),
        )

    def check(self, text: str, shop: ShopProfile | None = None, conversation: list[Turn] | None = None) -> CheckResult:
        """The draft's flags; with ``conversation`` also the agent's promises in it and any
        contradiction of them in the draft (``broken_promise``)."""
        flags = self.guard.check(text, shop)
        if conversation is None:
            return CheckResult(flags)
        promises = extract_promises(conversation, self.guard, shop)
        broken = broken_promises(text, promises, self.guard, shop)
        return CheckResult(sorted([*flags, *broken], key=lambda f: (f.start, f.end)), promises)


def _template_order(tpl) -> tuple[int, int, str]:
    # Pinned first; then "standard", then the rest alphabetically: the first suggestion is the full reply.
    name = tpl.id.split("/", 1)[1]
    return (0 if getattr(tpl, "pinned", None) else 1, 0 if name == "standard" else 1, name)
