"""`{% request_forms as forms %}`: the staff nav's "New request" links, one per
active request playbook taking PHONE (none: no link)."""

from __future__ import annotations

from django import template

from opsdesk.intake.selectors import request_playbooks

register = template.Library()


@register.simple_tag
def request_forms() -> list[tuple[str, str]]:
    return [
        (pb.key, (pb.intake.title if pb.intake else "") or pb.title)
        for _, pb in request_playbooks("PHONE")
    ]
