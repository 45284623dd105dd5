"""Complaints follow Goodman's stages; invalid moves are refused and leave no trace."""

from __future__ import annotations

import pytest

from bot.crm.agents import create_agent
from bot.crm.complaints import (
    ComplaintNotFound,
    InvalidStageTransition,
    advance_stage,
    create_complaint,
    get_complaint,
)
from bot.crm.customers import resolve_customer
from bot.crm.types import ComplaintInput

COMPLAINT = ComplaintInput(
    category="wrong_invoice",
    description="Invoice salah, harusnya 10 unit bukan 12 <script>x</script>",
    severity="high",
    desired_resolution="Revisi invoice",
    related_reference="kal-2026-000001",
)


def _new(url: str) -> str:
    customer = resolve_customer("socketio", "c1", url=url)
    return create_complaint(customer.id, COMPLAINT, "c1:evt", url=url).reference


def test_new_complaint_starts_received_with_history(crm_url: str) -> None:
    reference = _new(crm_url)
    complaint = get_complaint(reference, url=crm_url)
    assert reference.startswith("CMP-")
    assert complaint.stage == "received"
    assert complaint.description == COMPLAINT.description
    assert complaint.related_reference == "KAL-2026-000001"
    assert [(e.from_stage, e.to_stage) for e in complaint.history] == [(None, "received")]


def test_full_goodman_path_is_recorded(crm_url: str) -> None:
    reference = _new(crm_url)
    agent = create_agent("dina", "correct horse battery", url=crm_url)
    path = ["identified", "analysed", "negotiating", "resolved", "closed"]
    for stage in path:
        record = advance_stage(reference, stage, note=f"to {stage}", agent_id=agent.id, url=crm_url)
        assert record.stage == stage
    history = get_complaint(reference, url=crm_url).history
    assert [e.to_stage for e in history] == ["received", *path]
    assert [e.from_stage for e in history[1:]] == ["received", *path[:-1]]
    assert all(e.agent_id == agent.id for e in history[1:])


def test_steps_back_that_the_workflow_allows(crm_url: str) -> None:
    reference = _new(crm_url)
    for stage in ["identified", "analysed", "negotiating", "analysed", "resolved", "negotiating"]:
        assert advance_stage(reference, stage, url=crm_url).stage == stage


@pytest.mark.parametrize("target", ["analysed", "resolved", "closed", "received", "escalated"])
def test_skipping_or_unknown_stages_are_refused(crm_url: str, target: str) -> None:
    reference = _new(crm_url)
    with pytest.raises(InvalidStageTransition):
        advance_stage(reference, target, url=crm_url)
    complaint = get_complaint(reference, url=crm_url)
    assert complaint.stage == "received" and len(complaint.history) == 1


def test_closed_is_final(crm_url: str) -> None:
    reference = _new(crm_url)
    for stage in ["identified", "analysed", "resolved", "closed"]:
        advance_stage(reference, stage, url=crm_url)
    with pytest.raises(InvalidStageTransition):
        advance_stage(reference, "negotiating", url=crm_url)


def test_two_agents_moving_at_once_apply_once(crm_url: str, race) -> None:
    reference = _new(crm_url)

    def move(_: int) -> bool:
        try:
            advance_stage(reference, "identified", url=crm_url)
            return True
        except InvalidStageTransition:
            return False

    assert sum(race(move, 6)) == 1
    assert len(get_complaint(reference, url=crm_url).history) == 2


def test_unknown_reference(crm_url: str) -> None:
    assert get_complaint("CMP-2026-999999", url=crm_url) is None
    with pytest.raises(ComplaintNotFound):
        advance_stage("CMP-2026-999999", "identified", url=crm_url)


def test_idempotent_and_validated(crm_url: str) -> None:
    customer = resolve_customer("socketio", "c1", url=crm_url)
    first = create_complaint(customer.id, COMPLAINT, "same", url=crm_url)
    assert create_complaint(customer.id, COMPLAINT, "same", url=crm_url) == first.__class__(
        id=first.id, reference=first.reference, created=False
    )
    with pytest.raises(ValueError):
        create_complaint(
            customer.id,
            ComplaintInput(category="x", description="y", severity="urgent"),
            "k2",
            url=crm_url,
        )
