"""Invoices a customer receives: numbered, with lines, in one currency.

An issued invoice is never edited; a correction is a new invoice (credit
notes and payments come with the quotes-and-payments work).
"""

from __future__ import annotations

from django.db import models

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.customers.models import Customer


class Invoice(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=ids.invoice_id, editable=False)
    number = models.CharField(max_length=32, unique=True)  # INV-2026-000001
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    # What the invoice is for, e.g. "work_order:wo_..." (the source app's own reference).
    source = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["customer", "issued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="invoice_total_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.total} {self.currency}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="invoice_line_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"
