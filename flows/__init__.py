"""Prefect flows: a thin orchestration layer over the ``reel`` stages (approval, schedules, batches)."""
