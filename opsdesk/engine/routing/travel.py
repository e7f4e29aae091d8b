"""Travel between points: a pluggable matrix of travel times and distances.

A `TravelMatrix` turns a list of points into two square integer matrices:
travel seconds and metres, `[i][j]` from point i to point j. The planner and
the checker only ever see these matrices, so a routing engine (OSRM,
Valhalla, a provider's matrix API) plugs in as another implementation of the
protocol; the shell fetches, the engine stays free of I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from opsdesk.engine.routing.model import Coord

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Matrices:
    durations: np.ndarray  # int64 seconds, shape (n, n)
    distances: np.ndarray  # int64 metres, shape (n, n)


class TravelMatrix(Protocol):
    def matrices(self, points: Sequence[Coord]) -> Matrices:
        """Travel seconds and metres between every pair of `points`, in their order."""
        ...


@dataclass(frozen=True)
class StraightLine:
    """Great-circle (haversine) distance between `(lat, lon)` points at a fixed speed.

    `detour` multiplies the straight line (1.3 is a common road-network factor).
    """

    speed_kmh: float = 30.0
    detour: float = 1.0

    def matrices(self, points: Sequence[Coord]) -> Matrices:
        pts = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
        lat, lon = pts[:, 0][:, None], pts[:, 1][:, None]
        a = (
            np.sin((lat - lat.T) / 2) ** 2
            + np.cos(lat) * np.cos(lat.T) * np.sin((lon - lon.T) / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.detour
        seconds = metres / (self.speed_kmh / 3.6)
        return Matrices(np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64))


@dataclass(frozen=True)
class Euclidean:
    """Planar distance between `(x, y)` points; one coordinate unit is `metres_per_unit`
    metres and takes `seconds_per_unit` seconds (the Solomon benchmark uses 1000 and 1000:
    integer matrices then keep three decimals of its real-valued distances)."""

    metres_per_unit: float = 1.0
    seconds_per_unit: float = 1.0

    def matrices(self, points: Sequence[Coord]) -> Matrices:
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        diff = pts[:, None, :] - pts[None, :, :]
        units = np.sqrt((diff**2).sum(axis=2))
        return Matrices(
            np.rint(units * self.seconds_per_unit).astype(np.int64),
            np.rint(units * self.metres_per_unit).astype(np.int64),
        )
