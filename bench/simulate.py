"""Simulator benchmark: a simulated year of the service-order playbook (opsdesk.sim).

    .venv/bin/python bench/simulate.py                      # a year, about 200,000 orders
    .venv/bin/python bench/simulate.py --days 30 --arrivals 20000

40 agents (30 in the shared pool, 10 in Retention), Poisson arrivals at the rate
that gives `--arrivals` over `--days`, customers answering on WhatsApp and the
call. Prints wall time, peak memory (the process's maximum resident set, read
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
            "order": {"customer_type": "residential"},
            "customer": {
                "language": {"tr": 0.85, "en": 0.15},
                "channels": {
                    "WHATSAPP": {"reply_probability": 0.6, "mean_delay_minutes": 45},
                    "VOICE": {"reply_probability": 0.5, "mean_delay_minutes": 5},
                },
                "intents": {"confirm": 0.6, "reject": 0.25, "reschedule": 0.15},
            },
            "agents": [
                {"team": None, "count": 30, "languages": ["tr", "en"]},
                {"team": "Retention", "count": 10, "languages": ["tr", "en"]},
            ],
            "handling": {"default": 15, "retention_call": 20},
        }
    )


def baseline(pb_path: Path, calls: int, start: dt.datetime) -> float:
    pb = load_file(pb_path)
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
    args = parser.parse_args()

    pb = load_file(args.playbook)
    sc = scenario(args.days, args.arrivals, args.seed)
    rss_before = peak_mib()
    began = time.perf_counter()
    result = simulate(pb, sc)
    wall = time.perf_counter() - began
    rss_after = peak_mib()
    cases = result.cases["arrived"]

    print(f"simulate: {args.playbook.name}, {args.days:g} days, 40 agents, seed {args.seed}")
    print(result.summary())
    print()
    print(f"wall time        {wall:10.1f} s")
    print(f"cases            {cases:10d}   ({cases / wall:,.0f} per second)")
    print(f"engine events    {result.events:10d}   ({result.events / wall:,.0f} per second)")
    print(f"peak RSS         {rss_after:10.0f} MiB (before the run: {rss_before:.0f} MiB)")

    # A minute apart, so the calendar sees working and closed hours alike.
    base = baseline(args.playbook, result.events, sc.start)
    print(
        f"baseline         {base:10.1f} s for {result.events} bare decide(case.opened) calls "
        f"({result.events / base:,.0f} per second); simulation / baseline {wall / base:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
