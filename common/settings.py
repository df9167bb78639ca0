"""All settings, from environment variables prefixed `SKILL_FLEET_` (documented in the README)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.job_terms import TimeoutAction
from common.webhook_hosts import parse_host_patterns

DEFAULT_TASK_QUEUE = "skill-fleet"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKILL_FLEET_", extra="ignore")

    # Temporal connection
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: str | None = Field(default=None, repr=False)
    rpc_timeout_seconds: float = Field(default=5.0, gt=0)
    # Let the worker and the API add our missing search attributes to the namespace at start
    # (the local stack turns it on); off, they refuse to start and print the command instead.
    register_search_attributes: bool = False

    # Jobs
    skills_root: Path = Path("./skills")
    model: str = "offline"
    hitl_timeout_seconds: float = Field(default=24 * 3600, gt=0)
    on_hitl_timeout: TimeoutAction = TimeoutAction.CANCEL
    max_revisions: int = Field(default=3, ge=0)
    pass_threshold: float = Field(default=0.75, ge=0, le=1)
    # A completed job stays open this long to accept promotion.
    promotion_window_seconds: float = Field(default=30 * 24 * 3600, gt=0)
    # Reminders before a prompt's deadline, e.g. "1h,15m"; escalation to a group, e.g. "10m".
    hitl_reminders: str = ""
    hitl_escalate_before: str = ""
    hitl_escalation_group: str = "admins"
    # Webhooks: the operator's receiver for every job (the worker delivers to it; the API
    # only learns that there is one), the HMAC-SHA256 signing secret(s), comma-separated
    # while rotating ("current,next"), and the hosts a job's own webhook_url may name
    # (comma-separated or a JSON list; empty: per-job URLs are refused).
    webhook_url: str | None = Field(default=None, repr=False)
    webhook_secret: str | None = Field(default=None, repr=False)
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Simulated model latency for the offline author (tests and benchmarks).
    offline_delay_seconds: float = Field(default=0.0, ge=0)
    # LLM authors (`model` = "openai:<model>" / "anthropic:<model>"); an OpenAI-compatible
    # server (Ollama, vLLM, LM Studio) via llm_base_url. The key falls back to the
    # provider's own variable (OPENAI_API_KEY / ANTHROPIC_API_KEY).
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_timeout_seconds: float = Field(default=120.0, gt=0)
    # A model's failing draft goes back to it with the validator's findings this many
    # rounds before a human sees it (0: off); an optional rubric judge model on the same
    # provider settings adds a judged part to the score (`workflows.refinement`).
    auto_refine_max: int = Field(default=2, ge=0, le=10)
    judge_model: str | None = None

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # `skill-fleet api` runs this many uvicorn worker processes on the one port.
    api_workers: int = Field(default=1, ge=1)
    max_active_jobs_per_user: int = Field(default=100, ge=0)  # 0: no cap
    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    # JSON list of {key_sha256, user_id, role}; the file wins over the variable.
    api_keys_file: Path | None = None
    api_keys: str | None = Field(default=None, repr=False)
    # With neither keys setting, the API starts only when this is on: open local mode
    # (every caller an admin), loopback clients and localhost Host headers only.
    open_mode: bool = False
    # SSE heartbeat comment interval; unset means api.event_stream.HEARTBEAT_SECONDS (15).
    sse_heartbeat_seconds: float | None = Field(default=None, gt=0)
    # How often a running API checks a misconfigured namespace again (so that `skill-fleet
    # setup` heals it); unset means api.namespace_guard.RECHECK_SECONDS (5).
    namespace_recheck_seconds: float | None = Field(default=None, gt=0)

    # Reviewer page (/ui/): the key that signs its session cookies (unset: a random one per
    # process, so a restart signs everyone out), and the Temporal Web UI's address for the
    # job page's link (e.g. http://127.0.0.1:8233; unset: no link).
    ui_session_secret: str | None = Field(default=None, repr=False)
    temporal_ui_url: str | None = None
    # Failed /ui sign-ins allowed per client address per minute (api/ui/signin_limit.py).
    ui_signin_attempts_per_minute: int = Field(default=10, ge=0)  # 0: no limit
    # Per-user limits (api/limits.py), refused with 429. Creates: a token bucket of
    # create_rate_per_minute (0: off) holding create_burst tokens (unset: the rate rounded
    # up). Concurrent event streams, and answers held with ?wait=, per user (0: no cap).
    create_rate_per_minute: float = Field(default=30.0, ge=0)
    create_burst: int | None = Field(default=None, ge=1)
    max_event_streams_per_user: int = Field(default=8, ge=0)
    max_waits_per_user: int = Field(default=16, ge=0)
    # Job lists and inbox pages read from Temporal's visibility at once per API process
    # (api/job_reads.ListSlots; 0: no bound).
    max_concurrent_lists: int = Field(default=2, ge=0)
    # Running jobs whose history each API process follows so that clients' reads of them
    # need no describe while they have not changed (api/job_watch.py; 0: every read describes).
    watched_jobs: int = Field(default=256, ge=0)

    # Worker
    worker_max_concurrent_activities: int = Field(default=100, gt=0)
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    worker_graceful_shutdown_seconds: float = Field(default=10.0, ge=0)
    # How long a cached workflow's task waits for its own (sticky) worker before any worker
    # may take it: after a crash, the time until another worker takes the dead one's jobs.
    worker_sticky_queue_timeout_seconds: float = Field(default=10.0, gt=0)
    # Prometheus endpoint of the worker (Temporal SDK and skill-fleet metrics): unset or 0
    # is off. Loopback by default; a container sets the host to 0.0.0.0 to be scraped.
    worker_metrics_port: int | None = Field(default=None, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"

    # Local stack (`make run`)
    data_dir: Path = Path(".skill-fleet")
    temporal_port: int = 7233
    ui_port: int = 8233

    log_level: str = "INFO"
    # "json": one JSON object per line (for log shippers); "text": for people.
    log_format: Literal["text", "json"] = "text"

    @field_validator("worker_metrics_port", mode="before")
    @classmethod
    def _blank_port_is_off(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        return list(parse_host_patterns(value))

    @property
    def webhook_secrets(self) -> list[str]:
        """The signing secrets in order: the current one, then the next while rotating."""
        return [s.strip() for s in (self.webhook_secret or "").split(",") if s.strip()]

    @field_validator("hitl_reminders", "hitl_escalate_before")
    @classmethod
    def _durations_parse(cls, value: str) -> str:
        parse_durations(value)
        return value

    @property
    def reminder_offsets(self) -> list[float]:
        return sorted(parse_durations(self.hitl_reminders), reverse=True)

    @property
    def escalate_before_seconds(self) -> float | None:
        found = parse_durations(self.hitl_escalate_before)
        return found[0] if found else None


def parse_durations(text: str) -> list[float]:
    """'1h,15m,30s' -> [3600, 900, 30]; a bare number is seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    out: list[float] = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        unit = part[-1] if part[-1] in units else "s"
        number = part[:-1] if part[-1] in units else part
        try:
            value = float(number) * units[unit]
        except ValueError:
            raise ValueError(f"Invalid duration {part!r}: use e.g. 90s, 15m, 1h, 2d") from None
        if value <= 0:
            raise ValueError(f"Duration {part!r} must be positive")
        out.append(value)
    return out


@lru_cache
def get_settings() -> Settings:
    return Settings()
