"""Composing a broadcast counts its length the way Telegram does: in UTF-16 units, where an
emoji is two. 700 emoji and 2,800 letters are 3,500 characters but 4,200 units.

(In the chat every form answer is also capped at 1,000 characters by the forms engine, which
comes first; the announcement's own rule is checked on its field parser.)"""

from __future__ import annotations

from typing import Any, cast

import pytest

from bot.core.html_split import utf16_len
from bot.core.i18n import Catalogs
from bot.core.validators import Invalid
from bot.handlers.broadcasts.broadcast import BroadcastForm

EMOJI_HEAVY = "\U0001f600" * 700 + "\u0634" * 2800


def parse(name: str, text: str) -> Any:
    [field] = [f for f in BroadcastForm.fields if f.name == name]
    assert field.parse is not None
    return field.parse(cast(Any, None), text)  # the text parsers do not use the context


@pytest.mark.parametrize("name", ["text_ar", "text_en"])
def test_an_emoji_heavy_announcement_is_refused_with_its_length(
    name: str, catalogs: Catalogs
) -> None:
    assert len(EMOJI_HEAVY) == 3500 and utf16_len(EMOJI_HEAVY) == 4200
    with pytest.raises(Invalid) as refused:
        parse(name, EMOJI_HEAVY)
    assert refused.value.msgid == "bc.err.too_long"
    assert refused.value.params == {"length": 4200, "limit": 3500}
    arabic = catalogs.translator("ar").t("bc.err.too_long", **refused.value.params)
    english = catalogs.translator("en").t("bc.err.too_long", **refused.value.params)
    assert "الإعلان أطول مما تتسع له رسالة واحدة" in arabic and "بحرفين" in arabic
    assert "4200" in english and "3500" in english and "counts as two" in english


def test_up_to_3500_units_are_taken() -> None:
    fits = "\U0001f600" * 700 + "\u0634" * 2100
    assert parse("text_ar", fits) == fits
    with pytest.raises(Invalid):
        parse("text_ar", fits + "\U0001f600")
