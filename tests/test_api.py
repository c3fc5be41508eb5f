from __future__ import annotations

from django.urls import reverse


def test_schemes_are_public(client, scheme_a):
    response = client.get(reverse("api:schemes"))
    assert response.status_code == 200
    assert response.json()["results"][0]["slug"] == "scheme-a"


def test_own_participations(client, bob):
    client.force_login(bob)
    data = client.get(reverse("api:my_participations")).json()
    assert [p["scheme"] for p in data["results"]] == ["scheme-a"]
    assert "identity" not in str(data).lower() and "Bangladeshi" not in str(data)


def test_registrations_for_the_schemes_coordinator_only(
    client, alice, charlie, bob, bob_participant
):
    url = reverse("api:registrations", args=["scheme-a"])
    assert client.get(url).status_code == 403  # anonymous
    client.force_login(charlie)
    assert client.get(url).status_code == 403
    assert (
        client.get(reverse("api:registration", args=["scheme-a", bob_participant.pk])).status_code
        == 403
    )
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(alice)
    data = client.get(url + "?status=registered").json()
    assert [p["id"] for p in data["results"]] == [bob_participant.pk]


def test_openapi_schema(client, db):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert b"/api/v1/schemes/" in response.content


def test_the_reference_page_renders_the_schema_from_this_site(client, db):
    """Public like the schema; Swagger UI's files from this site, its start-up script a file (the
    browser journey tests/browser/test_api_reference.py shows it working under the policy)."""
    page = client.get(reverse("api:reference"))
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert (
        '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js">'
        in html
    )
    assert '<script src="/api/docs/?script="></script>' in html
    assert "cdn" not in html and "<script>" not in html
    assert "img-src 'self' data:;" in page["Content-Security-Policy"] + ";"
    script = client.get(reverse("api:reference") + "?script=")
    assert script["Content-Type"] == "application/javascript"
    assert 'url: "/api/schema/"' in script.content.decode()
    assert "no-cache" in script["Cache-Control"]


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").read_text().count("operationId") > 20


def test_an_address_under_api_that_matches_nothing_is_a_json_404(client, db):
    """Found by the schema fuzz (#20): a slug with a space, or an id no row can have, never
    reaches the API's views, and Django answered with the site's HTML page."""
    for url in [
        "/api/v1/schemes/two words/",
        "/api/v1/nowhere/",
        "/api/v1/schemes/s/registrations/99999999999999999999/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "Not found.",
        }
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
