"""Does the Temporal namespace know our search attributes, by name and by type?

Every job upserts the attributes of `common.search_attributes.ALL`. One the namespace
lacks fails the workflow task forever (the job stays `pending`, the worker logs a warning
per retry) and a list naming it is refused ("invalid search attribute"). So the worker, the
API and `skill-fleet setup` check the namespace before anything else, register what is
missing where the caller allows it, and otherwise stop with the exact command an operator
runs. A wrong type is never "fixed": Temporal cannot change an attribute's type, and a
server asked to add a name it has silently keeps the old type.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from common.search_attributes import ALL
from common.settings import Settings

# The names `temporal operator search-attribute create --type` accepts.
TYPE_NAMES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}
DEFAULT_ADDRESS = "localhost:7233"
TRANSIENT = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                       RPCStatusCode.CANCELLED, RPCStatusCode.RESOURCE_EXHAUSTED})
# Elasticsearch visibility applies an added attribute asynchronously; SQL at once.
REGISTER_VISIBLE_WITHIN = 10.0


def type_name(value: int) -> str:
    try:
        return TYPE_NAMES[SearchAttributeIndexedValueType(value)]
    except ValueError:
        return f"type #{value}"


@dataclass(frozen=True)
class WrongType:
    key: SearchAttributeKey  # what skill-fleet needs
    actual: int  # the IndexedValueType the namespace has


@dataclass(frozen=True)
class Connection:
    """Where the `temporal` CLI must point to act on the same namespace as this process."""

    namespace: str
    address: str = DEFAULT_ADDRESS
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None
    api_key: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Connection:
        path = lambda p: str(p) if p else None  # noqa: E731
        return cls(settings.temporal_namespace, settings.temporal_address,
                   path(settings.temporal_tls_cert), path(settings.temporal_tls_key),
                   path(settings.temporal_tls_ca), bool(settings.temporal_api_key))

    def cli_options(self) -> list[str]:
        """Connection flags; the API key is referenced by its variable, never printed."""
        options = [] if self.address == DEFAULT_ADDRESS else ["--address", self.address]
        for flag, value in (("--tls-cert-path", self.tls_cert), ("--tls-key-path", self.tls_key),
                            ("--tls-ca-path", self.tls_ca)):
            if value:
                options += [flag, value]
        return [*options, "--namespace", self.namespace]


def create_command(where: Connection, keys: Sequence[SearchAttributeKey]) -> str:
    """One `temporal operator search-attribute create` for all `keys` (name/type pairs)."""
    args = ["temporal", "operator", "search-attribute", "create", *where.cli_options()]
    for key in keys:
        args += ["--name", key.name, "--type", TYPE_NAMES[key.indexed_value_type]]
    command = shlex.join(args)
    return command + ' --api-key "$SKILL_FLEET_TEMPORAL_API_KEY"' if where.api_key else command


def remove_command(where: Connection, names: Sequence[str]) -> str:
    args = ["temporal", "operator", "search-attribute", "remove", *where.cli_options()]
    for name in names:
        args += ["--name", name]
    command = shlex.join([*args, "--yes"])
    return command + ' --api-key "$SKILL_FLEET_TEMPORAL_API_KEY"' if where.api_key else command


@dataclass(frozen=True)
class NamespaceReport:
    """How the namespace's custom search attributes compare with what skill-fleet needs."""

    where: Connection
    missing: tuple[SearchAttributeKey, ...] = ()
    wrong_type: tuple[WrongType, ...] = ()
    namespace_missing: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing or self.wrong_type or self.namespace_missing)

    def summary(self) -> str:
        """One line for /health and 503s, e.g. "namespace misconfigured: missing search ..."."""
        if self.namespace_missing:
            return f"namespace misconfigured: namespace {self.where.namespace!r} does not exist"
        problems = []
        if self.missing:
            problems.append("missing search attributes " + ", ".join(k.name for k in self.missing))
        problems += [f"search attribute {w.key.name} is {type_name(w.actual)}, expected "
                     f"{TYPE_NAMES[w.key.indexed_value_type]}" for w in self.wrong_type]
        return "namespace misconfigured: " + "; ".join(problems)

    def instructions(self) -> str:
        """The whole story for an operator: what is wrong and the exact commands that fix it."""
        ns, at = self.where.namespace, self.where.address
        if self.namespace_missing:
            create = shlex.join(["temporal", "operator", "namespace", "create",
                                 *self.where.cli_options()])
            return (f"Temporal namespace {ns!r} does not exist at {at}. Create it ({create}), "
                    "then run `skill-fleet setup`, or set SKILL_FLEET_TEMPORAL_NAMESPACE.")
        lines = [f"Temporal namespace {ns!r} at {at} is not set up for skill-fleet: "
                 f"{self.summary().removeprefix('namespace misconfigured: ')}."]
        if self.missing:
            lines += ["Register the missing search attributes (once per namespace) with:",
                      "  " + create_command(self.where, self.missing),
                      "or run `skill-fleet setup` with the same SKILL_FLEET_* settings, or start "
                      "this process with SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES=true."]
        if self.wrong_type:
            keys = [w.key for w in self.wrong_type]
            lines += ["Temporal cannot change the type of a search attribute, so skill-fleet never "
                      "re-registers one. If nothing else uses it, remove it and create it again:",
                      "  " + remove_command(self.where, [k.name for k in keys]),
                      "  " + create_command(self.where, keys),
                      "otherwise give skill-fleet its own namespace "
                      "(SKILL_FLEET_TEMPORAL_NAMESPACE)."]
        return "\n".join(lines)


def compare(where: Connection, registered: Mapping[str, int],
            expected: Sequence[SearchAttributeKey] = ALL) -> NamespaceReport:
    """`registered` is the namespace's custom attributes, name to IndexedValueType number."""
    missing = tuple(k for k in expected if k.name not in registered)
    wrong = tuple(WrongType(k, registered[k.name]) for k in expected
                  if k.name in registered and registered[k.name] != k.indexed_value_type.value)
    return NamespaceReport(where, missing, wrong)


class TemporalUnreachable(Exception):
    """Temporal did not answer (down, refused, timed out): try again later."""


class NamespaceMisconfigured(Exception):
    """The namespace cannot run skill jobs as it is; `str()` says how to fix it."""

    def __init__(self, report: NamespaceReport | None, detail: str, summary: str) -> None:
        super().__init__(detail)
        self.report = report
        self.summary = summary

    @classmethod
    def of(cls, report: NamespaceReport) -> NamespaceMisconfigured:
        return cls(report, report.instructions(), report.summary())


def _unreachable(err: Exception, where: Connection) -> TemporalUnreachable:
    return TemporalUnreachable(f"Temporal is not reachable at {where.address}: {err}")


async def _registered(client: Client, where: Connection, rpc_timeout: timedelta) -> dict[str, int]:
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=where.namespace), timeout=rpc_timeout)
    except RPCError as err:
        if err.status in TRANSIENT:
            raise _unreachable(err, where) from err
        if err.status == RPCStatusCode.NOT_FOUND:
            report = NamespaceReport(where, namespace_missing=True)
            raise NamespaceMisconfigured.of(report) from err
        raise NamespaceMisconfigured(
            None, f"Cannot read the search attributes of Temporal namespace {where.namespace!r} "
                  f"at {where.address} ({err.status.name if err.status else 'error'}: {err}). "
                  "The identity skill-fleet connects with needs the operator service's "
                  "ListSearchAttributes.",
            f"namespace check failed: {err}") from err
    except RuntimeError as err:  # a lazy client that has never connected
        if "client connect" not in str(err):
            raise
        raise _unreachable(err, where) from err
    return dict(response.custom_attributes)


async def _register(client: Client, report: NamespaceReport, rpc_timeout: timedelta) -> None:
    request = AddSearchAttributesRequest(
        namespace=report.where.namespace,
        search_attributes={k.name: IndexedValueType.ValueType(k.indexed_value_type.value)
                           for k in report.missing})
    try:
        await client.operator_service.add_search_attributes(request, timeout=rpc_timeout)
    except RPCError as err:
        if err.status in TRANSIENT:
            raise _unreachable(err, report.where) from err
        if err.status != RPCStatusCode.ALREADY_EXISTS:  # a racing process registered them
            raise NamespaceMisconfigured(
                report, f"Registering search attributes failed ({err}).\n"
                        f"{report.instructions()}", report.summary()) from err


async def check_namespace(client: Client, where: Connection, *, register: bool,
                          rpc_timeout: timedelta = timedelta(seconds=5)) -> tuple[str, ...]:
    """Raise unless the namespace has every attribute of ALL with its type.

    With `register`, missing attributes are added first (a wrongly typed one is reported,
    never touched); returns the names this call registered. Raises `TemporalUnreachable`
    when Temporal does not answer and `NamespaceMisconfigured` with the fix otherwise.
    """
    report = compare(where, await _registered(client, where, rpc_timeout))
    if report.ok:
        return ()
    if not register or not report.missing:
        raise NamespaceMisconfigured.of(report)
    await _register(client, report, rpc_timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REGISTER_VISIBLE_WITHIN
    after = compare(where, await _registered(client, where, rpc_timeout))
    while after.missing and loop.time() < deadline:
        await asyncio.sleep(0.2)
        after = compare(where, await _registered(client, where, rpc_timeout))
    if not after.ok:  # a wrong type, or a server that ignored the request (no free column)
        raise NamespaceMisconfigured.of(after)
    return tuple(k.name for k in report.missing)


async def ensure_namespace(client: Client, settings: Settings, *,
                           register: bool | None = None) -> tuple[str, ...]:
    """`check_namespace` for these settings; `register` defaults to the setting."""
    return await check_namespace(
        client, Connection.of(settings),
        register=settings.register_search_attributes if register is None else register,
        rpc_timeout=timedelta(seconds=settings.rpc_timeout_seconds))
