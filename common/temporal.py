"""One way to connect to Temporal, used by the API, the worker, the CLI and the tests."""

from __future__ import annotations

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig

from common.settings import Settings


def _tls(settings: Settings) -> TLSConfig | bool:
    if not (settings.temporal_tls_cert or settings.temporal_tls_ca):
        return bool(settings.temporal_api_key)
    read = lambda p: p.read_bytes() if p else None  # noqa: E731
    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca),
        client_cert=read(settings.temporal_tls_cert),
        client_private_key=read(settings.temporal_tls_key),
    )


async def connect(settings: Settings, *, lazy: bool = False, bounded: bool = False) -> Client:
    """Connect; `bounded` caps the SDK's own retries of a call at `rpc_timeout_seconds`.

    The API wants that: `rpc_timeout` bounds one attempt, while the SDK's default
    retries a failing call for up to 10 s, so a request would hang that long.
    """
    retry = None
    if bounded:
        budget = int(settings.rpc_timeout_seconds * 1000)
        retry = RetryConfig(max_elapsed_time_millis=budget, max_interval_millis=min(budget, 1000))
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=_tls(settings),
        api_key=settings.temporal_api_key,
        lazy=lazy,
        retry_config=retry,
    )
