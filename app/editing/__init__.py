"""Editors' tools built on the engine and the stores: the learning inbox (``inbox``)."""
