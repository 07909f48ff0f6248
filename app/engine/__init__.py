"""The assistant: matching, rendering and the guard put together (``assistant.py``), and the
holder that serves the current one and rebuilds it when the content changes (``holder.py``)."""
