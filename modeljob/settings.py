"""Settings shared by producers and workers, read from `MODELJOB_*` environment variables."""

from __future__ import annotations

import socket
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_KEY_PREFIX = "modeljob"
# Applied when a spec has no Timeout or Timeout 0, in seconds.
DEFAULT_JOB_TIMEOUT_S = 30 * 60
# Upper bound on a spec's Timeout, in seconds. The broker's visibility timeout is
# derived from it, so a running task is never redelivered while it may still run.
MAX_JOB_TIMEOUT_S = 6 * 60 * 60
# How long finished jobs stay in the store, in seconds.
DEFAULT_RETENTION_S = 7 * 24 * 60 * 60
# Full stdout and stderr of an execution are kept up to this size each, in bytes.
DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024


REDIS_URL_SCHEMES = ("redis", "rediss", "unix")


def redact_url(url: str) -> str:
    """Return the URL with any password replaced by `***`, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Settings(BaseSettings):
    """Configuration of one producer or worker process."""

    model_config = SettingsConfigDict(env_prefix="MODELJOB_", extra="ignore")

    broker_url: str | None = Field(
        default=None,
        description="Celery broker URL, for example redis://127.0.0.1:6379/0. "
        "Unset means the embedded default of `modeljob run`.",
    )
    store_url: str | None = Field(
        default=None,
        description="Redis URL of the job store; defaults to broker_url.",
    )
    key_prefix: str = Field(default=DEFAULT_KEY_PREFIX, description="Prefix of every Redis key modeljob writes.")
    queue: str = Field(
        default="",
        description="Celery queue that executions are sent to; defaults to the key prefix, so that "
        "deployments that share a Redis under different prefixes never take each other's messages.",
    )
    node_id: str = Field(
        default_factory=socket.gethostname,
        description="Name this worker records as the NodeId of the executions it runs.",
    )
    allowed_local_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host paths that LocalDirectory inputs may mount, comma-separated; "
        "a trailing `:rw` allows read-write mounts, `:ro` (the default) read-only ones.",
    )
    default_job_timeout_s: int = Field(default=DEFAULT_JOB_TIMEOUT_S, gt=0)
    max_job_timeout_s: int = Field(default=MAX_JOB_TIMEOUT_S, gt=0)
    retention_s: int = Field(default=DEFAULT_RETENTION_S, gt=0)
    max_output_bytes: int = Field(default=DEFAULT_MAX_OUTPUT_BYTES, gt=0)

    @field_validator("broker_url", "store_url")
    @classmethod
    def _check_redis_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme
        if scheme not in REDIS_URL_SCHEMES:
            variable = f"MODELJOB_{info.field_name.upper()}"
            raise ValueError(
                f"{variable}={redact_url(value)!r} is not a Redis URL; "
                "use redis://HOST:PORT/DB, rediss:// for TLS, or unix:///path/to/redis.sock"
            )
        return value

    @field_validator("allowed_local_paths", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _default_queue(self) -> Settings:
        if not self.queue:
            self.queue = self.key_prefix
        return self

    @property
    def effective_store_url(self) -> str | None:
        return self.store_url or self.broker_url

    @property
    def visibility_timeout_s(self) -> int:
        """Broker visibility timeout: an hour longer than the longest job may run."""
        return self.max_job_timeout_s + 3600


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
