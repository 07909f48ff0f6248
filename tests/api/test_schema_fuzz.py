"""Schemathesis over every operation of the OpenAPI schema: never a 5xx, every answer as documented.

The app runs in-process (schemathesis' ASGI transport) and schemathesis runs its own
engine, the phases of ``schemathesis run``: the schema's examples, coverage (boundary
and invalid values: 2**70 for a version, NUL in a key, wrong types), fuzzing and
stateful sequences (create, then read, edit, delete what was created).  Once
anonymously and once with an admin API key (which the run may revoke through
``DELETE /v1/keys/{id}``: a fresh one is issued then); the admin run also on
PostgreSQL.  Derandomised with a fixed number of examples per operation, so CI is
deterministic; each run prints how many requests it made and how long it took.

Checks: every default check but two, which judge the schema's precision rather than
the server's answers:

* ``positive_data_acceptance`` wants 2xx for any schema-valid body, but a template
  source or rule file is checked for its content (a Jinja syntax error is a 422) and a
  ``shop_key`` must name a configured shop — no JSON schema can say that;
* ``unsupported_method`` wants 405 for ``DELETE …/versions``, but document keys are
  paths (``thanks/short``), so that is the DELETE of a document named ``…/versions``.

``negative_data_rejection`` also accepts 413: an invalid body can be too large as well.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.engine import Status, events

from app.config import Settings
from app.main import create_app
from tests.helpers.postgres import postgres_schema

MAX_EXAMPLES = 30
EXCLUDED_CHECKS = ["positive_data_acceptance", "unsupported_method"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_app(request, tmp_path_factory):
    """An app of its own (the run creates and deletes content, keys and users), agent_access=open."""

    def build(url: str):
        app = create_app(Settings(database_url=url, agent_access="open"))
        with TestClient(app):  # runs the lifespan
            yield app
        app.state.store_engine.dispose()

    if request.param == "sqlite":
        yield from build(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'shouhou.db'}")
    else:
        with postgres_schema() as url:
            yield from build(url)


def admin_key_provider(accounts):
    """An auth provider giving an admin key, re-issued when the run has revoked it."""
    state: dict = {}

    class AdminKey:
        def get(self, case, ctx):
            info = state.get("info")
            if info is None or any(k.id == info.id and k.revoked for k in accounts.list_api_keys()):
                state["secret"], state["info"] = accounts.create_api_key("schemathesis", "admin")
            return state["secret"]

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return AdminKey


def run_schemathesis(app, *, as_admin: bool) -> tuple[dict, int, float]:
    """Run every phase over every operation; (failures by (operation, title), requests made, seconds)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
    schema.config.update(continue_on_failure=True)
    schema.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    if as_admin:  # the engine reads the global registry (schema.auth is for the pytest plugin)
        schemathesis.auth(refresh_interval=None)(admin_key_provider(app.state.accounts))
    try:
        return _collect(schemathesis.engine.from_schema(schema).execute())
    finally:
        schemathesis.auths.GLOBAL_AUTH_STORAGE.unregister()


def _collect(stream) -> tuple[dict, int, float]:
    failures: dict[tuple[str, str], str] = {}
    requests = 0
    started = time.perf_counter()
    for event in stream:
        if isinstance(event, events.NonFatalError | events.FatalError):
            # With the ASGI transport a crash in the app arrives as an exception, not as a 500.
            label = getattr(event, "label", "run")
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            info = getattr(event, "info", None)
            failures.setdefault((label, type(error).__name__), info.format() if info else str(error))
        elif isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            recorder = event.recorder
            requests += len(recorder.interactions)
            for nodes in recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures.setdefault(
                            (recorder.label, failure.title),
                            f"{failure.message}\n{node.failure_info.code_sample}",
                        )
    return failures, requests, time.perf_counter() - started


@pytest.mark.parametrize("as_admin", [False, True], ids=["anonymous", "admin"])
def test_every_operation_answers_as_documented(fuzz_app, as_admin, request, capsys):
    backend = request.node.callspec.params["fuzz_app"]
    if backend == "postgres" and not as_admin:
        pytest.skip("the anonymous run reaches no database-specific code: SQLite only")
    failures, requests, seconds = run_schemathesis(fuzz_app, as_admin=as_admin)
    with capsys.disabled():
        who = "admin" if as_admin else "anonymous"
        print(f"\nschemathesis ({who}, {backend}): {requests} requests in {seconds:.1f} s")
    assert requests > 500  # the run did reach the operations
    report = "\n\n".join(f"{op} — {title}\n{detail[-1500:]}" for (op, title), detail in sorted(failures.items()))
    assert not failures, f"{len(failures)} kinds of failure:\n\n{report}"
