"""The web workspace's fixtures (client, server, browser pages) for the agreements' web tests."""

from tests.web.conftest import browser, client, new_page, page, server, web_settings

__all__ = ["browser", "client", "new_page", "page", "server", "web_settings"]
