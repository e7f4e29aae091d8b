"""Simulator benchmark: a simulated year of the service-order playbook (opsdesk.sim).

    .venv/bin/python bench/simulate.py                      # a year, about 200,000 orders
    .venv/bin/python bench/simulate.py --days 30 --arrivals 20000

40 agents around the clock (30 in Istanbul COBO, 10 in Retention), Poisson
arrivals at the rate that gives `--arrivals` over `--days`, customers answering
on WhatsApp and the call, orders run to the end: bookings in the playbook's
slots, the technician's visit (95% completed), the survey (half of the customers
press a rating), retention calls won back or lost, informational messages
(scheduled, on the way, completed, ...) never answered. Orders carry
coordinates in the İstanbul (Avrupa) zone and the customer's id card, so intake
finds them eligible and routes them to Istanbul COBO.

The playbook is a copy of `--playbook` with `scheduling.capacity` raised to
`--capacity` (default 150 visits per slot and team): the shipped 4 slots x 3
visits a day cannot take the ~550 orders a day of this load, so without it
nearly every confirmed order would wait in `scheduling` for a person and the
year would not exercise visits and surveys at all (even 60 leaves about 2,300
confirmed orders a month without a slot).

Prints wall time, peak memory (the process's maximum resident set, read
before and after), cases and engine events per second. The baseline, same run:
as many bare `decide()` calls as the simulation made, each `case.opened` on a
fresh snapshot, so the difference is what the event loop itself costs. No
database, no Django. Nothing here asserts; it prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opsdesk.engine.decide import decide  # noqa: E402
from opsdesk.engine.types import CaseSnapshot, Event  # noqa: E402
from opsdesk.playbook.loader import load_file  # noqa: E402
from opsdesk.playbook.model import Playbook  # noqa: E402
from opsdesk.sim.runner import simulate  # noqa: E402
from opsdesk.sim.scenario import Scenario  # noqa: E402


def peak_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS; this bench runs on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scenario(days: float, arrivals: int, seed: int) -> Scenario:
    return Scenario.model_validate(
        {
            "days": days,
            "start": "2026-01-05T00:00:00+03:00",
            "seed": seed,
            "arrivals": {"per_hour": arrivals / (days * 24)},
            "fields": {"service_type": {"fiber_install": 0.6, "modem_swap": 0.3, "tv_setup": 0.1}},
            # Inside the İstanbul (Avrupa) polygon, with the id card eligibility
            # asks of residential customers.
            "order": {
                "customer_type": "residential",
                "latitude": 41.04,
                "longitude": 28.98,
                "documents": [{"type": "id_card"}],
            },
            "customer": {
                "language": {"tr": 0.85, "en": 0.15},
                "channels": {
                    "WHATSAPP": {"reply_probability": 0.6, "mean_delay_minutes": 45},
                    "VOICE": {"reply_probability": 0.5, "mean_delay_minutes": 5},
                },
                "intents": {"confirm": 0.6, "reject": 0.25, "reschedule": 0.15},
                "templates": {
                    "survey": {
                        "reply_probability": 0.5,
                        "mean_delay_minutes": 120,
                        "payloads": {
                            "rating_5": 0.5,
                            "rating_4": 0.3,
                            "rating_3": 0.1,
                            "rating_1": 0.1,
                        },
                    },
                    # Informational: nobody answers them.
                    **{
                        key: {"reply_probability": 0}
                        for key in (
                            "scheduled",
                            "on_the_way",
                            "completed",
                            "survey_thanks",
                            "rescheduled",
                            "visit_missed",
                            "cancelled",
                        )
                    },
                },
            },
            "agents": [
                # The team classification routes the İstanbul orders to.
                {"team": "Istanbul COBO", "count": 30, "languages": ["tr", "en"]},
                {"team": "Retention", "count": 10, "languages": ["tr", "en"]},
            ],
            "work": {
                "retention_call": {"then": {"lost": 0.7, "scheduling": 0.3}},
                "read_reply": {
                    "fields": {
                        "call_outcome": {
                            "confirm": 0.5,
                            "reject": 0.2,
                            "reschedule": 0.1,
                            "no_answer": 0.2,
                        }
                    }
                },
            },
            "visits": {"travel_minutes": 30, "completion_probability": 0.95},
            "handling": {"default": 15, "retention_call": 20},
        }
    )


def playbook(path: Path, capacity: int) -> Playbook:
    """The playbook with `scheduling.capacity` raised (see the module docstring)."""
    pb = load_file(path)
    assert pb.scheduling is not None, "the bench needs a playbook with scheduling"
    return pb.model_copy(
        update={"scheduling": pb.scheduling.model_copy(update={"capacity": capacity})}
    )


def baseline(pb: Playbook, calls: int, start: dt.datetime) -> float:
    began = time.perf_counter()
    for n in range(calls):
        snap = CaseSnapshot(
            id=f"case_{n}",
            number=f"SO-2026-{n:06d}",
            state=None,
            fields={"service_type": "fiber_install", "customer_type": "residential"},
            customer={
                "given_name": "Customer",
                "full_name": f"Customer {n}",
                "language": "tr",
                "phone": "+905550000000",
                "whatsapp": True,
                "email": "c@example.com",
            },
        )
        decide(pb, snap, Event("case.opened"), start + dt.timedelta(minutes=n))
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--arrivals", type=int, default=200_000, help="expected, on average")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--playbook", type=Path, default=ROOT / "playbooks" / "service-order.yaml")
    parser.add_argument("--capacity", type=int, default=150, help="visits per slot and team")
    args = parser.parse_args()

    pb = playbook(args.playbook, args.capacity)
    sc = scenario(args.days, args.arrivals, args.seed)
    rss_before = peak_mib()
    began = time.perf_counter()
    result = simulate(pb, sc)
    wall = time.perf_counter() - began
    rss_after = peak_mib()
    cases = result.cases["arrived"]

    print(
        f"simulate: {args.playbook.name} (slot capacity {args.capacity}), {args.days:g} days, "
        f"40 agents, seed {args.seed}"
    )
    print(result.summary())
    print()
    print(f"wall time        {wall:10.1f} s")
    print(f"cases            {cases:10d}   ({cases / wall:,.0f} per second)")
    print(f"engine events    {result.events:10d}   ({result.events / wall:,.0f} per second)")
    print(f"peak RSS         {rss_after:10.0f} MiB (before the run: {rss_before:.0f} MiB)")

    # A minute apart, so the calendar sees working and closed hours alike.
    base = baseline(pb, result.events, sc.start)
    print(
        f"baseline         {base:10.1f} s for {result.events} bare decide(case.opened) calls "
        f"({result.events / base:,.0f} per second); simulation / baseline {wall / base:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
