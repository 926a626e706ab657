from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zhenxing.core.navigation import menu_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_menu": [], "user_unit": ""}
    from zhenxing.people.scopes import assignments_of

    units = sorted({str(a.region or a.department) for a in assignments_of(user)})
    return {
        "nav_menu": menu_for(user, request.path),
        "user_unit": "、".join(units[:2]) + ("…" if len(units) > 2 else ""),
    }
