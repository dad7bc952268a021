# yuqing: one image, any number of replicas (they share the work through PostgreSQL).
#   docker build -t yuqing .   ·   docker compose up   (see compose.yaml and docs/operations.md)
FROM python:3.11-slim

# without YUQING_DATABASE_URL (compose sets PostgreSQL) the SQLite file lives in the bot's own writable folder
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    YUQING_CONFIG=/etc/yuqing/config.yaml YUQING_DATABASE_URL=sqlite:////var/lib/yuqing/yuqing.db
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY bot ./bot
COPY jobs ./jobs
COPY handlers ./handlers
# installed in place (as the README does): the migrations in /app/alembic are applied from there
RUN pip install -e . && useradd --system --home-dir /var/lib/yuqing --create-home yuqing

# the shipped config and its sample feed, listening on every interface inside the container; mount your own
# config.yaml over /etc/yuqing/config.yaml
COPY config.yaml /etc/yuqing/config.yaml
COPY samples /etc/yuqing/samples
RUN sed -i 's/^  host: 127.0.0.1/  host: 0.0.0.0/' /etc/yuqing/config.yaml \
    && grep -q '^  host: 0.0.0.0' /etc/yuqing/config.yaml

USER yuqing
WORKDIR /var/lib/yuqing
EXPOSE 8080
# liveness only: /readyz (database, migrations, scheduler) is for load balancers
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"
STOPSIGNAL SIGTERM
CMD ["yuqing", "run"]
