"""The namespace check without a server: the comparison, the messages and commands it prints,
how the API's guard defers and heals, and what each Temporal failure becomes over HTTP.

The same paths against real dev servers are in tests/test_namespace_setup.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesResponse
from temporalio.service import RPCError, RPCStatusCode

from api import namespace_guard
from api.errors import ApiError
from api.namespace_guard import NamespaceGuard
from api.temporal_errors import namespace_problem, temporal_error
from common import search_attributes as sa
from common.namespace_check import (
    Connection,
    NamespaceMisconfigured,
    TemporalUnreachable,
    check_namespace,
    compare,
    create_command,
)
from common.settings import Settings

KEYWORD, INT, DATETIME = 2, 3, 6
ALL_OK = {k.name: k.indexed_value_type.value for k in sa.ALL}
HERE = Connection("default", "127.0.0.1:7233")


def test_everything_registered_is_ok_and_other_attributes_do_not_matter() -> None:
    assert compare(HERE, {**ALL_OK, "CustomKeywordField": KEYWORD}).ok


def test_missing_attributes_are_listed_in_declaration_order() -> None:
    report = compare(HERE, {k: v for k, v in ALL_OK.items()
                            if k not in ("SkillJobHitlDeadline", "SkillJobAssignee")})
    assert [k.name for k in report.missing] == ["SkillJobHitlDeadline", "SkillJobAssignee"]
    assert not report.wrong_type and not report.ok
    assert report.summary() == ("namespace misconfigured: missing search attributes "
                                "SkillJobHitlDeadline, SkillJobAssignee")


def test_a_wrong_type_is_reported_with_both_types() -> None:
    report = compare(HERE, {**ALL_OK, "SkillJobUser": INT, "SkillJobHitlDeadline": KEYWORD})
    assert not report.missing
    assert report.summary() == (
        "namespace misconfigured: search attribute SkillJobUser is Int, expected Keyword; "
        "search attribute SkillJobHitlDeadline is Keyword, expected Datetime")


def test_the_create_command_pairs_every_name_with_its_type() -> None:
    report = compare(Connection("skills", "temporal.internal:7233"), {})
    assert create_command(report.where, report.missing) == (
        "temporal operator search-attribute create --address temporal.internal:7233 "
        "--namespace skills --name SkillJobStatus --type Keyword --name SkillJobPhase "
        "--type Keyword --name SkillJobUser --type Keyword --name SkillJobHitlType --type "
        "Keyword --name SkillJobHitlDeadline --type Datetime --name SkillJobAssignee "
        "--type Keyword")


def test_the_command_reaches_the_same_cluster_and_never_prints_a_secret() -> None:
    settings = Settings(temporal_address="ns.tmprl.cloud:7233", temporal_namespace="ns.acct",
                        temporal_api_key="s3cret-key", temporal_tls_ca="/etc/ca.pem")
    command = create_command(Connection.of(settings), [sa.USER])
    assert command == (
        "temporal operator search-attribute create --address ns.tmprl.cloud:7233 "
        "--tls-ca-path /etc/ca.pem --namespace ns.acct --name SkillJobUser --type Keyword "
        '--api-key "$SKILL_FLEET_TEMPORAL_API_KEY"')
    assert "s3cret" not in command
    # The default address is the CLI's own default; an odd namespace is quoted for the shell.
    assert create_command(Connection("my ns"), [sa.USER]).startswith(
        "temporal operator search-attribute create --namespace 'my ns' --name")


def test_instructions_give_every_way_out() -> None:
    text = compare(HERE, {k: v for k, v in ALL_OK.items() if k != "SkillJobAssignee"}) \
        .instructions()
    assert text.splitlines() == [
        "Temporal namespace 'default' at 127.0.0.1:7233 is not set up for skill-fleet: "
        "missing search attributes SkillJobAssignee.",
        "Register the missing search attributes (once per namespace) with:",
        "  temporal operator search-attribute create --address 127.0.0.1:7233 --namespace "
        "default --name SkillJobAssignee --type Keyword",
        "or run `skill-fleet setup` with the same SKILL_FLEET_* settings, or start this "
        "process with SKILL_FLEET_REGISTER_SEARCH_ATTRIBUTES=true.",
    ]


def test_a_wrong_type_is_never_offered_as_something_setup_fixes() -> None:
    text = compare(HERE, {**ALL_OK, "SkillJobUser": INT}).instructions()
    assert "Register the missing" not in text and "skill-fleet setup" not in text
    assert ("temporal operator search-attribute remove --address 127.0.0.1:7233 "
            "--namespace default --name SkillJobUser --yes") in text
    assert "--name SkillJobUser --type Keyword" in text
    assert "SKILL_FLEET_TEMPORAL_NAMESPACE" in text


# ------------------------------------------------------------- check_namespace, stubbed


@dataclass
class StubOperator:
    """The operator service: a namespace's custom attributes, and scripted failures."""

    attributes: dict[str, int] = field(default_factory=dict)
    fail_list: BaseException | None = None
    added: list[dict[str, int]] = field(default_factory=list)

    async def list_search_attributes(self, request: Any, **options: Any
                                     ) -> ListSearchAttributesResponse:
        if self.fail_list is not None:
            raise self.fail_list
        return ListSearchAttributesResponse(custom_attributes=self.attributes)

    async def add_search_attributes(self, request: Any, **options: Any) -> None:
        wanted = dict(request.search_attributes)
        self.added.append(wanted)
        self.attributes = {**wanted, **self.attributes}  # like the server: a name keeps its type


@dataclass
class StubClient:
    operator_service: StubOperator = field(default_factory=StubOperator)


async def check(stub: StubClient, *, register: bool) -> tuple[str, ...]:
    return await check_namespace(stub, HERE, register=register,  # type: ignore[arg-type]
                                 rpc_timeout=timedelta(seconds=1))


async def test_without_registration_nothing_is_added() -> None:
    stub = StubClient(StubOperator({"SkillJobStatus": KEYWORD}))
    with pytest.raises(NamespaceMisconfigured) as raised:
        await check(stub, register=False)
    assert raised.value.summary.startswith("namespace misconfigured: missing search attributes "
                                           "SkillJobPhase, SkillJobUser")
    assert stub.operator_service.added == []


async def test_registration_adds_only_what_is_missing_and_says_what() -> None:
    stub = StubClient(StubOperator({"SkillJobStatus": KEYWORD, "SkillJobPhase": KEYWORD}))
    added = await check(stub, register=True)
    assert added == ("SkillJobUser", "SkillJobHitlType", "SkillJobHitlDeadline",
                     "SkillJobAssignee")
    assert stub.operator_service.added == [{name: ALL_OK[name] for name in added}]
    assert await check(stub, register=True) == ()  # then nothing to do


async def test_registration_never_touches_a_wrongly_typed_attribute() -> None:
    stub = StubClient(StubOperator({"SkillJobUser": INT}))
    with pytest.raises(NamespaceMisconfigured) as raised:
        await check(stub, register=True)
    assert raised.value.summary == ("namespace misconfigured: search attribute SkillJobUser "
                                    "is Int, expected Keyword")
    [added] = stub.operator_service.added
    assert "SkillJobUser" not in added and len(added) == len(sa.ALL) - 1
    assert stub.operator_service.attributes["SkillJobUser"] == INT


@pytest.mark.parametrize("failure", [
    RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""),
    RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""),
    RuntimeError("Failed client connect: tcp connect error"),
], ids=["unavailable", "deadline", "never-connected"])
async def test_no_answer_is_unreachable_not_misconfigured(failure: BaseException) -> None:
    with pytest.raises(TemporalUnreachable, match=r"not reachable at 127\.0\.0\.1:7233"):
        await check(StubClient(StubOperator(fail_list=failure)), register=True)


async def test_a_missing_namespace_and_a_refusal_are_misconfigurations() -> None:
    gone = RPCError("Namespace nope is not found.", RPCStatusCode.NOT_FOUND, b"")
    with pytest.raises(NamespaceMisconfigured, match="namespace create") as raised:
        await check(StubClient(StubOperator(fail_list=gone)), register=True)
    assert raised.value.summary == "namespace misconfigured: namespace 'default' does not exist"
    denied = RPCError("no", RPCStatusCode.PERMISSION_DENIED, b"")
    with pytest.raises(NamespaceMisconfigured, match="ListSearchAttributes"):
        await check(StubClient(StubOperator(fail_list=denied)), register=True)


# ------------------------------------------------------------------- the API's guard


async def test_the_guard_defers_while_unreachable_then_reports_and_heals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    operator = StubOperator(fail_list=RuntimeError("Failed client connect: refused"))
    guard = NamespaceGuard(StubClient(operator), Settings())  # type: ignore[arg-type]
    await guard.startup()  # does not raise: checked at first contact
    # Unreachable: the request goes on to the gateway (its own 404/503); the check runs
    # in the background, so no request waits for two timeouts.
    await guard.require_ready()
    assert guard._background is not None
    assert isinstance(await guard._background, TemporalUnreachable)
    assert not guard.ready

    operator.fail_list = None  # Temporal is back, without our attributes
    await guard.require_ready()  # passes on while the background check runs
    assert isinstance(await guard._background, NamespaceMisconfigured)
    with pytest.raises(ApiError) as raised:
        await guard.require_ready()
    assert raised.value.status_code == 503
    assert raised.value.error.startswith("Temporal namespace misconfigured: missing search "
                                         "attributes SkillJobStatus, SkillJobPhase")
    operator.attributes = dict(ALL_OK)  # an operator ran `skill-fleet setup`
    assert isinstance(await guard.problem(), NamespaceMisconfigured)  # not re-checked yet
    monkeypatch.setattr(namespace_guard, "RECHECK_SECONDS", 0.0)
    assert await guard.problem() is None and guard.ready
    await guard.require_ready()


async def test_the_guard_refuses_to_start_on_a_reachable_misconfigured_namespace() -> None:
    guard = NamespaceGuard(StubClient(StubOperator({"SkillJobUser": INT})),  # type: ignore[arg-type]
                           Settings(register_search_attributes=True))
    with pytest.raises(NamespaceMisconfigured):
        await guard.startup()


# ------------------------------------------------------------- Temporal errors over HTTP


def rpc(status: RPCStatusCode, message: str) -> RPCError:
    return RPCError(message, status, b"")


@pytest.mark.parametrize(("status", "message", "code", "starts"), [
    (RPCStatusCode.UNAVAILABLE, "connection refused", 503, "Temporal is not reachable: "),
    (RPCStatusCode.DEADLINE_EXCEEDED, "deadline", 503, "Temporal did not answer in time: "),
    (RPCStatusCode.CANCELLED, "Timeout expired", 503, "Temporal did not answer in time: "),
    (RPCStatusCode.INVALID_ARGUMENT, "invalid query: invalid search attribute: SkillJobUser",
     503, "Temporal namespace misconfigured: invalid query: invalid search attribute"),
    (RPCStatusCode.INVALID_ARGUMENT,
     "Namespace default has no mapping defined for search attribute SkillJobUser",
     503, "Temporal namespace misconfigured: "),
    (RPCStatusCode.NOT_FOUND, "Namespace skills is not found.", 503,
     "Temporal namespace misconfigured: "),
    (RPCStatusCode.RESOURCE_EXHAUSTED, "rate limit", 503, "Temporal failed the request "
     "(RESOURCE_EXHAUSTED); retry: "),
    (RPCStatusCode.PERMISSION_DENIED, "Request unauthorized.", 500,
     "Temporal refused the request (PERMISSION_DENIED): "),
])
def test_every_failure_says_what_is_really_wrong(status: RPCStatusCode, message: str,
                                                 code: int, starts: str) -> None:
    error = temporal_error(rpc(status, message))
    assert (error.status_code, error.error[:len(starts)]) == (code, starts)
    if status != RPCStatusCode.UNAVAILABLE:
        assert "not reachable" not in error.error


def test_only_namespace_problems_count_as_such() -> None:
    assert namespace_problem(rpc(RPCStatusCode.INVALID_ARGUMENT, "invalid search attribute: X"))
    assert not namespace_problem(rpc(RPCStatusCode.INVALID_ARGUMENT, "invalid page token"))
    assert not namespace_problem(rpc(RPCStatusCode.NOT_FOUND, "workflow not found for ID: x"))
