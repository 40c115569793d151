"""Named indices into MediaPipe's 468-point face mesh."""

# Inner lip contours, mouth corner to mouth corner (left corner 78, right corner 308).
UPPER_INNER_LIP = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_INNER_LIP = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
UPPER_OUTER_LIP = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LOWER_OUTER_LIP = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
MOUTH_CORNERS = (61, 291)
UPPER_LIP_CENTER_INNER = 13
LOWER_LIP_CENTER_INNER = 14
NOSE_BOTTOM = 2
CHIN = 152
# Lower face oval from ear to ear through the chin.
JAW = [234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454]
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
# Eyes in image order (the subject's right eye appears on the image's left).
EYES = {
    "left": {"corners": (33, 133), "upper": [246, 161, 160, 159, 158, 157, 173], "lower": [7, 163, 144, 145, 153, 154, 155],
             "brow": [70, 63, 105, 66, 107]},
    "right": {"corners": (362, 263), "upper": [398, 384, 385, 386, 387, 388, 466], "lower": [382, 381, 380, 374, 373, 390, 249],
              "brow": [336, 296, 334, 293, 300]},
}
# Measurement points: inner-lip pairs (upper, lower) across the mouth; outer eye corners for the face's scale.
INNER_LIP_PAIRS = [(82, 87), (13, 14), (312, 317)]
INTEROCULAR = (33, 263)
