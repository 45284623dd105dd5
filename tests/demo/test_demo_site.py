"""The demo company page: served from the project (no CDN), with safe headers and config."""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator

import pytest
import requests

from bot.demo.site import make_server


@pytest.fixture
def site(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("RASA_PUBLIC_URL", "http://localhost:5999")
    server = make_server("127.0.0.1", 0)
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_shows_the_sample_company_and_loads_only_local_scripts(site):
    response = requests.get(site + "/", timeout=5)
    assert response.status_code == 200
    assert "PT Contoh Layanan Nusantara" in response.text  # data/business_profile.yml
    assert 'lang="id"' in response.text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', response.text)
    assert sources and all(src.startswith("/") for src in sources)  # nothing from a CDN


def test_every_asset_the_page_references_is_served(site):
    html = requests.get(site + "/", timeout=5).text
    for path in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        assert requests.get(site + path, timeout=5).status_code == 200, path


def test_widget_config_points_at_the_rasa_server(site):
    text = requests.get(site + "/config.js", timeout=5).text
    config = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    assert config["socketUrl"] == "http://localhost:5999"
    assert config["initPayload"] == "/greet"


def test_security_headers(site):
    headers = requests.get(site + "/", timeout=5).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert (
        "connect-src 'self' http://localhost:5999 ws://localhost:5999"
        in headers["Content-Security-Policy"]
    )
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/static/../../bot/config.py",
        "/vendor/../../package.json",
        "/%2e%2e/pyproject.toml",
        "/..%2fpyproject.toml",
        "/nope",
    ],
)
def test_nothing_outside_the_published_files_is_served(site, path):
    # http.client sends the path byte for byte; requests/urllib3 would remove the "../".
    host, port = site.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert (response.status, body) == (404, b"Not found")
