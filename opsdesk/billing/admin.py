from django.contrib import admin

from opsdesk.billing.models import Invoice, InvoiceLine


class LineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "total", "currency", "issued_at")
    inlines = [LineInline]
