"""Acting on scores: alerts, follow-ups, digests and corrective actions."""
