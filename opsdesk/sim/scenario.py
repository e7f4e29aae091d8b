"""What a simulation runs: arrivals, customers, agents and handling times, from YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Channel = Literal["WHATSAPP", "SMS", "EMAIL", "VOICE"]


class _Node(BaseModel):
    # Unknown keys are errors, as in playbooks: a typo must not silently do nothing.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arrivals(_Node):
    """Poisson arrivals (one rate all the time, or a rate per weekday and local
    hour), or recorded ones: a CSV of real arrival times (`opsdesk.sim.recorded`)."""

    per_hour: float | None = Field(default=None, ge=0)
    by_hour: dict[int, dict[int, float]] | None = None
    # A path; relative paths are read from the scenario file's folder.
    csv: str | None = None
    timezone: str = "UTC"  # the clock `by_hour` is read in
    # Arrivals stop after this many days; the rest of the run drains the cases.
    stop_after_days: float | None = Field(default=None, gt=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name") from None
        return value

    @model_validator(mode="after")
    def _one_of(self) -> Arrivals:
        if sum(x is not None for x in (self.per_hour, self.by_hour, self.csv)) != 1:
            raise ValueError("give exactly one of per_hour, by_hour or csv")
        for day, hours in (self.by_hour or {}).items():
            if not 0 <= day <= 6:
                raise ValueError(f"by_hour: weekday {day} is not 0 (Monday) to 6")
            for hour, rate in hours.items():
                if not 0 <= hour <= 23 or rate < 0:
                    raise ValueError(f"by_hour.{day}: hour {hour} or rate {rate} out of range")
        return self


class ChannelBehaviour(_Node):
    reply_probability: float = Field(default=0.0, ge=0, le=1)
    mean_delay_minutes: float = Field(default=60.0, gt=0)


def _shares(value: dict[Any, float]) -> dict[Any, float]:
    if not value or any(v < 0 for v in value.values()) or sum(value.values()) <= 0:
        raise ValueError("shares must be non-negative with a positive sum")
    return value


class TemplateBehaviour(_Node):
    """How customers answer one template: the button they press (`payloads`),
    instead of the channel's reply probability and an intent."""

    reply_probability: float = Field(default=0.0, ge=0, le=1)
    mean_delay_minutes: float = Field(default=60.0, gt=0)
    payloads: dict[str, float] = {}  # button payload -> share; none: an intent as usual

    @field_validator("payloads")
    @classmethod
    def _payload_shares(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value) if value else value


class Uploads(_Node):
    """Each document a new case still misses arrives with `probability`, after
    an exponential delay (the customer uploading it, or staff on their behalf)."""

    probability: float = Field(default=1.0, ge=0, le=1)
    mean_delay_hours: float = Field(default=48.0, gt=0)


class Customer(_Node):
    language: dict[str, float] = {"en": 1.0}  # shares
    channels: dict[Channel, ChannelBehaviour] = {}  # a channel not listed never replies
    intents: dict[Literal["confirm", "reject", "reschedule"], float] = {"confirm": 1.0}
    templates: dict[str, TemplateBehaviour] = {}  # per template key, instead of the channel's
    documents: list[str] = []  # what every customer has already provided
    uploads: Uploads | None = None  # None: missing documents never arrive

    @field_validator("language", "intents")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value)


class Shift(_Node):
    """When a group works, in the scenario's clock (`arrivals.timezone`)."""

    days: list[int] = [0, 1, 2, 3, 4]  # 0 = Monday
    start: dt.time = dt.time(9)
    end: dt.time = dt.time(18)

    @model_validator(mode="after")
    def _sane(self) -> Shift:
        if not self.days or any(not 0 <= d <= 6 for d in self.days):
            raise ValueError("days: weekdays 0 (Monday) to 6, at least one")
        if self.end <= self.start:
            raise ValueError("end must be after start (no shifts across midnight)")
        return self


class TaskWork(_Node):
    """What an agent does on a task besides working it for the handling time."""

    # What the agent records: a value, or {value: share} drawn per task.
    fields: dict[str, Any] = {}
    open_first: list[str] = []  # manual tasks the agent opens before completing this one
    # After completing it, a manual transition to one of these states by share
    # ("" for none); refused transitions are counted.
    then: dict[str, float] = {}

    @field_validator("then")
    @classmethod
    def _then_shares(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value) if value else value


class Visits(_Node):
    """Booked visits of playbooks with `scheduling.field_work`: the technician
    sets off `travel_minutes` before the start and finishes the work (or not)
    after the work order's duration."""

    travel_minutes: float = Field(default=30.0, ge=0)
    completion_probability: float = Field(default=1.0, ge=0, le=1)


class AgentGroup(_Node):
    team: str | None = None
    count: int = Field(default=1, ge=1)
    languages: list[str] = []
    service_types: list[str] = []
    capacity: int = Field(default=10, ge=1)
    shift: Shift | None = None  # None: around the clock


class Scenario(_Node):
    days: float = Field(gt=0)
    start: dt.datetime
    seed: int = 0
    arrivals: Arrivals
    # A value every arrival gets, or {value: share} to draw one per arrival.
    fields: dict[str, Any] = {}
    customer: Customer = Customer()
    # The order every arrival carries (service-order playbooks read `order.*`); None: no order.
    order: dict[str, Any] | None = None
    agents: list[AgentGroup] = Field(min_length=1)
    handling: dict[str, float] = {"default": 30.0}  # task key or "default": mean minutes
    work: dict[str, TaskWork] = {}  # per task key
    visits: Visits = Visits()
    # "fixed" takes each mean as the exact time: deterministic runs for SLA checks;
    # "lognormal" has the mean and `handling_cv` (standard deviation / mean), the
    # long right tail real handling times have.
    handling_distribution: Literal["exponential", "fixed", "lognormal"] = "exponential"
    handling_cv: float = Field(default=1.0, gt=0)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("start must carry a timezone, e.g. 2026-11-02T09:00:00+03:00")
        return value.astimezone(dt.UTC)

    @field_validator("handling")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v <= 0 for v in value.values()):
            raise ValueError("handling times must be positive")
        return value

    def mean_handling(self, key: str) -> float:
        return self.handling.get(key, self.handling.get("default", 30.0))


class ScenarioError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def load_scenario(text: str) -> Scenario:
    """The scenario, or ScenarioError listing every problem with its path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError(["a scenario is a mapping (days, start, arrivals, agents, ...)"])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ScenarioError(problems) from None


def load_scenario_file(path: str | Path) -> Scenario:
    path = Path(path)
    scenario = load_scenario(path.read_text(encoding="utf-8"))
    return with_csv_beside(scenario, path.parent)


def with_csv_beside(scenario: Scenario, folder: Path) -> Scenario:
    """The scenario with a relative `arrivals.csv` read from `folder` (the
    scenario file's), as a person writing the file means it."""
    csv = scenario.arrivals.csv
    if csv is None or Path(csv).is_absolute():
        return scenario
    arrivals = scenario.arrivals.model_copy(update={"csv": str(folder / csv)})
    return scenario.model_copy(update={"arrivals": arrivals})
