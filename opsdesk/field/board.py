"""Read side of dispatch: the day's board (technician rows with their routes, the
unplanned work orders, a map projected onto a plain SVG plane) and a technician's
own day. Queries only; a fixed number of them whatever the size of the day.

A local date is a day in Europe/Istanbul for the work orders (as in
`opsdesk.field.planning.day_problem`) and in each technician's calendar time zone
for their shift.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from opsdesk.customers.models import Customer
from opsdesk.field.models import Technician, TechnicianAbsence, WorkOrder, WorkOrderStatus
from opsdesk.field.planning import technician_zone
from opsdesk.field.replan import day_bounds

PALETTE_SIZE = 8  # colours in field.css: .tech-0 ... .tech-7
MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 640.0, 400.0, 24.0
# Statuses a technician's row shows; cancelled jobs are off every route.
ON_ROUTE = (
    WorkOrderStatus.PLANNED,
    WorkOrderStatus.TRAVELLING,
    WorkOrderStatus.ON_SITE,
    WorkOrderStatus.DONE,
    WorkOrderStatus.CANNOT_COMPLETE,
)


@dataclass(frozen=True)
class Stop:
    work_order: WorkOrder
    position: int  # 1-based, in route order
    start: dt.datetime | None
    end: dt.datetime | None
    customer: Customer | None
    # Where the block sits on its row's timeline, in whole percent of the shift.
    left: int = 0
    width: int = 0

    @property
    def short_address(self) -> str:
        return (self.work_order.address or "").split(",")[0].strip() or self.work_order.id

    @property
    def phone(self) -> str:
        return (self.customer.phone or self.customer.phone_raw) if self.customer else ""


@dataclass(frozen=True)
class Row:
    technician: Technician
    name: str
    colour: int  # index into the palette
    zone: ZoneInfo
    shift_start: dt.datetime  # aware, this date in the technician's zone
    shift_end: dt.datetime
    out_reason: str | None  # recorded out that day (TechnicianAbsence), else None
    stops: list[Stop]
    ticks: list[tuple[int, str]] = field(default_factory=list)  # (left %, "09:00")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    colour: int | None  # the technician's colour; None for an unplanned work order
    kind: str  # "home" or "job"


@dataclass(frozen=True)
class Route:
    colour: int
    name: str
    points: str  # "x,y x,y ..." for <polyline points>


@dataclass(frozen=True)
class MapData:
    width: float
    height: float
    points: list[Point]
    routes: list[Route]


@dataclass(frozen=True)
class Board:
    date: dt.date
    rows: list[Row]
    unplanned: list[Stop]
    map: MapData

    @property
    def planned_count(self) -> int:
        return sum(len(r.stops) for r in self.rows)


def _orders(date: dt.date) -> QuerySet[WorkOrder]:
    start, end = day_bounds(date)
    return WorkOrder.objects.filter(window_start__gte=start, window_start__lt=end).select_related(
        "case__customer", "service_order__customer"
    )


def _customer(wo: WorkOrder) -> Customer | None:
    if wo.case_id is not None and wo.case is not None:
        return wo.case.customer
    if wo.service_order_id is not None and wo.service_order is not None:
        return wo.service_order.customer
    return None


def _route_key(wo: WorkOrder) -> tuple[int, dt.datetime, str]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    position = wo.route_position if wo.route_position is not None else 10**6
    return position, wo.planned_start or far, wo.id


def _window_key(wo: WorkOrder) -> tuple[dt.datetime, str]:
    return wo.window_start, wo.id


def _percent(moment: dt.datetime, start: dt.datetime, span: float) -> float:
    return min(max((moment - start).total_seconds() / span * 100, 0.0), 100.0)


def _stops(
    orders: list[WorkOrder],
    *,
    route: bool,
    shift: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[Stop]:
    """Stops in route order (else by window); with a shift, placed on its timeline."""
    stops: list[Stop] = []
    ordered = sorted(orders, key=_route_key if route else _window_key)
    for position, wo in enumerate(ordered, start=1):
        start = wo.planned_start
        end = start + dt.timedelta(minutes=wo.duration_minutes) if start else None
        left = width = 0
        if shift is not None and start is not None and end is not None:
            span = max((shift[1] - shift[0]).total_seconds(), 1.0)
            a, b = _percent(start, shift[0], span), _percent(end, shift[0], span)
            # At least 1% so a short job stays visible (and draggable) on a long shift.
            left = min(math.floor(a), 99)
            width = max(1, min(round(b - a), 100 - left))
        stops.append(Stop(wo, position, start, end, _customer(wo), left, width))
    return stops


def _ticks(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[tuple[int, str]]:
    """Whole local hours along a shift, for the timeline's scale."""
    span = max((end - start).total_seconds(), 1.0)
    local = start.astimezone(zone)
    hour = local.replace(minute=0, second=0, microsecond=0)
    if hour < local:
        hour += dt.timedelta(hours=1)
    ticks = []
    while hour <= end:
        ticks.append((round(_percent(hour, start, span)), f"{hour.hour:02d}:00"))
        hour += dt.timedelta(hours=1)
    return ticks


def _technicians() -> QuerySet[Technician]:
    return (
        Technician.objects.filter(active=True, agent__active=True)
        .select_related("agent__calendar", "agent__team__calendar")
        .order_by("agent__name", "id")
    )


def dispatch_day(date: dt.date) -> Board:
    """Everything the dispatch board shows for a local date."""
    techs = list(_technicians())
    out = dict(TechnicianAbsence.objects.filter(date=date).values_list("technician_id", "reason"))
    by_tech: dict[str, list[WorkOrder]] = {t.id: [] for t in techs}
    unplanned: list[WorkOrder] = []
    for wo in _orders(date).exclude(status=WorkOrderStatus.CANCELLED):
        if wo.status == WorkOrderStatus.UNPLANNED:
            unplanned.append(wo)
        elif wo.technician_id in by_tech and wo.status in ON_ROUTE:
            by_tech[wo.technician_id].append(wo)
    rows: list[Row] = []
    for colour, tech in enumerate(techs):
        zone = technician_zone(tech)
        start = dt.datetime.combine(date, tech.shift_start, tzinfo=zone)
        end = dt.datetime.combine(date, tech.shift_end, tzinfo=zone)
        rows.append(
            Row(
                technician=tech,
                name=tech.agent.name,
                colour=colour % PALETTE_SIZE,
                zone=zone,
                shift_start=start,
                shift_end=end,
                out_reason=out.get(tech.id),
                stops=_stops(by_tech[tech.id], route=True, shift=(start, end)),
                ticks=_ticks(start, end, zone),
            )
        )
    loose = _stops(unplanned, route=False)
    return Board(date, rows, loose, _map(rows, loose))


def _map(rows: list[Row], unplanned: list[Stop]) -> MapData:
    """Homes, jobs and routes on an equirectangular plane fitted to their bounding
    box: good enough at a city's scale, and needs no tiles (works offline)."""
    coords = [(r.technician.home_latitude, r.technician.home_longitude) for r in rows]
    coords += [(s.work_order.latitude, s.work_order.longitude) for r in rows for s in r.stops]
    coords += [(s.work_order.latitude, s.work_order.longitude) for s in unplanned]
    if not coords:
        return MapData(MAP_WIDTH, MAP_HEIGHT, [], [])
    lats = [c[0] for c in coords]
    lons = [c[1] for c in coords]
    mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
    dx = max((max(lons) - min(lons)) * mid, 1e-6)
    dy = max(max(lats) - min(lats), 1e-6)
    scale = min((MAP_WIDTH - 2 * MAP_MARGIN) / dx, (MAP_HEIGHT - 2 * MAP_MARGIN) / dy)
    # Centre the fitted box on the plane.
    ox = (MAP_WIDTH - dx * scale) / 2
    oy = (MAP_HEIGHT - dy * scale) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = ox + (lon - min(lons)) * mid * scale
        y = oy + (max(lats) - lat) * scale
        return round(x, 1), round(y, 1)

    points: list[Point] = []
    routes: list[Route] = []
    for row in rows:
        home = xy(row.technician.home_latitude, row.technician.home_longitude)
        points.append(Point(*home, f"{row.name} (home)", row.colour, "home"))
        line = [home]
        for stop in row.stops:
            p = xy(stop.work_order.latitude, stop.work_order.longitude)
            points.append(Point(*p, f"{stop.position}. {stop.short_address}", row.colour, "job"))
            line.append(p)
        if len(line) > 1:
            line.append(home)
            text = " ".join(f"{x},{y}" for x, y in line)
            routes.append(Route(row.colour, row.name, text))
    for stop in unplanned:
        p = xy(stop.work_order.latitude, stop.work_order.longitude)
        points.append(Point(*p, f"Unplanned: {stop.short_address}", None, "job"))
    return MapData(MAP_WIDTH, MAP_HEIGHT, points, routes)


def technician_of(agent_id: str | None) -> Technician | None:
    """The active technician row of an agent, if they are one."""
    if agent_id is None:
        return None
    return Technician.objects.filter(agent_id=agent_id, active=True).first()


def technician_day(technician: Technician, date: dt.date) -> list[Stop]:
    """A technician's stops of a local date in route order (finished ones included)."""
    orders = _orders(date).filter(technician=technician, status__in=ON_ROUTE)
    return _stops(list(orders), route=True)
