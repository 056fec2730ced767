"""Every answer scale, defined once: CSAT 1–5, CES 1–7, NPS 0–10, and admins' ratings 1–5.

The questions show them, the rollups count each of their values, the maths reads them.
(The schema's CHECK constraints hold the same bounds, as frozen SQL in the migrations.)
"""

CSAT_SCALE = range(1, 6)
CES_SCALE = range(1, 8)
NPS_SCALE = range(0, 11)
RATING_SCALE = range(1, 6)  # speed, initiative and accuracy of an admin
SCALES = {"csat": CSAT_SCALE, "ces": CES_SCALE, "nps": NPS_SCALE}
