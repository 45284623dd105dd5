"""Back-office pages and admin operations over HTTP: the CSV export opened as Excel would,
the case list and detail as staff see them (labels, not codes; 409/422 shown on the page),
and account management by an admin only.
"""

from __future__ import annotations

import csv
import io
import re

from backoffice_helpers import LAB_PATH, calibration
from desk_helpers import PASSWORD, api_csrf, post_login


async def test_csv_export_has_a_bom_and_friendly_headers(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = calibration(company="PT Sinar Abadi Teknik", contact="Ibu Ratna Dewi")
    calibration(company="CV Lain Sendiri")
    client = await desk_server.login("rina")
    page = await client.get("/desk/cases", params={"q": "sinar"})
    link = re.search(r'id="csv-export" href="([^"]+)"', page.text)
    assert link, "no CSV link on the list"
    answer = await client.get(link.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    raw = answer.content
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Nomor referensi"] for r in rows] == [reference]  # the filter applies
    row = rows[0]
    assert row["Jenis"] == "Permintaan kalibrasi"
    assert row["Tahap"] == "Diterima"
    assert row["Kanal"] == "Chat website"
    assert row["Nama kontak"] == "Ibu Ratna Dewi"
    assert "Dibuat (" in ",".join(rows[0].keys())
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d", next(v for k, v in row.items() if k.startswith("Dibuat"))
    )


async def test_case_list_page_filters_and_shows_labels(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = calibration(company="PT Sinar Abadi Teknik")
    client = await desk_server.login("rina")
    page = await client.get("/desk/cases", params={"q": "Sinar Abadi"})
    assert page.status_code == 200
    assert f'data-reference="{reference}"' in page.text
    assert "Diterima" in page.text and "Chat website" in page.text
    assert "socketio" not in page.text.split('id="case-list"')[1]
    empty = await client.get("/desk/cases", params={"q": "tidak ada sama sekali"})
    assert "Tidak ada kasus yang cocok" in empty.text
    assert (await client.get("/desk/cases", params={"from": "kemarin"})).status_code == 422


async def test_case_page_actions_409_and_422_shown_on_the_page(desk_server, make_agent) -> None:
    make_agent("rina")
    reference = calibration()
    client = await desk_server.login("rina")
    page = await client.get(f"/desk/cases/{reference}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    url = f"/desk/cases/{reference}/transition"

    bad = await client.post(
        url,
        data={"csrf_token": csrf, "version": "1", "to": "quotation_sent", "field.amount": "x"},
    )
    assert bad.status_code == 422
    assert "Wajib diisi." in bad.text and "Isi nominal Rupiah" in bad.text
    assert 'data-stage="quotation_sent" open' in bad.text  # the failing form stays open

    stage, fields = LAB_PATH[0]
    form = {"csrf_token": csrf, "version": "1", "to": stage}
    form.update({f"field.{k}": v for k, v in fields.items()})
    done = await client.post(url, data=form)
    assert done.status_code == 303
    shown = await client.get(done.headers["location"])
    assert "Penawaran sudah dikirim" in shown.text and "Rp150.000.000" in shown.text

    again = await client.post(url, data={**form, "to": "cancelled", "field.reason": "dobel"})
    assert again.status_code == 409
    assert "baru saja diubah orang lain" in again.text
    assert 'id="case-stage">Penawaran sudah dikirim<' in again.text  # the reloaded view


async def test_admin_manages_accounts_in_the_ui(desk_server, make_agent) -> None:
    make_agent("adi", role="admin")
    make_agent("rina")
    admin = await desk_server.login("adi")
    page = await admin.get("/desk/admin/accounts")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    created = await admin.post(
        "/desk/admin/accounts",
        data={
            "csrf_token": csrf,
            "action": "create",
            "username": "dewi",
            "display_name": "Dewi",
            "role": "agent",
            "password": PASSWORD,
        },
    )
    assert created.status_code == 303
    dewi = await desk_server.login("dewi")
    assert (await dewi.get("/desk/api/cases")).status_code == 200
    accounts = (await admin.get("/desk/api/admin/accounts")).json()["accounts"]
    dewi_id = next(a["id"] for a in accounts if a["username"] == "dewi")

    promoted = await admin.post(
        "/desk/admin/accounts",
        data={"csrf_token": csrf, "action": "role", "agent_id": dewi_id, "role": "supervisor"},
    )
    assert promoted.status_code == 303
    assert (await dewi.get("/desk/api/cases")).status_code == 401  # sessions ended
    dewi = await desk_server.login("dewi")
    assert (await dewi.get("/desk/escalations")).status_code == 302  # supervisor may

    reset = await admin.post(
        "/desk/admin/accounts",
        data={
            "csrf_token": csrf,
            "action": "password",
            "agent_id": dewi_id,
            "password": "another long passphrase",
        },
    )
    assert reset.status_code == 303
    assert (await dewi.get("/desk/api/cases")).status_code == 401
    fresh = desk_server.client()
    assert (await post_login(fresh, "dewi", PASSWORD)).status_code == 401
    assert (await post_login(fresh, "dewi", "another long passphrase")).status_code == 302

    disabled = await admin.post(
        "/desk/admin/accounts", data={"csrf_token": csrf, "action": "disable", "agent_id": dewi_id}
    )
    assert disabled.status_code == 303
    assert (await fresh.get("/desk/api/cases")).status_code == 401  # logged out everywhere
    listing = await admin.get("/desk/admin/accounts")
    assert re.search(r'data-username="dewi" class="inactive"', listing.text)

    weak = await admin.post(
        "/desk/admin/accounts",
        data={"csrf_token": csrf, "action": "create", "username": "x", "password": "1"},
    )
    assert weak.status_code == 422


async def test_non_admins_get_403_on_admin_pages_and_api(desk_server, make_agent) -> None:
    make_agent("rina")
    make_agent("sari", role="supervisor")
    for name in ("rina", "sari"):
        client = await desk_server.login(name)
        csrf = await api_csrf(client)
        assert (await client.get("/desk/admin/accounts")).status_code == 403
        assert (await client.get("/desk/admin/tokens")).status_code == 403
        assert (await client.get("/desk/api/admin/accounts")).status_code == 403
        made = await client.post(
            "/desk/admin/accounts",
            data={"csrf_token": csrf, "action": "create", "username": "evil", "password": PASSWORD},
        )
        assert made.status_code == 403
        api = await client.post(
            "/desk/api/admin/accounts",
            json={"action": "create", "username": "evil", "password": PASSWORD},
            headers={"X-CSRF-Token": csrf},
        )
        assert api.status_code == 403
    agent = await desk_server.login("rina")
    assert (await agent.get("/desk/escalations")).status_code == 403


async def test_admin_creates_an_api_token_shown_once(desk_server, make_agent) -> None:
    make_agent("adi", role="admin")
    admin = await desk_server.login("adi")
    page = await admin.get("/desk/admin/tokens")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    made = await admin.post(
        "/desk/admin/tokens", data={"csrf_token": csrf, "name": "Akuntansi", "scope": "read"}
    )
    assert made.status_code == 200
    token = re.search(r'id="new-token">([^<]+)<', made.text).group(1)
    assert token.startswith("lyn_")
    listing = await admin.get("/desk/admin/tokens")
    assert token not in listing.text and "Akuntansi" in listing.text and "Baca saja" in listing.text
    erp = desk_server.client()
    ok = await erp.get("/desk/api/cases", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
