"""Moderato's web service: the HTTP API, storage and configuration. Never imports from `workers`."""
