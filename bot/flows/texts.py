"""Labels the flows put inside responses (summaries, buttons, status replies), per language.

Whole sentences live in the domain (domain/*.yml); this module only holds the short words that fill their
placeholders: field names in a summary, names of choices, stage names, formatted dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict

from bot.profile import BusinessProfile, format_money, pick

Labels = Mapping[str, Mapping[str, str]]

_MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def lang_of(language: str | None) -> str:
    return "en" if language == "en" else "id"


def format_date(value: date, language: str) -> str:
    """``Senin, 7 Desember 2026`` / ``Monday, 7 December 2026``."""
    lang = lang_of(language)
    return (
        f"{_DAYS[lang][value.weekday()]}, {value.day} {_MONTHS[lang][value.month - 1]} {value.year}"
    )


def format_day(value: date, language: str) -> str:
    """``7 Desember 2026`` / ``7 December 2026`` (no weekday)."""
    lang = lang_of(language)
    return f"{value.day} {_MONTHS[lang][value.month - 1]} {value.year}"


def label(table: Labels, key: str | None, language: str) -> str:
    """The label of ``key`` in ``language``; unknown keys are shown as they are."""
    if key is None:
        return "-"
    entry = table.get(key)
    if entry is None:
        return str(key)
    return entry.get(lang_of(language)) or entry.get("id") or str(key)


SERVICE_TYPES: Labels = {
    "kalibrasi": {"id": "Kalibrasi", "en": "Calibration"},
    "tera": {"id": "Tera", "en": "Legal verification (tera)"},
    "tera_ulang": {"id": "Tera ulang", "en": "Re-verification (tera ulang)"},
}
LOCATIONS: Labels = {
    "onsite": {"id": "Di lokasi pelanggan (on-site)", "en": "On site, at your premises"},
    "lab": {
        "id": "Alat dikirim/diantar ke laboratorium",
        "en": "Instruments sent in to our laboratory",
    },
}
SPECS: Labels = {
    "digital": {"id": "digital", "en": "digital"},
    "analog": {"id": "analog", "en": "analogue"},
    "unknown": {"id": "spesifikasi belum diketahui", "en": "specification not known yet"},
}
CONDITIONS: Labels = {
    "new": {"id": "Baru", "en": "New"},
    "used": {"id": "Bekas", "en": "Used"},
}
SEVERITIES: Labels = {
    "low": {"id": "Ringan", "en": "Low"},
    "medium": {"id": "Sedang", "en": "Medium"},
    "high": {"id": "Berat / mendesak", "en": "High / urgent"},
}
FEEDBACK_KINDS: Labels = {
    "kritik": {"id": "Kritik", "en": "Criticism"},
    "saran": {"id": "Saran", "en": "Suggestion"},
    "pujian": {"id": "Pujian", "en": "Praise"},
}
CONTACT_TIMES: Labels = {
    "morning": {"id": "Pagi (08.00–12.00)", "en": "Morning (08:00–12:00)"},
    "afternoon": {"id": "Siang (12.00–15.00)", "en": "Early afternoon (12:00–15:00)"},
    "late_afternoon": {"id": "Sore (15.00–18.00)", "en": "Late afternoon (15:00–18:00)"},
    "anytime": {"id": "Kapan saja (jam kerja)", "en": "Any time (office hours)"},
}
YES_NO: Labels = {
    "yes": {"id": "Ya", "en": "Yes"},
    "no": {"id": "Tidak", "en": "No"},
}
KINDS: Labels = {
    "calibration": {"id": "Permintaan kalibrasi", "en": "Calibration request"},
    "financing": {"id": "Pengajuan pembiayaan", "en": "Financing application"},
    "complaint": {"id": "Keluhan", "en": "Complaint"},
}
# Request statuses (bot/crm: "new" at creation; the desk moves them on) and Goodman stages.
STAGES: Labels = {
    "new": {"id": "Diterima, menunggu diproses", "en": "Received, waiting to be processed"},
    "inquiry": {"id": "Diterima, menunggu diproses", "en": "Received, waiting to be processed"},
    "quote_sent": {"id": "Penawaran sudah dikirim", "en": "Quotation sent"},
    "revision_requested": {"id": "Revisi penawaran diminta", "en": "Quotation revision requested"},
    "quote_revised": {"id": "Penawaran revisi dikirim", "en": "Revised quotation sent"},
    "quote_accepted": {"id": "Penawaran disetujui", "en": "Quotation accepted"},
    "po_received": {"id": "PO/SPK diterima", "en": "PO/SPK received"},
    "scheduled": {"id": "Sudah dijadwalkan", "en": "Scheduled"},
    "in_progress": {"id": "Sedang dikerjakan", "en": "In progress"},
    "contacted": {"id": "Sudah dihubungi petugas", "en": "Contacted by our staff"},
    "survey": {"id": "Survei", "en": "Survey"},
    "approved": {"id": "Disetujui", "en": "Approved"},
    "rejected": {"id": "Tidak disetujui", "en": "Not approved"},
    "completed": {"id": "Selesai", "en": "Completed"},
    "cancelled": {"id": "Dibatalkan", "en": "Cancelled"},
    "received": {"id": "Diterima", "en": "Received"},
    "identified": {"id": "Masalah sedang diidentifikasi", "en": "Problem being identified"},
    "analysed": {"id": "Masalah sedang dianalisis", "en": "Problem being analysed"},
    "negotiating": {"id": "Penyelesaian sedang dibicarakan", "en": "Resolution being agreed"},
    "resolved": {"id": "Sudah ditindaklanjuti", "en": "Resolved, follow-up done"},
    "closed": {"id": "Ditutup", "en": "Closed"},
}
# Summary field names.
FIELDS: Labels = {
    "company": {"id": "Perusahaan", "en": "Company"},
    "contact_name": {"id": "Nama kontak", "en": "Contact name"},
    "name": {"id": "Nama", "en": "Name"},
    "phone": {"id": "Telepon/WA", "en": "Phone/WhatsApp"},
    "email": {"id": "Email", "en": "E-mail"},
    "service_type": {"id": "Jenis layanan", "en": "Service"},
    "instruments": {"id": "Alat", "en": "Instruments"},
    "location": {"id": "Tempat pengerjaan", "en": "Where"},
    "site_address": {"id": "Alamat lokasi", "en": "Site address"},
    "preferred_date": {"id": "Tanggal yang diinginkan", "en": "Preferred date"},
    "product": {"id": "Produk", "en": "Product"},
    "condition": {"id": "Kondisi", "en": "Condition"},
    "amount": {"id": "Nilai pembiayaan", "en": "Amount"},
    "price": {"id": "Harga", "en": "Price"},
    "financed": {"id": "Pokok pembiayaan (harga − DP)", "en": "Amount financed (price − DP)"},
    "down_payment": {"id": "Uang muka (DP)", "en": "Down payment"},
    "tenor": {"id": "Tenor", "en": "Tenor"},
    "city": {"id": "Kota/cabang", "en": "City/branch"},
    "contact_time": {"id": "Waktu dihubungi", "en": "Best time to call"},
    "category": {"id": "Kategori", "en": "Category"},
    "related_reference": {"id": "Nomor terkait", "en": "Related reference"},
    "description": {"id": "Keluhan", "en": "Complaint"},
    "resolution": {"id": "Penyelesaian yang diharapkan", "en": "Resolution wanted"},
    "severity": {"id": "Tingkat urgensi", "en": "Severity"},
}


class EditLabel(TypedDict):
    id: str
    en: str
    words: tuple[str, ...]  # also understood as this choice when typed


# Choices offered when the customer wants to change something before confirming.
EDIT_LABELS: dict[str, EditLabel] = {
    "company": {"id": "Perusahaan", "en": "Company", "words": ("pt", "perusahaan", "company")},
    "contact_name": {"id": "Nama", "en": "Name", "words": ("nama", "name")},
    "phone": {
        "id": "Telepon/WA",
        "en": "Phone",
        "words": ("telepon", "telp", "hp", "wa", "nomor", "phone"),
    },
    "email": {"id": "Email", "en": "E-mail", "words": ("email", "e-mail", "surel")},
    "service_type": {
        "id": "Jenis layanan",
        "en": "Service",
        "words": ("layanan", "service", "tera"),
    },
    "instruments": {
        "id": "Daftar alat",
        "en": "Instruments",
        "words": ("alat", "instrumen", "instrument", "jumlah", "quantity"),
    },
    "location": {
        "id": "Tempat/alamat",
        "en": "Place/address",
        "words": ("lokasi", "alamat", "address", "tempat", "location"),
    },
    "preferred_date": {
        "id": "Tanggal",
        "en": "Date",
        "words": ("tanggal", "jadwal", "date", "schedule"),
    },
    "product": {
        "id": "Produk",
        "en": "Product",
        "words": ("produk", "product", "kendaraan", "vehicle"),
    },
    "amount": {
        "id": "Nilai & DP",
        "en": "Amount & DP",
        "words": ("nilai", "harga", "dp", "uang muka", "amount", "down payment"),
    },
    "tenor": {"id": "Tenor", "en": "Tenor", "words": ("tenor", "jangka waktu", "term")},
    "city": {"id": "Kota", "en": "City", "words": ("kota", "cabang", "city", "branch")},
    "contact_time": {"id": "Waktu dihubungi", "en": "Call time", "words": ("waktu", "jam", "time")},
    "category": {"id": "Kategori", "en": "Category", "words": ("kategori", "category")},
    "related_reference": {
        "id": "Nomor terkait",
        "en": "Reference",
        "words": ("referensi", "nomor", "reference"),
    },
    "description": {
        "id": "Isi keluhan",
        "en": "Description",
        "words": ("keluhan", "deskripsi", "description"),
    },
    "resolution": {
        "id": "Penyelesaian",
        "en": "Resolution",
        "words": ("penyelesaian", "solusi", "resolution"),
    },
    "severity": {"id": "Urgensi", "en": "Severity", "words": ("urgensi", "severity", "tingkat")},
}


def edit_label(key: str, language: str) -> str:
    entry = EDIT_LABELS.get(key)
    if entry is None:
        return key
    return entry["en"] if lang_of(language) == "en" else entry["id"]


def instrument_name(profile: BusinessProfile, instrument: str, language: str) -> str:
    """The profile's name for a known instrument id, else the customer's words as given."""
    known = profile.instrument(instrument)
    if known is not None:
        return pick(known.name, language)
    if instrument and instrument.islower() and " " not in instrument and "_" in instrument:
        return instrument.replace("_", " ")  # an entity id the profile does not list
    return instrument


def instrument_lines_text(
    profile: BusinessProfile, lines: Iterable[Mapping[str, object]], language: str
) -> str:
    """``12 × pressure gauge (analog)`` lines, each on its own bullet."""
    rendered = []
    for line in lines:
        spec = line.get("spec")
        notes = [label(SPECS, str(spec), language)] if spec else []
        if line.get("details"):
            notes.append(str(line["details"]))
        spec_text = f" ({'; '.join(notes)})" if notes else ""
        name = instrument_name(profile, str(line.get("type")), language)
        rendered.append(f"{line.get('quantity')} × {name}{spec_text}")
    return (
        "\n   – ".join(["", *rendered]) if len(rendered) > 1 else (rendered[0] if rendered else "-")
    )


def instrument_line_short(
    profile: BusinessProfile, line: Mapping[str, object], language: str
) -> str:
    """``3 timbangan digital`` / ``12 pressure gauge analog (range 0-10 bar, merk Wika)``."""
    name = instrument_name(profile, str(line.get("type")), language)
    words = [str(line.get("quantity")), name[:1].lower() + name[1:]]
    spec = line.get("spec")
    if spec and spec != "unknown":
        words.append(label(SPECS, str(spec), language).lower())
    text = " ".join(words)
    return f"{text} ({line['details']})" if line.get("details") else text


def summary_text(rows: Sequence[tuple[str, str | None]], language: str) -> str:
    """Bulleted ``Field: value`` lines; rows whose value is None are left out."""
    return "\n".join(
        f"• {label(FIELDS, key, language)}: {value}" for key, value in rows if value is not None
    )


def money(value: Decimal | None, language: str) -> str | None:
    return format_money(value, language) if value is not None else None


def months(value: int, language: str) -> str:
    if lang_of(language) == "en":
        return f"{value} months" + (
            f" ({value // 12} years)" if value % 12 == 0 and value >= 24 else ""
        )
    return f"{value} bulan" + (f" ({value // 12} tahun)" if value % 12 == 0 and value >= 24 else "")


def local_datetime(value: datetime, profile: BusinessProfile) -> datetime:
    return profile.local_now(value)
