"""The load generator: simulated customers talking to a bot over the REST channel.

``concurrency`` customers are active at any time (a closed loop: each one sends its next
message as soon as it has the reply, with no think time, so the figures are the server's
capacity). Each conversation has its own sender id. Every message's latency is measured from
sending the request to having read the whole reply.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.conversations import (
    MAX_SAME_QUESTION,
    MAX_TURNS,
    NOT_UNDERSTOOD,
    Conversation,
    Step,
    asked_question,
    expectation,
    reply_messages,
    reply_payloads,
    reply_text,
)
from bench.databases import FEEDBACK, REFERENCE

MAX_ERRORS_KEPT = 30
FEEDBACK_LAST_QUESTION = "fb_comment"


@dataclass
class LevelRun:
    """What one bot did under one concurrency level."""

    target: str
    concurrency: int
    conversations: int = 0
    messages: int = 0
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    error_count: int = 0
    errors_by_type: Counter = field(default_factory=Counter)
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    given_references: list[str] = field(default_factory=list)
    expected_records: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    # sender -> [(sent, reply)], only when tracing (for checking scripts against the flows).
    transcripts: dict[str, list[tuple[str, str]]] | None = None

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.wall_s if self.wall_s > 0 else 0.0

    def error(
        self, kind: str, conversation: Conversation, turn: int, sent: str, detail: str
    ) -> None:
        self.error_count += 1
        self.errors_by_type[kind] += 1
        if len(self.error_samples) < MAX_ERRORS_KEPT:
            self.error_samples.append(
                {
                    "type": kind,
                    "script": conversation.script.name,
                    "sender": conversation.sender,
                    "turn": turn,
                    "sent": sent,
                    "detail": detail[:300],
                }
            )


async def _say(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> tuple[float, int | None, Any, str]:
    """POST one message; returns (latency, status or None, parsed body, error detail)."""
    start = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.read()
            latency = time.perf_counter() - start
            if response.status != 200:
                return latency, response.status, None, body[:200].decode(errors="replace")
            try:
                return latency, 200, json.loads(body), ""
            except ValueError:
                return latency, 200, None, f"not JSON: {body[:200]!r}"
    except TimeoutError:
        return time.perf_counter() - start, None, None, "timeout"
    except aiohttp.ClientError as exc:
        return time.perf_counter() - start, None, None, f"{type(exc).__name__}: {exc}"


async def run_conversation(
    session: aiohttp.ClientSession, url: str, conversation: Conversation, run: LevelRun, check: bool
) -> None:
    """Play one customer: the opening turns, then (with ``check``) answer the bot's questions.

    Without ``check`` (the bare bot) only the opening turns are sent and nothing is checked.
    """
    script = conversation.script
    run.conversations += 1
    run.by_kind[script.kind] += 1
    conversation.offered_payloads = []
    conversation.sent_texts = []
    goal = script.goal and expectation(script.goal, conversation.context)
    reached = goal is None
    turn = 0

    async def send(step: Step) -> list[str] | None:
        """Send one message; the reply's messages, or None after an HTTP failure."""
        nonlocal turn, reached
        text = conversation.message(step)
        conversation.sent_texts.append(conversation.text(step))
        latency, status, body, detail = await _say(session, url, conversation.sender, text)
        turn += 1
        run.messages += 1
        run.latencies_s.append(latency)
        if status != 200 or body is None:
            kind = "timeout" if detail == "timeout" else ("http" if status else "connection")
            run.error(kind, conversation, turn, text, f"HTTP {status}: {detail}")
            return None
        conversation.offered_payloads = reply_payloads(body)
        reply = reply_text(body)
        if run.transcripts is not None:
            run.transcripts.setdefault(conversation.sender, []).append((text, reply))
        if check:
            problem = step.problem(reply, conversation.context)
            if problem:
                run.error(
                    "unexpected_reply", conversation, turn, text, f"{problem}; reply: {reply!r}"
                )
            elif asked_question(reply_messages(body)) in NOT_UNDERSTOOD:
                run.error("not_understood", conversation, turn, text, f"reply: {reply!r}")
            if not reached and goal is not None and re.search(goal, reply, re.I | re.S):
                reached = True
                # The reference this customer was given (questions quote example references).
                found = REFERENCE.search(reply)
                if found and script.creates:
                    conversation.context["reference"] = found.group(0)
                    run.given_references.append(found.group(0))
        return reply_messages(body)

    messages: list[str] | None = []
    for step in script.opening:
        messages = await send(step)
        if messages is None and check:
            return
    if not check:
        return
    asked: Counter = Counter()
    previous, in_a_row = None, 0
    while messages is not None:
        question = asked_question(messages)
        if question in NOT_UNDERSTOOD:
            return  # already counted when the reply came in
        if question is None:
            if not reached:
                run.error(
                    "unexpected_reply",
                    conversation,
                    turn,
                    "",
                    f"expected {script.goal_why} or a question; reply: {' | '.join(messages)!r}",
                )
            return
        answers = script.answers.get(question)
        if not answers:
            run.error("unscripted_question", conversation, turn, "", f"no answer to {question!r}")
            return
        in_a_row = in_a_row + 1 if question == previous else 1
        if in_a_row >= MAX_SAME_QUESTION:
            run.error(
                "answer_refused",
                conversation,
                turn,
                "",
                f"{question!r} asked {in_a_row} times in a row; reply: {' | '.join(messages)!r}",
            )
            return
        if turn >= MAX_TURNS:
            run.error("too_many_turns", conversation, turn, "", f"still asking {question!r}")
            return
        previous = question
        answer = answers[min(asked[question], len(answers) - 1)]
        asked[question] += 1
        # Expected records: a confirmed form, and a completed feedback (its last question).
        if question.endswith("_confirm") and script.creates and asked[question] == 1:
            run.expected_records[script.creates] += 1
        if question == FEEDBACK_LAST_QUESTION and script.feedback and asked[question] == 1:
            run.expected_records[FEEDBACK] += 1
        messages = await send(answer)


async def drive(
    base_url: str,
    rest_path: str,
    conversations: Sequence[Conversation],
    concurrency: int,
    target: str,
    check: bool,
    timeout_s: float = 120.0,
    trace: bool = False,
) -> LevelRun:
    run = LevelRun(target=target, concurrency=concurrency, transcripts={} if trace else None)
    queue: asyncio.Queue[Conversation] = asyncio.Queue()
    for conversation in conversations:
        queue.put_nowait(conversation)
    url = f"{base_url}{rest_path}"

    async def customer(session: aiohttp.ClientSession) -> None:
        while True:
            try:
                conversation = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await run_conversation(session, url, conversation, run, check)

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout_s)
    # The product's REST channel wants a bearer token when REST_CHANNEL_TOKEN is set.
    token = os.environ.get("REST_CHANNEL_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(
        connector=connector, timeout=client_timeout, headers=headers
    ) as session:
        start = time.perf_counter()
        await asyncio.gather(*(customer(session) for _ in range(concurrency)))
        run.wall_s = time.perf_counter() - start
    return run


def drive_sync(*args: Any, **kwargs: Any) -> LevelRun:
    return asyncio.run(drive(*args, **kwargs))
