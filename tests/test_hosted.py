"""Contract tests of the hosted Kling AI Avatar animator against a fake provider on loopback that
speaks fal.ai's queue API and Kling's own API (tests/fake_providers.py)."""

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from reel.animate.kling_avatar import clip_spans
from reel.errors import ReelError
from reel.hashing import sha256_file
from reel.models import Word
from tests.fake_providers import FAL_KEY, KLING_ACCESS, KLING_SECRET, FakeProvider
from tests.test_pipeline import LONGER, SMALL, script_file

SECRETS = (FAL_KEY, KLING_ACCESS, KLING_SECRET)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache for the module: the speech and the portrait are made once."""
    return tmp_path_factory.mktemp("hosted-cache")


@pytest.fixture(params=["fal", "kling"])
def provider(request, monkeypatch, cache):
    """The animator on a fake provider (fast polling and retries), with its credentials set."""
    monkeypatch.setenv("REEL_CACHE_DIR", str(cache))
    monkeypatch.setenv("REEL_FAL_KEY", FAL_KEY)
    monkeypatch.setenv("REEL_KLING_ACCESS_KEY", KLING_ACCESS)
    monkeypatch.setenv("REEL_KLING_SECRET_KEY", KLING_SECRET)
    for key, value in {"PROVIDER": request.param, "POLL_S": "0.05", "BACKOFF_S": "0.01", "DEADLINE_S": "60"}.items():
        monkeypatch.setenv(f"REEL_KLING_AVATAR_{key}", value)
    for key, value in SMALL.items():  # a small reel, quick to encode; the first test renders full size
        monkeypatch.setenv(f"REEL_{key.upper()}", str(value))
    return request.param


def serve(monkeypatch, scenario="ok", **kwargs) -> FakeProvider:
    fake = FakeProvider(scenario, **kwargs)
    monkeypatch.setenv("REEL_KLING_AVATAR_FAL_URL", fake.url)
    monkeypatch.setenv("REEL_KLING_AVATAR_KLING_URL", fake.url)
    return fake


def render(tmp_path, capsys, text=LONGER):
    from reel.cli import main

    script = script_file(tmp_path, f"[visual: smiles warmly] {text}", animator="kling-avatar")
    code = main(["render", str(script), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_no_secret_anywhere(folders, output: str) -> None:
    """No credential in the printed output nor in any file under ``folders`` (the output, the cache)."""
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    assert files
    texts = [output] + [path.read_bytes().decode("latin-1") for path in files]
    for secret in SECRETS:
        assert not any(secret in text for text in texts), secret


def test_a_reel_renders_through_the_provider(provider, monkeypatch, tmp_path, capsys, cache):
    """A full-size reel; with fal the key comes from a file (REEL_FAL_KEY_FILE)."""
    from reel.media.audio import read_audio
    from reel.media.frames import read_frames

    for key in SMALL:
        monkeypatch.delenv(f"REEL_{key.upper()}")
    if provider == "fal":
        key_file = tmp_path / "fal.key"
        key_file.write_text(FAL_KEY + "\n")
        monkeypatch.delenv("REEL_FAL_KEY")
        monkeypatch.setenv("REEL_FAL_KEY_FILE", str(key_file))
    with serve(monkeypatch) as fake:
        code, output = render(tmp_path, capsys)
    assert code == 0, output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    reel, report = manifest["reel"], manifest["animation"]["report"]
    assert (reel["width"], reel["height"]) == (1080, 1920)
    assert reel["frames"] == round(manifest["speech"]["duration_s"] * 30)
    assert report["provider"] == provider and report["mouth_pass"] is False
    assert [clip["task_id"] for clip in report["clips"]] == ["task-1"]
    assert report["cost_usd"] == pytest.approx(manifest["speech"]["duration_s"] * 0.0562, abs=0.005)
    assert report["estimated_cost_usd"] == pytest.approx(report["cost_usd"], abs=0.005)
    assert "the portrait and the speech are sent to the provider" in manifest["animation"]["license"]
    # What was sent: the portrait and our speech, and the visual direction as the prompt.
    sent = fake.bodies[0]
    assert (sent.get("prompt")) == "smiles warmly"
    # The provider's video is in the reel: its bar sweeps down, so the frames change over time.
    frames = read_frames(tmp_path / "out" / "reel.mp4", [5, reel["frames"] // 2, reel["frames"] - 5])
    grey = np.stack([frame.mean(axis=2) for frame in frames.values()])
    rows = [int(np.argmax((g - grey.min(axis=0)).mean(axis=1))) for g in grey]  # each frame's lightened band
    assert rows[0] < rows[1] < rows[2], rows
    speech = read_audio(next(path for path in (cache / "speech").glob("*.wav")
                             if sha256_file(path) == manifest["speech"]["sha256"]))
    assert abs(len(read_audio(tmp_path / "out" / "reel.mp4")) - len(speech)) < 0.05 * 16000
    (tmp_path / "fal.key").unlink(missing_ok=True)
    assert_no_secret_anywhere([tmp_path, cache], output)


@pytest.mark.parametrize("scenario, message", [
    ("bad-key", {"fal": "fal.ai refused the API key (REEL_FAL_KEY)",
                 "kling": "Kling refused the credentials (REEL_KLING_ACCESS_KEY / REEL_KLING_SECRET_KEY)"}),
    ("quota", {"fal": "the fal.ai account is out of credit", "kling": "the Kling account cannot pay for this"}),
    ("refused", {"fal": "fal.ai refused the content", "kling": "Kling refused the content task-1"}),
    ("never", {"fal": "ran past its deadline of 1 s (REEL_KLING_AVATAR_DEADLINE_S) while waiting for clip 1 of 1",
               "kling": "ran past its deadline of 1 s (REEL_KLING_AVATAR_DEADLINE_S) while waiting for clip 1 of 1"}),
    ("burst-forever", {"fal": "gave up after 4 attempts (HTTP 429)", "kling": "gave up after 4 attempts (HTTP 429)"}),
    ("truncated", {"fal": "the video download was cut short", "kling": "the video download was cut short"}),
])
def test_provider_failures_are_one_line_and_publish_nothing(provider, monkeypatch, tmp_path, capsys, cache,
                                                            scenario, message):
    monkeypatch.setenv("REEL_KLING_AVATAR_RETRIES", "3")
    if scenario == "never":
        monkeypatch.setenv("REEL_KLING_AVATAR_DEADLINE_S", "1")
    started = time.monotonic()
    with serve(monkeypatch, scenario):
        code, output = render(tmp_path, capsys, "A short one.")
    error = output.strip().splitlines()[-1]
    assert code == 2 and error.startswith(f"error: the animator 'kling-avatar' via {provider}: "), error
    submitted = scenario in ("refused", "never", "truncated") and not (scenario == "refused" and provider == "fal")
    assert message[provider] in error, error
    billed = r" \(1\.\d s submitted, about \$0\.\d\d\)" if submitted else ""  # what was already spent, if any
    assert re.search(f"nothing was published{billed}$", error), error
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert time.monotonic() - started < 20
    assert_no_secret_anywhere([tmp_path, cache], output)


def test_a_429_burst_is_retried_and_the_reel_renders(provider, monkeypatch, tmp_path, capsys):
    with serve(monkeypatch, "burst", bursts=3) as fake:
        code, output = render(tmp_path, capsys, "A short one.")
    assert code == 0, output
    assert sum(method == "POST" for method, _ in fake.requests) == 4  # three 429s, then accepted
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["animation"]["report"]["retries"] == 3


def test_the_budget_refuses_before_any_request(provider, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("REEL_KLING_AVATAR_BUDGET_USD", "0.05")
    with serve(monkeypatch) as fake:
        code, output = render(tmp_path, capsys)
    error = output.strip().splitlines()[-1]
    assert code == 2 and "over its budget of $0.05; raise REEL_KLING_AVATAR_BUDGET_USD" in error, error
    assert fake.requests == []


def test_missing_credentials_fail_at_plan_time_naming_the_settings(monkeypatch, tmp_path, capsys):
    for key in ("REEL_FAL_KEY", "REEL_FAL_KEY_FILE"):
        monkeypatch.delenv(key, raising=False)
    code, output = render(tmp_path, capsys)
    assert code == 2 and output.strip() == (
        "error: the animator 'kling-avatar' with provider fal needs REEL_FAL_KEY (fal.ai API key): set it in the "
        "environment, or in a file named by <setting>_FILE (e.g. REEL_FAL_KEY_FILE)")


def test_long_reels_are_cut_at_sentence_ends_within_the_clip_limit():
    words = [Word(text=text, start=start, end=start + 0.4) for text, start in [
        ("One", 0.0), ("two.", 0.5), ("Three", 1.5), ("four", 2.0), ("five.", 2.5), ("Six", 3.5), ("seven", 4.0),
        ("eight", 4.5), ("nine", 5.0), ("ten", 5.5), ("eleven", 6.0), ("twelve.", 6.5)]]
    assert clip_spans(words, 7.0, 60) == [(0.0, 7.0)]
    # Within 3.2 s: the pause after "five." (3.2 s); then no sentence end within reach: after a word.
    assert clip_spans(words, 7.0, 3.2) == [(0.0, 3.2), (3.2, 5.95), (5.95, 7.0)]


@pytest.mark.parametrize("provider", ["fal"], indirect=True)  # the clips are cut and joined the same for both
def test_a_long_reel_is_made_of_clips_joined_without_a_jump(provider, monkeypatch, tmp_path, capsys):
    """Clips of at most 2 s, each a separate task starting from the portrait again. The fake's clips
    darken as they go, so each seam has a brightness step to bridge: the reel spreads it over the
    cross-fade, no single frame taking more than a third of it (a hard cut takes all of it)."""
    from reel.media.frames import read_frames

    monkeypatch.setenv("REEL_KLING_AVATAR_MAX_CLIP_S", "2")
    with serve(monkeypatch) as fake:
        code, output = render(tmp_path, capsys)
    assert code == 0, output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    clips = manifest["animation"]["report"]["clips"]
    assert len(clips) >= 2 and len(fake.videos) == len(clips)
    assert all(clip["seconds"] <= 2.0 for clip in clips)
    assert sum(clip["seconds"] for clip in clips) == pytest.approx(manifest["speech"]["duration_s"], abs=0.05)
    frames = read_frames(tmp_path / "out" / "reel.mp4", list(range(manifest["reel"]["frames"])))
    brightness = np.array([frames[i][:, :, :].mean() for i in sorted(frames)])
    for seam in (round(sum(c["seconds"] for c in clips[:k]) * 30) for k in range(1, len(clips))):
        across = brightness[seam + 7] - brightness[seam - 1]  # from before the seam to after the cross-fade
        steps = np.abs(np.diff(brightness[seam - 1:seam + 8]))
        assert across > 10 and steps.max() <= across / 3, (seam, across, steps.round(1))


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("provider", ["kling"], indirect=True)
def test_produce_reel_renders_through_the_provider_and_keeps_secrets_out_of_prefect(provider, monkeypatch,
                                                                                   tmp_path, cache):
    from prefect.client.orchestration import get_client

    from flows.produce import produce_reel_from_file

    script = script_file(tmp_path, "A reel from the hosted avatar.", animator="kling-avatar")
    with serve(monkeypatch) as fake:
        outcome = produce_reel_from_file(str(script), out_root=str(tmp_path / "out"))
    assert outcome.status == "rendered" and len(fake.videos) == 1
    report = json.loads(Path(outcome.manifest).read_text())["animation"]["report"]
    assert report["provider"] == "kling" and report["clips"][0]["task_id"] == "task-1"
    with get_client(sync_client=True) as client:
        stored = [str(a.data) + str(a.description) for a in client.read_artifacts()]
        stored += [log.message for log in client.read_logs()]
        stored += [json.dumps(run.parameters) for run in client.read_flow_runs()]
    assert stored
    assert_no_secret_anywhere([tmp_path, cache], "\n".join(stored))


def test_doctor_says_which_providers_are_configured_without_showing_keys(monkeypatch):
    from reel.cli import _animator_state, _providers_state

    monkeypatch.setenv("REEL_FAL_KEY", FAL_KEY)
    for key in ("REEL_KLING_ACCESS_KEY", "REEL_KLING_SECRET_KEY", "REEL_KLING_ACCESS_KEY_FILE"):
        monkeypatch.delenv(key, raising=False)
    rows = [_providers_state(), _animator_state("kling-avatar")]
    assert rows == ["fal: configured; kling: not configured (REEL_KLING_ACCESS_KEY, REEL_KLING_SECRET_KEY)",
                    "installed, ready, hosted by fal"]
    monkeypatch.setenv("REEL_KLING_AVATAR_PROVIDER", "kling")
    with pytest.raises(ReelError, match="^installed; not ready: the animator 'kling-avatar' with provider kling "
                                          "needs REEL_KLING_ACCESS_KEY"):
        _animator_state("kling-avatar")


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("provider", ["fal"], indirect=True)
def test_the_weekly_batch_summary_shows_what_the_hosted_animator_billed(provider, monkeypatch, tmp_path, cache):
    from prefect.client.orchestration import get_client

    from flows.batch import weekly_batch

    script_file(tmp_path / "scripts", "A hosted reel in the weekly batch.", animator="kling-avatar", id="hosted-batch")
    with serve(monkeypatch):
        rows = weekly_batch(source=str(tmp_path / "scripts"), out_root=str(tmp_path / "out"))
    manifest = json.loads((tmp_path / "out" / "hosted-batch" / "manifest.json").read_text())
    assert [row.status for row in rows] == ["rendered"]
    assert rows[0].cost_usd > 0
    assert rows[0].cost_usd == pytest.approx(manifest["speech"]["duration_s"] * 0.0562, abs=0.005)
    with get_client(sync_client=True) as client:
        summaries = [a for a in client.read_artifacts() if a.key == "weekly-batch-summary"]
    latest = max(summaries, key=lambda artifact: artifact.created)
    assert latest.description.endswith(f"hosted animators billed about ${rows[0].cost_usd:.2f}")


@pytest.mark.parametrize("provider", ["fal"], indirect=True)
def test_raising_the_budget_does_not_pay_for_the_same_reel_again(provider, monkeypatch, tmp_path, capsys):
    """Budgets, deadlines and polling are left out of the video step's cache key; the tier is not."""
    with serve(monkeypatch) as fake:
        for budget, tier in (("5", "standard"), ("9", "standard"), ("9", "pro")):
            monkeypatch.setenv("REEL_KLING_AVATAR_BUDGET_USD", budget)
            monkeypatch.setenv("REEL_KLING_AVATAR_TIER", tier)
            monkeypatch.setenv("REEL_KLING_AVATAR_POLL_S", {"5": "0.05", "9": "0.07"}[budget])
            code, output = render(tmp_path, capsys, "Paid for once.")
            assert code == 0, output
        submitted = [path for method, path in fake.requests if method == "POST"]
    assert submitted == ["/fal-ai/kling-video/ai-avatar/v2/standard", "/fal-ai/kling-video/ai-avatar/v2/pro"]


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("provider", ["fal"], indirect=True)
def test_the_batch_budget_caps_what_the_whole_batch_may_bill(provider, monkeypatch, tmp_path, cache):
    """At USD 1 a second, three ~2 s hosted reels against a USD 5 batch budget: two render, the third
    is refused before any request, and the batch never bills more than its budget."""
    from flows.batch import weekly_batch

    monkeypatch.setenv("REEL_KLING_AVATAR_PRICE_PER_S", "1.0")
    for number in (1, 2, 3):
        script_file(tmp_path / "scripts", f"Hosted reel number {number}.", animator="kling-avatar", id=f"reel-{number}")
    with serve(monkeypatch) as fake:
        rows = weekly_batch(source=str(tmp_path / "scripts"), out_root=str(tmp_path / "out"), max_parallel=2,
                            budget_usd=5.0)
    assert [row.status for row in rows] == ["rendered", "rendered", "failed"]
    assert sum(method == "POST" for method, _ in fake.requests) == 2
    assert "over its budget of $" in rows[2].error and 1.5 < rows[0].cost_usd + rows[1].cost_usd <= 5.0


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("provider", ["fal"], indirect=True)
def test_a_hosted_reel_that_fails_after_submission_still_counts_against_the_batch(provider, monkeypatch, tmp_path):
    from flows.batch import weekly_batch

    script_file(tmp_path / "scripts", "Billed but broken.", animator="kling-avatar", id="billed-but-broken")
    with serve(monkeypatch, "truncated"):
        rows = weekly_batch(source=str(tmp_path / "scripts"), out_root=str(tmp_path / "out"), budget_usd=5.0)
    assert rows[0].status == "failed" and "the video download was cut short" in rows[0].error
    assert rows[0].cost_usd == pytest.approx(float(re.search(r"about \$(\d+\.\d\d)\)", rows[0].error)[1]), abs=0.006)
    assert rows[0].cost_usd > 0


def test_image_to_video_clips_are_five_or_ten_seconds_cut_at_sentence_ends(monkeypatch):
    from reel.animate import ANIMATORS

    monkeypatch.setenv("REEL_FAL_KEY", FAL_KEY)
    animator = ANIMATORS.load("kling-i2v", ANIMATORS.options("kling-i2v"))
    assert [animator.billed_s(*span) for span in ((0, 3.2), (0, 5.0), (0, 5.1), (2.0, 12.0))] == [5, 5, 10, 10]


def test_image_to_video_through_each_provider_gets_our_mouth_on_every_frame(provider, monkeypatch, tmp_path, capsys):
    """kling-i2v: the provider animates the portrait from the prompt; the face pass finds the face in
    every generated frame and moves its mouth; each clip is billed as 5 or 10 s."""
    monkeypatch.setenv("REEL_KLING_I2V_PROVIDER", provider)
    for key, value in {"POLL_S": "0.05", "BACKOFF_S": "0.01"}.items():
        monkeypatch.setenv(f"REEL_KLING_I2V_{key}", value)
    with serve(monkeypatch) as fake:
        monkeypatch.setenv("REEL_KLING_I2V_FAL_URL", fake.url)
        monkeypatch.setenv("REEL_KLING_I2V_KLING_URL", fake.url)
        script = script_file(tmp_path, f"[visual: smiles warmly] {LONGER}", animator="kling-i2v")
        from reel.cli import main

        code = main(["render", str(script), "--out", str(tmp_path / "out")])
    output = capsys.readouterr()
    assert code == 0, output.err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    report = manifest["animation"]["report"]
    assert report["mouth_pass"] is True and report["frames_without_face"] == 0
    assert [clip["billed_s"] for clip in report["clips"]] == [5] and report["cost_usd"] == pytest.approx(0.25)
    assert fake.bodies[0]["prompt"].endswith(", smiles warmly") and fake.bodies[0]["duration"] == "5"
    assert "audio_url" not in fake.bodies[0] and "sound_file" not in fake.bodies[0]  # the speech stays here
    assert manifest["reel"]["frames"] == round(manifest["speech"]["duration_s"] * 30)
