"""Overrides of Django's locale formats for the agent UI's languages (FORMAT_MODULE_PATH)."""
