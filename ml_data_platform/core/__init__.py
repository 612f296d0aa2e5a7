"""Shared building blocks: service limits, name rules, input checks, the removal guard and
service-bound KMS statements."""
