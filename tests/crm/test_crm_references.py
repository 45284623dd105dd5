"""Reference numbers: readable, sequential per prefix and year, unique under concurrency."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.crm.complaints import create_complaint
from bot.crm.customers import resolve_customer
from bot.crm.db import session_scope
from bot.crm.references import allocate_reference
from bot.crm.requests import create_calibration_request
from bot.crm.types import CalibrationItemInput, CalibrationRequestInput, ComplaintInput


def _calibration(i: int) -> CalibrationRequestInput:
    return CalibrationRequestInput(
        company_name=f"PT Uji {i}",
        contact_name="Budi",
        phone="0812-3456-7890",
        service_type="kalibrasi",
        service_location="lab",
        items=(
            CalibrationItemInput(instrument_type="pressure gauge", quantity=i + 1, spec="digital"),
        ),
    )


def test_format_and_sequence_per_prefix(crm_url: str, time_machine) -> None:
    # The last second of 2026 in Jakarta (16:59:59 UTC): 2026 wherever the year is read.
    time_machine.move_to(
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Asia/Jakarta")), tick=False
    )
    year = 2026
    customer = resolve_customer("rest", "ref-user", url=crm_url)
    first = create_calibration_request(customer.id, _calibration(0), "ref-a", url=crm_url)
    second = create_calibration_request(customer.id, _calibration(1), "ref-b", url=crm_url)
    complaint = create_complaint(
        customer.id,
        ComplaintInput(category="other", description="x", severity="low"),
        "ref-c",
        url=crm_url,
    )
    assert first.reference == f"KAL-{year}-000001"
    assert second.reference == f"KAL-{year}-000002"
    assert complaint.reference == f"CMP-{year}-000001"  # each prefix counts on its own


def test_counter_restarts_each_year(crm_url: str) -> None:
    with session_scope(crm_url) as session:
        assert allocate_reference(session, "KAL", year=2030) == "KAL-2030-000001"
        assert allocate_reference(session, "KAL", year=2031) == "KAL-2031-000001"
        assert allocate_reference(session, "KAL", year=2030) == "KAL-2030-000002"


def test_sixteen_threads_creating_requests_get_distinct_gapless_references(
    crm_url: str, race
) -> None:
    customer = resolve_customer("rest", "ref-user", url=crm_url)

    def create_three(i: int) -> list:
        return [
            create_calibration_request(
                customer.id, _calibration(i), f"race-{i}-{n}", url=crm_url
            ).reference
            for n in range(3)
        ]

    references = [ref for batch in race(create_three, 16) for ref in batch]
    assert len(references) == 48
    assert len(set(references)) == 48
    numbers = sorted(int(re.match(r"KAL-\d{4}-(\d{6})$", ref).group(1)) for ref in references)
    assert numbers == list(range(1, 49))


def test_rolled_back_create_gives_its_number_back(crm_url: str) -> None:
    try:
        with session_scope(crm_url) as session:
            allocate_reference(session, "FIN", year=2040)
            raise RuntimeError("the insert failed")
    except RuntimeError:
        pass
    with session_scope(crm_url) as session:
        assert allocate_reference(session, "FIN", year=2040) == "FIN-2040-000001"
