from django.contrib import admin

from opsdesk.common.admin import ReadOnlyAdmin
from opsdesk.customers.models import Customer, Document, Order


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("id", "family_name", "given_name", "phone", "nationality", "source")
    search_fields = ("id", "family_name", "given_name", "phone", "email")


admin.site.register(Order, ReadOnlyAdmin)
admin.site.register(Document, ReadOnlyAdmin)
