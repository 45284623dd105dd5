"""An erased conversation in Rasa's real tracker store: nothing personal left, still loadable.

bot/crm/privacy.py rewrites the tracker's ``events`` rows as plain SQL/JSON; Rasa must still
be able to load the anonymised conversation (a later message from the pseudonymised sender
never happens, but the desk and `rasa export` read old trackers).
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.crm import privacy
from bot.crm.db import dispose_engine
from bot.crm.migrate import upgrade
from bot.crm.sqltypes import utcnow
from bot.tracker_store import CrmSqlTrackerStore

PHONE = "081277778888"
EMAIL = "dewi.lestari@contoh.id"
NAME = "Dewi Lestari"


async def test_purged_tracker_conversation_has_no_personal_value_and_still_loads(
    tmp_path: Path,
) -> None:
    crm_url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    tracker_url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    upgrade(crm_url)
    domain = Domain.from_dict(
        {"slots": {"phone": {"type": "text", "mappings": [{"type": "custom"}]}}}
    )
    store = CrmSqlTrackerStore(domain, host=tracker_url)
    tracker = await store.get_or_create_tracker("rest-dewi")
    tracker.update(UserUttered(f"saya {NAME}, {PHONE}, {EMAIL}", {"name": "inform"}))
    tracker.update(SlotSet("phone", PHONE))
    tracker.update(BotUttered(f"Terima kasih Kak {NAME}"))
    await store.save(tracker)

    # A REST conversation the CRM never saw, inactive for longer than the retention period.
    counts = privacy.purge_expired(
        30, actor="test", url=crm_url, tracker_url=tracker_url, now=utcnow() + timedelta(days=31)
    )
    assert counts["tracker_events"] >= 3

    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, data FROM events")).all()
    dump = "\n".join(f"{s} {d}" for s, d in rows)
    for value in (PHONE, "81277778888", EMAIL, NAME, "Lestari", "rest-dewi"):
        assert value not in dump
    (pseudonym,) = {s for s, _ in rows}
    loaded = await store.retrieve(pseudonym)
    assert loaded is not None
    assert [e.type_name for e in loaded.events if e.type_name in ("user", "slot", "bot")] == [
        "user",
        "slot",
        "bot",
    ]
    assert loaded.get_slot("phone") is None
    store.engine.dispose()
    dispose_engine(crm_url)
    dispose_engine(tracker_url)
    shutil.rmtree(tmp_path, ignore_errors=True)
