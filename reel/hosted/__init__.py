"""Hosted engines' plumbing: credentials, a careful HTTP client, and one module per provider."""
