# The ocop image: the worker (default command: every workflow and activity on the
# configured task queue), the HTTP API (`uvicorn --factory api.app:app_from_environment`)
# and the `ocop` command.
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
COPY api ./api

# /keys: where the action keys volume mounts (compose); a new volume takes this owner
# and mode, so only the ocop user reads the signing keys.
RUN pip install . \
    && useradd --create-home --uid 10001 ocop \
    && mkdir -p /data /keys \
    && chown ocop /data /keys \
    && chmod 0700 /keys

USER ocop

# `alembic upgrade head` (run from /app) migrates the register; see the ocop-migrate service.
CMD ["python", "worker.py"]
