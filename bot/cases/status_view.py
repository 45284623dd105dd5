"""What the customer's "cek status" shows: the truth from the case, in their language.

Why from the case and the profile: the old reply said "Diterima, menunggu diproses" forever
because nothing moved the request's status. Now the stage, the moment it was reached, the
next step and its expected time come from the case row and the pipeline definition (e.g.
"penawaran dikirim ke email maks. 2 hari kerja"), plus what the customer needs to act on:
certificate numbers and expiry for a calibration, instalment and first due date for an
approved financing. Whether the asker may see it is the status flow's job (ownership);
this module only builds the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from bot.cases.engine import customer_details
from bot.cases.labels import in_sentence, lang, long_date, moment_text
from bot.cases.notify import next_step_text
from bot.cases.pipelines import pick
from bot.cases.timeline import field_values
from bot.cases.transition import item_lines
from bot.crm.db import session_scope
from bot.crm.models import Case
from bot.crm.references import normalize_reference
from bot.crm.sqltypes import utcnow
from bot.profile import BusinessProfile, get_profile


@dataclass(frozen=True)
class StatusDetail:
    label: str
    value: str


@dataclass(frozen=True)
class StatusView:
    reference: str
    case_type: str
    type_label: str
    stage: str
    stage_label: str
    final: bool
    reached_at: datetime
    reached_text: str
    next_step: str | None
    expected_by: date | None
    late: bool
    details: tuple[StatusDetail, ...]
    text: str  # the whole reply, one paragraph per line

    @property
    def details_text(self) -> str:
        """Everything after the first line (next step, certificates...), each on a new line."""
        return "".join("\n" + line for line in self.text.split("\n")[1:])


def status_view(
    reference: str,
    language: str,
    *,
    url: str | None = None,
    profile: BusinessProfile | None = None,
    now: datetime | None = None,
) -> StatusView | None:
    """The status of ``reference`` for its customer, or None when there is no such case."""
    profile = profile or get_profile()
    language = lang(language)
    now = now or utcnow()
    with session_scope(url, readonly=True) as session:
        case = session.execute(
            sa.select(Case).where(Case.reference == normalize_reference(reference))
        ).scalar_one_or_none()
        if case is None:
            return None
        pipeline = profile.pipeline(case.type)
        stage = pipeline.stage(case.stage)
        items = {str(i.id): i.label for i in item_lines(session, case, profile)}
        values = dict(case.fields or {})
        details: list[StatusDetail] = []
        cancelled = stage is not None and stage.from_any_open
        for past in pipeline.stages.values() if not cancelled else ():
            for name, value in customer_details(past, values).items():
                if isinstance(value, dict):
                    for item_id, number in value.items():
                        label = pick(past.field_named(name).label, language)  # type: ignore[union-attr]
                        details.append(
                            StatusDetail(f"{label} ({items.get(item_id, '-')})", str(number))
                        )
                    continue
                shown = field_values(pipeline, past.id, {name: value}, language)[0]
                details.append(StatusDetail(shown.label, shown.value))
        reference_text = case.reference
        type_label = pick(pipeline.label, language)
        stage_label = pipeline.stage_label(case.stage, language)
        reached_text = moment_text(case.stage_changed_at, profile, language)
        final = pipeline.is_final(case.stage)
        step = None if final else next_step_text(profile, stage, language)
        expected = case.due_at.astimezone(profile.timezone).date() if case.due_at else None
        late = bool(case.is_open and case.due_at is not None and case.due_at < now)
    text = _compose(
        language,
        type_label,
        reference_text,
        stage_label,
        reached_text,
        step,
        expected,
        late,
        details,
    )
    return StatusView(
        reference=reference_text,
        case_type=pipeline.id,
        type_label=type_label,
        stage=stage.id if stage else reference_text,
        stage_label=stage_label,
        final=final,
        reached_at=case.stage_changed_at,
        reached_text=reached_text,
        next_step=step,
        expected_by=expected,
        late=late,
        details=tuple(details),
        text=text,
    )


def _compose(
    language: str,
    type_label: str,
    reference: str,
    stage_label: str,
    reached: str,
    step: str | None,
    expected: date | None,
    late: bool,
    details: list[StatusDetail],
) -> str:
    en = language == "en"
    lines = [
        f"Status of {in_sentence(type_label, language)} {reference}: {stage_label} (since {reached})."
        if en
        else f"Status {type_label} {reference}: {stage_label} (sejak {reached})."
    ]
    if step:
        line = f"Next step: {step}" if en else f"Langkah berikutnya: {step}"
        if expected is not None and late:
            line += (
                f" (planned by {long_date(expected, language)}; we are sorry it is taking longer)"
                if en
                else f" (seharusnya {long_date(expected, language)}; mohon maaf atas keterlambatannya)"
            )
        elif expected is not None:
            line += (
                f" (by {long_date(expected, language)})"
                if en
                else f" (paling lambat {long_date(expected, language)})"
            )
        lines.append(line + ".")
    lines += [f"{d.label}: {d.value}" for d in details]
    return "\n".join(lines)
