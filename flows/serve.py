"""Register and run the deployments from this process:

    .venv/bin/python -m flows.serve [--cron "0 6 * * MON"] [--timezone Europe/Berlin] [--scripts assets/scripts]

- `produce-reel/produce-reel`: one reel, started from the Prefect UI's run form; a script that is
  not approved waits for review there (the run is suspended, so nothing waits in a process).
- `weekly-batch/weekly`: every script of a folder or CSV, on a cron schedule in a time zone.

It also creates the global concurrency limit `reel-gpu` (1 slot) that GPU animators take strictly.
"""

from __future__ import annotations

import argparse

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.schedules import Cron

from flows.batch import weekly_batch
from flows.produce import produce_reel
from flows.stages import GPU_LIMIT


def ensure_gpu_limit(slots: int = 1) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(GPU_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=GPU_LIMIT, limit=slots))
            except ObjectAlreadyExists:
                pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the reel deployments from this process.")
    parser.add_argument("--cron", default="0 6 * * MON", help="when the weekly batch runs (cron syntax)")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule, e.g. Europe/Berlin")
    parser.add_argument("--scripts", default="assets/scripts", help="folder or CSV the weekly batch reads")
    parser.add_argument("--out", default="out", help="where reels are written")
    parser.add_argument("--max-parallel", type=int, default=2, help="reels rendered at once in a batch")
    args = parser.parse_args()
    ensure_gpu_limit()
    single = produce_reel.to_deployment(name="produce-reel", parameters={"out_root": args.out},
                                        description="One reel from a script; unapproved scripts wait for review.")
    weekly = weekly_batch.to_deployment(
        name="weekly", schedule=Cron(args.cron, timezone=args.timezone),
        parameters={"source": args.scripts, "out_root": args.out, "max_parallel": args.max_parallel},
        description="Every approved script of the folder or CSV; the rest are sent for review.")
    serve(single, weekly)


if __name__ == "__main__":
    main()
