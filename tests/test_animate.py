import numpy as np

from reel.animate.blinks import blink_track
from reel.animate.camera import camera_matrices, plan_states
from reel.animate.rigs import column_map
from reel.animate.visemes import mouth_track, phone_openness
from reel.models import Phone


def _phones(symbols: str, step: float = 0.1) -> list[Phone]:
    return [Phone(phoneme=p, start=i * step, end=(i + 1) * step) for i, p in enumerate(symbols)]


def test_visemes_close_on_bilabials_and_open_on_a():
    values = dict(zip("^mab.ˈ", phone_openness(_phones("^mab.ˈ"))))
    assert values["m"] == values["b"] == 0.0 and values["a"] == 1.0 and values["."] == 0.0


def test_mouth_track_is_smooth_and_closed_in_silence():
    phones = _phones("^" + "a" * 5 + "." * 10 + "mamama" + "$", step=0.05)
    track = mouth_track(phones, fps=30, frames=int(phones[-1].end * 30))
    assert track[3:8].max() > 0.9  # the long "a"
    assert track[int(0.6 * 30):int(0.75 * 30)].max() < 0.05  # the pause
    assert np.abs(np.diff(track)).max() < 0.5  # co-articulation: no frame-to-frame snap


def test_blinks_are_natural_in_rate_and_length_and_repeatable():
    fps, frames = 30, 60 * 30
    track = blink_track(seed=7, fps=fps, frames=frames)
    onsets = np.flatnonzero(np.diff((track > 0.5).astype(int)) == 1)
    assert 10 <= len(onsets) <= 20  # per minute
    assert track[:30].max() == 0  # the reel opens on the still portrait
    assert np.array_equal(track, blink_track(seed=7, fps=fps, frames=frames))
    assert not np.array_equal(track, blink_track(seed=8, fps=fps, frames=frames))


def test_camera_starts_on_the_portrait_and_never_shows_an_edge():
    size, focus = (1080, 1920), (540, 690)
    moves = ["push-in", "pan-left", "pan-right", "pull-out"]
    matrices = camera_matrices(moves, [0, 2, 4, 6], 8, 30, 240, size, focus)
    assert matrices[0] is None  # identity: the first frame is the framed portrait
    corners = np.array([[0, 0, 1], [1080, 0, 1], [0, 1920, 1], [1080, 1920, 1]], float)
    for m in matrices:
        if m is not None:
            mapped = corners @ m.T  # where the portrait's corners land: outside or on the frame edge
            assert mapped[:, 0].min() <= 0.01 and mapped[:, 0].max() >= 1079.99
            assert mapped[:, 1].min() <= 0.01 and mapped[:, 1].max() >= 1919.99
    assert plan_states(["pull-out"])[0].zoom > 1.0  # a pull-out needs room to pull out from


def test_column_map_is_monotonic_and_identity_outside_the_knots():
    src = np.array([[10.0], [20.0], [30.0]])
    dst = np.array([[10.0], [25.0], [30.0]])
    map_y = column_map(src, dst, 40)[:, 0]
    assert np.allclose(map_y[:10], np.arange(10)) and np.allclose(map_y[30:], np.arange(30, 40))
    assert np.all(np.diff(map_y) >= 0)
    assert abs(map_y[25] - 20.0) < 1e-5
