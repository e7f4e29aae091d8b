"""What playbook rules and templates see of a service order (`order` in the context)."""

from __future__ import annotations

from typing import Any

from opsdesk.orders.models import ServiceOrder


def order_dict(o: ServiceOrder) -> dict[str, Any]:
    own = {
        "id": o.id,
        "external_ref": o.external_ref,
        "channel": o.channel.key if o.channel_id else "",
        "service_type": o.service_type,
        "customer_type": o.customer_type,
        "address": o.address,
        "city": o.city,
        "postcode": o.postcode,
        "latitude": o.latitude,
        "longitude": o.longitude,
        "documents": list(o.documents),
        "notes": o.notes,
        "zone": o.zone,
        "priority": o.priority,
    }
    # The playbook's own fields the channel sent; they never replace the order's columns.
    return own | {k: v for k, v in o.extra.items() if k not in own}
