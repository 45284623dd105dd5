"""A handoff's pause must survive a new Rasa session (session_expiration_time)."""

from __future__ import annotations

from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crm import handoffs
from bot.handoff.start import session_start_events


def test_session_start_keeps_an_open_handoff_paused(desk_db) -> None:
    record = handoffs.open_handoff("web-s", "socketio", None, "customer_request", {}, [], "k-s")
    # What Rasa does: SessionStarted resets the tracker, including the paused flag ...
    tracker = DialogueStateTracker.from_events(
        "web-s", [UserUttered("mau ke CS"), ConversationPaused(), SessionStarted()]
    )
    assert not tracker.is_paused()
    # ... so action_session_start adds the pause back while the handoff is open.
    extra = [Event.from_parameters(e) for e in session_start_events("web-s")]
    tracker.update_with_events([*extra, ActionExecuted("action_listen")], None)
    assert tracker.is_paused()
    handoffs.close(record.id, None)
    assert session_start_events("web-s") == []
    assert session_start_events("never-handed-over") == []
