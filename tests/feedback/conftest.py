"""A customer with an open case under the feedback test playbook, assigned to an agent."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.cases.models import Case
from tests.feedback.helpers import case_of, install_playbook, new_customer


@pytest.fixture
def case(staff: Any, frozen_clock: Any) -> Case:
    install_playbook()
    case = case_of(new_customer())
    assert (case.state, case.status) == ("open", "OPEN")
    assert case.agent_id in (staff.ayse.pk, staff.john.pk)
    return case
