"""Bad input at every field of the volunteer sign-up (issue 2, "Bad input").

For each field the test drives a conversation to that question once, then sends every bad input
in `BAD_INPUTS` (plus the field's own near-miss, also wrapped in bidi overrides) in sequence.
After each one it checks, and collects rather than stops at the first problem:

* a reply carries an error message from the catalog, in the user's language;
* the last reply asks the same question again (its choice ids carry ":<field>:");
* nothing crashed (no "sorry, something went wrong" text) and no raw message id leaked;
* the reply HTML is well-formed for Telegram and user text never comes back unescaped;
* the stored conversation (step and answers so far) is unchanged.

Finally the field is answered properly, the summary is compared with a clean run of the same
answers (nothing given earlier was lost), and the sign-up is confirmed.

The second half covers digits (ASCII, Arabic-Indic, Extended Arabic-Indic) and bidi controls
around a name, checked on the stored `Volunteer` row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from bot.core.districts import COMMON_DISTRICTS
from bot.core.engine import Engine
from storage.db import Database
from storage.models import Volunteer
from tests.support import (
    Chat,
    assert_clean,
    bidi_problems,
    conversation,
    error_fragments,
    html_problems,
    plain,
    reply_problems,
    state_key,
    step_of,
    text_of,
)

NAME = "محمد عبدالله الغامدي"
GUARDIAN = "عبدالله محمد الغامدي"
HTML_TEXT = "<b>x</b><script>alert(1)</script>"
SQL_TEXT = "'; DROP TABLE volunteers;--"


def test_html_checker_itself() -> None:
    assert html_problems('<b>ok</b> &lt;script&gt; &amp; <a href="https://x">x</a>') == []
    assert html_problems("<b>x</b><script>alert(1)</script>")
    assert html_problems("<b>open")
    assert html_problems("<i>a</b>")
    assert html_problems("a < b")
    assert html_problems("Crowd & traffic")
    assert html_problems('<b class="x">x</b>')
    assert bidi_problems("\u2068+966512345678\u2069") == []
    assert bidi_problems("\u202ex")
    assert bidi_problems("\u2068x")


# --- driving the form -------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    field: str
    how: str  # "text" | "press"
    value: str


ADULT = (
    Answer("name", "text", NAME),
    Answer("nid", "text", "1234567897"),
    Answer("mobile", "text", "0512345678"),
    Answer("gender", "press", "m"),
    Answer("birth", "text", "15/03/1420"),
    Answer("district", "press", "hawiya"),
    Answer("interests", "text", "1 3"),  # typed numbers set the selection in one message
    Answer("skills", "press", "_s"),
    Answer("avail", "text", "2 3"),
    Answer("email", "press", "_s"),
    Answer("a_ok", "press", "no"),  # no consent: the access needs are not asked
    Answer("charter", "press", "yes"),
)
# A minor who consents to keep access needs (the path that asks every question).
MINOR = (
    *ADULT[:4],
    Answer("birth", "text", "01/01/2015"),  # eleven years old on the test clock's date
    Answer("g_name", "text", GUARDIAN),
    Answer("g_mobile", "text", "0555123456"),
    Answer("g_ok", "press", "yes"),
    *ADULT[5:-2],
    Answer("a_ok", "press", "yes"),
    Answer("a_needs", "text", "كرسي متحرك"),
    ADULT[-1],
)
FIELDS = [a.field for a in MINOR]
PROMPTS = {
    "name": "vol.q.name",
    "nid": "vol.q.nid",
    "mobile": "vol.q.mobile",
    "gender": "vol.q.gender",
    "birth": "vol.q.birth",
    "g_name": "vol.q.guardian_name",
    "g_mobile": "vol.q.guardian_mobile",
    "g_ok": "vol.q.guardian_ok",
    "district": "vol.q.district",
    "interests": "vol.q.interests",
    "skills": "vol.q.skills",
    "avail": "vol.q.availability",
    "email": "vol.q.email",
    "a_ok": "acc.q.consent",
    "a_needs": "acc.q.needs",
    "charter": "vol.q.charter",
}


def path_for(field: str) -> tuple[Answer, ...]:
    return MINOR if field.startswith("g_") or field == "a_needs" else ADULT


async def answer(chat: Chat, a: Answer) -> None:
    assert chat.last and step_of(chat.last[-1]) == a.field, (
        f"expected to be asked {a.field}, got: {chat.text[:200]!r}"
    )
    await chat.answer(a.how, a.value)


async def drive_to(chat: Chat, field: str, locale: str = "ar") -> None:
    await chat.start_signup(locale)
    for a in path_for(field):
        if a.field == field:
            break
        await answer(chat, a)
    assert step_of(chat.last[-1]) == field


async def finish_from(chat: Chat, field: str) -> None:
    """Answer `field` properly and every question after it, up to the summary."""
    path = path_for(field)
    start = [a.field for a in path].index(field)
    for a in path[start:]:
        await answer(chat, a)
    assert step_of(chat.last[-1]) == "_sum", chat.text[:300]


# --- the bad inputs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Bad:
    id: str
    kind: str  # "text" | "file" | "location" | "contact" | "press"
    text: str = ""
    own: bool = False  # contacts: the sender's own number?

    async def send(self, chat: Chat) -> None:
        if self.kind == "text":
            await chat.send(self.text)
        elif self.kind == "file":
            await chat.file()
        elif self.kind == "location":
            await chat.location()
        elif self.kind == "contact":
            await chat.contact(self.text, own=self.own)
        else:
            await chat.press(self.text)


def wrap_bidi(text: str) -> str:
    """Right-to-left and left-to-right overrides around the text, as pasted from a chat app."""
    return "\u202e\u202d" + text + "\u202c\u202c"


BAD_INPUTS: tuple[Bad, ...] = (
    Bad("empty", "text", ""),
    Bad("5000_chars", "text", "محمد " * 1000),
    Bad("only_emoji", "text", "😀😀😀"),
    Bad("only_bidi_overrides", "text", "\u202e\u202d"),
    Bad("bidi_around_emoji", "text", wrap_bidi("😀😀😀")),
    Bad("html", "text", HTML_TEXT),
    Bad("bidi_around_html", "text", wrap_bidi(HTML_TEXT)),
    Bad("sql", "text", SQL_TEXT),
    Bad("bidi_around_sql", "text", wrap_bidi(SQL_TEXT)),
    Bad("file", "file"),
    Bad("location", "location"),
    Bad("someone_elses_contact", "contact", "0512345678", own=False),
)

# A value that is almost right for the field (the validator, not the generic checks, refuses it).
NEAR_MISS = {
    "name": "محمد",  # one word
    "nid": "1234567890",  # Luhn check fails
    "mobile": "0412345678",  # not a mobile prefix
    "gender": "9",  # no such option
    "birth": "31/02/1999",
    "g_name": "أحمد",
    "g_mobile": "12345",
    "g_ok": "9",
    "district": "xyzzy",
    "interests": "99",
    "skills": "1، 2 - 3",  # numbers and punctuation: no skill in words
    "avail": "0",
    "email": "a@b",
    "a_ok": "9",
    "a_needs": "١٢٣ - ٤",  # digits and a dash: no need in words
    "charter": "9",
}
FIELD_EXTRAS: dict[str, tuple[Bad, ...]] = {
    "mobile": (Bad("own_contact_bad_number", "contact", "12345", own=True),),
    "g_ok": (Bad("guardian_said_no", "press", "no"),),
    "charter": (Bad("charter_declined", "press", "no"),),
}


# Free text the field rightly takes: skills may be written with angle brackets or quotes; they
# are stored as typed and always shown escaped (tests/volunteers/test_skills.py).
ACCEPTED: dict[str, frozenset[str]] = {
    "skills": frozenset({"html", "bidi_around_html", "sql", "bidi_around_sql"}),
    "a_needs": frozenset({"html", "bidi_around_html", "sql", "bidi_around_sql"}),
}


def inputs_for(field: str) -> list[Bad]:
    near = NEAR_MISS[field]
    return [
        *BAD_INPUTS,
        Bad("near_miss", "text", near),
        Bad("bidi_around_near_miss", "text", wrap_bidi(near)),
        *FIELD_EXTRAS.get(field, ()),
    ]


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


async def _check_bad_inputs(engine: Engine, db: Database, field: str, locale: str) -> None:
    chat = Chat(engine, user=f"bad-{field}")
    await drive_to(chat, field, locale)
    before = state_key(await conversation(db, chat))
    question = plain(text_of(locale, PROMPTS[field]))

    failures: list[str] = []
    for bad in inputs_for(field):
        await bad.send(chat)
        problems = reply_problems(chat.last)
        text = plain(chat.text)
        if bad.id in ACCEPTED.get(field, ()):
            if not chat.last or step_of(chat.last[-1]) == field:
                problems.append("a valid free text was refused")
        elif not any(fragment in text for fragment in error_fragments(locale)):
            problems.append(f"no error message in {locale}")
        if locale == "en" and _has_arabic(chat.text):
            problems.append("Arabic text in a reply to an English user")
        if "محمد " * 20 in chat.text:
            problems.append("the oversized input was echoed back")
        last = chat.last[-1] if chat.last else None
        moved = last is None or step_of(last) != field
        if moved:
            if bad.id not in ACCEPTED.get(field, ()):
                problems.append(f"the last reply does not ask {field!r} again")
        elif last is not None and question not in plain(last.text):  # not moved: never None
            problems.append(f"the last reply is not the {field!r} question")
        after = await conversation(db, chat)
        if not moved and state_key(after) != before:
            problems.append(f"the stored answers changed: {before!r} -> {state_key(after)!r}")
        if problems:
            failures.append(
                f"[{field} / {bad.id}] " + "; ".join(problems) + f"\n    reply: {chat.text[:300]!r}"
            )
        if moved and chat.offers("_b"):
            # The input was taken as an answer: step back so the remaining inputs still test
            # this field (the proper answer at the end overwrites what was wrongly stored).
            await chat.press("_b")
            before = state_key(await conversation(db, chat))

    # Nothing given before the bad inputs was lost: the summary equals a clean run's.
    try:
        await _finish_and_compare(engine, db, chat, field, locale, failures)
    except AssertionError as exc:
        failures.append(f"[{field}] could not finish the sign-up afterwards: {exc}")
    assert not failures, "\n".join(failures)


async def _finish_and_compare(
    engine: Engine, db: Database, chat: Chat, field: str, locale: str, failures: list[str]
) -> None:
    await finish_from(chat, field)
    reference = Chat(engine, user=f"ref-{field}")
    await drive_to(reference, field, locale)
    await finish_from(reference, field)
    if plain(chat.last[-1].text) != plain(reference.last[-1].text):
        failures.append(
            f"[{field}] the summary differs from a clean run:\n{chat.last[-1].text}\n---\n"
            f"{reference.last[-1].text}"
        )
    assert NAME in chat.last[-1].text
    await chat.press("_ok")
    assert_clean(chat.last)
    async with db.sessions() as session:
        [vol] = (await session.execute(select(Volunteer))).scalars().all()
    assert vol.full_name == NAME


@pytest.mark.parametrize("field", FIELDS)
async def test_bad_input_in_arabic(
    engine: Engine, db: Database, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _check_bad_inputs(engine, db, field, "ar")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "nid",
        "mobile",
        "gender",
        "birth",
        "district",
        "interests",
        "skills",
        "email",
        "charter",
    ],
)
async def test_bad_input_in_english(
    engine: Engine, db: Database, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _check_bad_inputs(engine, db, field, "en")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_contact_share_capable_channel_mobile(engine: Engine, db: Database) -> None:
    """On a channel that can share contacts the mobile question differs; bad input still
    re-asks it (with the share button) and a shared own contact is then accepted."""
    chat = Chat(engine, caps=frozenset({"contact"}))
    await drive_to(chat, "mobile")
    assert chat.last[-1].ask_contact
    for bad in (*BAD_INPUTS, Bad("own_contact_bad_number", "contact", "12345", own=True)):
        await bad.send(chat)
        assert_clean(chat.last)
        assert step_of(chat.last[-1]) == "mobile", (bad.id, chat.text)
        assert chat.last[-1].ask_contact, bad.id
        assert "شارك" in chat.last[-1].text
    await chat.contact("+966 51 234 5678", own=True)
    assert step_of(chat.last[-1]) == "gender"


# --- digits -----------------------------------------------------------------------------------
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EXTENDED = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DIGIT_STYLES = {
    "latin": str.maketrans({}),
    "arabic_indic": ARABIC_INDIC,
    "extended_arabic_indic": EXTENDED,
}


def test_the_digit_tables_are_what_the_issue_names() -> None:
    assert "1234567897".translate(ARABIC_INDIC) == "١٢٣٤٥٦٧٨٩٧"
    assert "1234567897".translate(EXTENDED) == "۱۲۳۴۵۶۷۸۹۷"
    assert "0512345678".translate(ARABIC_INDIC) == "٠٥١٢٣٤٥٦٧٨"
    assert "15/03/1420".translate(ARABIC_INDIC) == "١٥/٠٣/١٤٢٠"


async def stored_volunteer(db: Database) -> Volunteer:
    async with db.sessions() as session:
        [vol] = (await session.execute(select(Volunteer))).scalars().all()
        return vol


@pytest.mark.parametrize("style", list(DIGIT_STYLES))
async def test_every_typed_answer_in_any_digits(engine: Engine, db: Database, style: str) -> None:
    """The whole form answered by typing, with the digits of one style throughout: the ID,
    the mobile, the birth date, option numbers ("2" = the second option) and multi-select."""
    table = DIGIT_STYLES[style]
    chat = Chat(engine)
    await chat.start_signup()
    typed = [
        ("name", NAME),
        ("nid", "1234567897"),
        ("mobile", "0512345678"),
        ("gender", "2"),  # option 2: female
        ("birth", "15/03/1420"),
        ("district", "2"),  # the second common district
        ("interests", "1 3"),
        ("skills", "إسعافات أولية، 3 لغات"),
        ("avail", "2 3"),
        ("email", "name@example.com"),
        ("a_ok", "2"),  # option 2: no consent to keep access needs
        ("charter", "1"),  # option 1: accept
    ]
    for field, value in typed:
        assert step_of(chat.last[-1]) == field, chat.text
        await chat.send(value.translate(table))
        assert_clean(chat.last)
    assert step_of(chat.last[-1]) == "_sum", chat.text
    await chat.press("_ok")
    vol = await stored_volunteer(db)
    assert vol.national_id == "1234567897"
    assert vol.mobile == "+966512345678"
    assert vol.gender == "f"
    assert vol.birth_date == date(1999, 6, 29)  # 15 Rabi al-Awwal 1420, Umm al-Qura
    assert vol.birth_calendar == "hijri"
    assert vol.district == COMMON_DISTRICTS[1]
    assert vol.interests == ["environment", "events"]
    assert vol.skills == "إسعافات أولية، 3 لغات"
    assert vol.availability == ["wd_evening", "we_morning"]
    assert vol.email == "name@example.com"


@pytest.mark.parametrize("typed", ["2", "٢", "۲"])
async def test_option_number_picks_the_same_option_in_any_digits(
    engine: Engine, db: Database, typed: str
) -> None:
    chat = Chat(engine)
    await drive_to(chat, "gender")
    labels = [label for _, label in chat.choices]
    await chat.send(typed)
    assert step_of(chat.last[-1]) == "birth"
    await chat.press("_b")
    # The stored answer is option 2, shown as the current value.
    assert labels[1] in chat.text


@pytest.mark.parametrize("typed", ["1 3", "١ ٣", "۱ ۳", "١،٣", "1، ٣"])
async def test_multi_select_typed_in_any_digits(engine: Engine, db: Database, typed: str) -> None:
    chat = Chat(engine)
    await drive_to(chat, "interests")
    await chat.send(typed)
    assert step_of(chat.last[-1]) == "skills", chat.text
    conv = await conversation(db, chat)
    assert conv.data["f"]["v"]["interests"] == ["environment", "events"]


async def test_multi_select_typed_labels_with_one_unknown_are_refused(
    engine: Engine, db: Database
) -> None:
    """One label that matches no option refuses the whole message: the known one is not kept
    alone, as if the person had meant only it."""
    chat = Chat(engine)
    await drive_to(chat, "interests")
    labels = [label for _, label in chat.choices]
    await chat.send(f"{labels[0]}، xyzzy")
    assert step_of(chat.last[-1]) == "interests", chat.text
    conv = await conversation(db, chat)
    assert "interests" not in conv.data["f"]["v"]


@pytest.mark.parametrize(
    "field,typed,stored",
    [
        ("nid", "١٢٣٤٥٦٧٨٩٧", "1234567897"),
        ("nid", "۱۲۳۴۵۶۷۸۹۷", "1234567897"),
        ("nid", "١٢٣4567897", "1234567897"),  # mixed in one number
        ("mobile", "٠٥١٢٣٤٥٦٧٨", "+966512345678"),
        ("mobile", "+٩٦٦ ٥١ ٢٣٤ ٥٦٧٨", "+966512345678"),
        ("g_mobile", "٠٥٥٥١٢٣٤٥٦", "+966555123456"),
    ],
)
async def test_numbers_in_arabic_indic_digits_are_stored_in_ascii(
    engine: Engine, db: Database, field: str, typed: str, stored: str
) -> None:
    chat = Chat(engine)
    await drive_to(chat, field)
    await chat.send(typed)
    assert_clean(chat.last)
    assert step_of(chat.last[-1]) != field, chat.text
    conv = await conversation(db, chat)
    assert conv.data["f"]["v"][field] == stored


@pytest.mark.parametrize("typed", ["١٥/٠٣/١٤٢٠", "۱۵/۰۳/۱۴۲۰", "١٥/03/1420", "29/06/1999"])
async def test_birth_date_in_any_digits(engine: Engine, db: Database, typed: str) -> None:
    chat = Chat(engine)
    await drive_to(chat, "birth")
    await chat.send(typed)
    assert step_of(chat.last[-1]) == "district", chat.text
    conv = await conversation(db, chat)
    assert conv.data["f"]["v"]["birth"]["date"] == "1999-06-29"


# --- bidi and invisible characters around a name -----------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "\u202eمحمد عبدالله\u202c",
        "\u202e\u202dمحمد عبدالله\u202c\u202c",
        "\u2067محمد\u200f \u200dعبدالله\u2069",
        "\ufeffمحمد عبدالله\u200b",
    ],
    ids=["rlo-pdf", "rlo-lro", "isolate-marks-zwj", "bom-zwsp"],
)
async def test_name_in_bidi_controls_is_stored_without_them(
    engine: Engine, db: Database, typed: str
) -> None:
    chat = Chat(engine)
    await chat.start_signup()
    await chat.send(typed)
    assert step_of(chat.last[-1]) == "nid", chat.text
    for a in ADULT[1:]:
        await answer(chat, a)
    assert "محمد عبدالله" in chat.last[-1].text
    await chat.press("_ok")
    assert_clean(chat.last)
    vol = await stored_volunteer(db)
    assert vol.full_name == "محمد عبدالله"
    assert not any(
        ch in vol.full_name
        for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
        "\u2068\u2069\u200e\u200f\u200b\u200c\u200d\ufeff"
    )


def test_the_matrix_covers_every_form_field() -> None:
    from bot.handlers.volunteers.signup import VolunteerForm

    form_fields = [f.name for f in VolunteerForm.fields]
    assert form_fields == FIELDS
    assert {f.name: f.prompt for f in VolunteerForm.fields} == PROMPTS
    assert set(NEAR_MISS) == set(FIELDS)
