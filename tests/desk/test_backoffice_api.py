"""The back office's JSON API under /desk/api/: every status code it promises, on SQLite
and PostgreSQL, through a real server (session + CSRF, or an API token).

401 without a session or token; 403 for a role, a scope or a missing CSRF token; 404 for an
unknown case; 409 for an illegal or stale transition; 422 for missing or invalid fields.
"""

from __future__ import annotations

from backoffice_helpers import LAB_PATH, bearer, calibration, financing, new_token
from desk_helpers import api_csrf


async def staff_client(desk_server, username: str):
    client = await desk_server.login(username)
    return client, await api_csrf(client)


async def test_without_a_session_or_token_the_api_answers_401(desk_server) -> None:
    reference = calibration()
    anonymous = desk_server.client()
    assert (await anonymous.get("/desk/api/cases")).status_code == 401
    assert (await anonymous.get(f"/desk/api/cases/{reference}")).status_code == 401
    move = await anonymous.post(
        f"/desk/api/cases/{reference}/transition", json={"to": "quotation_sent"}
    )
    assert move.status_code == 401
    forged = await anonymous.get("/desk/api/cases", headers=bearer("lyn_not-a-real-token"))
    assert forged.status_code == 401 and forged.json()["error"] == "unauthorised"


async def test_list_search_and_detail_with_next_stages(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = calibration(company="PT Sinar Abadi Teknik")
    calibration(company="CV Lain Sendiri")
    client, _ = await staff_client(desk_server, "rina")

    found = await client.get("/desk/api/cases", params={"q": "sinar abadi", "type": "calibration"})
    assert found.status_code == 200
    body = found.json()
    assert [c["reference"] for c in body["cases"]] == [reference]
    row = body["cases"][0]
    assert row["stage_label"] == "Diterima" and row["channel_label"] == "Chat website"
    assert {"stage": "received", "count": 1}.items() <= next(
        c for c in body["counts"] if c["stage"] == "received"
    ).items()

    detail = (await client.get(f"/desk/api/cases/{reference.lower()}")).json()
    assert detail["case"]["reference"] == reference
    assert detail["items"] and "×2" in detail["items"][0]
    nxt = {s["id"]: s for s in detail["next_stages"]}
    assert set(nxt) == {"quotation_sent", "cancelled"}
    fields = {f["name"]: f for f in nxt["quotation_sent"]["fields"]}
    assert fields["amount"]["type"] == "money"
    assert fields["valid_until"]["type"] == "date"
    assert fields["quotation_number"]["labels"] == {
        "id": "Nomor penawaran",
        "en": "Quotation number",
    }
    assert nxt["quotation_sent"]["labels"]["id"] == "Penawaran sudah dikirim"


async def test_unknown_case_is_404(desk_server, make_agent) -> None:
    make_agent("rina")
    client, csrf = await staff_client(desk_server, "rina")
    assert (await client.get("/desk/api/cases/KAL-2000-9999")).status_code == 404
    move = await client.post(
        "/desk/api/cases/KAL-2000-9999/transition",
        json={"to": "quotation_sent", "fields": {}},
        headers={"X-CSRF-Token": csrf},
    )
    assert move.status_code == 404 and move.json()["error"] == "not_found"


async def test_transitions_answer_422_409_and_succeed_with_a_session(
    desk_server, make_agent
) -> None:
    make_agent("rina")
    reference = calibration()
    client, csrf = await staff_client(desk_server, "rina")
    url = f"/desk/api/cases/{reference}/transition"
    headers = {"X-CSRF-Token": csrf}

    missing = await client.post(
        url,
        json={"to": "quotation_sent", "fields": {"amount": "seratus"}, "version": 1},
        headers=headers,
    )
    assert missing.status_code == 422
    errors = missing.json()["errors"]
    assert set(errors) == {"quotation_number", "amount", "valid_until"}
    assert errors["amount"]["id"].startswith("Isi nominal Rupiah")

    illegal = await client.post(url, json={"to": "completed", "version": 1}, headers=headers)
    assert illegal.status_code == 409 and illegal.json()["error"] == "illegal_transition"

    stage, fields = LAB_PATH[0]
    moved = await client.post(
        url, json={"to": stage, "fields": fields, "note": "kirim", "version": 1}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage_label"] == "Penawaran sudah dikirim"
    assert moved.json()["version"] == 2

    # A colleague's form still says version 1: stale, one wins.
    stale = await client.post(
        url,
        json={"to": "cancelled", "fields": {"reason": "dobel"}, "version": 1},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json()["error"] == "stale"
    detail = (await client.get(f"/desk/api/cases/{reference}")).json()
    assert detail["case"]["stage"] == "quotation_sent"
    changes = [e for e in detail["timeline"] if e["kind"] == "stage_changed"]
    assert [(e["to_stage"], e["actor_name"]) for e in changes] == [("quotation_sent", "Rina")]
    assert {f["label"]: f["value"] for f in changes[0]["fields"]}["Nilai penawaran"] == (
        "Rp150.000.000"
    )


async def test_financing_transitions_succeed_answer_409_and_422(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = financing()
    client, csrf = await staff_client(desk_server, "rina")
    url = f"/desk/api/cases/{reference}/transition"
    headers = {"X-CSRF-Token": csrf}

    contacted = await client.post(url, json={"to": "contacted", "note": "called"}, headers=headers)
    assert contacted.status_code == 200, contacted.text
    assert contacted.json()["stage_label"] == "Sudah dihubungi petugas"

    # Approval before the documents and the survey is not a legal move.
    early = await client.post(url, json={"to": "approved", "fields": {}}, headers=headers)
    assert early.status_code == 409 and early.json()["error"] == "illegal_transition"

    for stage in ("documents_complete", "survey_done"):
        moved = await client.post(url, json={"to": stage}, headers=headers)
        assert moved.status_code == 200, moved.text
    missing = await client.post(
        url,
        json={
            "to": "approved",
            "fields": {"amount_financed": "Rp240.000.000", "tenor_months": "36"},
        },
        headers=headers,
    )
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"monthly_instalment", "first_due_date"}
    detail = (await client.get(f"/desk/api/cases/{reference}")).json()
    assert detail["case"]["stage"] == "survey_done"
    assert {s["id"] for s in detail["next_stages"]} == {"approved", "rejected", "cancelled"}


async def test_session_post_without_csrf_is_403(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = calibration()
    client, _ = await staff_client(desk_server, "rina")
    answer = await client.post(
        f"/desk/api/cases/{reference}/note", json={"text": "ditelepon, tidak diangkat"}
    )
    assert answer.status_code == 403 and answer.json()["error"] == "csrf"


async def test_agent_may_not_change_a_colleagues_case_403(desk_server, make_agent) -> None:
    make_agent("rina")
    make_agent("tono")
    reference = calibration()
    rina, rina_csrf = await staff_client(desk_server, "rina")
    tono, tono_csrf = await staff_client(desk_server, "tono")
    took = await rina.post(
        f"/desk/api/cases/{reference}/assign",
        json={"assignee_id": "me", "version": 1},
        headers={"X-CSRF-Token": rina_csrf},
    )
    assert took.status_code == 200 and took.json()["version"] == 2
    stage, fields = LAB_PATH[0]
    refused = await tono.post(
        f"/desk/api/cases/{reference}/transition",
        json={"to": stage, "fields": fields, "version": 2},
        headers={"X-CSRF-Token": tono_csrf},
    )
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    grab = await tono.post(
        f"/desk/api/cases/{reference}/assign",
        json={"assignee_id": "me", "version": 2},
        headers={"X-CSRF-Token": tono_csrf},
    )
    assert grab.status_code == 403


async def test_api_tokens_scope_read_and_write(desk_server, make_agent) -> None:
    make_agent("adi", role="admin")
    make_agent("rina")
    reference = calibration()
    admin, csrf = await staff_client(desk_server, "adi")
    reader = await new_token(admin, csrf, "read")
    writer = await new_token(admin, csrf, "write")
    erp = desk_server.client()
    url = f"/desk/api/cases/{reference}/transition"
    stage, fields = LAB_PATH[0]

    listed = await erp.get("/desk/api/cases", params={"q": reference}, headers=bearer(reader))
    assert listed.status_code == 200 and listed.json()["total"] == 1
    read_only = await erp.post(
        url, json={"to": stage, "fields": fields, "version": 1}, headers=bearer(reader)
    )
    assert read_only.status_code == 403
    # No CSRF token needed with a bearer token; write scope moves the case.
    moved = await erp.post(
        url, json={"to": stage, "fields": fields, "version": 1}, headers=bearer(writer)
    )
    assert moved.status_code == 200, moved.text
    # An agent's session is not an admin's: token management is 403 for them.
    rina, rina_csrf = await staff_client(desk_server, "rina")
    assert (await rina.get("/desk/api/admin/tokens")).status_code == 403
    made = await rina.post(
        "/desk/api/admin/tokens",
        json={"name": "x", "scope": "write"},
        headers={"X-CSRF-Token": rina_csrf},
    )
    assert made.status_code == 403

    # Revoked: refused at once.
    token_id = next(
        t["id"]
        for t in (await admin.get("/desk/api/admin/tokens")).json()["tokens"]
        if t["scope"] == "write"
    )
    revoked = await admin.post(
        f"/desk/api/admin/tokens/{token_id}/revoke", headers={"X-CSRF-Token": csrf}
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await erp.get("/desk/api/cases", headers=bearer(writer))).status_code == 401


async def test_bad_list_parameters_are_422(desk_server, make_agent) -> None:
    make_agent("rina")
    client, _ = await staff_client(desk_server, "rina")
    for params in ({"type": "pizza"}, {"from": "kemarin"}, {"page": "dua"}, {"sort": "x"}):
        answer = await client.get("/desk/api/cases", params=params)
        assert answer.status_code == 422, params
        assert answer.json()["error"] == "invalid_fields"
