"""Field service objects are read-only in the admin: stock and work orders change
only through `opsdesk.field.services` (which keep the ledger and levels in step)."""

from __future__ import annotations

from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.field.models import (
    Part,
    StockLevel,
    StockLocation,
    StockMove,
    Technician,
    WorkOrder,
)


@admin.register(Technician)
class TechnicianAdmin(ReadOnlyAdmin):
    list_display = ("id", "agent", "skills", "shift_start", "shift_end", "active")
    list_filter = ("active",)


@admin.register(Part)
class PartAdmin(ReadOnlyAdmin):
    list_display = ("sku", "name", "unit_price", "currency")
    search_fields = ("sku", "name")


@admin.register(StockLocation)
class StockLocationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "technician")
    list_filter = ("kind",)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("location", "part", "quantity")
    list_filter = ("location",)


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "part", "quantity", "from_location", "to_location", "actor")
    list_filter = ("kind",)


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "priority", "window_start", "technician", "promise_date")
    list_filter = ("status", "priority")
