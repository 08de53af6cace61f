from __future__ import annotations

import httpx

from tests.support.platform import RunningPlatform


async def test_health_reports_database_and_node(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        response = await http.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["node_id"] == "test-node"
    assert body["database"] in {"sqlite", "postgresql"}
    assert body["connected_stations"] == 0


async def test_openapi_schema_is_served(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        schema = (await http.get("/schema/openapi.json")).json()
        swagger = await http.get("/schema/swagger")
    assert schema["info"]["title"] == "Charge point operator platform"
    assert "/api/health" in schema["paths"]
    assert swagger.status_code == 200


async def test_unknown_paths_are_problem_details(platform: RunningPlatform) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        response = await http.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "http_404"


def test_the_app_builds_from_default_settings(tmp_path: object) -> None:
    from api.app import create_app
    from cpo.settings import Settings

    app = create_app(Settings(outbox_dir=str(tmp_path)))
    assert app.openapi_schema.info.title == "Charge point operator platform"
