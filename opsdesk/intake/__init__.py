"""Customer requests (intake) for playbooks triggered by `request.received`."""
