"""Prepare a Prefect server for reel workers (run once per server; running it again changes nothing):

    .venv/bin/python -m flows.pool [--pool reels] [--lost-after 90]

- the `process` work pool the deployments of prefect.yaml use;
- the global concurrency limit `reel-gpu` (1 slot) that GPU animators take;
- two automations that recover from a worker lost mid-render (its machine died, or it was killed):
  a running reel whose heartbeats stop for ``--lost-after`` seconds is marked Crashed (named "Worker
  lost"), and a run lost that way is scheduled again, so another worker renders it from its cached
  steps. A run that crashed for any other reason (its process failed) is not re-run by itself.

Then `prefect deploy --all` and, on each machine, `prefect worker start --pool reels`.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from prefect.automations import Automation
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from flows.produce import STATE_NAMES
from flows.stages import ensure_gpu_limit

LOST = "Worker lost"
FLOW_RUNS = ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]})
# Every state a run may leave "Running" for: after any of them no heartbeat is due.
ENDS = {"Completed", "Failed", "Cancelled", "Cancelling", "Crashed", "Paused", "Suspended", LOST, *STATE_NAMES.values()}


def ensure_pool(name: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            try:
                client.create_work_pool(WorkPoolCreate(name=name, type="process"))
            except ObjectAlreadyExists:
                pass


def recovery_automations(lost_after_s: int) -> list[Automation]:
    mark_lost = Automation(
        name="reel: mark runs of lost workers crashed",
        description=f"A running flow run with no heartbeat for {lost_after_s} s lost its worker.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{name}" for name in ENDS)},
            match=FLOW_RUNS, for_each={"prefect.resource.id"}, posture=Posture.Proactive, threshold=1,
            within=timedelta(seconds=lost_after_s)),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, name=LOST, force=True,
                                    message=f"no heartbeat for {lost_after_s} s: the worker was lost")])
    rerun = Automation(
        name="reel: re-run what a lost worker was rendering",
        description="Schedules a run again once it was marked lost, for any worker of its pool to take.",
        trigger=EventTrigger(expect={f"prefect.flow-run.{LOST}"}, match=FLOW_RUNS, for_each={"prefect.resource.id"},
                             posture=Posture.Reactive, threshold=1),
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="Rescheduled", force=True,
                                    message="its worker was lost; another worker renders it from the cached steps")])
    return [mark_lost, rerun]


def ensure_automations(lost_after_s: int) -> None:
    for automation in recovery_automations(lost_after_s):
        try:
            Automation.read(name=automation.name)
        except ValueError:  # read() says so when there is none of that name
            automation.create()


def main() -> None:
    parser = argparse.ArgumentParser(description="Prepare the Prefect server for reel workers.")
    parser.add_argument("--pool", default="reels", help="the process work pool's name (prefect.yaml uses reels)")
    parser.add_argument("--lost-after", type=int, default=90,
                        help="seconds without a heartbeat after which a running reel's worker counts as lost "
                             "(more than the workers' PREFECT_FLOWS_HEARTBEAT_FREQUENCY, 30 in prefect.yaml)")
    args = parser.parse_args()
    ensure_pool(args.pool)
    ensure_gpu_limit()
    ensure_automations(args.lost_after)
    print(f"work pool '{args.pool}', concurrency limit 'reel-gpu' and the lost-worker automations are ready")


if __name__ == "__main__":
    main()
