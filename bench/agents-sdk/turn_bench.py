#!/usr/bin/env python3
"""Benchmark one customer-support turn through the OpenAI Agents SDK, fully offline.

A scripted Model (no API calls, no API key) drives the turn
"I need a refund for order ORD-12345":
  Triage Agent  -> function call transfer_to_refund_agent (handoff)
  Refund Agent  -> function call lookup_order {"order_id":"ORD-12345"}
  Refund Agent  -> assistant message (final output)

Prints exactly one final line of JSON with the latency statistics.
"""
from __future__ import annotations

import os

# Tracing off before the SDK is imported (the env flag is read on first use).
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"

import argparse
import asyncio
import itertools
import json
import math
import socket
import sys
import time
from collections.abc import AsyncIterator
from importlib.metadata import version as pkg_version
from typing import Any

# ---------------------------------------------------------------------------
# Network guard: any attempt to resolve or connect to a non-local address is
# recorded and refused, and the benchmark fails at the end if one happened
# (even if the SDK swallowed the exception somewhere, e.g. in a thread).
# ---------------------------------------------------------------------------
_NETWORK_ATTEMPTS: list[str] = []
_orig_connect = socket.socket.connect
_orig_connect_ex = socket.socket.connect_ex
_orig_getaddrinfo = socket.getaddrinfo


def _is_inet(sock: socket.socket) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def _guard_connect(self: socket.socket, address: Any) -> Any:
    if _is_inet(self):
        _NETWORK_ATTEMPTS.append(f"connect {address!r}")
        raise OSError("network disabled in turn_bench.py (offline benchmark)")
    return _orig_connect(self, address)


def _guard_connect_ex(self: socket.socket, address: Any) -> Any:
    if _is_inet(self):
        _NETWORK_ATTEMPTS.append(f"connect_ex {address!r}")
        raise OSError("network disabled in turn_bench.py (offline benchmark)")
    return _orig_connect_ex(self, address)


def _guard_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    _NETWORK_ATTEMPTS.append(f"getaddrinfo {host!r}")
    raise OSError("network disabled in turn_bench.py (offline benchmark)")


socket.socket.connect = _guard_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guard_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guard_getaddrinfo  # type: ignore[assignment]

import agents  # noqa: E402
from agents import Agent, ModelSettings, Runner, function_tool  # noqa: E402
from agents.agent_output import AgentOutputSchemaBase  # noqa: E402
from agents.handoffs import Handoff  # noqa: E402
from agents.items import ModelResponse, TResponseInputItem, TResponseStreamEvent  # noqa: E402
from agents.models.interface import Model, ModelTracing  # noqa: E402
from agents.tool import Tool  # noqa: E402
from agents.usage import Usage  # noqa: E402
from openai.types.responses import (  # noqa: E402
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

agents.set_tracing_disabled(True)

USER_INPUT = "I need a refund for order ORD-12345"
EXPECTED_FINAL = (
    "I found order ORD-12345, delivered 10 days ago. "
    "I can refund it: what's the reason for the return?"
)
HANDOFF_TOOL = "transfer_to_refund_agent"
LOOKUP_TOOL = "lookup_order"

# ---------------------------------------------------------------------------
# Tools: canned strings, no I/O.
# ---------------------------------------------------------------------------
ORDER_JSON = json.dumps(
    {
        "order_id": "ORD-12345",
        "status": "delivered",
        "delivered_days_ago": 10,
        "items": [{"sku": "SKU-1", "name": "Wireless Headphones", "qty": 1, "price": 79.99}],
        "total": 79.99,
        "currency": "USD",
        "refund_eligible": True,
    }
)


@function_tool
def lookup_order(order_id: str) -> str:
    """Look up an order by its id."""
    return ORDER_JSON


@function_tool
def process_refund(order_id: str, reason: str) -> str:
    """Process a refund for an order."""
    return json.dumps({"order_id": order_id, "refund_status": "approved", "amount": 79.99})


@function_tool
def check_billing(account_id: str) -> str:
    """Check the billing status of an account."""
    return json.dumps({"account_id": account_id, "balance": 0.0, "status": "current"})


@function_tool
def search_faq(query: str) -> str:
    """Search the FAQ."""
    return "Refunds are accepted within 30 days of delivery."


# ---------------------------------------------------------------------------
# Scripted model: picks its reply from the agent's tools/handoffs and the
# input items it is given; holds no per-turn state.
# ---------------------------------------------------------------------------
_ids = itertools.count(1)  # only for unique call/item ids, never for decisions


def _field(item: Any, key: str) -> Any:
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def _has_tool_output(items: list[TResponseInputItem], tool_name: str) -> bool:
    call_ids = {
        _field(it, "call_id")
        for it in items
        if _field(it, "type") == "function_call" and _field(it, "name") == tool_name
    }
    if not call_ids:
        return False
    return any(
        _field(it, "type") == "function_call_output" and _field(it, "call_id") in call_ids
        for it in items
    )


def _function_call(name: str, arguments: str) -> ResponseFunctionToolCall:
    n = next(_ids)
    return ResponseFunctionToolCall(
        id=f"fc_{n}",
        call_id=f"call_{n}",
        name=name,
        arguments=arguments,
        type="function_call",
        status="completed",
    )


def _message(text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=f"msg_{next(_ids)}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])],
    )


class ScriptedModel(Model):
    """Offline stand-in for an LLM: deterministic replies, no network."""

    def _reply(
        self,
        input: str | list[TResponseInputItem],
        tools: list[Tool],
        handoffs: list[Handoff],
    ) -> list[Any]:
        items = [] if isinstance(input, str) else list(input)
        tool_names = {getattr(t, "name", None) for t in tools}
        handoff_names = {h.tool_name for h in handoffs}

        if LOOKUP_TOOL in tool_names:  # Refund Agent
            if _has_tool_output(items, LOOKUP_TOOL):
                return [_message(EXPECTED_FINAL)]
            return [_function_call(LOOKUP_TOOL, json.dumps({"order_id": "ORD-12345"}))]

        if HANDOFF_TOOL in handoff_names:  # Triage Agent
            return [_function_call(HANDOFF_TOOL, "{}")]

        raise RuntimeError(
            f"ScriptedModel: unexpected agent (tools={sorted(map(str, tool_names))}, "
            f"handoffs={sorted(handoff_names)})"
        )

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> ModelResponse:
        return ModelResponse(
            output=self._reply(input, tools, handoffs),
            usage=Usage(),
            response_id=None,
        )

    def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        raise NotImplementedError("turn_bench.py only uses Runner.run (non-streaming)")


# ---------------------------------------------------------------------------
# Agents
# ---------------------------------------------------------------------------
def build_agents() -> Agent:
    model = ScriptedModel()
    refund_agent = Agent(
        name="Refund Agent",
        instructions="You handle refunds. Look up the order, then process the refund.",
        tools=[lookup_order, process_refund],
        model=model,
    )
    billing_agent = Agent(
        name="Billing Agent",
        instructions="You answer billing questions.",
        tools=[check_billing],
        model=model,
    )
    faq_agent = Agent(
        name="FAQ Agent",
        instructions="You answer frequently asked questions.",
        tools=[search_faq],
        model=model,
    )
    return Agent(
        name="Triage Agent",
        instructions="Route callers to the right specialist agent.",
        handoffs=[refund_agent, billing_agent, faq_agent],
        model=model,
    )


async def one_turn(triage: Agent) -> Any:
    return await Runner.run(triage, USER_INPUT)


def percentile(sorted_ns: list[int], p: float) -> float:
    """Nearest-rank percentile, in ms."""
    k = max(0, min(len(sorted_ns) - 1, math.ceil(p / 100.0 * len(sorted_ns)) - 1))
    return sorted_ns[k] / 1e6


async def main_async(turns: int, warmup: int) -> dict[str, Any]:
    triage = build_agents()

    # Correctness check, once, loudly.
    result = await one_turn(triage)
    if result.final_output != EXPECTED_FINAL:
        raise SystemExit(f"turn_bench: unexpected final_output: {result.final_output!r}")
    if result.last_agent.name != "Refund Agent":
        raise SystemExit(f"turn_bench: unexpected last agent: {result.last_agent.name!r}")
    print(
        f"check ok: last_agent={result.last_agent.name!r} "
        f"items={len(result.new_items)} final_output={result.final_output!r}",
        flush=True,
    )

    for _ in range(warmup):
        await one_turn(triage)

    lat: list[int] = []
    perf = time.perf_counter_ns
    start = perf()
    for _ in range(turns):
        t0 = perf()
        await one_turn(triage)
        lat.append(perf() - t0)
    total_ns = perf() - start

    lat.sort()
    return {
        "sdk": "openai-agents",
        "version": pkg_version("openai-agents"),
        "turns": turns,
        "turns_per_second": round(turns / (total_ns / 1e9), 2),
        "p50_ms": round(percentile(lat, 50), 4),
        "p99_ms": round(percentile(lat, 99), 4),
        "mean_ms": round(sum(lat) / len(lat) / 1e6, 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=2000, help="measured turns (default 2000)")
    ap.add_argument("--warmup", type=int, default=100, help="warm-up turns (default 100)")
    args = ap.parse_args()
    if args.turns < 1 or args.warmup < 0:
        ap.error("--turns must be >= 1 and --warmup >= 0")

    out = asyncio.run(main_async(args.turns, args.warmup))
    if _NETWORK_ATTEMPTS:
        print(
            f"turn_bench: network access attempted ({len(_NETWORK_ATTEMPTS)}x), "
            f"first: {_NETWORK_ATTEMPTS[0]}",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
