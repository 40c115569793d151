import cv2
import numpy as np
import pytest

from reel.animate.blinks import blink_track
from reel.animate.camera import (
    MAX_RESIZE_ERROR_PX,
    PUNCH_ZOOM,
    CameraPlan,
    CameraState,
    _matrix,
    _resize_plan,
    camera_matrices,
    plan_states,
    zoom_frame,
)
from reel.animate.head import (
    MAX_ANGLE_DEG,
    HeadRig,
    head_region,
    head_track,
    prosody_from_loudness,
    prosody_from_phones,
)
from reel.animate.rigs import EyeRig, MouthRig, column_map
from reel.animate.visemes import audio_mouth_track, contact_tracks, mouth_track, phone_openness, phone_shapes
from reel.faces.landmarks import EYES, LOWER_INNER_LIP, MOUTH_CORNERS, UPPER_INNER_LIP
from reel.models import Phone

RATE = 16000


def _phones(symbols: str, step: float = 0.1) -> list[Phone]:
    return [Phone(phoneme=p, start=i * step, end=(i + 1) * step) for i, p in enumerate(symbols)]


@pytest.fixture(scope="module")
def portrait(settings):
    from reel import avatars
    from tests.conftest import framed_portrait

    portrait = framed_portrait(settings)
    return portrait, avatars.load_portrait_pixels(portrait), np.asarray(portrait.landmarks, np.float32)


def test_visemes_close_on_bilabials_open_on_a_round_on_o_spread_on_i():
    shapes = dict(zip("^mabouiˈ.", phone_shapes(_phones("^mabouiˈ."))))
    assert shapes["m"] == shapes["b"] == (0.0, 0.0) and shapes["a"][0] == 1.0 and shapes["."] == (0.0, 0.0)
    assert shapes["o"][1] < 0 and shapes["u"][1] < 0  # rounded
    assert shapes["i"][1] > 0.5  # spread
    assert shapes["ˈ"] == shapes["."]  # a stress mark takes the shape of what follows
    assert phone_openness(_phones("ma")) == [0.0, 1.0]


def test_mouth_track_is_smooth_and_closed_in_silence():
    phones = _phones("^" + "a" * 5 + "." * 10 + "mamama" + "$", step=0.05)
    openness, width = mouth_track(phones, fps=30, frames=int(phones[-1].end * 30))
    assert openness[3:8].max() > 0.9  # the long "a"
    assert openness[int(0.6 * 30):int(0.75 * 30)].max() < 0.05  # the pause
    assert np.abs(np.diff(openness)).max() < 0.5  # co-articulation: no frame-to-frame snap
    assert np.abs(width).max() <= 1.0


def test_loudness_scales_the_opening_of_the_same_sounds():
    phones = _phones("a" * 20, step=0.05)  # one second of "a"
    t = np.arange(RATE) / RATE
    audio = np.sin(2 * np.pi * 220 * t) * np.where(t < 0.5, 0.5, 0.02)  # loud, then 28 dB quieter
    openness, _ = mouth_track(phones, fps=30, frames=30, audio=(audio.astype(np.float32), RATE))
    assert openness[5:12].mean() > 2 * openness[20:27].mean()


def test_audio_mouth_opens_on_voiced_sound_and_stays_closed_in_silence():
    t = np.arange(2 * RATE) / RATE
    voiced = sum(np.sin(2 * np.pi * f * t) for f in (150, 300, 700, 1200))
    audio = (voiced * ((t % 1.0) < 0.5) * 0.1).astype(np.float32)  # 0.5 s on, 0.5 s off, twice
    openness, _ = audio_mouth_track(audio, RATE, fps=30, frames=60)
    assert openness[5:12].mean() > 0.5 and openness[35:42].mean() > 0.5
    assert openness[20:27].max() < 0.05 and openness[50:57].max() < 0.05
    hiss = np.random.default_rng(0).normal(0, 0.1, 2 * RATE)
    hiss = (hiss - np.convolve(hiss, np.ones(4) / 4, mode="same")).astype(np.float32)  # mostly above 4 kHz
    hissing, _ = audio_mouth_track(hiss, RATE, fps=30, frames=60)
    assert hissing.mean() < openness[5:12].mean()


def test_blinks_are_natural_in_rate_and_length_and_repeatable():
    fps, frames = 30, 60 * 30
    track = blink_track(seed=7, fps=fps, frames=frames)
    onsets = np.flatnonzero(np.diff((track > 0.5).astype(int)) == 1)
    assert 10 <= len(onsets) <= 20  # per minute
    assert track[:30].max() == 0  # the reel opens on the still portrait
    assert np.array_equal(track, blink_track(seed=7, fps=fps, frames=frames))
    assert not np.array_equal(track, blink_track(seed=8, fps=fps, frames=frames))


def test_camera_starts_on_the_portrait_and_never_shows_an_edge():
    plan = CameraPlan(moves=["push-in", "pan-left", "pan-right", "pull-out"], starts=[0, 2, 4, 6], end=8,
                      focus=(540, 690), punches=[(6.5, 7.0)])
    matrices = camera_matrices(plan, 30, 240, (1080, 1920))
    assert matrices[0] is None  # identity: the first frame is the framed portrait
    corners = np.array([[0, 0, 1], [1080, 0, 1], [0, 1920, 1], [1080, 1920, 1]], float)
    for m in matrices:
        if m is not None:
            mapped = corners @ m.T  # where the portrait's corners land: outside or on the frame edge
            assert mapped[:, 0].min() <= 0.01 and mapped[:, 0].max() >= 1079.99
            assert mapped[:, 1].min() <= 0.01 and mapped[:, 1].max() >= 1919.99
    assert plan_states(["pull-out"])[0].zoom > 1.0  # a pull-out needs room to pull out from


def test_punch_in_zooms_during_the_phrase_and_returns_after_it():
    plan = CameraPlan(moves=["static"], starts=[0.0], end=4.0, focus=(540, 690), punches=[(1.0, 2.0)])
    matrices = camera_matrices(plan, 30, 120, (1080, 1920))
    zoom = [1.0 if m is None else m[0, 0] for m in matrices]
    assert zoom[15] == 1.0 and zoom[100] == 1.0  # before the phrase, and after it has eased back
    assert all(abs(z - PUNCH_ZOOM) < 1e-6 for z in zoom[31:60])  # held while the phrase is spoken
    assert np.abs(np.diff(zoom)).max() < (PUNCH_ZOOM - 1) / 3  # eased over several frames, not cut


def _camera_states() -> list[np.ndarray]:
    states = [CameraState(zoom=float(z), pan=pan) for z in np.linspace(1.001, 1.35, 25) for pan in (-0.04, 0, 0.03)]
    return [m for m in (_matrix(state, 1080, 1920, (540.0, 690.0)) for state in states) if m is not None]


def test_camera_zoom_samples_where_the_matrix_says():
    """A ramp whose value is its own x (and y) coordinate: each output pixel shows the position it sampled."""
    ys, xs = np.mgrid[0:1920, 0:1080].astype(np.float32)
    ramps, out = np.dstack([xs, ys, xs]), np.empty((1920, 1080, 3), np.float32)
    served = 0
    for m in _camera_states():
        zoom_frame(ramps, m, out)
        # Where the matrix reaches past the last pixel (by under a pixel), the edge pixel repeats.
        wanted_x = np.clip((np.arange(1080) - m[0, 2]) / m[0, 0], 0, 1079)
        wanted_y = np.clip((np.arange(1920) - m[1, 2]) / m[1, 1], 0, 1919)
        resized = _resize_plan(1080, m[0, 0], m[0, 2]) and _resize_plan(1920, m[1, 1], m[1, 2])
        served += bool(resized)
        tolerance = MAX_RESIZE_ERROR_PX + 0.002 if resized else 1 / 32 + 0.002  # warpAffine: 1/32 px steps
        assert np.abs(out[960, :, 0] - wanted_x).max() <= tolerance, m
        assert np.abs(out[:, 540, 1] - wanted_y).max() <= tolerance, m
    assert served >= 0.7 * len(_camera_states())  # the fast path is the usual one


def test_camera_zoom_looks_like_warp_affine():
    rng = np.random.default_rng(3)
    picture = cv2.GaussianBlur(rng.integers(0, 256, (1920, 1080, 3), dtype=np.uint8), (0, 0), 2)
    ours = np.empty_like(picture)
    for m in _camera_states()[::4]:
        zoom_frame(picture, m, ours)
        theirs = cv2.warpAffine(picture, m, (1080, 1920), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        difference = np.abs(ours.astype(np.int16) - theirs)
        assert difference.mean() < 0.5 and difference.max() <= 8, (m, difference.mean(), difference.max())


def test_column_map_is_monotonic_and_identity_outside_the_knots():
    src = np.array([[10.0], [20.0], [30.0]])
    dst = np.array([[10.0], [25.0], [30.0]])
    map_y = column_map(src, dst, 40)[:, 0]
    assert np.allclose(map_y[:10], np.arange(10)) and np.allclose(map_y[30:], np.arange(30, 40))
    assert np.all(np.diff(map_y) >= 0)
    assert abs(map_y[25] - 20.0) < 1e-5


def test_head_track_stays_small_smooth_starts_still_and_nods_on_stress():
    phones = _phones("^hˈɛloʊ,ðˈɛɹ.mˈaɪ fɹˈɛnd.$", step=0.12)
    prosody = prosody_from_phones(phones, fps=30, frames=150)
    assert len(prosody.phrase_starts) == 3
    assert [first for _, first in prosody.accents] == [True, True, True, False]  # the first stress of each phrase
    pose = head_track(prosody, fps=30, frames=150, seed=3)
    angles = np.stack([pose.pitch, pose.yaw, pose.roll])
    assert np.abs(angles).max() <= MAX_ANGLE_DEG and np.abs(angles).max() > 0.3
    assert np.all(angles[:, 0] == 0)  # the first frame is the portrait itself
    assert np.abs(np.diff(angles, n=2, axis=1)).max() < 0.25  # deg/frame^2: half the jitter limit of `reel evaluate`
    stress = next(p.end for p in phones if p.phoneme == "ˈ")
    nod = pose.pitch[int(stress * 30):int((stress + 0.5) * 30)]
    assert nod.max() > pose.pitch[:int(stress * 30) - 3].max() + 0.3  # the head dips on the stressed syllable
    assert np.array_equal(pose.roll, head_track(prosody, 30, 150, seed=3).roll)
    assert not np.array_equal(pose.roll, head_track(prosody, 30, 150, seed=4).roll)
    assert np.abs(head_track(prosody, 30, 150, seed=3, amount=0.0).roll).max() == 0


def test_prosody_from_loudness_finds_phrases_and_stresses_in_a_recording():
    fps = 30
    loudness = np.zeros(150)
    for start in (10, 70):  # two phrases of 1.5 s, each with two loud syllables
        loudness[start:start + 45] = 0.5
        loudness[start + 5:start + 8] = 1.0
        loudness[start + 25:start + 28] = 0.9
    prosody = prosody_from_loudness(loudness, fps)
    assert [round(t * fps) for t in prosody.phrase_starts] == [10, 70]
    assert len(prosody.accents) == 4 and [first for _, first in prosody.accents] == [True, False, True, False]
    assert prosody.quiet[0] > 0.9 and prosody.quiet[30] < 0.1


def test_face_and_head_rigs_change_only_pixels_inside_the_head_region(portrait):
    info, base, landmarks = portrait
    size = (info.width, info.height)
    mouth = MouthRig(landmarks, size)
    eyes = [EyeRig(landmarks, size, side) for side in ("left", "right")]
    region = head_region(landmarks)
    head = HeadRig(region, size, include=[mouth.roi.slices] + [e.roi.slices for e in eyes], landmarks=landmarks,
                   depth=np.asarray(info.depth, np.float32))
    face, moved = base.copy(), base.copy()
    mouth.apply(face, base, 1.0, -1.0)
    for eye in eyes:
        eye.apply(face, base, 1.0)
    head.apply(moved, face, pitch=MAX_ANGLE_DEG, yaw=-MAX_ANGLE_DEG, roll=MAX_ANGLE_DEG)
    changed = np.abs(moved.astype(int) - base).max(axis=2) > 0
    assert changed.sum() > 10_000  # the head really moved
    assert not (changed & region.outside(size)).any()  # ... and nothing outside its region did


def test_mouth_rig_rounds_spreads_and_keeps_the_rest_pose(portrait):
    info, base, landmarks = portrait
    mouth = MouthRig(landmarks, (info.width, info.height))
    frame = base.copy()
    mouth.apply(frame, base, 0.0, 0.0)
    assert np.array_equal(frame, base)  # at rest the mouth is the portrait's
    centre = mouth.center_x - mouth.roi.x0
    row = int(np.mean(landmarks[list(MOUTH_CORNERS), 1])) - mouth.roi.y0
    for width, narrower in ((-1.0, True), (1.0, False)):
        source = mouth._corner_map(width * (0.14 if width < 0 else 0.06))[row]
        assert np.all(np.diff(source) >= 0)  # monotonic: no fold
        corner = int(round(centre + mouth.half_w))  # the portrait's right corner column
        assert (source[corner] > corner) == narrower  # rounded: the corner is drawn from further out


def test_teeth_hint_appears_only_for_a_closed_mouth_portrait(portrait):
    info, _, landmarks = portrait
    size = (info.width, info.height)
    assert not MouthRig(landmarks, size).teeth  # the sample portrait shows its own teeth
    closed = landmarks.copy()
    closed[LOWER_INNER_LIP, 1] = closed[UPPER_INNER_LIP, 1]  # as if the lips met
    rig = MouthRig(closed, size)
    assert rig.teeth
    painted = {teeth: _painted_interior(rig, rig.max_drop_px, teeth) for teeth in (True, False)}
    dark_rows = np.flatnonzero((painted[False] < 70).any(axis=1))
    assert len(dark_rows) > 5
    upper_half = slice(0, int(dark_rows.mean()))  # above the middle of the dark interior
    assert (painted[False][upper_half] > 170).sum() == 0  # no upper teeth ...
    assert (painted[True][upper_half] > 170).sum() > 100  # ... unless the portrait's mouth is closed


def _painted_interior(rig: MouthRig, drop: float, teeth: bool | None = None) -> np.ndarray:
    """The mouth interior painted on flat grey (only the paint shows), RGB."""
    if teeth is not None:
        rig.teeth = teeth
    roi = np.full((rig.roi.rows, rig.roi.cols, 3), 128, np.uint8)
    rig._paint_cavity(roi, drop, 1.0, np.zeros(rig.roi.cols, np.float32))
    return roi if teeth is None else roi.mean(axis=2)


def test_an_open_mouth_shows_a_dark_cavity_the_tongue_and_the_lower_teeth_in_that_order(portrait):
    info, _, landmarks = portrait
    rig = MouthRig(landmarks, (info.width, info.height))
    roi = _painted_interior(rig, rig.max_drop_px).astype(int)
    column = roi[:, round(rig.center_x) - rig.roi.x0]  # down the middle of the mouth
    grey = column.mean(axis=1)
    painted = np.flatnonzero(np.abs(column - 128).max(axis=1) > 30)
    dark = painted[grey[painted] < 60]
    tongue = painted[(column[painted, 0] - column[painted, 1] > 45) & (grey[painted] < 120)]
    teeth = painted[grey[painted] > 150]
    assert len(dark) >= 3 and len(tongue) >= 2 and len(teeth) >= 2, (len(dark), len(tongue), len(teeth))
    assert dark.mean() < tongue.mean() < teeth.mean()  # cavity above the tongue, lower teeth at the lip
    half_open = _painted_interior(rig, 0.5 * rig.max_drop_px).mean(axis=2)
    assert (half_open > 150).sum() == 0  # the lower teeth show only as the jaw opens wide


def _teeth_share(frame: np.ndarray, rig: MouthRig, depth: float) -> float:
    """Share of teeth-coloured pixels (light, nearly grey: skin and lips are redder) along the line
    ``depth`` of the way from the portrait's upper to its lower inner lip, across the mouth's middle."""
    rows, cols = rig.roi.slices
    box = frame[rows, cols].astype(np.int16)
    xs = np.flatnonzero(np.abs(rig.roi.xs - rig.center_x) < 0.5 * rig.half_w)
    ys = np.round(rig.upper[xs] + depth * (rig.lower[xs] - rig.upper[xs])).astype(int)
    line = box[ys, xs]
    return float(((line.min(axis=1) > 140) & (line[:, 0] - line[:, 2] < 40)).mean())


def test_lips_meet_on_m_b_p_and_the_lower_lip_rises_to_the_upper_teeth_on_f_v(portrait):
    info, base, landmarks = portrait
    rig = MouthRig(landmarks, (info.width, info.height))
    shown = {}
    for name, shape in {"rest": {}, "press": {"press": 1.0}, "tuck": {"tuck": 1.0}}.items():
        frame = base.copy()
        rig.apply(frame, base, 0.1, **shape)
        shown[name] = (_teeth_share(frame, rig, 0.4), _teeth_share(frame, rig, 0.7))
    assert min(shown["rest"]) > 0.5  # the sample portrait smiles with its teeth showing (gaps between them)
    assert max(shown["press"]) < 0.05, shown  # lips together: no teeth between them
    # The lower lip covers the teeth's lower part (its own highlight reads as 0.11 there).
    assert shown["tuck"][0] > 0.5 and shown["tuck"][1] < 0.15, shown


def _steps_along(image: np.ndarray, rig: MouthRig, line: np.ndarray) -> float:
    """95th percentile, over the mouth's middle columns, of the largest brightness step from one column
    to the next within 2 rows of ``line`` (ROI rows): a stair-stepped edge makes large steps."""
    grey = image.astype(np.float32).mean(axis=2)
    steps = []
    for c in np.flatnonzero(rig.gap > 0.5 * rig.max_gap_px)[:-1]:
        x, y = c + rig.roi.x0, round(float(line[c]) + rig.roi.y0)
        steps.append(np.abs(grey[y - 2:y + 3, x + 1] - grey[y - 2:y + 3, x]).max())
    return float(np.percentile(steps, 95))


def test_the_closed_lips_line_is_no_more_jagged_than_the_portraits_own_lip_edge(portrait):
    info, base, landmarks = portrait
    rig = MouthRig(landmarks, (info.width, info.height))
    frame = base.copy()
    rig.apply(frame, base, 0.0, press=1.0)
    own_edge = _steps_along(base, rig, rig.lower)
    closure = _steps_along(frame, rig, rig.lower - 0.5 * rig.gap)  # each lip moves half way
    # Measured: the portrait's lower lip edge 19.3, the closure line 19.1 (41.7 when whole pixel rows
    # switched from one lip to the other).
    assert closure <= 1.1 * own_edge, (closure, own_edge)


def test_lip_contacts_follow_the_sounds_and_rest_in_pauses():
    rate, fps = 16000, 100
    phones = _phones("amafa", step=0.1) + [Phone(phoneme="m", start=0.5, end=1.0)]  # "m" timed over a pause
    t = np.arange(rate) / rate
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (t < 0.5)).astype(np.float32)  # silent after 0.5 s
    press, tuck = contact_tracks(phones, fps, fps, (audio, rate))
    assert press[13:17].min() > 0.95 and tuck[33:37].min() > 0.95  # the middles of "m" and "f"
    assert press[[5, 25, 45]].max() < 0.05 and tuck[[5, 25, 45]].max() < 0.05  # the vowels
    assert press[:30].argmax() in range(11, 19) and np.abs(np.diff(press[:30])).max() < 0.5  # eased, not snapped
    assert press[60:].max() == 0.0  # at rest in the pause, whatever the timings say


def _brow_rows(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Measured from pixels alone: the darkest row (the brow's hair) in a band of columns between each
    brow point of the portrait and its upper lid, averaged over both eyes (sub-pixel)."""
    grey = image.astype(np.float32).mean(axis=2)
    rows = []
    for eye in EYES.values():
        x, y = (int(v) for v in landmarks[eye["brow"][2]])
        band = grey[y - 8:y + 26, x - 6:x + 7].mean(axis=1)
        k = int(np.argmin(band))
        a, b, c = band[max(k - 1, 0)], band[k], band[min(k + 1, len(band) - 1)]
        rows.append(y - 8 + k + (0.5 * (a - c) / (a - 2 * b + c) if 0 < k < len(band) - 1 else 0.0))
    return float(np.mean(rows))


def test_brows_rise_on_stressed_syllables_and_questions(portrait, tmp_path):
    from reel.animate.face import FacePass
    from reel.media.audio import read_audio
    from reel.models import Script
    from tests.conftest import speak

    info, base, landmarks = portrait
    script = Script(id="b", title="B", avatar="astronaut",
                    voiceover="Have you ever lost a whole morning to meetings? Nova plans your week for you. Really?")
    speech = speak("kokoro-alpha", script, tmp_path / "speech.wav")  # Kokoro speaks the same every run; Piper does not
    fps, frames = 30, int(speech.duration_s * 30)
    face = FacePass(info, speech, read_audio(tmp_path / "speech.wav", 16000), 16000, fps, frames, seed=7)
    rest = _brow_rows(base, landmarks)
    lift = np.zeros(frames)
    frame = base.copy()
    for index in range(frames):
        face.apply(index, frame, base)
        lift[index] = rest - _brow_rows(frame, landmarks)
    t = np.arange(frames) / fps
    stress = np.zeros(frames)  # 1 from each stressed syllable for 0.4 s and over each question's end
    for phone in speech.phones:
        if phone.phoneme == "ˈ":
            stress[(t >= phone.end - 0.05) & (t < phone.end + 0.35)] = 1
        if phone.phoneme == "?":
            stress[(t >= phone.start - 0.5) & (t < phone.start + 0.3)] = 1
    assert len(face.prosody.questions) == 2
    assert np.corrcoef(lift, stress)[0, 1] > 0.45  # measured 0.59
    assert np.corrcoef(lift, face.brows)[0, 1] > 0.95  # the pixels follow the brow track (measured 0.99)
    assert 2.5 < lift.max() < 6 and abs(lift[:int(0.3 * fps)]).max() < 0.2  # a few pixels; still at the start
    end = face.prosody.questions[-1]
    assert lift[(t > end - 0.3) & (t < end + 0.3)].mean() > 2.0  # up at the end of the question


def test_the_smile_eases_while_speaking_and_returns_in_pauses(portrait):
    from reel.animate.expressions import smile_relax_track
    from reel.faces.mesh import load_face_mesh

    phones = _phones("^hˈɛloʊ ðˈɛɹ.$" + "_" * 12 + "^mˈaɪ fɹˈɛnd.$", step=0.1)
    relax = smile_relax_track(prosody_from_phones(phones, fps=30, frames=120), fps=30, frames=120)
    assert relax[0] == 0 and relax[int(0.9 * 30)] > 0.75  # still at the start; eased while talking
    assert relax[int(2.2 * 30)] < 0.1 and relax[int(3.4 * 30)] > 0.8  # back in the pause, eased again after it
    info, base, landmarks = portrait
    mouth = MouthRig(landmarks, (info.width, info.height))
    relaxed = base.copy()
    mouth.apply(relaxed, base, 0.0, 0.0, relax=1.0)
    mesh = load_face_mesh()  # measured independently: the face mesh on the pixels
    before = mesh.track(base, landmarks, precise=True).landmarks
    after = mesh.track(relaxed, landmarks, precise=True).landmarks
    moved = (after - before)[:, 1]
    corners, middle = moved[list(MOUTH_CORNERS)], moved[[13, 14]]
    assert corners.min() > 2.5  # both corners sink (measured 3.5 and 3.1 px of the rig's 6.4)
    # The mesh couples its points: the middle of the lips follows a little (2.0, 0.8 px) though the rig moves
    # no pixel there; the nose stays (0.6 px: the mesh's noise).
    assert middle.mean() < 0.6 * corners.mean()
    assert abs(moved[1]) < 1.0


def _track(before: np.ndarray, after: np.ndarray, points: np.ndarray, half: int = 12, search: int = 30) -> np.ndarray:
    """Where small patches around ``points`` of ``before`` went in ``after`` (template matching, sub-pixel)."""
    found = []
    for x, y in np.round(points).astype(int):
        patch = before[y - half:y + half + 1, x - half:x + half + 1]
        window = after[y - half - search:y + half + search + 1, x - half - search:x + half + search + 1]
        score = cv2.matchTemplate(window, patch, cv2.TM_CCOEFF_NORMED)
        _, _, _, (mx, my) = cv2.minMaxLoc(score)
        a, b, c = score[my, mx - 1], score[my, mx], score[my, mx + 1]
        d, e = score[my - 1, mx], score[my + 1, mx]
        found.append((x + mx - search + 0.5 * (a - c) / (a - 2 * b + c), y + my - search + 0.5 * (d - e) / (d - 2 * b + e)))
    return np.array(found, np.float64)


def test_the_lower_lids_settle_as_the_smile_eases(portrait):
    info, base, landmarks = portrait
    eyes = [EyeRig(landmarks, (info.width, info.height), side) for side in ("left", "right")]
    frame = base.copy()
    for eye in eyes:
        eye.apply(frame, base, 0.0, 0.0, relax=1.0)
    def moved(points):
        return (_track(base, frame, landmarks[points], half=6, search=6)
                - _track(base, base, landmarks[points], half=6, search=6))[:, 1]

    assert ((moved([145, 374]) > 1.0) & (moved([145, 374]) < 3.0)).all()  # 4 % of a 51 px eye: about 2 px
    assert abs(moved([159, 386])).max() < 0.5  # the upper lids stay


@pytest.mark.parametrize("cheeks", [(117, 346), (50, 280)])
def test_a_turn_widens_the_near_cheek_as_a_rigid_head_would(portrait, cheeks):
    info, base, landmarks = portrait
    depth = np.asarray(info.depth, np.float32)
    size = (info.width, info.height)
    turning = HeadRig(head_region(landmarks), size, landmarks=landmarks, depth=depth)
    flat = HeadRig(head_region(landmarks), size)  # the picture shifted as a whole
    points = landmarks[[1, *cheeks]].astype(np.float64)  # the nose tip, a point on each cheek

    def ratio(p: np.ndarray) -> float:  # the image-left cheek's width over the image-right cheek's
        return (p[0, 0] - p[1, 0]) / (p[2, 0] - p[0, 0])

    def rigid(degrees: float) -> float:  # the same points of a rigid head turned in 3-D (orthographic)
        a = np.radians(degrees)
        x = points[:, 0] * np.cos(a) - depth[[1, *cheeks]] * np.sin(a)
        return (x[0] - x[1]) / (x[2] - x[0])

    for degrees in (-4.0, 4.0):
        expected = rigid(degrees) / rigid(0.0) - 1
        changes = {}
        for name, rig in (("turning", turning), ("flat", flat)):
            frame = base.copy()
            rig.apply(frame, base, 0.0, degrees, 0.0)
            changes[name] = ratio(_track(base, frame, points)) / ratio(points) - 1
        # Measured: (117, 346) -9.9 % / +12.5 % against -10.9 % / +12.1 %; (50, 280) -8.7 % / +10.6 % against
        # -9.8 % / +10.8 %; the flat shift changes it by 0.5-0.7 %.
        assert np.sign(changes["turning"]) == np.sign(expected) and abs(changes["turning"]) > 0.85 * abs(expected)
        assert abs(changes["flat"]) < 0.1 * abs(expected)


@pytest.mark.parametrize("shape", [{"openness": 1.0}, {"openness": 0.55, "width": -0.8},
                                   {"openness": 0.3, "width": 0.9}, {"openness": 0.0, "relax": 1.0},
                                   {"openness": 0.1, "press": 1.0}, {"openness": 0.1, "tuck": 1.0}])
def test_the_mouth_rig_leaves_no_seam_at_its_border(portrait, shape):
    """The rig's region is pasted back whole: along its edge, every pixel must still be the portrait's."""
    info, base, landmarks = portrait
    rig = MouthRig(landmarks, (info.width, info.height))
    frame = base.copy()
    rig.apply(frame, base, **shape)
    rows, cols = rig.roi.slices
    changed = np.abs(frame[rows, cols].astype(int) - base[rows, cols]).max(axis=2)
    ring = np.concatenate([changed[:2].ravel(), changed[-2:].ravel(), changed[:, :2].ravel(), changed[:, -2:].ravel()])
    assert ring.max() <= 2, shape  # rounded lips once moved the rows at the nose by a visible step
    assert changed.max() > 20  # the mouth itself did move


def test_the_mouth_rests_in_silence_whatever_the_phoneme_timings_say():
    """A vowel whose timing runs on over a pause (speech engines stretch phones across silences)."""
    from reel.animate.visemes import mouth_track

    rate, fps = 16000, 30
    t = np.arange(rate) / rate
    audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (t < 0.5)).astype(np.float32)  # speech, then silence
    openness, width = mouth_track([Phone(phoneme="a", start=0.0, end=1.0)], fps, fps, (audio, rate))
    assert openness[3:13].min() > 0.5 and width[3:13].min() > 0.05  # open (and a little spread) while it sounds
    assert openness[20:].max() == 0.0 and width[20:].max() == 0.0  # at rest from 0.17 s into the silence


def test_a_turn_moves_each_face_pixel_by_the_relief_where_it_comes_from(portrait):
    """Against the exact answer: the relief looked up where each pixel comes from, iterated to a fixed point."""
    info, _, landmarks = portrait
    rig = HeadRig(head_region(landmarks), (info.width, info.height), landmarks=landmarks,
                  depth=np.asarray(info.depth, np.float32))
    pad, box = rig.relief_pad, rig.relief_box
    relief = np.zeros(rig.grid_x.shape, np.float32)
    relief[box] = rig.relief[0, pad:-pad, pad:-pad]
    face = relief > 1
    assert relief.max() > 50  # the nose stands well out of the face's outline
    for pitch, yaw, roll in [(1.5, -2.0, 1.0), (-1.0, 1.8, -2.0), (0.0, 2.0, 0.0)]:
        angle = np.radians(roll)
        c1, s = float(np.cos(angle) - 1), float(np.sin(angle))
        sin_yaw, sin_pitch = float(np.sin(np.radians(yaw))), float(np.sin(np.radians(pitch)))
        shift_x, shift_y = rig.radius * sin_yaw, rig.radius * sin_pitch
        rigid_x = rig.grid_x - (c1 * rig.weighted_dx - s * rig.weighted_dy + shift_x * rig.weight)
        rigid_y = rig.grid_y - (s * rig.weighted_dx + c1 * rig.weighted_dy + shift_y * rig.weight)
        exact = relief.copy()
        for _ in range(8):
            exact = cv2.remap(relief, rigid_x - sin_yaw * exact, rigid_y - sin_pitch * exact, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        map_x, map_y = rigid_x.copy(), rigid_y.copy()
        rig._add_relief(map_x, map_y, c1, s, shift_x, shift_y, sin_yaw, sin_pitch)
        error = np.hypot(map_x - (rigid_x - sin_yaw * exact), map_y - (rigid_y - sin_pitch * exact))[face]
        moved = np.hypot(sin_yaw, sin_pitch) * relief[face]
        assert moved.max() > 2.0  # the relief moves the nose by pixels ...
        assert np.percentile(error, 99) < 0.1 and error.max() < 0.5  # ... and every pixel lands where it should


def test_a_silence_is_a_pause_even_where_the_phoneme_timings_run_over_it():
    from reel.animate.head import prosody_from_phones

    fps = 30
    phones = [Phone(phoneme="a", start=0.0, end=2.0)]  # one sound stretched over 1.2 s of silence
    loudness = np.ones(60)
    loudness[24:60] = 0.0
    assert prosody_from_phones(phones, fps, 60).quiet.max() < 0.05  # the timings alone: never a pause
    quiet = prosody_from_phones(phones, fps, 60, loudness).quiet
    assert quiet[:12].max() < 0.2 and quiet[40:].min() > 0.95
    short = np.ones(60)
    short[30:35] = 0.0  # a stop's closure (0.17 s) is no pause
    assert prosody_from_phones(phones, fps, 60, short).quiet.max() < 0.05
