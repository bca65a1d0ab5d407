"""The web workspace's fixtures (signed-in clients, a live server, the browser) for the
accessibility tests, which check chat and web together."""

from tests.web.conftest import (  # noqa: F401 (fixtures)
    browser,
    client,
    new_page,
    page,
    server,
    web_settings,
)
