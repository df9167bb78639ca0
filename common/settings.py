"""All settings, from environment variables prefixed `SKILL_FLEET_` (documented in the README)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.models import TimeoutAction
from workflows.names import DEFAULT_TASK_QUEUE


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

    # Jobs
    skills_root: Path = Path("./skills")
    model: str = "offline"
    hitl_timeout_seconds: float = Field(default=24 * 3600, gt=0)
    on_hitl_timeout: TimeoutAction = TimeoutAction.CANCEL
    max_revisions: int = Field(default=3, ge=0)
    pass_threshold: float = Field(default=0.75, ge=0, le=1)
    # Simulated model latency for the offline author (tests and benchmarks).
    offline_delay_seconds: float = Field(default=0.0, ge=0)
    # LLM authors (`model` = "openai:<model>" / "anthropic:<model>"); an OpenAI-compatible
    # server (Ollama, vLLM, LM Studio) via llm_base_url. The key falls back to the
    # provider's own variable (OPENAI_API_KEY / ANTHROPIC_API_KEY).
    llm_base_url: str | None = None
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_timeout_seconds: float = Field(default=120.0, gt=0)

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # JSON list of {key_sha256, user_id, role}; the file wins over the variable.
    api_keys_file: Path | None = None
    api_keys: str | None = Field(default=None, repr=False)

    # Worker
    worker_max_concurrent_activities: int = Field(default=100, gt=0)
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    worker_graceful_shutdown_seconds: float = Field(default=10.0, ge=0)

    # Local stack (`make run`)
    data_dir: Path = Path(".skill-fleet")
    temporal_port: int = 7233
    ui_port: int = 8233

    log_level: str = "INFO"


@lru_cache
def get_settings() -> Settings:
    return Settings()
