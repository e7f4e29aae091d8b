from django.contrib import admin

from opsdesk.billing.models import Invoice, InvoiceLine, Retainer
from opsdesk.common.admin import ReadOnlyAdmin


class LineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "total", "currency", "issued_at")
    inlines = [LineInline]


@admin.register(Retainer)
class RetainerAdmin(ReadOnlyAdmin):
    # Written by retainer_create and the billing run only (next_bill_on is the schedule).
    list_display = ("customer", "description", "amount", "currency", "period", "next_bill_on")
    list_filter = ("period", "active")
