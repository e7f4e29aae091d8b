"""Open many cases in one transaction (bulk order intake).

Each case gets its own engine decision, exactly as `services.case_open` would
make it; what differs is the writing: the cases and the rows of every simple
decision go to the database in one INSERT per table. A decision that does
more than insert rows (an assignment, a booking, a hand-back) is applied
case by case through `apply_decision`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opsdesk.cases.apply import (
    Rows,
    apply_decision,
    build_rows,
    needs_more_than_rows,
    settle_case,
    timeline_row,
)
from opsdesk.cases.models import Case, TimelineEvent
from opsdesk.cases.playbooks import playbook_of
from opsdesk.cases.snapshot import build_snapshot
from opsdesk.common import bulk
from opsdesk.common.actors import Actor
from opsdesk.engine.decide import decide
from opsdesk.engine.types import Decision, Event
from opsdesk.orders.models import ServiceOrder


@dataclass
class NewCase:
    case: Case  # unsaved, number and fields set
    order: ServiceOrder | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)  # written before its own


def open_cases(items: list[NewCase], actor: Actor, now: dt.datetime) -> None:
    """Run each case's initial state and write everything. The caller holds the
    transaction; raises EngineError/ExpressionError from a broken playbook."""
    rows = Rows()
    cases: list[Case] = []
    later: list[tuple[NewCase, Decision]] = []
    for item in items:
        case = item.case
        pb = playbook_of(case.playbook)
        item.timeline.append(
            timeline_row(
                case,
                case.customer_id,
                "CASE_OPENED",
                actor,
                now,
                number=case.number,
                playbook=f"{pb.key} v{pb.version}",
            )
        )
        snapshot = build_snapshot(case, pb, fresh=True, order=item.order)
        decision = decide(pb, snapshot, Event("case.opened"), now)
        if needs_more_than_rows(case, pb, decision):
            later.append((item, decision))
            continue
        settle_case(case, pb, decision, now)
        cases.append(case)
        rows.extend(build_rows(case, decision, actor, now, tuple(item.timeline)))
    bulk.insert(cases)
    rows.insert()
    for item, decision in later:
        pb = playbook_of(item.case.playbook)
        apply_decision(item.case, pb, decision, actor, now, first_timeline=tuple(item.timeline))
