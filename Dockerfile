# One image for both processes of skill-fleet:
#   worker (default):  python worker.py
#   API:               uvicorn api.app:app --host 0.0.0.0 --port 8000
#                      (needs keys: SKILL_FLEET_API_KEYS_FILE; open mode refuses to start here)
# Dependencies come from uv.lock only (`uv sync --frozen`), without the dev group.

FROM python:3.11-slim

# uv pinned to the version the Makefile bootstraps.
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    SKILL_FLEET_SKILLS_ROOT=/data/skills \
    SKILL_FLEET_API_HOST=0.0.0.0

WORKDIR /app

# Dependencies first (cached until pyproject.toml or uv.lock change), then the project.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev
# Bytecode for our own code too: the workflow sandbox re-imports the workflow module for every
# run, and PYTHONDONTWRITEBYTECODE would otherwise make that a compile each time.
RUN python -m compileall -q workflows activities api common skill_format skill_store cli devstack worker.py

# Non-root user; /data/skills is owned by it so a fresh named volume mounted there is writable.
RUN groupadd --system --gid 10001 skillfleet \
    && useradd --system --uid 10001 --gid skillfleet --create-home --home-dir /home/skillfleet \
       --shell /usr/sbin/nologin skillfleet \
    && mkdir -p /data/skills \
    && chown -R skillfleet:skillfleet /data
USER skillfleet:skillfleet

EXPOSE 8000 9464
# Exec form: the worker is PID 1 and receives SIGTERM itself (graceful shutdown).
CMD ["python", "worker.py"]
