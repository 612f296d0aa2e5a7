"""Shared building blocks: service limits, name rules, input checks and the removal guard."""
