"""Register and run the deployments from this process:

    .venv/bin/python -m flows.serve [--cron "0 6 * * MON"] [--timezone Europe/Berlin] [--review script]

- `produce-reel/produce-reel`: one reel, started from the Prefect UI's run form; it waits for review
  there (the run is suspended, so nothing waits in a process).
- `produce-reel-from-file/produce-reel-from-file`: one reel from a script file on this machine (the
  weekly batch sends its unapproved scripts here).
- `weekly-batch/weekly`: every script of a folder or CSV, on a cron schedule in a time zone.

It also serves the output folder over HTTP (flows.files) so reviewers can play reels from the UI,
and creates the global concurrency limit `reel-gpu` (1 slot) that GPU animators take.
For workers on a work pool, deploy with `prefect deploy --all` (prefect.yaml) instead.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from prefect import serve
from prefect.schedules import Cron

from flows.batch import weekly_batch
from flows.files import serve_files
from flows.produce import produce_reel, produce_reel_from_file
from flows.publishing import PUBLIC_BASE_URL
from flows.stages import ensure_gpu_limit


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the reel deployments from this process.")
    parser.add_argument("--cron", default="0 6 * * MON", help="when the weekly batch runs (cron syntax)")
    parser.add_argument("--timezone", default="UTC", help="time zone of the cron schedule, e.g. Europe/Berlin")
    parser.add_argument("--scripts", default="assets/scripts", help="folder or CSV the weekly batch reads")
    parser.add_argument("--out", default="out", help="where reels are written")
    parser.add_argument("--max-parallel", type=int, default=2, help="reels rendered at once in a batch")
    parser.add_argument("--review", choices=("script", "reel", "both"), default="script",
                        help="when a reviewer decides: before rendering, after (watching the reel), or both")
    parser.add_argument("--files-port", type=int, default=4300,
                        help="port of the reel file server (0: none; REEL_PUBLIC_BASE_URL then says where reels are)")
    parser.add_argument("--files-host", default="127.0.0.1", help="address the file server listens on")
    args = parser.parse_args()
    ensure_gpu_limit()
    if args.files_port:
        server = serve_files(Path(args.out), args.files_host, args.files_port)
        host = "127.0.0.1" if args.files_host in ("0.0.0.0", "") else args.files_host
        os.environ.setdefault(PUBLIC_BASE_URL, f"http://{host}:{server.server_address[1]}")
        print(f"reels are served at {os.environ[PUBLIC_BASE_URL]}/", flush=True)
    common = {"out_root": args.out, "review": args.review}
    form = produce_reel.to_deployment(name="produce-reel", parameters=common,
                                      description="One reel written in the form; it waits for review.")
    from_file = produce_reel_from_file.to_deployment(
        name="produce-reel-from-file", parameters=common,
        description="One reel from a script file on the workers; unapproved scripts wait for review.")
    weekly = weekly_batch.to_deployment(
        name="weekly", schedule=Cron(args.cron, timezone=args.timezone),
        parameters={"source": args.scripts, "out_root": args.out, "max_parallel": args.max_parallel},
        description="Every approved script of the folder or CSV; the rest are sent for review.")
    serve(form, from_file, weekly)


if __name__ == "__main__":
    main()
