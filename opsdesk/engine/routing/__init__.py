"""Daily route planning for field technicians: the pure planning core.

`model` holds the problem and the plan in product terms, `travel` the pluggable
travel-time matrix, `solve.plan` turns a problem into a plan through PyVRP, and
`check.check_plan` verifies a plan independently of the solver. No Django, no
I/O, no clock: every time is an argument.
"""

from opsdesk.engine.routing.check import Violation, check_plan
from opsdesk.engine.routing.model import Job, Plan, Problem, Route, Stop, Technician, Unplanned
from opsdesk.engine.routing.solve import plan
from opsdesk.engine.routing.travel import Euclidean, Matrices, StraightLine, TravelMatrix

__all__ = [
    "Euclidean",
    "Job",
    "Matrices",
    "Plan",
    "Problem",
    "Route",
    "Stop",
    "StraightLine",
    "Technician",
    "TravelMatrix",
    "Unplanned",
    "Violation",
    "check_plan",
    "plan",
]
