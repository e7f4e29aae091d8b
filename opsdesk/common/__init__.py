"""Small helpers shared by every app (ids, clock). No Django models here."""
