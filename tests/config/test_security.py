"""Production settings pass `check --deploy`; headers people expect; the API docs need a sign-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k9$Vq!2mZr7@Lp4#Xw8&Tn1^Hs6*Bd3(Fj5)Gc0-Ny+Ue=Ra%Yo-clubroom-test",
    "DJANGO_ALLOWED_HOSTS": "club.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://club.example.com",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_fail_on_a_weakened_production():
    """The test above can fail: turning HSTS off is reported."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV, DJANGO_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_script_and_the_usual_headers(member_client):
    response = member_client.get(reverse("accounts:directory"))
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_hsts_is_sent_over_tls_only(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    secure = client.get(reverse("accounts:login"), secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get(reverse("accounts:login"))


def test_no_template_has_an_inline_script_or_event_handler():
    import re

    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


# --- /api/schema/ and /api/docs/ ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_and_docs_need_a_signed_in_user(client):
    assert client.get(reverse("api-schema")).status_code == 401
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_a_signed_in_user_gets_the_schema_and_self_hosted_docs(member_client):
    assert member_client.get(reverse("api-schema")).status_code == 200
    docs = member_client.get(reverse("api-docs"))
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn.jsdelivr.net" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "'unsafe-inline'" not in docs["Content-Security-Policy"].split("script-src", 1)[1].split(";", 1)[0]
    script = member_client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_a_setting_makes_the_schema_and_docs_public(client, settings):
    settings.CLUBROOM_API_DOCS_PUBLIC = True
    assert client.get(reverse("api-schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
