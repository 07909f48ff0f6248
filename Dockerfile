# shouhou (售后助手): the HTTP service with the bundled content, on SQLite in /data (or PostgreSQL).
#
# Two stages: the first builds the wheel from the source (it carries the content, the pages and
# the matching policy); the second installs the dependencies in a layer of their own, from
# pyproject.toml and constraints.txt only, so that a code change reinstalls just the wheel.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --disable-pip-version-check -q --no-deps -w /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    SHOUHOU_HOST=0.0.0.0 SHOUHOU_PORT=8000 \
    SHOUHOU_DATABASE_URL=sqlite:////data/shouhou.db \
    SHOUHOU_CACHE_DIR=/var/cache/shouhou \
    SHOUHOU_AGENT_ACCESS=key
# It answers to localhost/127.0.0.1 only (what `-p 8000:8000` gives the host machine); add the
# names and addresses it is reached by: docker run -e SHOUHOU_ALLOWED_HOSTS=shouhou.example.com …

RUN useradd --create-home --uid 10001 shouhou \
 && mkdir -p /data /var/cache/shouhou \
 && chown shouhou /data /var/cache/shouhou

# The dependencies, pinned to what `make test` passed with.  EXTRAS=postgres (the default) adds
# the PostgreSQL driver; `--build-arg EXTRAS=` leaves it out of an SQLite-only image.
ARG EXTRAS=postgres
COPY pyproject.toml constraints.txt /tmp/deps/
COPY scripts/requirements.py /tmp/deps/scripts/
RUN python /tmp/deps/scripts/requirements.py "$EXTRAS" > /tmp/deps/requirements.txt \
 && pip install -q -c /tmp/deps/constraints.txt -r /tmp/deps/requirements.txt \
 && rm -rf /tmp/deps

COPY --from=wheel /wheels /tmp/wheels
RUN pip install -q --no-deps /tmp/wheels/*.whl && rm -rf /tmp/wheels

# Built as the user that runs the server, into SHOUHOU_CACHE_DIR: jieba's prefix dictionary
# (read at every start instead of rebuilt), the trained classifier for the bundled content
# (an in-memory database, so that the image holds no data) and the guard's pattern facts
# (guard-patterns.json: no pattern compiled at start); readable by any uid (docker run --user).
USER shouhou
RUN shouhou lint \
 && SHOUHOU_DATABASE_URL=sqlite:///:memory: shouhou suggest "在吗" > /dev/null \
 && chmod -R a+rX /var/cache/shouhou

VOLUME ["/data"]
EXPOSE 8000
# The port the server listens on (SHOUHOU_PORT, also when `docker run -e SHOUHOU_PORT=…` changes it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SHOUHOU_PORT', '8000'), timeout=4)"]
CMD ["shouhou", "serve"]
