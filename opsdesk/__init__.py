"""opsdesk: a self-hosted back office that runs service-operations SOPs as code."""

__version__ = "0.1.0"
