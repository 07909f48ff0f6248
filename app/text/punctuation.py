"""The punctuation that ends a clause or a sentence in a normalised text: the one definition.

Normalisation (``app.text.normalize``) folds full-width marks to ASCII (，→ , ！→ !) and
"…" to "...", so these few characters cover what buyers and agents type.  The matcher
splits a message into clauses with them, the guard bounds a cue's clause and sentence
with them, and the rule fragment ``{any}`` (one character inside a clause) excludes them.
"""

from __future__ import annotations

#: Characters that end a clause in the normalised text.
CLAUSE_CHARS = ",.!?;:。、~\n"

#: Characters that end a sentence in the normalised text (a subset of ``CLAUSE_CHARS``).
SENTENCE_CHARS = ".!?。\n"

#: A regular-expression character class of one character inside a clause.
NOT_CLAUSE_CHAR = "[^" + CLAUSE_CHARS.replace("\n", r"\n") + "]"
