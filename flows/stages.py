"""The Prefect runner: each render step (reel.steps) becomes a task cached under the step's own key.

Results are persisted, so a re-run of an unchanged reel (or a run that resumes after a suspended
review) skips every finished step, and a changed portrait or text re-runs only what depends on it.
The files a step makes live in REEL_CACHE_DIR under its key; a cached result whose file has gone
is made again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from pydantic import BaseModel

from reel.steps import Step, files_intact

GPU_LIMIT = "reel-gpu"  # one GPU step at a time on the server's workers; more slots for more GPUs


def ensure_gpu_limit(slots: int = 1) -> None:
    """Create the global GPU limit where the server has none (several workers may race to create it)."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(GPU_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GPU_LIMIT, limit=slots))
            except ObjectAlreadyExists:
                pass


def _is_os_error(state) -> bool:
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - any other failure is not transient
        return False
    return False


# Rendering is deterministic: a failure is a bug or bad input, and retrying it only wastes time.
# Only file-system hiccups (a network share, a full disk freed by a cleanup) get a retry.
_TRANSIENT = dict(retries=1, retry_delay_seconds=5, retry_condition_fn=lambda task, run, state: _is_os_error(state))


class PrefectRunner:
    """Runs each step as a Prefect task; its files go under ``cache_dir``/<step>/<key>."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir

    def __call__(self, step: Step, inputs: BaseModel, progress) -> BaseModel:
        key = step.key(inputs)
        step_task = task(_run_step, name=step.name, cache_key_fn=lambda context, parameters: f"{step.name}-{key}",
                         persist_result=True, **_TRANSIENT)
        files = self.cache_dir / step.name / key
        artifact = step_task(step, inputs, files)
        if not files_intact(artifact):  # the cached result's file was deleted: make it again
            artifact = step_task.with_options(refresh_cache=True)(step, inputs, files)
        return artifact


def _run_step(step: Step, inputs: BaseModel, files: Path) -> BaseModel:
    """The task body: a progress artifact for steps that report progress; GPU steps take the global
    GPU limit (strict: a missing limit is an error, not a warning)."""
    artifact_id, shown = None, -1

    def progress(done: float, total: float, unit: str = "frame") -> None:
        nonlocal artifact_id, shown
        if artifact_id is None:
            artifact_id = create_progress_artifact(progress=0.0, description=f"{step.name}: {unit}s done")
        percent = int(100 * done / max(total, 1))
        if percent >= shown + 5 or done >= total:  # every 5 %: each update is an API call
            update_progress_artifact(artifact_id, progress=float(percent))
            shown = percent

    on_gpu = step.device(inputs) != "cpu"
    if on_gpu:
        ensure_gpu_limit()
    with concurrency(GPU_LIMIT, occupy=1, strict=True) if on_gpu else contextlib.nullcontext():
        return step.run(inputs, files, progress)
