"""`{% quote_panel %}`: the workspace's Quotes section, built where it is included, so the
panel needs no change to the workspace view (see opsdesk.web.quotes)."""

from __future__ import annotations

from typing import Any

from django import template

from opsdesk.web.quotes import quote_panel as build_panel

register = template.Library()


@register.inclusion_tag("web/workspace/_quotes_panel.html", takes_context=True)
def quote_panel(context: Any) -> dict[str, Any]:
    ws = context["ws"]
    return {
        "ws": ws,
        "fb": context.get("fb"),
        "csrf_token": context.get("csrf_token"),
        "panel": build_panel(ws.customer, ws.case),
    }
