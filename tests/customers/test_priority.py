"""The priority client list: the playbook's `priority_client` action, the personal
concierge who gets the client's next case, staff changing the list (services, API,
the /clients/priority/ page); refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opsdesk.access.tokens import token_create
from opsdesk.cases.models import TimelineEvent
from opsdesk.cases.playbooks import active_versions_for
from opsdesk.cases.services import case_open, case_transition
from opsdesk.common.errors import Conflict, ValidationFailed
from opsdesk.customers.models import Customer
from opsdesk.customers.priority import priority_client_remove, priority_client_update
from opsdesk.staff.models import Agent
from tests.feedback.helpers import AGENT, case_of, install_playbook, new_customer


@pytest.fixture
def customer(staff: Any, frozen_clock: Any) -> Customer:
    install_playbook()
    return new_customer()


def state(customer_id: str) -> tuple[Any, ...]:
    c = Customer.objects.get(pk=customer_id)
    return (
        c.priority_tier,
        c.priority_since,
        c.personal_agent_id,
        c.updated_at,
        TimelineEvent.objects.filter(customer_id=customer_id).count(),
    )


def auth(agent: Any) -> dict[str, str]:
    _, secret = token_create(agent.user, "desk")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def signed_in(agent: Any) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


# --- the playbook and the concierge ---------------------------------------------------


def test_the_playbook_puts_the_client_on_the_list_and_their_next_case_goes_to_the_concierge(
    customer: Customer, staff: Any, frozen_clock: Any
) -> None:
    first = case_of(customer)
    concierge = first.agent_id
    other = staff.john.pk if concierge == staff.ayse.pk else staff.ayse.pk
    case_transition(first.pk, "priority", AGENT)

    customer.refresh_from_db()
    assert (customer.priority_tier, customer.priority_since, customer.personal_agent_id) == (
        "repeat",
        frozen_clock.now(),
        concierge,
    )
    row = TimelineEvent.objects.get(case=first, type="PRIORITY_CLIENT")
    assert row.payload == {"tier": "repeat"}

    # The concierge has more work than the other agent who could take the case ...
    loads = dict(Agent.objects.filter(pk__in=[concierge, other]).values_list("pk", "open_cases"))
    assert loads == {concierge: 1, other: 0}
    # ... yet `assign` gives the client's next case to them.
    ((version, _),) = active_versions_for("customer.created")
    second = case_open(
        customer=customer, version=version, fields={"service_type": "immigration"}, actor=AGENT
    )
    assert second.agent_id == concierge
    assigned = TimelineEvent.objects.get(case=second, type="AGENT_ASSIGNED")
    assert assigned.payload["agent_id"] == concierge
    assert assigned.payload["reason"] == "personal concierge of a priority client"

    # Someone off the list gets the agent with less work.
    stranger = case_of(new_customer("Ece", "Demir", phone="+905551112233"))
    assert stranger.agent_id == other


def test_the_playbook_keeps_a_concierge_the_client_already_has(
    customer: Customer, staff: Any
) -> None:
    first = case_of(customer)
    other = staff.john.pk if first.agent_id == staff.ayse.pk else staff.ayse.pk
    Customer.objects.filter(pk=customer.pk).update(personal_agent_id=other)
    case_transition(first.pk, "priority", AGENT)
    customer.refresh_from_db()
    assert (customer.priority_tier, customer.personal_agent_id) == ("repeat", other)


# --- staff change the list (services) --------------------------------------------------


def test_staff_add_change_and_remove_a_client(
    customer: Customer, staff: Any, frozen_clock: Any
) -> None:
    updated = priority_client_update(
        customer.pk, tier="corporate", personal_agent_id=staff.john.pk, actor=AGENT
    )
    assert (updated.priority_tier, updated.priority_since, updated.personal_agent_id) == (
        "corporate",
        frozen_clock.now(),
        staff.john.pk,
    )
    row = TimelineEvent.objects.filter(customer=customer).latest("id")
    assert (row.type, row.case_id, row.actor, row.payload) == (
        "PRIORITY_CLIENT",
        None,
        "user:ayse",
        {"tier": "corporate", "personal_agent_id": staff.john.pk},
    )

    # The same again changes nothing and writes nothing.
    before = state(customer.pk)
    priority_client_update(
        customer.pk, tier="corporate", personal_agent_id=staff.john.pk, actor=AGENT
    )
    assert state(customer.pk) == before

    # A new tier keeps the date they joined the list.
    since = frozen_clock.now()
    frozen_clock.set_now(since.replace(day=30))
    changed = priority_client_update(customer.pk, tier="repeat", personal_agent_id="", actor=AGENT)
    assert (changed.priority_tier, changed.priority_since, changed.personal_agent_id) == (
        "repeat",
        since,
        None,
    )

    removed = priority_client_remove(customer.pk, AGENT)
    assert (removed.priority_tier, removed.priority_since, removed.personal_agent_id) == (
        "",
        None,
        None,
    )
    row = TimelineEvent.objects.filter(customer=customer).latest("id")
    assert (row.type, row.case_id, row.payload) == (
        "PRIORITY_CLIENT",
        None,
        {"tier": "", "personal_agent_id": None},
    )


def test_refusals_change_nothing(customer: Customer, staff: Any) -> None:
    priority_client_update(customer.pk, tier="repeat", personal_agent_id=staff.ayse.pk, actor=AGENT)
    before = state(customer.pk)
    with pytest.raises(ValidationFailed) as bad_tier:
        priority_client_update(customer.pk, tier="gold", personal_agent_id=None, actor=AGENT)
    assert bad_tier.value.errors == {"tier": ["Unknown tier 'gold': one of repeat, corporate."]}

    Agent.objects.filter(pk=staff.john.pk).update(active=False)
    for agent_id in (staff.john.pk, staff.integration.pk, "agt_nobody"):
        with pytest.raises(ValidationFailed) as bad_agent:
            priority_client_update(
                customer.pk, tier="corporate", personal_agent_id=agent_id, actor=AGENT
            )
        assert bad_agent.value.errors == {"personal_agent_id": ["No active agent with this id."]}
    assert state(customer.pk) == before

    priority_client_remove(customer.pk, AGENT)
    before = state(customer.pk)
    with pytest.raises(Conflict, match=r"Deniz Aksoy is not on the priority client list\."):
        priority_client_remove(customer.pk, AGENT)
    assert state(customer.pk) == before


# --- the API ----------------------------------------------------------------------------


def test_the_api_lists_updates_and_removes_priority_clients(customer: Customer, staff: Any) -> None:
    url = f"/api/v1/customers/{customer.pk}/priority"
    ayse = auth(staff.ayse)
    r = Client().put(
        url,
        {"tier": "corporate", "personal_agent_id": staff.john.pk},
        content_type="application/json",
        **ayse,
    )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "customer_id": customer.pk,
        "name": "Deniz Aksoy",
        "tier": "corporate",
        "personal_agent_id": staff.john.pk,
        "personal_agent_name": "John Carter",
        "priority_since": "2026-10-28T07:00:00Z",
    }
    case = case_of(customer)
    listed = Client().get("/api/v1/priority-clients", **ayse)
    assert listed.status_code == 200
    assert listed.json() == [
        {
            **r.json(),
            "open_cases": 1,
            "last_case_number": case.number,
            "last_case_at": "2026-10-28T07:00:00Z",
        }
    ]
    assert Client().get("/api/v1/priority-clients?tier=repeat", **ayse).json() == []
    # Another team's agent does not see the Istanbul team's client.
    assert Client().get("/api/v1/priority-clients", **auth(staff.outsider)).json() == []
    integration = {"HTTP_AUTHORIZATION": f"Bearer {staff.token}"}
    assert Client().get("/api/v1/priority-clients", **integration).status_code == 403

    before = state(customer.pk)
    bad = Client().put(
        url, {"tier": "gold", "personal_agent_id": None}, content_type="application/json", **ayse
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"tier": ["Unknown tier 'gold': one of repeat, corporate."]}
    outsider = Client().put(
        url, {"tier": "repeat"}, content_type="application/json", **auth(staff.outsider)
    )
    assert outsider.status_code == 404
    assert Client().delete(url, **auth(staff.outsider)).status_code == 404
    assert state(customer.pk) == before

    gone = Client().delete(url, **ayse)
    assert gone.status_code == 200
    assert gone.json()["tier"] == ""
    before = state(customer.pk)
    again = Client().delete(url, **ayse)
    assert again.status_code == 409
    assert again.json() == {"detail": "Deniz Aksoy is not on the priority client list."}
    assert state(customer.pk) == before


# --- the page ----------------------------------------------------------------------------


def test_the_page_lists_clients_and_adds_one_found_by_name(customer: Customer, staff: Any) -> None:
    case = case_of(customer)
    case_transition(case.pk, "priority", AGENT)
    other = new_customer("Ece", "Demir", phone="+905551112233")
    client = signed_in(staff.manager)

    page = client.get("/clients/priority/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="client-{customer.pk}"' in html
    assert f'id="client-{other.pk}"' not in html
    assert "Repeat client" in html
    assert 'href="/clients/priority/"' in html  # the nav link
    assert (
        f'id="client-{customer.pk}"'
        not in client.get("/clients/priority/?tier=corporate").content.decode()
    )

    found = client.get("/clients/priority/?q=Demir").content.decode()
    assert f'id="found-{other.pk}"' in found
    added = client.post(
        f"/clients/priority/{other.pk}/",
        {"tier": "corporate", "personal_agent_id": staff.ayse.pk},
    )
    assert added.status_code == 302
    other.refresh_from_db()
    assert (other.priority_tier, other.personal_agent_id) == ("corporate", staff.ayse.pk)
    after = client.get("/clients/priority/").content.decode()
    assert "Ece Demir is on the priority client list." in after
    assert f'id="client-{other.pk}"' in after

    before = state(other.pk)
    bad = client.post(f"/clients/priority/{other.pk}/", {"tier": "gold"})
    assert bad.status_code == 422
    assert "Unknown tier &#x27;gold&#x27;: one of repeat, corporate." in bad.content.decode()
    assert state(other.pk) == before

    removed = client.post(f"/clients/priority/{other.pk}/remove/")
    assert removed.status_code == 302
    other.refresh_from_db()
    assert other.priority_tier == ""


def test_agents_use_the_page_within_their_team(customer: Customer, staff: Any) -> None:
    priority_client_update(customer.pk, tier="repeat", personal_agent_id=None, actor=AGENT)
    assert signed_in(staff.john).get("/clients/priority/").status_code == 200
    outsider = signed_in(staff.outsider)
    assert f'id="client-{customer.pk}"' not in outsider.get("/clients/priority/").content.decode()
    before = state(customer.pk)
    assert outsider.post(f"/clients/priority/{customer.pk}/remove/").status_code == 404
    assert (
        outsider.post(f"/clients/priority/{customer.pk}/", {"tier": "corporate"}).status_code == 404
    )
    assert Client().get("/clients/priority/").status_code == 302
    assert state(customer.pk) == before
