"""Local fakes of external providers, shared by test folders (no test leaves the machine)."""
