"""Contact desks: a customer calls or writes about a ticket; the agent walks the
playbook's guided script and closes the contact with a disposition tag."""
