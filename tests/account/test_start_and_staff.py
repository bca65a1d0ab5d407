"""First contact (language, privacy notice), the everyday commands, and staff-only commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.engine import Engine
from bot.core.messages import InboundKind, Outbound
from storage import repositories as repo
from storage.db import Database
from storage.models import ChannelIdentity, Conversation, User, Volunteer
from tests.support import (
    ADULT_ANSWERS,
    NOTICE_VERSION,
    Chat,
    assert_clean,
    catalog,
    conversation,
    plain,
    state_key,
    step_of,
    text_of,
)

NAME = "محمد عبدالله الغامدي"


async def asked_for_the_id(engine: Engine, user: str = "u1") -> Chat:
    """Start the sign-up and give the name: the form asks for the national ID next."""
    chat = Chat(engine, user=user)
    await chat.start_signup()
    await chat.send(NAME)
    return chat


def language_question(chat: Chat) -> bool:
    last = chat.last[-1] if chat.last else None
    return (
        last is not None
        and {c.id for c in last.choices} == {"lang:pick:ar", "lang:pick:en"}
        and plain(text_of("ar", "lang.prompt")) in plain(last.text)
        and text_of("en", "lang.prompt") in last.text
    )


def privacy_notice(chat: Chat, locale: str = "ar") -> bool:
    last = chat.last[-1] if chat.last else None
    title = "إشعار الخصوصية" if locale == "ar" else "Privacy notice"
    return (
        last is not None
        and {c.id for c in last.choices} == {"pv:notice:yes", "pv:notice:no"}
        and title in last.text
    )


async def user_row(db: Database, external_id: str) -> User | None:
    async with db.sessions() as session:
        return (
            await session.execute(
                select(User)
                .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
                .where(
                    ChannelIdentity.channel == "console", ChannelIdentity.external_id == external_id
                )
            )
        ).scalar_one_or_none()


async def volunteer_count(db: Database) -> int:
    async with db.sessions() as session:
        return len((await session.execute(select(Volunteer))).scalars().all())


# --- first contact ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "hint,first",
    [("en", "en"), ("en-GB", "en"), ("ar", "ar"), ("ar-SA", "ar"), (None, "ar"), ("fr", "ar")],
)
async def test_language_question_puts_the_hinted_language_first(
    engine: Engine, db: Database, hint: str | None, first: str
) -> None:
    chat = Chat(engine, language_hint=hint)
    await chat.send("hello")
    assert_clean(chat.last)
    assert language_question(chat)
    text = plain(chat.last[-1].text)
    en_at = text.index(text_of("en", "lang.prompt"))
    ar_at = text.index(plain(text_of("ar", "lang.prompt")))
    assert (en_at < ar_at) == (first == "en")
    # Both languages are offered either way, each named in its own language.
    assert [label for _, label in chat.choices] == ["العربية", "English"]


Sender = Callable[[Chat], Awaitable[Any]]
FIRST_MESSAGES: list[tuple[str, Sender]] = [
    ("text", lambda c: c.send("السلام عليكم")),
    ("digit", lambda c: c.send("١")),
    ("empty", lambda c: c.send("")),
    ("start", lambda c: c.send("/start")),
    ("menu", lambda c: c.send("/menu")),
    ("mydata", lambda c: c.send("/mydata")),
    ("cancel", lambda c: c.send("/cancel")),
    ("staff", lambda c: c.send("/staff")),
    ("unknown_command", lambda c: c.send("/foo")),
    ("file", lambda c: c.file()),
    ("location", lambda c: c.location()),
    ("contact", lambda c: c.contact("0512345678")),
    ("old_button", lambda c: c.press_id("menu:main:vol")),
    ("garbage_button", lambda c: c.press_id("nonsense")),
]


@pytest.mark.parametrize("send", [s for _, s in FIRST_MESSAGES], ids=[i for i, _ in FIRST_MESSAGES])
async def test_any_first_message_leads_to_the_language_question(
    engine: Engine, db: Database, send: Sender
) -> None:
    chat = Chat(engine)
    await send(chat)
    assert_clean(chat.last)
    assert language_question(chat), chat.text
    row = await user_row(db, "u1")
    assert row is not None and row.locale is None and row.consent_version is None


@pytest.mark.parametrize(
    "display_name",
    ["<b>Ali</b> & <script>x</script>", "\u202eعلي\u202c", "\u202eAli", "Ali\u2066"],
    ids=["html", "rlo-pdf", "rlo-unclosed", "isolate-unclosed"],
)
async def test_a_display_name_cannot_break_the_greeting(
    engine: Engine, db: Database, display_name: str
) -> None:
    """The platform's display name is user text: escaped, and with no bidi control that could
    flip the rest of the message."""
    chat = Chat(engine)
    await chat.deliver(chat.inbound(InboundKind.TEXT, "hi", display_name=display_name))
    assert language_question(chat)
    assert_clean(chat.last)


async def test_help_before_choosing_a_language(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.send("/help")
    assert_clean(chat.last)
    assert "/mydata" in chat.text and "/language" in chat.text
    assert plain(text_of("ar", "help.text")).split("\n")[0] in plain(chat.text)
    assert language_question(chat)
    # And with an English hint, the help is in English.
    english = Chat(engine, user="en", language_hint="en")
    await english.send("/help")
    assert text_of("en", "help.text").split("\n")[0] in english.text
    assert language_question(english)


async def test_language_command_before_choosing(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.send("/language")
    assert language_question(chat)
    await chat.press("en")
    assert privacy_notice(chat, "en")


# --- privacy notice ---------------------------------------------------------------------------
async def test_privacy_notice_comes_before_any_data_question(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.send("/start")
    await chat.press("ar")
    assert privacy_notice(chat)
    notice = plain(chat.last[-1].text)
    assert "أمانة" in notice  # the controller
    assert "تيليجرام" in notice and "واتساب" in notice and "خارج المملكة" in notice
    assert "حقوقك" in notice and "تصحيح" in notice and "حذف" in notice
    assert NOTICE_VERSION in notice  # the version the user agrees to
    # No question about the person was asked before the notice.
    asked = [o for o in chat.history if any(c.id.startswith("vol:") for c in o.choices)]
    assert asked == []
    assert_clean(chat.history)


async def test_privacy_notice_in_english_names_the_same_things(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine, language_hint="en")
    await chat.send("hi")
    await chat.press("en")
    assert privacy_notice(chat, "en")
    notice = chat.last[-1].text
    assert "Controller" in notice and "Municipality" in notice
    assert "Telegram" in notice and "WhatsApp" in notice and "outside the Kingdom" in notice
    assert "rights" in notice and "correct" in notice and "delete" in notice


async def test_declining_the_notice_keeps_the_user_out(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.send("/start")
    await chat.press("ar")
    await chat.press("no")
    assert plain(text_of("ar", "privacy.declined")) in plain(chat.text)
    assert privacy_notice(chat)
    attempts: tuple[Callable[[], Awaitable[list[Outbound]]], ...] = (
        lambda: chat.press_id("menu:main:vol"),  # a sign-up button from an old message
        lambda: chat.press_id("vol:name:_c"),
        lambda: chat.send("/menu"),
        lambda: chat.send("/mydata"),
        lambda: chat.send("/cancel"),
        lambda: chat.send("أريد التسجيل متطوعًا"),
        lambda: chat.send("محمد عبدالله الغامدي"),
        lambda: chat.file(),
    )
    for attempt in attempts:
        await attempt()
        assert_clean(chat.last)
        assert privacy_notice(chat), chat.text
        assert not any(c.id.startswith(("vol:", "menu:")) for c in chat.last[-1].choices)
    row = await user_row(db, "u1")
    assert row is not None and row.consent_version is None and row.consent_at is None
    conv = await conversation(db, chat)
    assert conv.flow == "pv"
    assert not (conv.data or {}).get("f")
    assert await volunteer_count(db) == 0
    # Changing one's mind works.
    await chat.press("yes")
    assert chat.offers("vol")


async def test_a_new_notice_version_asks_again(
    engine: Engine, make_engine: Callable[..., Engine], db: Database
) -> None:
    await asked_for_the_id(engine)  # mid-form when the notice changes
    first = await user_row(db, "u1")
    assert first is not None and first.consent_version == NOTICE_VERSION

    bumped = Chat(make_engine(privacy_notice_version="2027-01"))
    await bumped.send("1234567897")
    assert privacy_notice(bumped)
    assert "2027-01" in bumped.last[-1].text
    await bumped.send("/menu")
    assert privacy_notice(bumped)
    await bumped.press("yes")
    row = await user_row(db, "u1")
    assert row is not None and row.consent_version == "2027-01"
    # The half-filled form was kept as a draft.
    assert bumped.offers("vol")
    await bumped.press("vol")
    assert plain(text_of("ar", "form.resumed")) in plain(bumped.text)
    assert step_of(bumped.last[-1]) == "nid"


async def test_the_notice_names_partner_contacts_and_access_needs(
    engine: Engine, db: Database
) -> None:
    """The processing added after 2026-11 is in the notice, in both languages."""
    chat = Chat(engine)
    await chat.send("/start")
    await chat.press("ar")
    notice = plain(chat.last[-1].text)
    assert "ممثلي الجهة الشريكة" in notice and "بيانات التواصل" in notice
    assert "احتياجاته للوصول" in notice and "موافقة صريحة مستقلة" in notice
    assert "موظفو الفترات التي يسجّل فيها" in notice
    english = Chat(engine, user="u2", language_hint="en")
    await english.send("hi")
    await english.press("en")
    text = english.last[-1].text
    assert "representatives" in text and "contact data" in text
    assert "access needs" in text and "separate, explicit consent" in text
    assert "only the staff of the shifts they join" in text


async def test_who_accepted_the_2026_11_notice_is_asked_again(
    make_engine: Callable[..., Engine], db: Database
) -> None:
    """The default version was bumped with the notice's text: agreeing to the old one is not
    agreeing to the new, so the next message, whatever it is, shows the notice first."""
    assert NOTICE_VERSION != "2026-11"
    old = Chat(make_engine(privacy_notice_version="2026-11"))
    await old.send("/start")
    await old.press("ar")
    await old.press("yes")
    row = await user_row(db, "u1")
    assert row is not None and row.consent_version == "2026-11"

    now = Chat(make_engine())  # the default settings
    await now.send("/menu")
    assert privacy_notice(now)
    assert NOTICE_VERSION in now.last[-1].text
    await now.press("yes")
    row = await user_row(db, "u1")
    assert row is not None and row.consent_version == NOTICE_VERSION
    await now.send("/menu")
    assert not privacy_notice(now) and now.offers("vol")


# --- /language, /cancel, unknown commands mid-form ----------------------------------------------
async def test_language_switch_mid_form_keeps_the_draft(engine: Engine, db: Database) -> None:
    chat = await asked_for_the_id(engine)
    await chat.send("1234567897")
    await chat.send("/language")
    assert language_question(chat)
    await chat.press("en")
    assert_clean(chat.last)
    assert "Language set to English" in chat.text
    assert chat.offers("vol")
    label = dict(chat.choices)[chat.choice_id("vol")]
    assert label == text_of("en", "menu.volunteer_continue")
    await chat.press("vol")
    assert text_of("en", "form.resumed") in chat.text
    assert step_of(chat.last[-1]) == "mobile"
    assert text_of("en", "vol.q.mobile") in chat.text
    for how, value in ADULT_ANSWERS[2:]:
        await chat.answer(how, value)
    assert "Review your sign-up" in chat.text
    assert NAME in chat.text and "1•••••••97" in chat.text
    row = await user_row(db, "u1")
    assert row is not None and row.locale == "en"


async def test_cancel_mid_form_discards_the_draft(engine: Engine, db: Database) -> None:
    chat = await asked_for_the_id(engine)
    await chat.send("1234567897")
    await chat.send("/cancel")
    assert_clean(chat.last)
    assert plain(text_of("ar", "form.cancelled")) in plain(chat.text)
    label = dict(chat.choices)[chat.choice_id("vol")]
    assert label == text_of("ar", "menu.volunteer")
    conv = await conversation(db, chat)
    assert conv.flow == "menu"
    assert not (conv.data or {}).get("drafts")
    assert NAME not in str(conv.data)
    await chat.press("vol")
    assert plain(text_of("ar", "form.resumed")) not in plain(chat.text)
    assert step_of(chat.last[-1]) == "name"


async def test_cancel_with_nothing_to_cancel(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/cancel")
    assert plain(text_of("ar", "cancel.nothing")) in plain(chat.text)
    assert chat.offers("vol")


async def test_unknown_command_mid_form_answers_politely_and_reshows(
    engine: Engine, db: Database
) -> None:
    chat = await asked_for_the_id(engine)
    before = state_key(await conversation(db, chat))
    for command in ("/foo", "/FOO bar", "/staffx", "/"):
        await chat.send(command)
        assert_clean(chat.last)
        assert plain(text_of("ar", "err.unknown_command")) in plain(chat.text), command
        assert step_of(chat.last[-1]) == "nid"
        assert state_key(await conversation(db, chat)) == before
    await chat.send("1234567897")
    assert step_of(chat.last[-1]) == "mobile"


async def test_unknown_command_in_english(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup("en")
    await chat.send("/foo")
    assert text_of("en", "err.unknown_command") in chat.text
    assert step_of(chat.last[-1]) == "name"


# --- staff ------------------------------------------------------------------------------------
async def test_plain_user_staff_command_is_answered_politely_and_changes_nothing(
    engine: Engine, db: Database
) -> None:
    chat = await asked_for_the_id(engine)
    before = state_key(await conversation(db, chat))
    await chat.send("/staff")
    assert_clean(chat.last)
    assert plain(text_of("ar", "staff.only")) in plain(chat.text)
    assert plain(text_of("ar", "staff.panel_title")) not in plain(chat.text)
    assert step_of(chat.last[-1]) == "nid"
    assert state_key(await conversation(db, chat)) == before
    # The old menu button for staff does not open the panel either.
    await chat.send("/menu")
    assert not chat.offers("staff")
    await chat.press_id("menu:main:staff")
    assert plain(text_of("ar", "staff.panel_title")) not in plain(chat.text)
    row = await user_row(db, "u1")
    assert row is not None and row.role == "user"


async def test_admin_from_admin_ids_gets_the_panel(engine: Engine, db: Database) -> None:
    boss = Chat(engine, user="boss")
    await boss.onboard()
    assert boss.offers("staff")
    await boss.send("/staff")
    assert_clean(boss.last)
    assert plain(text_of("ar", "staff.panel_title")) in plain(boss.text)
    assert plain(catalog("ar")["staff.volunteer_count"][0]) in plain(boss.text)  # type: ignore[index]
    # The panel is also one press away in the menu.
    await boss.send("/menu")
    await boss.press("staff")
    assert plain(text_of("ar", "staff.panel_title")) in plain(boss.text)


def arabic_plural_index(n: int) -> int:
    """The Plural-Forms rule of DESIGN.md §5, written out independently of gettext."""
    if n == 0:
        return 0
    if n == 1:
        return 1
    if n == 2:
        return 2
    if 3 <= n % 100 <= 10:
        return 3
    if n % 100 >= 11:
        return 4
    return 5


NIDS = ["1234567897", "1000000008", "2000000006"]


async def test_volunteer_count_uses_the_right_arabic_plural(engine: Engine, db: Database) -> None:
    forms = catalog("ar")["staff.volunteer_count"]
    assert isinstance(forms, tuple) and len(forms) == 6
    boss = Chat(engine, user="boss")
    await boss.onboard()
    for n in range(4):
        if n:
            volunteer = Chat(engine, user=f"v{n}")
            answers = list(ADULT_ANSWERS)
            answers[1] = ("text", NIDS[n - 1])
            await volunteer.signup(answers)
            assert await volunteer_count(db) == n
        await boss.send("/staff")
        text = plain(boss.text)
        expected = forms[arabic_plural_index(n)].format(n=n)
        assert expected in text, (n, text)
        for other in {f.format(n=n) for f in forms} - {expected}:
            assert other not in text, (n, other)
    assert "3 متطوعين" in plain(boss.text)


@pytest.mark.parametrize("when", ["before_first_contact", "after_onboarding"])
async def test_staff_role_from_the_database_gets_the_panel(
    engine: Engine, db: Database, when: str
) -> None:
    chat = Chat(engine, user="x")
    if when == "after_onboarding":
        await chat.onboard()
        assert not chat.offers("staff")
    async with db.transaction() as session:
        await repo.set_role(session, "console", "x", "staff")
    if when == "before_first_contact":
        await chat.onboard()
    else:
        await chat.send("/menu")
    assert chat.offers("staff")
    await chat.send("/staff")
    assert_clean(chat.last)
    assert plain(text_of("ar", "staff.panel_title")) in plain(chat.text)
    assert plain(text_of("ar", "staff.only")) not in plain(chat.text)
    async with db.sessions() as session:
        assert len((await session.execute(select(User))).scalars().all()) == 1


async def test_staff_menu_entry_only_for_staff(engine: Engine, db: Database) -> None:
    plain_user, boss, staff = (
        Chat(engine, user="p"),
        Chat(engine, user="boss"),
        Chat(engine, user="s"),
    )
    for chat in (plain_user, boss, staff):
        await chat.onboard()
    async with db.transaction() as session:
        await repo.set_role(session, "console", "s", "staff")
    for chat in (plain_user, boss, staff):
        await chat.send("/menu")
    assert not plain_user.offers("staff")
    assert boss.offers("staff")
    assert staff.offers("staff")
    # My data shows staff their role.
    await staff.send("/mydata")
    assert text_of("ar", "role.staff") in staff.text
    await plain_user.send("/mydata")
    assert text_of("ar", "role.user") not in plain_user.text


async def test_staff_panel_mid_form_keeps_the_form_as_a_draft(engine: Engine, db: Database) -> None:
    boss = await asked_for_the_id(engine, "boss")
    await boss.send("/staff")
    assert plain(text_of("ar", "staff.panel_title")) in plain(boss.text)
    assert boss.offers("bc") and boss.offers("bcl")
    await boss.press("back")  # to the main menu, which offers to continue the sign-up
    await boss.press("vol")
    assert step_of(boss.last[-1]) == "nid"


async def test_conversation_rows_are_per_user(engine: Engine, db: Database) -> None:
    a, b = Chat(engine, user="a"), Chat(engine, user="b")
    await a.start_signup()
    await b.onboard()
    async with db.sessions() as session:
        rows = (await session.execute(select(Conversation))).scalars().all()
    assert sorted(r.flow for r in rows) == ["menu", "vol"]
