"""Pipeline definitions: the stages a case goes through, read from the business profile.

Why data and not code: every business names and orders its stages a little differently
(one lab never surveys a site, another calls a quotation an "offer"), so the stage ids, their
labels, the fields each stage needs, the allowed moves, the SLA targets and which stages tell
the customer live in ``data/business_profile.yml`` under ``pipelines:``. This module turns
that section into frozen dataclasses and validates it when the profile loads, so a typo
fails at load time (and the last valid profile keeps serving) instead of at a desk click.

Renaming and dropping. A stage's labels and next-step texts may be edited freely. A stage
marked ``optional: true`` may be switched off with ``enabled: false`` (every move into it is
then dropped) or renamed (change its key and the ``next`` lists that name it). The engine
only relies on a pipeline's ``initial`` stage, on ``final`` flags and on field names, never
on a particular stage id. Complaint stage ids are the Goodman stages the ``complaints``
table accepts, so only their labels, texts and SLAs are editable.

No Rasa/Sanic imports, and no import of ``bot.profile`` (which imports this module).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = ("text", "money", "date", "number", "choice")
CASE_TYPES = ("calibration", "financing", "complaint", "callback")
MAX_STAGE_ID_LENGTH = 20  # requests.status is String(20) and mirrors the stage
# The complaints table's CHECK constraint (bot.crm.models.COMPLAINT_STAGES).
GOODMAN_STAGES = ("received", "identified", "analysed", "negotiating", "resolved", "closed")

Texts = Mapping[str, str]


class PipelineError(ValueError):
    """The ``pipelines`` section of the business profile is invalid."""


def pick(texts: Texts | str, language: str) -> str:
    if isinstance(texts, str):
        return texts
    return texts.get(language) or texts.get("id") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Choice:
    id: str
    label: Texts


@dataclass(frozen=True)
class FieldDef:
    """A value staff enter when moving a case into a stage."""

    name: str
    type: str  # text | money | date | number | choice
    label: Texts
    required: bool = True
    # One value per instrument line of the request (certificate numbers).
    per_item: bool = False
    choices: tuple[Choice, ...] = ()
    # Shown to the customer in the status check (instalment, certificate numbers...).
    customer_visible: bool = False


@dataclass(frozen=True)
class Derived:
    """A value computed when a stage is reached: ``base`` date plus ``months``."""

    name: str
    label: Texts
    base: str
    months: int
    customer_visible: bool = False


@dataclass(frozen=True)
class Sla:
    """How long a case may stay in a stage (or a complaint may stay open)."""

    working_days: int | None = None
    hours: int | None = None

    @property
    def days(self) -> int:
        return self.working_days if self.working_days is not None else 0


@dataclass(frozen=True)
class Move:
    """An allowed transition; ``when`` restricts it to cases whose attributes match."""

    to: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class StageDef:
    id: str
    label: Texts
    fields: tuple[FieldDef, ...] = ()
    derived: tuple[Derived, ...] = ()
    moves: tuple[Move, ...] = ()
    final: bool = False
    notify: bool = False
    optional: bool = False
    from_any_open: bool = False
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sla: Sla | None = None
    next_step: Texts | None = None

    def field_named(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: Texts
    initial: str
    stages: Mapping[str, StageDef]  # in profile order
    due_by_severity: Mapping[str, Sla] = field(default_factory=dict)

    def stage(self, stage_id: str) -> StageDef | None:
        return self.stages.get(stage_id)

    def is_final(self, stage_id: str) -> bool:
        stage = self.stages.get(stage_id)
        return stage is not None and stage.final

    def allowed_moves(self, stage_id: str, attributes: Mapping[str, Any]) -> list[StageDef]:
        """Stages a case in ``stage_id`` may move to, given its attributes."""
        current = self.stages.get(stage_id)
        if current is not None and current.final:
            return []
        targets = [m.to for m in (current.moves if current else ()) if _matches(m.when, attributes)]
        targets += [s.id for s in self.stages.values() if s.from_any_open and s.id != stage_id]
        seen: set[str] = set()
        result: list[StageDef] = []
        for target in targets:
            found = self.stages.get(target)
            if found is None or target in seen or not _matches(found.when, attributes):
                continue
            seen.add(target)
            result.append(found)
        return result

    def stage_label(self, stage_id: str, language: str) -> str:
        stage = self.stages.get(stage_id)
        return pick(stage.label, language) if stage else stage_id


def _matches(when: Mapping[str, tuple[str, ...]], attributes: Mapping[str, Any]) -> bool:
    return all(str(attributes.get(key)) in values for key, values in when.items())


# ---- parsing ----------------------------------------------------------------------------


def parse_pipelines(section: Any, raw_profile: Mapping[str, Any]) -> dict[str, Pipeline]:
    """Validate the profile's ``pipelines`` mapping; ``raw_profile`` resolves SLA references
    such as ``calibration.quotation_working_days``."""
    if not isinstance(section, Mapping):
        raise PipelineError("business profile: 'pipelines' must map pipeline ids to definitions")
    missing = [case_type for case_type in CASE_TYPES if case_type not in section]
    if missing:
        raise PipelineError(f"business profile: pipelines missing {missing}")
    return {
        str(pid): _pipeline(str(pid), body, raw_profile)
        for pid, body in section.items()
        if pid in CASE_TYPES
    }


def _err(where: str, message: str) -> PipelineError:
    return PipelineError(f"business profile: 'pipelines.{where}' {message}")


def _texts(value: Any, where: str) -> Texts:
    if isinstance(value, str) and value.strip():
        return {"id": value, "en": value}
    if not isinstance(value, Mapping) or not value.get("id"):
        raise _err(where, "needs at least an 'id' text")
    return {str(k): str(v) for k, v in value.items()}


def _int_ref(value: Any, where: str, raw_profile: Mapping[str, Any]) -> int:
    """An int, or a dotted path to an int elsewhere in the profile (one truth per value)."""
    if isinstance(value, str) and not value.strip().isdigit():
        node: Any = raw_profile
        for part in value.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise _err(where, f"refers to '{value}', which the profile does not have")
            node = node[part]
        value = node
    if isinstance(value, bool):
        raise _err(where, "must be a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _err(where, f"must be a whole number, got {value!r}") from None
    if number < 0:
        raise _err(where, "must not be negative")
    return number


def _sla(value: Any, where: str, raw_profile: Mapping[str, Any]) -> Sla | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not ({"working_days", "hours"} & set(value)):
        raise _err(where, "needs 'working_days' or 'hours'")
    return Sla(
        working_days=(
            _int_ref(value["working_days"], f"{where}.working_days", raw_profile)
            if "working_days" in value
            else None
        ),
        hours=_int_ref(value["hours"], f"{where}.hours", raw_profile) if "hours" in value else None,
    )


def _when(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _err(where, "must map attribute names to allowed values")
    result = {}
    for key, allowed in value.items():
        items = allowed if isinstance(allowed, list) else [allowed]
        result[str(key)] = tuple(str(item) for item in items)
    return result


def _field(value: Any, where: str) -> FieldDef:
    if not isinstance(value, Mapping) or not value.get("name"):
        raise _err(where, "needs a 'name'")
    kind = str(value.get("type", "text"))
    if kind not in FIELD_TYPES:
        raise _err(f"{where}.type", f"must be one of {FIELD_TYPES}, got {kind!r}")
    choices: tuple[Choice, ...] = ()
    if kind == "choice":
        options = value.get("choices")
        if not isinstance(options, list) or not options:
            raise _err(where, "of type choice needs 'choices'")
        choices = tuple(
            Choice(str(o["id"]), _texts(o.get("label"), f"{where}.choices[{i}].label"))
            for i, o in enumerate(options)
        )
    return FieldDef(
        name=str(value["name"]),
        type=kind,
        label=_texts(value.get("label"), f"{where}.label"),
        required=not bool(value.get("optional", False)),
        per_item=bool(value.get("per_item", False)),
        choices=choices,
        customer_visible=bool(value.get("customer_visible", False)),
    )


def _derived(value: Any, where: str, raw_profile: Mapping[str, Any]) -> Derived:
    if not isinstance(value, Mapping):
        raise _err(where, "must be a mapping")
    for key in ("name", "base", "add_months"):
        if value.get(key) is None:
            raise _err(where, f"needs '{key}'")
    return Derived(
        name=str(value["name"]),
        label=_texts(value.get("label"), f"{where}.label"),
        base=str(value["base"]),
        months=_int_ref(value["add_months"], f"{where}.add_months", raw_profile),
        customer_visible=bool(value.get("customer_visible", False)),
    )


def _moves(value: Any, where: str) -> tuple[Move, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _err(where, "must be a list of stage ids")
    moves = []
    for i, item in enumerate(value):
        if isinstance(item, Mapping):
            if not item.get("to"):
                raise _err(f"{where}[{i}]", "needs 'to'")
            moves.append(Move(str(item["to"]), _when(item.get("when"), f"{where}[{i}].when")))
        else:
            moves.append(Move(str(item)))
    return tuple(moves)


def _stage(
    sid: str, body: Any, where: str, raw_profile: Mapping[str, Any]
) -> tuple[StageDef, bool]:
    if not isinstance(body, Mapping):
        raise _err(where, "must be a mapping")
    if len(sid) > MAX_STAGE_ID_LENGTH or not sid.replace("_", "").isalnum():
        raise _err(where, f"stage id must be up to {MAX_STAGE_ID_LENGTH} letters/digits/_")
    fields = tuple(
        _field(f, f"{where}.fields[{i}]") for i, f in enumerate(body.get("fields") or [])
    )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _err(f"{where}.fields", "has a duplicate name")
    derived = tuple(
        _derived(d, f"{where}.derived[{i}]", raw_profile)
        for i, d in enumerate(body.get("derived") or [])
    )
    for item in derived:
        base = next((f for f in fields if f.name == item.base), None)
        if base is None or base.type != "date":
            raise _err(where, f"derived '{item.name}' needs a date field '{item.base}'")
    stage = StageDef(
        id=sid,
        label=_texts(body.get("label"), f"{where}.label"),
        fields=fields,
        derived=derived,
        moves=_moves(body.get("next"), f"{where}.next"),
        final=bool(body.get("final", False)),
        notify=bool(body.get("notify", False)),
        optional=bool(body.get("optional", False)),
        from_any_open=bool(body.get("from_any_open", False)),
        when=_when(body.get("when"), f"{where}.when"),
        sla=_sla(body.get("sla"), f"{where}.sla", raw_profile),
        next_step=(
            _texts(body["next_step"], f"{where}.next_step") if body.get("next_step") else None
        ),
    )
    enabled = body.get("enabled", True) is not False
    if not enabled and not stage.optional:
        raise _err(where, "cannot be disabled: only stages marked 'optional: true' can")
    return stage, enabled


def _pipeline(pid: str, body: Any, raw_profile: Mapping[str, Any]) -> Pipeline:
    if not isinstance(body, Mapping):
        raise _err(pid, "must be a mapping")
    raw_stages = body.get("stages")
    if not isinstance(raw_stages, Mapping) or not raw_stages:
        raise _err(pid, "needs 'stages'")
    enabled: dict[str, StageDef] = {}
    disabled: set[str] = set()
    for sid, stage_body in raw_stages.items():
        stage, on = _stage(str(sid), stage_body, f"{pid}.stages.{sid}", raw_profile)
        if on:
            enabled[stage.id] = stage
        else:
            disabled.add(stage.id)
    stages: dict[str, StageDef] = {}
    for sid, stage in enabled.items():
        where = f"{pid}.stages.{sid}"
        moves = tuple(m for m in stage.moves if m.to not in disabled)
        for move in moves:
            if move.to not in enabled:
                raise _err(f"{where}.next", f"names unknown stage '{move.to}'")
        if stage.final and moves:
            raise _err(where, "is final but has 'next' stages")
        if not stage.final and not moves and not any(s.from_any_open for s in enabled.values()):
            raise _err(where, "is not final but has no 'next' stage")
        stages[sid] = dataclasses.replace(stage, moves=moves)
    initial = str(body.get("initial") or "")
    if initial not in stages:
        raise _err(f"{pid}.initial", f"must name one of its stages, got {initial!r}")
    if pid == "complaint":
        unknown = set(stages) - set(GOODMAN_STAGES)
        if unknown:
            raise _err(pid, f"stage ids must be Goodman stages {GOODMAN_STAGES}: {sorted(unknown)}")
    due: dict[str, Sla] = {}
    for severity, value in (body.get("due_by_severity") or {}).items():
        sla = _sla(value, f"{pid}.due_by_severity.{severity}", raw_profile)
        if sla is not None:
            due[str(severity)] = sla
    return Pipeline(
        id=pid,
        label=_texts(body.get("label"), f"{pid}.label"),
        initial=initial,
        stages=stages,
        due_by_severity=due,
    )


def stage_ids(pipeline: Pipeline) -> Sequence[str]:
    return tuple(pipeline.stages)
