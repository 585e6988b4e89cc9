# The ocop worker image: every workflow and activity on the configured task queue.
# Configuration comes from OCOP_* environment variables (see infra/settings.py and
# docker-compose.yml). Scale out by running more containers on the same task queue.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OCOP_DATA_DIR=/data

WORKDIR /app

# Only what the package needs: never a developer's .venv, data folder or caches.
COPY pyproject.toml README.md alembic.ini worker.py starter.py ./
COPY models ./models
COPY contracts ./contracts
COPY workflows ./workflows
COPY activities ./activities
COPY infra ./infra
COPY presentation ./presentation
COPY cli ./cli

RUN pip install . \
    && useradd --create-home --uid 10001 ocop \
    && mkdir -p /data \
    && chown ocop /data

USER ocop

# `alembic upgrade head` (run from /app) migrates the register; see the ocop-migrate service.
CMD ["python", "worker.py"]
