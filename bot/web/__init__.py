"""The staff web workspace (issue 13): server-rendered pages over the same services as the chat.

`bot.web.app.create_app` builds the aiohttp application; `shuraka web` serves it through the
process owner. Page authors: read bot/web/README.md, then `bot.web.page` and `bot.web.table`.
"""
