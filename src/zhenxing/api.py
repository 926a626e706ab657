"""The one JSON API, under /api/v1/, with its schema at /api/v1/openapi.json.

Each app contributes a router from its own api.py.
"""

from ninja import NinjaAPI
from ninja.security import django_auth

from zhenxing.territory.api import router as territory_router

api = NinjaAPI(
    title="zhenxing API",
    version="1",
    description="振兴 — rural revitalisation platform API",
    urls_namespace="api",
    auth=django_auth,
)
api.add_router("/regions", territory_router, tags=["territory"])
