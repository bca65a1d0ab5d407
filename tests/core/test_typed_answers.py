"""Typed answers through the engine, as on the console or WhatsApp (no buttons): labels in
full, in part and in common spellings, yes/no words, the one wrong-answer message, an ambiguous
prefix, and /cancel in a staff form (item 3 and part of item 10 of issue 14)."""

from __future__ import annotations

from html import escape

from sqlalchemy import func, select

from bot.core.engine import Engine
from bot.core.flow import FlowState
from bot.core.messages import InboundKind
from storage.db import Database
from storage.models import Volunteer
from tests.conftest import Clock
from tests.events.support import seed_event
from tests.support import Chat, conversation, plain, text_of


def wrong_head(locale: str) -> str:
    return text_of(locale, "err.choice.wrong").split("{")[0].strip()


def ambiguous_head(locale: str, typed: str) -> str:
    return text_of(locale, "err.choice.ambiguous").split("{choices}")[0].format(typed=typed).strip()


def listed(chat_text: str, labels: list[str]) -> bool:
    """Every label on a numbered line of its own, in the order offered."""
    text = plain(chat_text)
    return all(f"{n}. {escape(label, quote=False)}" in text for n, label in enumerate(labels, 1))


async def test_a_newcomer_answers_every_question_by_typing_in_arabic(
    engine: Engine, db: Database
) -> None:
    chat = Chat(engine, user="typist")
    await chat.send("/start")
    await chat.send("العربيه")  # taa marbuta typed as haa
    await chat.send("نعم")  # the privacy notice: "✅ أوافق"
    assert "القائمة الرئيسية" in chat.text
    await chat.send("التسجيل متطوعا")  # "🙋 التسجيل متطوعًا" without its tanween (a bare
    # "التسجيل" also begins "تسجيل جهة شريكة": it is asked which one)
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("1234567897")
    await chat.send("0512345678")
    await chat.send("ذكر")
    await chat.send("15/03/1420")
    await chat.send("الحويه")
    await chat.send("التشجير و البيئة")  # a space too many
    await chat.send("تم")
    await chat.send("تخطي")  # skills: skip, typed whole
    await chat.send("صباح نهايه الاسبوع")  # hamza and taa marbuta dropped
    await chat.send("تم")
    await chat.send("تخطى")  # e-mail: skip, spelled with alef maqsura
    await chat.send("لا")  # no consent to keep access needs: "لا، شكرًا"
    await chat.send("نعم")  # the charter: "✅ أقبل الميثاق"
    await chat.send("تأكيد")  # "✅ تأكيد وحفظ"
    assert text_of("ar", "vol.saved") in chat.text
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Volunteer)) == 1


async def test_skip_in_its_spellings(engine: Engine) -> None:
    for n, spelling in enumerate(("تخطي", "تخطى", "تخط", "تخطٍّ")):
        chat = Chat(engine, user=f"skipper{n}")
        await chat.start_signup()
        for answer in ("محمد عبدالله الغامدي", "1234567897", "0512345678"):
            await chat.send(answer)
        await chat.press("m")
        await chat.send("15/03/1420")
        await chat.press("hawiya")
        await chat.press("environment")
        await chat.press("_d")
        await chat.press("_s")  # skills
        await chat.press("we_morning")
        await chat.press("_d")
        assert chat.offers("_s")  # the e-mail question
        await chat.send(spelling)
        assert chat.offers("yes"), (spelling, chat.text)  # on to the access-needs consent
        assert wrong_head("ar") not in plain(chat.text)


async def test_main_menu_words(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="menus")
    await chat.onboard()
    await chat.send("الفعاليات")
    assert (await conversation(db, chat)).flow == "ev"
    await chat.send("/menu")
    await chat.send("ساعاتى")  # alef maqsura for the final yeh
    assert wrong_head("ar") not in plain(chat.text)
    assert (await conversation(db, chat)).flow == "menu"  # hours are a message on the menu
    await chat.send("بياناتي")
    assert (await conversation(db, chat)).flow == "md"


async def test_yes_and_no_answer_yes_no_questions(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="yesno")
    await chat.onboard()
    await chat.send("بياناتي")
    await chat.press("del")
    assert chat.offers("yes") and chat.offers("no")
    await chat.send("لأ")  # "لا، تراجع"
    assert (await conversation(db, chat)).step == "main"
    await chat.press("del")
    await chat.send("ايوه")  # "نعم، احذف كل بياناتي"
    assert chat.text and wrong_head("ar") not in plain(chat.text)


async def test_yes_in_english(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="yes-en")
    await chat.send("/start")
    await chat.send("english")
    await chat.send("OK")  # "✅ I agree"
    assert "Main menu" in chat.text


async def test_a_wrong_answer_lists_the_choices_in_arabic(engine: Engine) -> None:
    chat = Chat(engine, user="wrong-ar")
    await chat.onboard()
    labels = [label for _, label in chat.choices]
    await chat.send("أريد شيئًا آخر")
    assert wrong_head("ar") in plain(chat.text)
    assert listed(chat.text, labels)
    assert chat.choices  # and the menu again, to press
    # A photo where a choice is expected gets the same answer.
    await chat.file()
    assert wrong_head("ar") in plain(chat.text) and listed(chat.text, labels)


async def test_a_wrong_answer_lists_the_choices_in_english(engine: Engine) -> None:
    chat = Chat(engine, user="wrong-en")
    await chat.onboard("en")
    await chat.send("sign up")  # "🙋 Sign up as a volunteer"
    await chat.send("Mohammed Abdullah Alghamdi")
    await chat.send("1234567897")
    await chat.send("0512345678")
    labels = [label for _, label in chat.choices]
    assert chat.offers("m") and chat.offers("f")  # the gender question
    await chat.send("maybe")
    assert wrong_head("en") in plain(chat.text)
    assert listed(chat.text, labels)
    assert not any("\u0600" <= ch <= "\u06ff" for ch in chat.text)


async def test_the_staff_panel_answers_a_wrong_word(engine: Engine) -> None:
    boss = Chat(engine, user="boss")
    await boss.onboard()
    await boss.send("/staff")
    labels = [label for _, label in boss.choices]
    await boss.send("كلام")
    assert wrong_head("ar") in plain(boss.text) and listed(boss.text, labels)


async def test_an_ambiguous_prefix_names_the_choices_it_fits(
    engine: Engine, db: Database, clock: Clock
) -> None:
    two_shifts = [{"start": 0, "hours": 3}, {"start": 5, "hours": 2}]
    seeded = await seed_event(db, clock.now, shifts=two_shifts)
    for locale, word in (("ar", "سجلني"), ("en", "register")):
        chat = Chat(engine, user=f"amb-{locale}")
        await chat.onboard(locale)
        await chat.send("/events")
        await chat.press(f"e{seeded.event_id}")
        offered = chat.choices
        await chat.send(word)
        text = plain(chat.text)
        assert ambiguous_head(locale, word) in text
        shift_ids = {f"ev:event:s{sid}" for sid in seeded.shift_ids}
        shifts = [(n, label) for n, (cid, label) in enumerate(offered, 1) if cid in shift_ids]
        assert len(shifts) == 2
        for n, label in shifts:
            assert f"{n}. {escape(label, quote=False)}" in text
        others = [label for cid, label in offered if cid not in shift_ids]
        assert not any(f". {escape(label, quote=False)}" in text for label in others)
        assert (await conversation(db, chat)).step == "event"  # still on the event


async def test_cancel_in_a_staff_form_returns_to_the_staff_panel(
    engine: Engine, db: Database
) -> None:
    boss = Chat(engine, user="boss")
    await boss.onboard()
    for cancel in ("/cancel", "إلغاء", "الغاء"):
        await boss.send("/broadcast")
        assert (await conversation(db, boss)).flow == "bc"
        await boss.send(cancel)
        assert text_of("ar", "form.cancelled") in boss.text
        assert text_of("ar", "staff.panel_title") in boss.text
        assert (await conversation(db, boss)).flow == "staff"


async def test_a_volunteers_cancel_still_goes_home(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="plain")
    await chat.start_signup()
    await chat.send("محمد عبدالله الغامدي")
    await chat.send("/cancel")
    assert text_of("ar", "form.cancelled") in chat.text
    assert (await conversation(db, chat)).flow == "menu"


async def test_several_labels_typed_in_one_message(engine: Engine, db: Database) -> None:
    chat = Chat(engine, user="multi")
    await chat.start_signup()
    for answer in ("محمد عبدالله الغامدي", "1234567897", "0512345678", "أنثى", "15/03/1420"):
        await chat.send(answer)
    await chat.send("الحوية")
    assert chat.offers("_d")  # the interests
    await chat.send("التشجير والبيئه، تنظيم الفعاليات")  # two labels, an Arabic comma
    assert chat.offers("_s")  # on to the skills (optional)
    values = ((await conversation(db, chat)).data or {})["f"]["v"]
    assert values["interests"] == ["environment", "events"]


async def test_a_label_that_is_none_of_the_options_refuses_the_whole_list(engine: Engine) -> None:
    chat = Chat(engine, user="multi-bad")
    await chat.start_signup()
    for answer in ("محمد عبدالله الغامدي", "1234567897", "0512345678", "أنثى", "15/03/1420"):
        await chat.send(answer)
    await chat.send("الحوية")
    labels = [label for _, label in chat.choices]
    await chat.send("التشجير، السباحة")
    assert wrong_head("ar") in plain(chat.text) and listed(chat.text, labels)
    assert chat.offers("_d")  # still the interests


async def test_where_typed_text_is_the_answer_only_navigation_labels_are_buttons(
    engine: Engine,
) -> None:
    """The site form's stall counts take typed numbers: "2" is two, a prefix is text, but
    "إلغاء" typed whole still cancels (and `/cancel` always does)."""
    form = engine.app.flows["fsf"]
    step = next(step for step in ("food", "nonfood") if form.wants_typed_text(step))
    shown = [[f"fsf:{step}:_b", "↩️ رجوع"], [f"fsf:{step}:_c", "✖️ إلغاء"]]
    state = FlowState("fsf", step, shown=shown)
    chat = Chat(engine, user="counts")

    def typed(text: str) -> str | None:
        return engine.match_typed(state, chat.inbound(InboundKind.TEXT, text), form).unique

    assert typed("الغاء") == f"fsf:{step}:_c"
    assert typed("رجوع") == f"fsf:{step}:_b"
    assert typed("2") is None
    assert typed("الغ") is None
    assert typed("نعم") is None
