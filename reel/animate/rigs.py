"""Face rigs: smooth, tear-free deformations of the portrait driven by a single number each.

Each rig warps a small region of interest (ROI) column by column: along every pixel column a few
knots (lip lines, chin, eyelids) move and the rows between them stretch linearly. The map is
monotonic in every column, so the picture can stretch but never fold or tear, and every rig fades to
the identity at its ROI border.
"""

from __future__ import annotations

import cv2
import numpy as np

from reel.faces.landmarks import CHIN, EYES, JAW, LOWER_INNER_LIP, MOUTH_CORNERS, NOSE_BOTTOM, UPPER_INNER_LIP

_CAVITY_RGB = np.array([70, 27, 30], np.float32)  # dark mouth interior
_TONGUE_RGB = np.array([125, 50, 55], np.float32)
_TEETH_RGB = np.array([226, 218, 204], np.float32)
_UPPER_SHARE = 0.5  # of the way the lips close on m/b/p, the upper lip's share
_CONTACT_EDGE_PX = 1.5  # rows at each lip's edge that lips in contact leave out
_LOWER_TEETH_RGB = np.array([196, 184, 170], np.float32)  # in the lower lip's shadow
_TUCK_REACH = 0.55  # on f/v the lower lip covers this share of the gap between the lips at rest
_SPREAD = 0.06  # lips spread ("ee") widen the mouth by up to 6 %
_ROUNDING = 0.14  # rounded lips ("oo") narrow it by up to 14 %
_SMILE_SINK = 0.05  # a relaxed smile lowers the mouth corners by up to 5 % of the mouth's width
_BROW_RAISE = 0.14  # a full brow raise lifts the brow by 14 % of the eye's width
_FOREHEAD = 0.8  # the forehead above the brow, in eye widths, gathers as the brow lifts
_LID_SETTLE = 0.04  # as a smile eases, the lower lid drops by up to 4 % of the eye's width


def column_map(src: np.ndarray, dst: np.ndarray, rows: int) -> np.ndarray:
    """Source row for every destination pixel, from per-column knots ``src``/``dst`` of shape (K, W).

    Rows outside the knots map to themselves; between knots the map is linear.
    """
    dst = np.maximum.accumulate(dst, axis=0)  # keep knots ordered: a fold is impossible
    y = np.arange(rows, dtype=np.float32)[:, None]
    map_y = np.repeat(y, src.shape[1], axis=1)
    for k in range(len(src) - 1):
        d0, d1, s0, s1 = dst[k], dst[k + 1], src[k], src[k + 1]
        inside = (y >= d0) & (y < d1)
        value = s0 + (y - d0) * (s1 - s0) / np.maximum(d1 - d0, 1e-3)
        np.copyto(map_y, value, where=inside)
    return map_y


def _bump(x: np.ndarray, center: float, half_width: float | np.ndarray) -> np.ndarray:
    """1 at ``center``, falling smoothly (raised cosine) to 0 at +-``half_width``."""
    u = np.clip(np.abs(x - center) / half_width, 0.0, 1.0)
    return (0.5 * (1 + np.cos(np.pi * u))).astype(np.float32)


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a landmark contour at each column (held flat beyond its ends)."""
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1]).astype(np.float32)


def _smooth_seam(warped: np.ndarray, source: np.ndarray, map_x: np.ndarray, seam: np.ndarray,
                 above: np.ndarray, below: np.ndarray) -> None:
    """Where the lips meet, the map jumps from source row ``above`` to ``below`` at ``seam`` (a row per
    column, between pixel centres). Each column's pixel that the seam crosses is blended by how much of
    it lies on either side, so a sloping closure line has no stair steps."""
    columns = np.arange(warped.shape[1])
    row = np.clip(np.round(seam).astype(int), 0, warped.shape[0] - 1)
    share_above = np.clip(seam - (row - 0.5), 0.0, 1.0)[:, None]
    xs = map_x[row, columns]
    sides = cv2.remap(source, np.stack([xs, xs]), np.stack([above, below]).astype(np.float32),
                      cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    warped[row, columns] = np.round(share_above * sides[0] + (1 - share_above) * sides[1]).astype(warped.dtype)


def _over(under: np.ndarray, colour: np.ndarray, cover: np.ndarray) -> np.ndarray:
    return under + (colour - under) * cover[..., None]


class _Roi:
    def __init__(self, x0: float, y0: float, x1: float, y1: float, size: tuple[int, int]):
        width, height = size
        self.x0, self.y0 = max(0, int(x0)), max(0, int(y0))
        self.x1, self.y1 = min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))
        self.rows, self.cols = self.y1 - self.y0, self.x1 - self.x0
        self.xs = np.arange(self.x0, self.x1, dtype=np.float32)
        self.map_x = np.repeat(np.arange(self.cols, dtype=np.float32)[None, :], self.rows, axis=0)

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)


class MouthRig:
    """Shapes the mouth: the lower lip, chin and jaw drop; the corners spread or round; the parted lips
    show a shaded cavity (with a hint of upper teeth when the portrait's mouth is closed)."""

    def __init__(self, landmarks: np.ndarray, size: tuple[int, int]):
        lm = landmarks
        face_h = float(lm[CHIN, 1] - lm[NOSE_BOTTOM, 1]) * 2.6
        left, right = lm[MOUTH_CORNERS[0]], lm[MOUTH_CORNERS[1]]
        mouth_w = float(np.linalg.norm(right - left))
        self.center_x = center_x = float((left[0] + right[0]) / 2)
        self.half_w = mouth_w / 2
        jaw = lm[JAW]
        top = float(lm[NOSE_BOTTOM, 1])
        bottom = float(lm[CHIN, 1] + 0.25 * face_h)
        self.roi = roi = _Roi(jaw[:, 0].min(), top - 4, jaw[:, 0].max(), bottom, size)
        xs, y0 = roi.xs, roi.y0
        self.upper = _curve(lm[UPPER_INNER_LIP], xs) - y0
        self.lower = np.maximum(_curve(lm[LOWER_INNER_LIP], xs) - y0, self.upper)
        chin = _curve(lm[JAW[4:-4]], xs) - y0
        self.chin = np.maximum(chin, self.lower + 0.1 * face_h)
        self.top = np.full_like(xs, top - y0)
        self.bottom = np.full_like(xs, bottom - y0)
        self.lip_weight = _bump(xs, center_x, 0.75 * mouth_w)
        sides = np.where(xs < center_x, center_x - xs[0], xs[-1] - center_x)
        self.jaw_weight = _bump(xs, center_x, sides)  # 0 at both sides of the ROI: no seam
        self.max_drop_px = 0.16 * mouth_w
        # Corners move along the mouth line; the lips above and below follow, fading out at nose and chin.
        mouth_y = float((left[1] + right[1]) / 2)
        rows = np.arange(roi.y0, roi.y1, dtype=np.float32)
        reach = np.where(rows < mouth_y, mouth_y - top, float(lm[CHIN, 1]) - mouth_y)  # 0 by the ROI's top: no seam
        self.corner_weight = _bump(rows, mouth_y, reach)[:, None]
        self.lower_lip_points = lm[LOWER_INNER_LIP] - (roi.x0, roi.y0)
        self.lower_lip_weight = _bump(lm[LOWER_INNER_LIP, 0], center_x, 0.75 * mouth_w)
        # The lips sink most at the corners, not at all in the middle or beyond the cheeks.
        self.max_sink_px = _SMILE_SINK * mouth_w
        self.corner_sink = self.max_sink_px * _bump(np.abs(xs - center_x), self.half_w, 0.6 * self.half_w)
        rest_gap = float(np.mean(self.lower - self.upper, where=self.lip_weight > 0.5))
        self.teeth = rest_gap < 0.05 * mouth_w  # closed in the portrait: no real teeth to show
        self.gap = self.lower - self.upper  # between the inner lips at rest, per column
        self.max_gap_px = float(self.gap.max())
        self.edge_rows = np.minimum(0.5 * self.gap, _CONTACT_EDGE_PX)

    def apply(self, frame: np.ndarray, base: np.ndarray, openness: float, width: float = 0.0,
              relax: float = 0.0, press: float = 0.0, tuck: float = 0.0) -> None:
        """Write the rigged ROI of ``base`` into ``frame`` (both full frames, RGB). ``relax`` (0..1): the
        corners of the portrait's smile sink, as a smile eases while someone talks. ``press`` (0..1): the
        lips meet halfway across the portrait's gap between them (m, b, p); ``tuck`` (0..1): the lower lip
        rises to the upper teeth (f, v)."""
        rows, cols = self.roi.slices
        drop = openness * self.max_drop_px
        spread = width * (_SPREAD if width > 0 else _ROUNDING)
        sink = relax * self.corner_sink
        contact = max(press, tuck)
        if (drop < 0.25 and abs(spread) * self.half_w < 0.25 and relax * self.max_sink_px < 0.25
                and contact * self.max_gap_px < 0.25):
            frame[rows, cols] = base[rows, cols]
            return
        # A lip in contact leaves the jaw's drop behind: the lower lip rides up against the teeth.
        lip_drop = drop * self.lip_weight * (1 - contact)
        raise_upper = 0.1 * drop * self.lip_weight
        upper_down = _UPPER_SHARE * press * self.gap
        lower_up = np.minimum((1 - _UPPER_SHARE) * press * self.gap + _TUCK_REACH * tuck * self.gap,
                              self.gap - upper_down)
        upper_edge = self.upper - raise_upper + sink + upper_down
        lower_edge = self.lower - raise_upper + sink - lower_up
        # Between the lips the portrait's gap shows from its top down, as far as the lips leave room: a
        # rising lower lip covers the teeth instead of squeezing them. Lips in contact skip their own
        # edge rows, where the portrait blends lip and teeth, so no light line is left between them.
        shown = np.maximum(lower_edge - upper_edge, 0)
        skip_upper, skip_lower = press * self.edge_rows, contact * self.edge_rows
        src = np.stack([self.top, self.upper - skip_upper, self.upper + shown, self.lower + skip_lower,
                        self.lower + 0.5 + skip_lower, self.chin, self.bottom])
        dst = np.stack([self.top, upper_edge, lower_edge, lower_edge, lower_edge + 0.5 + lip_drop + raise_upper,
                        self.chin + 0.9 * drop * self.jaw_weight, self.bottom])
        map_y = column_map(src, dst, self.roi.rows)
        map_x = self._corner_map(spread)
        source = base[rows, cols]
        warped = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if contact > 0:
            above = np.where(shown > 0, self.upper + shown, self.upper - skip_upper)
            _smooth_seam(warped, source, map_x, lower_edge, above, self.lower + skip_lower)
        cavity = drop * (1 - contact)
        if cavity >= 0.25:
            self._paint_cavity(warped, cavity, 1 + spread, lower_up)
        frame[rows, cols] = warped

    def _corner_map(self, spread: float) -> np.ndarray:
        """Source column per pixel: the mouth between its corners scales by 1 + spread about its centre,
        the cheeks out to the ROI border stretch to make room. Monotonic in every row."""
        if abs(spread) < 1e-4:
            return self.roi.map_x
        x = self.roi.xs[None, :]
        c, h = self.center_x, self.half_w
        left, right = float(self.roi.xs[0]), float(self.roi.xs[-1])
        moved = h * (1 + spread * self.corner_weight)  # where each row's corners land, from the centre
        inside = c + (x - c) * h / moved
        outer_left = left + (x - left) * (c - h - left) / (c - moved - left)
        outer_right = right - (right - x) * (right - c - h) / (right - c - moved)
        source = np.where(x < c - moved, outer_left, np.where(x > c + moved, outer_right, inside))
        return (source - self.roi.x0).astype(np.float32)

    def _paint_cavity(self, roi: np.ndarray, drop: float, scale: float, lower_up: np.ndarray) -> None:
        """Fill the gap between the parted lips with a mouth interior, edges feathered: a dark cavity,
        the tongue's back lit from the front, the lower teeth's edges in the lower lip's shadow."""
        weight = self.lower_lip_weight * drop
        lip = self.lower_lip_points.copy()
        lip[:, 1] -= np.interp(lip[:, 0], np.arange(len(lower_up)), lower_up)
        lip[:, 0] = self.center_x - self.roi.x0 + (lip[:, 0] - (self.center_x - self.roi.x0)) * scale
        top, bottom = lip.copy(), lip.copy()
        top[:, 1] -= 0.1 * weight
        bottom[:, 1] += weight
        polygon = np.concatenate([top, bottom[::-1]])
        x0, y0 = np.floor(polygon.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + 3
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, roi.shape[1]), min(y1, roi.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round((polygon - (x0, y0)) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
        alpha = cv2.GaussianBlur(mask, (5, 5), 0).astype(np.float32)[..., None] / 255.0
        xs = np.arange(x1 - x0, dtype=np.float32)
        ys = np.arange(y1 - y0, dtype=np.float32)[:, None]
        lower_edge = np.interp(xs, bottom[:, 0] - x0, bottom[:, 1] - y0)[None, :]
        middle = self.center_x - self.roi.x0 - x0
        interior = np.broadcast_to(_CAVITY_RGB, (y1 - y0, x1 - x0, 3)).astype(np.float32)
        interior = _over(interior, _TONGUE_RGB, self._tongue(xs, ys, lower_edge, middle, drop * scale))
        interior = _over(interior, _LOWER_TEETH_RGB, self._lower_teeth(xs, ys, lower_edge, middle, drop, scale))
        # Light falls into the middle of an open mouth; the corners stay in shadow.
        light = 0.6 + 0.4 * _bump(xs, middle, self.half_w * scale)
        interior = interior * light[None, :, None]
        if self.teeth:
            interior = self._teeth(interior, top - (x0, y0), drop)
        patch = roi[y0:y1, x0:x1].astype(np.float32)
        roi[y0:y1, x0:x1] = (patch * (1 - alpha) + interior * alpha).astype(np.uint8)

    def _tongue(self, xs: np.ndarray, ys: np.ndarray, lower_edge: np.ndarray, middle: float,
                size: float) -> np.ndarray:
        """Cover (0..1) of the tongue's back: a hump rising from behind the lower teeth, highest in the
        middle, its top edge soft."""
        hump = lower_edge - 0.5 * size * np.sqrt(_bump(xs, middle, 0.8 * self.half_w))[None, :]
        return np.clip((ys - hump) / 2.0, 0, 1) * 0.85

    def _lower_teeth(self, xs: np.ndarray, ys: np.ndarray, lower_edge: np.ndarray, middle: float, drop: float,
                     scale: float) -> np.ndarray:
        """Cover (0..1) of the lower teeth's edges: a thin band just above the lower lip, narrower than the
        upper arch, showing only as the jaw opens wide."""
        height = min(0.22 * drop, 0.04 * 2 * self.half_w)
        band = np.clip((ys - (lower_edge - height)) / 1.2, 0, 1) * np.clip((lower_edge + 1 - ys) / 1.2, 0, 1)
        arch = _bump(xs, middle, 0.6 * self.half_w * scale)[None, :]
        return band * np.clip(1.5 * arch, 0, 1) * np.clip((drop / self.max_drop_px - 0.4) / 0.3, 0, 1)

    def _teeth(self, interior: np.ndarray, upper_edge: np.ndarray, drop: float) -> np.ndarray:
        """A band of upper teeth under the upper lip, shaded darker towards the corners."""
        rows, cols = interior.shape[:2]
        xs = np.arange(cols, dtype=np.float32)
        edge = np.interp(xs, upper_edge[:, 0], upper_edge[:, 1])[None, :]
        height = min(0.4 * drop, 0.09 * 2 * self.half_w)
        ys = np.arange(rows, dtype=np.float32)[:, None]
        band = np.clip((edge + height - ys) / 1.5, 0, 1) * np.clip((ys - edge + 1) / 1.5, 0, 1)
        shade = _bump(xs, (upper_edge[0, 0] + upper_edge[-1, 0]) / 2, 0.55 * (upper_edge[-1, 0] - upper_edge[0, 0]))
        amount = (band * np.clip(shade * 1.6, 0, 1)[None, :])[..., None]
        return interior * (1 - amount) + _TEETH_RGB * (0.55 + 0.45 * shade[None, :, None]) * amount


class EyeRig:
    """Closes one eye (the upper lid slides down to the lower lid, the skin above stretches with it),
    raises its brow (the brow lifts, the forehead above it gathers) and lets the lower lid settle as a
    smile eases."""

    def __init__(self, landmarks: np.ndarray, size: tuple[int, int], eye: str):
        spec = EYES[eye]
        lm = landmarks
        corners = lm[list(spec["corners"])]
        upper = np.concatenate([corners, lm[spec["upper"]]])
        lower = np.concatenate([corners, lm[spec["lower"]]])
        eye_w = float(abs(corners[1, 0] - corners[0, 0]))
        brow = lm[spec["brow"]]
        bottom = float(lower[:, 1].max() + 0.35 * eye_w)
        forehead = float(brow[:, 1].min() - _FOREHEAD * eye_w)
        self.roi = roi = _Roi(corners[:, 0].min() - 0.3 * eye_w, forehead - 2,
                              corners[:, 0].max() + 0.3 * eye_w, bottom, size)
        xs, y0 = roi.xs, roi.y0
        self.upper = _curve(upper, xs) - y0
        self.lower = np.maximum(_curve(lower, xs) - y0, self.upper)
        self.brow_line = _curve(brow, xs) - y0
        # The fold above the lid: a blink stretches the skin below it; a brow raise lifts the skin above it.
        self.fold = np.minimum(self.brow_line + 0.15 * eye_w, self.upper - 2)
        self.forehead = np.full_like(xs, max(forehead - y0, 0.0))
        self.bottom = np.full_like(xs, bottom - y0)
        # The brow lifts most above the eye's middle, fading to nothing at the sides of the region.
        self.max_raise_px = _BROW_RAISE * eye_w * _bump(xs, float(corners[:, 0].mean()), 0.5 * (roi.x1 - roi.x0))
        self.max_settle_px = _LID_SETTLE * eye_w * _bump(xs, float(corners[:, 0].mean()), 0.5 * eye_w)

    def apply(self, frame: np.ndarray, base: np.ndarray, closure: float, brow: float = 0.0,
              relax: float = 0.0) -> None:
        """``closure``: the upper lid's way down (1: shut); ``brow``: the brow's raise (1: the most);
        ``relax``: the smile eases, the cheek below the eye settles and the lower lid with it."""
        rows, cols = self.roi.slices
        if closure < 0.02 and brow * _BROW_RAISE < 0.002 and relax < 0.05:
            frame[rows, cols] = base[rows, cols]
            return
        lift = brow * self.max_raise_px
        lid = self.upper + closure * (self.lower - self.upper)
        settle = relax * self.max_settle_px
        src = np.stack([self.forehead, self.brow_line, self.fold, self.upper, self.lower, self.bottom])
        dst = np.stack([self.forehead, self.brow_line - lift, self.fold - 0.9 * lift, lid + settle * closure,
                        self.lower + settle, self.bottom])
        map_y = column_map(src, dst, self.roi.rows)
        frame[rows, cols] = cv2.remap(base[rows, cols], self.roi.map_x, map_y, cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
