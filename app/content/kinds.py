"""The kinds of content document the store versions and the editor edits: the one definition.

The store, the validation and the form views all import ``Kind`` from here; a new kind
of document is added here and nowhere else.
"""

from __future__ import annotations

from typing import Literal, get_args

#: ``lexicon``: the word lists (keys ``couriers``, ``domain``, ``promises``); ``variables``: the
#: template variables (key ``variables``).  Both are admin-edited and read in the same snapshot.
Kind = Literal["intent", "template", "rule", "lexicon", "variables"]

#: Every kind, in the order the store lists and exports them.
KINDS: tuple[Kind, ...] = get_args(Kind)
