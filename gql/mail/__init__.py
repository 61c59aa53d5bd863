"""Delivery of the outbox: e-mail over SMTP (or into a folder) and letters rendered as PDF."""
