"""PDPL rights in the chat ("my data"): view with the ID masked, correct, delete everything."""

from __future__ import annotations

from datetime import date

from hijridate import Gregorian
from sqlalchemy import func, select

from bot.core.engine import Engine
from storage.db import Database
from storage.models import AuditLog, ChannelIdentity, Conversation, User, Volunteer
from tests.support import (
    ADULT_ANSWERS,
    NOTICE_VERSION,
    Chat,
    assert_clean,
    plain,
    text_of,
    with_skills,
)

NID = "1234567897"
OTHER_NID = "1000000008"
OTHER_ANSWERS = [
    ("text", "سارة خالد العتيبي"),
    ("text", OTHER_NID),
    ("text", "0598765432"),
    ("press", "f"),
    ("text", "01/02/1995"),
    ("press", "shihar"),
    ("press", "media"),
    ("press", "_d"),
    ("text", "تصوير، مونتاج"),
    ("press", "wd_evening"),
    ("press", "_d"),
    ("text", "sara@example.com"),
    ("press", "no"),  # no consent to keep access needs
    ("press", "yes"),
]


async def count(db: Database, model: type, *where: object) -> int:
    async with db.sessions() as session:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)  # type: ignore[arg-type]
        return int((await session.execute(stmt)).scalar_one())


async def user_id_of(db: Database, external_id: str) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    select(ChannelIdentity.user_id).where(
                        ChannelIdentity.channel == "console",
                        ChannelIdentity.external_id == external_id,
                    )
                )
            ).scalar_one()
        )


async def the_volunteers(db: Database) -> list[Volunteer]:
    async with db.sessions() as session:
        return list((await session.execute(select(Volunteer).order_by(Volunteer.id))).scalars())


def no_whole_id(chat: Chat, *ids: str) -> None:
    for out in chat.history:
        for nid in ids:
            assert nid not in out.text, f"whole national ID in a reply: {out.text!r}"
            assert all(nid not in c.label for c in out.choices)


async def test_my_data_shows_the_profile_masked_with_consent_and_dates(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine)
    await chat.signup()
    await chat.send("/mydata")
    assert_clean(chat.last)
    text = plain(chat.text)
    assert plain(text_of("ar", "mydata.title")) in text
    assert "محمد عبدالله الغامدي" in text
    assert "1•••••••97" in text
    assert NID not in chat.text
    # Consent: the notice version and when, Hijri first (هـ) then Gregorian (م).
    assert NOTICE_VERSION in text
    hijri = Gregorian(2026, 11, 25).to_hijri()
    consent_line = next(line for line in text.split("\n") if NOTICE_VERSION in line)
    assert f"{hijri.year}هـ" in consent_line
    assert "2026م" in consent_line
    assert consent_line.index("هـ") < consent_line.index("2026م")
    assert chat.offers("edit") and chat.offers("del") and chat.offers("back")
    no_whole_id(chat, NID)


async def test_my_data_in_english_masks_and_shows_hijri_first(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.start_signup("en")
    for how, value in ADULT_ANSWERS:
        await chat.answer(how, value)
    await chat.press("_ok")
    await chat.send("/mydata")
    assert_clean(chat.last)
    assert "1•••••••97" in chat.text and NID not in chat.text
    consent_line = next(line for line in chat.text.split("\n") if NOTICE_VERSION in line)
    assert consent_line.index("1448 AH") < consent_line.index("25 November 2026")
    no_whole_id(chat, NID)


async def test_correct_my_data_updates_the_one_row(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup()
    [before] = await the_volunteers(db)
    await chat.send("/mydata")
    await chat.press("edit")
    # The summary of the stored profile, ready to edit.
    assert "راجع بيانات التسجيل" in chat.text and "1•••••••97" in chat.text
    await chat.press("_e")
    await chat.press("mobile")
    assert "+966512345678" in chat.text  # the current value, as stored
    await chat.send("0555555555")
    assert "راجع بيانات التسجيل" in chat.text
    await chat.press("_e")
    await chat.press("name")
    await chat.send("محمد عبدالله القرشي")
    await chat.press("_ok")
    assert_clean(chat.last)
    assert plain(text_of("ar", "vol.updated")) in plain(chat.text)

    [after] = await the_volunteers(db)
    assert after.id == before.id
    assert after.mobile == "+966555555555"
    assert after.full_name == "محمد عبدالله القرشي"
    # Everything not edited is as it was.
    assert after.national_id == NID
    assert after.birth_date == before.birth_date
    assert after.interests == before.interests
    assert after.charter_accepted_at == before.charter_accepted_at
    assert await count(db, Volunteer) == 1
    assert await count(db, User) == 1
    await chat.send("/mydata")
    assert "محمد عبدالله القرشي" in chat.text
    no_whole_id(chat, NID)


async def test_correcting_without_changes_keeps_the_row(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup()
    [before] = await the_volunteers(db)
    await chat.send("/mydata")
    await chat.press("edit")
    await chat.press("_ok")
    [after] = await the_volunteers(db)
    assert (after.id, after.full_name, after.national_id, after.mobile) == (
        before.id,
        before.full_name,
        before.national_id,
        before.mobile,
    )


async def test_delete_asks_first_and_no_keeps_everything(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup()
    await chat.send("/mydata")
    await chat.press("del")
    assert plain(text_of("ar", "mydata.delete_confirm")) in plain(chat.text)
    assert chat.offers("yes") and chat.offers("no")
    await chat.press("no")
    assert "1•••••••97" in chat.text  # back at the profile
    assert await count(db, User) == 1
    assert await count(db, Volunteer) == 1
    assert await count(db, ChannelIdentity) == 1
    assert await count(db, Conversation) == 1


async def test_delete_removes_every_row_of_that_user_only(engine: Engine, db: Database) -> None:
    other = Chat(engine, user="other")
    await other.signup(OTHER_ANSWERS)
    chat = Chat(engine)
    # With access needs (health data, kept with its own consent): they go too.
    answers = with_skills("إسعافات أولية، لغة الإشارة")
    consent_at = answers.index(("press", "no"))
    answers[consent_at : consent_at + 1] = [("press", "yes"), ("text", "كرسي متحرك")]
    await chat.signup(answers)
    uid = await user_id_of(db, "u1")
    other_uid = await user_id_of(db, "other")
    assert await count(db, Volunteer) == 2

    await chat.send("/mydata")
    await chat.press("del")
    await chat.press("yes")
    assert_clean(chat.last)
    assert plain(text_of("ar", "mydata.deleted")) in plain(chat.text)

    assert await count(db, User, User.id == uid) == 0
    assert await count(db, ChannelIdentity, ChannelIdentity.user_id == uid) == 0
    assert await count(db, ChannelIdentity, ChannelIdentity.external_id == "u1") == 0
    assert await count(db, Conversation, Conversation.user_id == uid) == 0
    assert await count(db, Volunteer, Volunteer.user_id == uid) == 0
    assert await count(db, Volunteer, Volunteer.national_id == NID) == 0
    # The skills and their search key went with the profile: no row holds either.
    assert await count(db, Volunteer, Volunteer.skills.contains("إسعافات")) == 0
    assert await count(db, Volunteer, Volunteer.skills_key.contains("اسعافات")) == 0
    assert await count(db, Volunteer, Volunteer.access_needs.is_not(None)) == 0
    assert await count(db, Volunteer, Volunteer.access_consent_at.is_not(None)) == 0
    # The other user is untouched.
    assert await count(db, User, User.id == other_uid) == 1
    assert await count(db, ChannelIdentity, ChannelIdentity.user_id == other_uid) == 1
    assert await count(db, Conversation, Conversation.user_id == other_uid) == 1
    [left] = await the_volunteers(db)
    assert (left.user_id, left.national_id, left.full_name, left.skills) == (
        other_uid,
        OTHER_NID,
        "سارة خالد العتيبي",
        "تصوير، مونتاج",
    )
    # The audit trail records the deletion without the person's data.
    async with db.sessions() as session:
        [audit] = (
            (
                await session.execute(
                    select(AuditLog).where(AuditLog.action == "user.deleted_own_data")
                )
            )
            .scalars()
            .all()
        )
    assert NID not in repr((audit.actor, audit.target, audit.details))
    assert "محمد" not in repr((audit.actor, audit.target, audit.details))
    assert "إسعافات" not in repr((audit.actor, audit.target, audit.details))

    # The next message starts over: the language question, as for a stranger.
    await chat.send("السلام عليكم")
    assert plain(text_of("ar", "lang.prompt")) in plain(chat.text)
    assert chat.offers("ar") and chat.offers("en")
    async with db.sessions() as session:
        fresh = (
            await session.execute(
                select(User)
                .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
                .where(ChannelIdentity.external_id == "u1")
            )
        ).scalar_one()
        assert fresh.locale is None and fresh.consent_version is None
    # And the same ID can be registered again afterwards.
    await chat.signup()
    assert await count(db, Volunteer, Volunteer.national_id == NID) == 1
    # The other user carries on as before.
    await other.send("/mydata")
    assert "سارة خالد العتيبي" in other.text
    no_whole_id(chat, NID, OTHER_NID)
    no_whole_id(other, NID, OTHER_NID)


async def test_delete_without_a_profile(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/mydata")
    await chat.press("del")
    await chat.press("yes")
    assert await count(db, User) == 0
    assert await count(db, Conversation) == 0


async def test_not_registered_yet(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.onboard()
    await chat.send("/mydata")
    assert_clean(chat.last)
    assert plain(text_of("ar", "mydata.no_profile")) in plain(chat.text)
    assert not chat.offers("edit")
    assert chat.offers("del") and chat.offers("back")
    # The language and the consent are still shown: they are data we keep.
    assert NOTICE_VERSION in chat.text
    await chat.press("back")
    assert chat.offers("vol")


async def test_not_registered_yet_with_a_draft(engine: Engine, db: Database) -> None:
    """Half a sign-up is not a profile: nothing to correct, and the draft is left alone."""
    chat = Chat(engine)
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("/mydata")
    assert plain(text_of("ar", "mydata.no_profile")) in plain(chat.text)
    assert not chat.offers("edit")
    await chat.press("back")
    assert "إكمال التسجيل" in dict(chat.choices)[chat.choice_id("vol")]


async def test_my_data_menu_entry_for_a_volunteer(engine: Engine, db: Database) -> None:
    chat = Chat(engine)
    await chat.signup()
    # After signing up the menu offers the profile instead of signing up again.
    assert chat.offers("md")
    await chat.press("md")
    assert "1•••••••97" in chat.text
    await chat.press("back")
    # The volunteer entry now reads "my profile" and leads there, never to a second sign-up.
    assert "ملفي التطوعي" in dict(chat.choices)[chat.choice_id("vol")]
    await chat.press("vol")
    assert "1•••••••97" in chat.text
    assert await count(db, Volunteer) == 1
    assert (await the_volunteers(db))[0].birth_date == date(1999, 6, 29)
