"""The server's half of the pin map (`cases/static/cases/pinmap.js`).

Two forms take a place with that script: the office's intake form and the
residents' report form. Both hand it the pin to put back and the same words
for the pin; only the advice when the location or the map fails differs (an
officer can choose the area, a resident can send a photo with GPS), and each
form adds where its areas come from.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def pin_map_config(
    lat: float | None, lng: float | None, *, locate_error: str, load_error: str
) -> dict[str, Any]:
    """The pin map's settings: the pin to restore (None: no pin) and what it says."""
    return {
        "lat": lat,
        "lng": lng,
        "pinLabel": _("Pin at"),
        "noPinLabel": _("No pin yet: tap the map where the problem is."),
        "locating": _("Finding your location…"),
        "locateError": locate_error,
        "loadError": load_error,
    }
