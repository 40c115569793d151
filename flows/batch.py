"""`weekly-batch`: render every approved script of a folder or CSV, several at a time; ask for review of the rest."""

from __future__ import annotations

import csv
import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

import yaml
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.futures import as_completed
from pydantic import BaseModel

from flows.stages import PrefectRunner
from reel.animate import ANIMATORS
from reel.errors import ReelError
from reel.fsutil import write_text_atomic
from reel.models import NAME_PATTERN
from reel.pipeline import render_plan
from reel.plan import plan_script
from reel.script import load_script
from reel.settings import load_settings

SCRIPT_SUFFIXES = {".md", ".markdown", ".yaml", ".yml"}
CSV_FIELDS = ("id", "title", "avatar", "text")  # required columns; voice, caption_style, platform, camera,
# speaking_rate, recording (relative to the CSV's folder), language, approval_status, reviewer are optional


class BatchRow(BaseModel):
    reel: str
    status: Literal["rendered", "failed", "awaiting review"]
    duration_s: float | None = None
    cost_usd: float = 0.0  # what a hosted animator billed for this reel
    output: str = ""
    error: str = ""


@flow(name="weekly-batch", flow_run_name="batch of {source}")
def weekly_batch(source: str = "assets/scripts", out_root: str = "out", max_parallel: int = 2,
                 review_deployment: str = "produce-reel-from-file/produce-reel-from-file",
                 budget_usd: float | None = None) -> list[BatchRow]:
    """Render a folder of script files, or a CSV with one reel per row. One bad script never stops the
    others; the run ends with a summary table.

    Args:
        source: A folder of .md/.yaml scripts, or a CSV with the columns id, title, avatar, text (path on the workers).
        out_root: The folder on the workers where reels are published, one folder per reel id.
        max_parallel: How many reels render at once.
        review_deployment: Where scripts that are not approved are sent for review.
        budget_usd: The most hosted animators may bill for the whole batch, in US dollars (empty: each
            reel's own budget). Each hosted reel may spend at most what is left after the reels already done
            and the caps of those still rendering, and is refused before any request when its estimate is above.
    """
    logger = get_run_logger()
    scripts = collect_scripts(Path(source))
    logger.info("%d scripts from %s, up to %d at a time", len(scripts), source, max_parallel)
    rows: list[BatchRow] = []
    in_flight: dict = {}  # future -> the budget it holds (0 for reels nothing bills)

    def finish_one() -> None:
        finished = next(as_completed(list(in_flight)))
        in_flight.pop(finished)
        rows.append(finished.result())

    for path in scripts:
        while len(in_flight) >= max(1, max_parallel):  # at most max_parallel renders at once
            finish_one()
        cap = None
        per_reel = reel_budget(path) if budget_usd is not None else None
        if per_reel is not None:
            while (left := budget_usd - sum(r.cost_usd for r in rows) - sum(in_flight.values())) < per_reel and any(
                    in_flight.values()):  # wait for reels holding budget to say what they spent
                finish_one()
            cap = min(per_reel, max(left, 0.0))
            if cap < 0.01:
                rows.append(BatchRow(reel=path.stem, status="failed", error=f"not rendered: the batch's budget of "
                                     f"${budget_usd:.2f} is spent"))
                continue
        in_flight[render_script.submit(str(path), out_root, review_deployment, cap)] = cap or 0.0
    while in_flight:
        finish_one()
    rows.sort(key=lambda row: row.reel)
    create_table_artifact(key="weekly-batch-summary", table=[row.model_dump() for row in rows],
                          description=f"weekly batch of {source}: "
                                      f"{sum(r.status == 'rendered' for r in rows)} rendered, "
                                      f"{sum(r.status == 'failed' for r in rows)} failed, "
                                      f"{sum(r.status == 'awaiting review' for r in rows)} awaiting review; "
                                      f"hosted animators billed about ${sum(r.cost_usd for r in rows):.2f}")
    return rows


@task(name="render-script")
def render_script(path: str, out_root: str, review_deployment: str, budget_usd: float | None = None) -> BatchRow:
    """Render one script file through the cached step tasks; any failure becomes a row of the summary
    instead of stopping the batch. ``budget_usd``: the most its hosted animator may bill."""
    name = Path(path).stem
    try:
        started = time.perf_counter()
        script = load_script(Path(path))
        name = script.id
        if not script.is_approved:
            return BatchRow(reel=name, status="awaiting review", error=request_review(path, review_deployment))
        settings = load_settings()
        plan = plan_script(script, Path(path), settings)
        if budget_usd is not None:
            plan = replace(plan, animator_options=plan.animator_options.model_copy(update={"budget_usd": budget_usd}))
        planned = {"script": time.perf_counter() - started}
        result = render_plan(plan, Path(out_root) / script.id, settings, seconds=planned,
                             runner=PrefectRunner(settings.cache_dir))
        report = json.loads(result.manifest.read_text(encoding="utf-8"))["animation"]["report"]
        return BatchRow(reel=name, status="rendered", duration_s=round(result.duration_s, 2),
                        cost_usd=report.get("cost_usd", 0.0), output=str(result.video))
    except ReelError as error:  # a hosted reel that failed may still have been billed
        return BatchRow(reel=name, status="failed", error=str(error), cost_usd=getattr(error, "spent_usd", 0.0))
    except Exception as error:  # noqa: BLE001 - isolate every failure, name its kind
        return BatchRow(reel=name, status="failed", error=f"{type(error).__name__}: {error}")


def reel_budget(path: Path) -> float | None:
    """The per-reel budget of the script's animator where it bills (hosted animators), else None."""
    try:
        animator = load_script(path).animator or load_settings().animator
        return getattr(ANIMATORS.options(animator), "budget_usd", None)
    except ReelError:  # render_script reports the problem in the script's row
        return None


def request_review(path: str, deployment: str) -> str:
    """Start a produce-reel run that waits for review in the UI, where that deployment exists."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        run = run_deployment(deployment, parameters={"script_path": str(Path(path).resolve())},
                             timeout=0, as_subflow=False)  # a review run of its own: subflows cannot suspend
    except ObjectNotFound:
        return (f"not approved; serve {deployment} (python -m flows.serve) to review it in the UI, "
                "or approve it in the file")
    return f"review requested: flow run {run.name}"


def collect_scripts(source: Path) -> list[Path]:
    """Script files of a folder, or one file per row of a CSV (written next to the renders' cache)."""
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix.lower() in SCRIPT_SUFFIXES)
    if source.suffix.lower() == ".csv":
        return scripts_from_csv(source)
    raise ReelError(f"batch source {source} is neither a folder of scripts nor a .csv file")


def scripts_from_csv(path: Path) -> list[Path]:
    folder = load_settings().cache_dir / "batch" / path.stem
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CSV_FIELDS if c not in (reader.fieldnames or [])]
        if missing:
            raise ReelError(f"CSV {path} lacks the column(s) {', '.join(missing)}; needed: {', '.join(CSV_FIELDS)}")
        files = []
        for number, row in enumerate(reader, start=2):
            front = {k: v for k, v in row.items() if k in ("id", "title", "avatar", "voice", "caption_style",
                                                           "platform", "camera", "speaking_rate", "language") and v}
            if row.get("recording"):  # the script is written elsewhere, so its recording gets a full path
                front["recording"] = str((path.parent / row["recording"]).resolve())
            front["approval"] = {"status": row.get("approval_status") or "submitted",
                                 **({"reviewer": row["reviewer"]} if row.get("reviewer") else {})}
            # A row's file is named after its id only where the id is a plain name (never "../x"); the
            # script check then says what is wrong with the id.
            name = row["id"] if re.match(NAME_PATTERN, row.get("id") or "") else f"row-{number}"
            target = folder / f"{name}.md"
            write_text_atomic(target, "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + (row["text"] or ""))
            files.append(target)
    return files
