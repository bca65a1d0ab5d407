"""The web fixtures (client, live server, browser) for the partners' web tests."""

from tests.web.conftest import browser, client, new_page, page, server, web_settings

__all__ = ["browser", "client", "new_page", "page", "server", "web_settings"]
