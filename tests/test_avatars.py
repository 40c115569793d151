import cv2
import numpy as np
import pytest

from reel.avatars import list_avatar_ids, load_avatar, prepare_portrait, read_portrait_image
from reel.errors import AvatarError
from reel.faces import load_face_mesh
from reel.faces.framing import FACE_CENTER_HEIGHT
from reel.faces.landmarks import CHIN, LOWER_INNER_LIP, UPPER_INNER_LIP
from reel.runner import LocalRunner
from reel.settings import PROJECT_ROOT
from reel.steps import PORTRAIT, portrait_input
from tests.conftest import framed_portrait

AVATARS = PROJECT_ROOT / "assets" / "avatars"


def test_face_mesh_finds_the_astronaut_face_with_468_points():
    image = read_portrait_image(AVATARS / "astronaut" / "portrait.png")
    face = load_face_mesh().detect(image)
    assert face is not None and face.score > 0.8
    assert face.landmarks.shape == (468, 2)
    x0, y0, x1, y1 = face.box
    # The face in the 512x512 photo lies around x 180-270, y 70-180 (checked by eye on a marked PNG).
    assert 160 < x0 < 200 and 250 < x1 < 290 and 50 < y0 < 90 and 160 < y1 < 200
    lips_gap = face.landmarks[LOWER_INNER_LIP].mean(axis=0)[1] - face.landmarks[UPPER_INNER_LIP].mean(axis=0)[1]
    assert 0 <= lips_gap < 15
    assert face.landmarks[CHIN, 1] > face.landmarks[UPPER_INNER_LIP, 1].max()


def test_no_face_is_found_in_a_flat_image():
    assert load_face_mesh().detect(np.full((400, 300, 3), 128, np.uint8)) is None


def test_portrait_is_framed_to_9_16_around_the_face_without_black_bars(settings):
    portrait = framed_portrait(settings)
    image = read_portrait_image(portrait.path)
    assert image.shape == (1920, 1080, 3)
    x0, y0, x1, y1 = portrait.face_box
    assert abs((x0 + x1) / 2 - 540) < 30
    assert abs((y0 + y1) / 2 - FACE_CENTER_HEIGHT * 1920) < 40
    assert len(portrait.landmarks) == 468
    # The photo does not cover the top of the frame: the fill must be picture, not black.
    assert image[:120].mean() > 60
    assert (image[:120].max(axis=2) < 20).mean() < 0.01


def test_framed_portrait_is_cached_by_content(tmp_path, monkeypatch):
    import dataclasses

    avatar = load_avatar(AVATARS, "astronaut")
    runner = LocalRunner(tmp_path)
    first = runner(PORTRAIT, portrait_input(avatar, (1080, 1920)), lambda d, t: None)

    def never(*args):
        raise AssertionError("the portrait was framed again")

    refusing = dataclasses.replace(PORTRAIT, run=never)
    assert runner(refusing, portrait_input(avatar, (1080, 1920)), lambda d, t: None) == first
    with pytest.raises(AssertionError, match="framed again"):  # another size is another portrait
        runner(refusing, portrait_input(avatar, (720, 1280)), lambda d, t: None)
    first.path.write_bytes(b"damaged")  # a cached file that changed is made again, not used
    assert runner(PORTRAIT, portrait_input(avatar, (1080, 1920)), lambda d, t: None).sha256 == first.sha256


def test_unknown_avatar_lists_the_valid_ones():
    with pytest.raises(AvatarError, match="unknown avatar 'nobody'; valid avatars: astronaut"):
        load_avatar(AVATARS, "nobody")
    assert list_avatar_ids(AVATARS) == ["astronaut"]


def test_portrait_that_is_not_an_image(avatars_copy, tmp_path):
    (avatars_copy / "avatars" / "astronaut" / "portrait.png").write_text("not a picture")
    avatar = load_avatar(avatars_copy / "avatars", "astronaut")
    with pytest.raises(AvatarError, match="is not a readable image"):
        prepare_portrait(avatar.id, avatar.portrait, (1080, 1920), tmp_path / "framed.png")


def test_portrait_without_a_face(avatars_copy, tmp_path):
    path = avatars_copy / "avatars" / "astronaut" / "portrait.png"
    cv2.imwrite(str(path), np.full((600, 400, 3), 90, np.uint8))
    avatar = load_avatar(avatars_copy / "avatars", "astronaut")
    with pytest.raises(AvatarError, match="no face found in portrait"):
        prepare_portrait(avatar.id, avatar.portrait, (1080, 1920), tmp_path / "framed.png")


def _gradient_energy(gray: np.ndarray) -> tuple[float, float]:
    """Mean absolute change between neighbouring pixels: across columns (x) and across rows (y)."""
    return float(np.abs(np.diff(gray, axis=1)).mean()), float(np.abs(np.diff(gray, axis=0)).mean())


def test_the_fill_above_and_below_the_photo_has_no_streaks_and_no_face(tmp_path):
    """A stretched edge makes columns: strong change across x, none along y (the old fill measured
    x/y = 45.6 above the photo and 15.4 below). A background changes alike in both directions, as the
    photo's own wall does (about 1.05)."""
    from reel.faces.framing import framing_matrix

    image = read_portrait_image(AVATARS / "astronaut" / "portrait.png")
    face = load_face_mesh().detect(image)
    prepare_portrait("astronaut", AVATARS / "astronaut" / "portrait.png", (1080, 1920), tmp_path / "framed.png")
    framed = cv2.cvtColor(cv2.imread(str(tmp_path / "framed.png")), cv2.COLOR_BGR2RGB)
    matrix = framing_matrix((image.shape[1], image.shape[0]), face.box, (1080, 1920))
    top, bottom = matrix[1, 2], matrix[1, 2] + image.shape[0] * matrix[1, 1]
    assert 200 < top and bottom < 1800  # the square photo leaves bands above and below
    gray = cv2.cvtColor(framed, cv2.COLOR_RGB2GRAY).astype(np.float32)
    wall_x, wall_y = _gradient_energy(gray[int(top) + 100:int(top) + 250])
    for band in (gray[:int(top) - 10], gray[int(bottom) + 10:]):
        across, along = _gradient_energy(band)
        assert across / along < 3 and across < wall_x
        assert load_face_mesh().detect(cv2.cvtColor(band.astype(np.uint8), cv2.COLOR_GRAY2RGB)) is None
    assert load_face_mesh().detect(framed) is not None
