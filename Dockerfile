# shouhou (售后助手): the HTTP service with the bundled content on an embedded SQLite store.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SHOUHOU_HOST=0.0.0.0 SHOUHOU_PORT=8000 \
    SHOUHOU_DATABASE_URL=sqlite:////data/shouhou.db \
    SHOUHOU_AGENT_ACCESS=key
# It answers to localhost/127.0.0.1 only (what `-p 8000:8000` gives the host machine); add the
# names and addresses it is reached by: docker run -e SHOUHOU_ALLOWED_HOSTS=shouhou.example.com …

RUN useradd --create-home --uid 10001 shouhou && mkdir /data && chown shouhou /data
WORKDIR /srv/shouhou

COPY pyproject.toml README.md ./
COPY app ./app
COPY intents ./intents
COPY templates ./templates
COPY rules ./rules
COPY lexicon ./lexicon
# Editable install: the package finds its bundled content beside it (app.PROJECT_ROOT).
RUN pip install -e . && python -c "import jieba; jieba.initialize()"

USER shouhou
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["shouhou", "serve"]
