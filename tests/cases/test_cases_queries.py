"""Case lists: filters, search, sort, pages, counts per stage and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.cases.assign import assign
from bot.cases.queries import CaseFilter, export_csv, list_cases, stage_counts
from bot.cases.transition import transition
from bot.crm.db import session_scope
from bot.crm.models import Case
from tests.cases.helpers import Staff, calibration, complaint, financing

QUOTE = {"quotation_number": "Q-7", "amount": "Rp150.000.000", "valid_until": "2026-12-31"}


def _refs(page) -> list[str]:
    return [item.case.reference for item in page.items]


@pytest.fixture
def cases(crm_url: str, staff: Staff) -> dict[str, str]:
    made = {
        "maju": calibration(
            crm_url, company="PT Maju Jaya", contact="Ibu Sari", phone="0812-3456-7890"
        ),
        "sinar": calibration(
            crm_url,
            company="CV Sinar Abadi",
            contact="Pak Joko",
            phone="0813 1111 2222",
            email="joko@sinar.id",
            channel="whatsapp",
            sender="6281311112222",
        ),
        "fin": financing(crm_url, name="Budi Santoso"),
        "cmp": complaint(crm_url)[0],
    }
    transition(made["maju"], "quotation_sent", QUOTE, actor=staff.supervisor, url=crm_url)
    assign(made["sinar"], staff.agent.id, actor=staff.agent, url=crm_url)
    # Spread creation times so sorting and date ranges are meaningful.
    with session_scope(crm_url) as session:
        for days, key in enumerate(["maju", "sinar", "fin", "cmp"]):
            session.execute(
                sa.update(Case)
                .where(Case.reference == made[key])
                .values(created_at=datetime(2026, 11, 20 + days, 3, 0, tzinfo=UTC))
            )
    return made


def test_filters(crm_url: str, staff: Staff, cases: dict[str, str]) -> None:
    def run(**kwargs) -> set[str]:
        return set(_refs(list_cases(CaseFilter(**kwargs), actor=staff.agent, url=crm_url)))

    assert run(type="calibration") == {cases["maju"], cases["sinar"]}
    assert run(stages=("quotation_sent",)) == {cases["maju"]}
    assert run(mine=True) == {cases["sinar"]}
    assert run(assignee_id=staff.agent.id) == {cases["sinar"]}
    assert run(unassigned=True) == {cases["maju"], cases["fin"], cases["cmp"]}
    assert run(channel="whatsapp") == {cases["sinar"], cases["fin"]}
    # 2026-11-21 03:00 UTC is 10:00 WIB on the 21st.
    assert run(
        created_from=datetime(2026, 11, 21).date(), created_to=datetime(2026, 11, 22).date()
    ) == {
        cases["sinar"],
        cases["fin"],
    }


def test_overdue_uses_the_due_time(crm_url: str, staff: Staff, cases: dict[str, str]) -> None:
    later = datetime.now(UTC) + timedelta(days=60)
    overdue = list_cases(CaseFilter(overdue=True), actor=staff.agent, url=crm_url, now=later)
    # Everything open with a due time is late two months on; a quotation has no time limit.
    assert set(_refs(overdue)) == {cases["sinar"], cases["fin"], cases["cmp"]}
    assert all(item.case.overdue for item in overdue.items)
    assert list_cases(CaseFilter(overdue=True), actor=staff.agent, url=crm_url).total == 0


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("maju", "maju"),
        ("SINAR abadi", "sinar"),
        ("pak joko", "sinar"),
        ("joko@sinar", "sinar"),
        ("0813 1111", "sinar"),
        ("+62 813-1111-2222", "sinar"),
        ("budi", "fin"),
    ],
)
def test_text_search(
    crm_url: str, staff: Staff, cases: dict[str, str], query: str, key: str
) -> None:
    assert _refs(list_cases(CaseFilter(q=query), actor=staff.agent, url=crm_url)) == [cases[key]]


def test_search_by_reference_and_wildcards_are_literal(
    crm_url: str, staff: Staff, cases: dict[str, str]
) -> None:
    assert _refs(
        list_cases(CaseFilter(q=cases["cmp"].lower()), actor=staff.agent, url=crm_url)
    ) == [cases["cmp"]]
    assert list_cases(CaseFilter(q="%"), actor=staff.agent, url=crm_url).total == 0
    assert list_cases(CaseFilter(q="_"), actor=staff.agent, url=crm_url).total == 0


def test_sort_and_pages(crm_url: str, staff: Staff, cases: dict[str, str]) -> None:
    newest_first = [cases[k] for k in ["cmp", "fin", "sinar", "maju"]]
    page1 = list_cases(CaseFilter(), actor=staff.agent, url=crm_url, limit=3)
    page2 = list_cases(CaseFilter(), actor=staff.agent, url=crm_url, limit=3, offset=3)
    assert (page1.total, page2.total) == (4, 4)
    assert _refs(page1) + _refs(page2) == newest_first
    oldest = list_cases(CaseFilter(), actor=staff.agent, url=crm_url, sort="created")
    assert _refs(oldest) == newest_first[::-1]
    by_due = list_cases(CaseFilter(), actor=staff.agent, url=crm_url, sort="due")
    assert _refs(by_due)[-1] == cases["maju"]  # no due time: last
    with pytest.raises(ValueError):
        list_cases(CaseFilter(), actor=staff.agent, url=crm_url, sort="password")
    item = page1.items[0]
    assert (item.type_label, item.stage_label, item.channel_label) == (
        "Keluhan",
        "Diterima",
        "Chat website",
    )


def test_counts_per_stage(crm_url: str, staff: Staff, cases: dict[str, str]) -> None:
    counts = stage_counts(CaseFilter(type="calibration"), actor=staff.agent, url=crm_url)
    as_dict = {c.stage: c.count for c in counts}
    assert as_dict["received"] == 1 and as_dict["quotation_sent"] == 1
    assert [c.stage for c in counts][:3] == ["received", "quotation_sent", "quotation_revised"]
    assert counts[1].label == "Penawaran sudah dikirim"
    everything = stage_counts(CaseFilter(), actor=staff.agent, url=crm_url, language="en")
    assert sum(c.count for c in everything) == 4
    assert {c.type for c in everything} == {"calibration", "financing", "complaint", "callback"}


def test_csv_export_opens_with_bom_labels_wib_and_rupiah(
    crm_url: str, staff: Staff, cases: dict[str, str]
) -> None:
    text = export_csv(
        CaseFilter(type="calibration"), actor=staff.agent, url=crm_url, sort="created"
    )
    raw = text.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Nomor referensi", "Jenis", "Tahap"]
    assert "Dibuat (WIB)" in header and header[-1] == "Nilai"
    assert [r[0] for r in body] == [cases["maju"], cases["sinar"]]
    maju = dict(zip(header, body[0], strict=True))
    assert maju["Jenis"] == "Permintaan kalibrasi"
    assert maju["Tahap"] == "Penawaran sudah dikirim"
    assert maju["Nilai"] == "Rp150.000.000"
    assert maju["Dibuat (WIB)"] == "2026-11-20 10:00"
    assert maju["Kanal"] == "Chat website"
    sinar = dict(zip(header, body[1], strict=True))
    assert (sinar["Petugas"], sinar["Kanal"], sinar["Perusahaan"]) == (
        "rina",
        "WhatsApp",
        "CV Sinar Abadi",
    )
    english = export_csv(CaseFilter(q="budi"), actor=staff.agent, url=crm_url, language="en")
    en_rows = list(csv.reader(io.StringIO(english.lstrip("\ufeff"))))
    assert en_rows[0][0] == "Reference" and en_rows[1][1] == "Financing application"
    assert en_rows[1][-1] == "Rp150.000.000"


def test_the_benchmark_seed_produces_listable_cases(crm_url: str, staff: Staff) -> None:
    from bot.cases.seed import seed_cases

    assert seed_cases(crm_url, 300, batch=120) == 300
    page = list_cases(CaseFilter(), actor=staff.supervisor, url=crm_url, limit=10)
    assert page.total == 300
    counts = stage_counts(CaseFilter(), actor=staff.supervisor, url=crm_url)
    assert sum(c.count for c in counts) == 300
    assert list_cases(CaseFilter(q="sinar abadi"), actor=staff.supervisor, url=crm_url).total > 0
