"""Invoices, quotes and payments: numbered, with lines, in one currency.

An issued invoice is never edited; a correction is a new invoice. A quote's
payments and refunds are rows of their own; its balance is computed from them
(`opsdesk.billing.selectors.quote_balance`), never stored.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opsdesk.cases.models import Case
from opsdesk.common import ids
from opsdesk.customers.models import Customer


def retainer_id() -> str:
    # Named for migrations (which refer to a default by import path).
    return ids.new_id("ret")


class RetainerPeriod(models.TextChoices):
    MONTHLY = "MONTHLY", _("Monthly")
    QUARTERLY = "QUARTERLY", _("Quarterly")


class Retainer(models.Model):
    """A repeat client billed by schedule: one invoice per period from `starts_on`.
    `next_bill_on` is the start of the next period to bill; the database, not a
    clock in memory, says what is due."""

    id = models.CharField(primary_key=True, max_length=32, default=retainer_id, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="retainers")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # net, before discount
    currency = models.CharField(max_length=3)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)  # 0.2000 = 20%
    period = models.CharField(max_length=16, choices=RetainerPeriod.choices)
    discount_percent = models.PositiveSmallIntegerField(default=0)
    starts_on = models.DateField()
    next_bill_on = models.DateField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["active", "next_bill_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__lte=100), name="retainer_discount_percent"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="retainer_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount} {self.currency} {self.period}"


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
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)  # included in total
    # A retainer's bill: the period it is for (unique, so a period is never billed twice).
    retainer = models.ForeignKey(
        Retainer, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    period_start = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "issued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="invoice_total_not_negative"
            ),
            models.UniqueConstraint(
                fields=["retainer", "period_start"], name="invoice_retainer_period"
            ),
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
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # net: quantity × unit price
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)

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


class QuoteStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    SENT = "SENT", _("Sent")
    ACCEPTED = "ACCEPTED", _("Accepted")
    CANCELLED = "CANCELLED", _("Cancelled")


class Quote(models.Model):
    """What a service will cost, with the share due before work starts (`deposit_percent`:
    100 = full payment up front for one-time services, 50 = a deposit for complex ones)."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.quote_id, editable=False)
    number = models.CharField(max_length=32, unique=True)  # QUO-2026-000001
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="quotes")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    deposit_percent = models.PositiveSmallIntegerField(default=100)
    status = models.CharField(max_length=16, choices=QuoteStatus.choices, default="DRAFT")
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=100)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="quote_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_percent__lte=100), name="quote_deposit_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.total} {self.currency}"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)  # 0.2000 = 20%
    net = models.DecimalField(max_digits=12, decimal_places=2)  # quantity × unit price
    tax = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # net + tax

    class Meta:
        ordering = ["quote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="quote_line_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class PaymentKind(models.TextChoices):
    PAYMENT = "PAYMENT", _("Payment")
    REFUND = "REFUND", _("Refund")


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")


class Payment(models.Model):
    """Money received for a quote, or given back (a refund); amounts are always positive."""

    id = models.CharField(primary_key=True, max_length=32, default=ids.payment_id, editable=False)
    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=PaymentKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=32)  # "test", "manual", ...
    provider_ref = models.CharField(max_length=128)
    # The link it was paid through (a provider's payment), so a paid link is not offered again.
    link = models.ForeignKey(
        "PaymentLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    method = models.CharField(max_length=32, blank=True)  # manual: "bank_transfer", "cash"...
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    recorded_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["quote", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="payment_provider_ref"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.status})"


class PaymentLink(models.Model):
    """A provider's page where the customer pays `amount` towards a quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="payment_links")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    provider = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=128)
    url = models.CharField(max_length=500)  # absolute, or local (/pay/test/...)
    created_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], name="payment_link_provider_ref"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref} {self.amount} {self.currency}"
