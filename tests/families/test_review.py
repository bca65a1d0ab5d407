"""Staff review through the engine: the queue, each decision, the family's side of it, the
history, the notifications and the audit log."""

from __future__ import annotations

from bot.core.engine import Engine
from bot.core.i18n import Catalogs
from storage.db import Database
from tests.conftest import Clock
from tests.families.support import (
    add_site,
    approve,
    audit_actions,
    history,
    notice_keys,
    notices,
    open_review,
    register_family,
    request_row,
    requests,
    staff,
    submitted,
    waitlist,
)
from tests.support import Chat, assert_clean


async def opened_by_staff(engine: Engine, db: Database) -> tuple[int, Chat]:
    """Family "fam" submits a request and staff open it from the review queue: (its id, the
    staff chat)."""
    rid = await submitted(engine, db, "fam", 1)
    boss = await staff(engine)
    await open_review(boss)
    await boss.press(f"r{rid}")
    return rid, boss


async def offered_and_waiting(engine: Engine, db: Database, stall: str = "auto") -> tuple[int, int]:
    """One food stall: staff offer it (`stall`) to family "a"'s request and put family "b"'s on
    the waiting list. Returns the two request ids."""
    site_id = await add_site(db, food_stalls=1)
    one = await submitted(engine, db, "a", 1, site_id=site_id)
    two = await submitted(engine, db, "b", 2, site_id=site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, one, stall)
    await waitlist(boss, two)
    return one, two


async def test_queue_oldest_first_with_counts(engine: Engine, db: Database, clock: Clock) -> None:
    site_id = await add_site(db)
    first = await submitted(engine, db, "a", 1, site_id=site_id)
    clock.now = clock.now.replace(hour=10)
    second = await submitted(engine, db, "b", 2, site_id=site_id, stall_type="nonfood")
    boss = await staff(engine)
    await open_review(boss)
    text = boss.text
    assert "طلبان بانتظار المراجعة" in text
    assert text.index(f"#{first} ") < text.index(f"#{second} ")
    assert [cid for cid, _ in boss.choices][:2] == [f"frv:q:r{first}", f"frv:q:r{second}"]
    assert_clean(boss.last)


async def test_open_approve_and_confirm(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    # All details, the ID masked, the product photo sent by its file id.
    assert "مطبخ أم محمد" in boss.text and "1•••••••" in boss.text
    assert "&lt;طازجة&gt;" in boss.text
    photos = [o.attachment for o in boss.last if o.attachment is not None]
    assert [(p.kind, p.file_id) for p in photos] == [("photo", "photo-1")]
    assert (await request_row(db, rid)).status == "under_review"
    assert await notice_keys(db, "fam") == ["fam.n.review"]
    await boss.press("ap")
    assert boss.offers("n1") and boss.offers("n2") and boss.offers("auto")
    await boss.press("n2")
    assert "عُرضت البسطة رقم 2" in boss.text
    request = await request_row(db, rid)
    assert request.status == "approved" and request.stall_number == 2
    assert request.offer_expires_at is not None
    assert (request.offer_expires_at - engine.clock()).total_seconds() == 48 * 3600
    offer = (await notices(db, "fam"))[-1]
    assert offer.payload["key"] == "fam.n.offer"
    assert offer.payload["params"]["stall"] == 2
    assert [c["id"] for c in offer.payload["choices"]] == [f"so:ok:{rid}", f"so:no:{rid}"]
    assert offer.payload["expires_at"] == request.offer_expires_at.isoformat()
    # The family presses "confirm" on the notice while in the middle of something else.
    family = Chat(engine, user="fam")
    await family.send("/families")
    await family.press("reg")  # editing the family data (a form)
    await family.press_id(f"so:ok:{rid}")
    assert "تم التأكيد! البسطة رقم 2" in family.text
    assert "راجعي بيانات الأسرة" in family.text  # and back where it was
    request = await request_row(db, rid)
    assert request.status == "confirmed" and request.stall_number == 2
    assert [h[1] for h in await history(db, rid)] == [
        "submitted",
        "under_review",
        "approved",
        "confirmed",
    ]
    assert await audit_actions(db) == ["stall_request.review", "stall_request.approved"]
    # Pressing again changes nothing.
    await family.press_id(f"so:ok:{rid}")
    assert "مؤكَّدة لكِ مسبقًا" in family.text
    await family.send("/families")
    await family.press("my")
    assert "مؤكَّد" in family.text and "رقم البسطة: 2" in family.text


async def test_automatic_number_and_no_stall_left(engine: Engine, db: Database) -> None:
    site_id = await add_site(db, food_stalls=1)
    one = await submitted(engine, db, "a", 1, site_id=site_id)
    two = await submitted(engine, db, "b", 2, site_id=site_id)
    boss = await staff(engine)
    await open_review(boss)
    await approve(boss, one)
    assert (await request_row(db, one)).stall_number == 1
    await boss.press(f"r{two}")
    await boss.press("ap")
    assert "لم تبقَ بسطة متاحة" in boss.text
    assert boss.offers("wl")  # the request is shown again with its actions
    await boss.press("wl")
    assert (await request_row(db, two)).status == "waitlisted"
    assert (await notice_keys(db, "b"))[-1] == "fam.n.waitlisted"


async def test_reject_with_reason_and_note(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    await boss.press("rj")
    await boss.press("documents")
    await boss.send("الشهادة الصحية <منتهية>")
    assert "رُفض الطلب" in boss.text
    request = await request_row(db, rid)
    assert request.status == "rejected" and request.reject_reason == "documents"
    notice = (await notices(db, "fam"))[-1]
    assert notice.payload["key"] == "fam.n.rejected_note"
    assert notice.payload["params"]["note"] == "الشهادة الصحية <منتهية>"
    assert "stall_request.rejected" in await audit_actions(db)
    family = Chat(engine, user="fam")
    await family.send("/families")
    await family.press("my")
    assert "غير مقبول" in family.text
    assert "وثيقة العمل الحر أو الشهادة الصحية غير سارية" in family.text


async def test_reject_without_a_note(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    await boss.press("rj")
    await boss.press("other")
    await boss.press("_s")
    assert (await request_row(db, rid)).reject_note is None
    assert (await notice_keys(db, "fam"))[-1] == "fam.n.rejected"


async def test_a_typed_back_word_at_the_note_goes_back_and_is_not_the_note(
    engine: Engine, db: Database
) -> None:
    """Item 3: «رجوع» (or «عودة», «back») typed where a note is asked goes back, as the back
    button does; nothing is decided and no note is kept."""
    rid, boss = await opened_by_staff(engine, db)
    for word in ("رجوع", "عودة"):
        await boss.press("rj")
        await boss.press("documents")
        await boss.send(word)
        assert boss.offers("rj")  # the request's screen again, with its actions
        request = await request_row(db, rid)
        assert request.status != "rejected" and request.reject_note is None


async def test_back_typed_in_english_at_the_note_goes_back(engine: Engine, db: Database) -> None:
    rid = await submitted(engine, db, "fam", 1)
    english = Chat(engine, user="boss")
    await english.onboard("en")
    await open_review(english)
    await english.press(f"r{rid}")
    await english.press("rj")
    await english.press("documents")
    await english.send("Back")
    assert english.offers("rj") and (await request_row(db, rid)).reject_note is None
    await english.press("rj")
    await english.press("documents")
    await english.send("back to the team")  # a note that only starts with the word is a note
    assert (await request_row(db, rid)).reject_note == "back to the team"


async def test_needs_information_and_the_answer(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    await boss.press("in")
    await boss.send("هل تحتاجون مولّدًا؟")
    request = await request_row(db, rid)
    assert request.status == "needs_info" and request.info_request == "هل تحتاجون مولّدًا؟"
    notice = (await notices(db, "fam"))[-1]
    assert notice.payload["key"] == "fam.n.needs_info"
    assert notice.payload["choices"][0]["id"] == f"si:a:{rid}"
    # The family answers through the notice's button.
    family = Chat(engine, user="fam")
    await family.press_id(f"si:a:{rid}")
    assert "هل تحتاجون مولّدًا؟" in family.text
    await family.file()
    assert family.offers("_c")  # asked again
    await family.send("لا، يكفينا مقبس كهرباء <عادي>")
    assert "عاد الطلب رقم" in family.text
    request = await request_row(db, rid)
    assert request.status == "under_review"
    assert request.info_reply == "لا، يكفينا مقبس كهرباء <عادي>"
    await family.press_id(f"si:a:{rid}")  # the old button again
    assert "لا ينتظر ردًّا" in family.text
    # Staff see the answer (escaped) and can decide.
    await open_review(boss)
    await boss.press(f"r{rid}")
    assert "&lt;عادي&gt;" in boss.text and boss.offers("ap")
    assert [h[1] for h in await history(db, rid)] == [
        "submitted",
        "under_review",
        "needs_info",
        "under_review",
    ]


async def test_stale_decision_is_refused(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    # The family cancels while staff look at it.
    family = Chat(engine, user="fam")
    await family.send("/families")
    await family.press("my")
    await family.press(f"x{rid}")
    await family.press("yes")
    await boss.press("wl")
    assert "تغيّرت حالة الطلب" in boss.text
    assert (await request_row(db, rid)).status == "cancelled"


async def test_family_declines_and_the_stall_goes_to_the_waiting_list(
    engine: Engine, db: Database
) -> None:
    one, two = await offered_and_waiting(engine, db, "n1")
    family = Chat(engine, user="a")
    await family.press_id(f"so:no:{one}")
    assert "هل تريدين الاعتذار" in family.text
    await family.press_id(f"so:keep:{one}")
    assert (await request_row(db, one)).status == "approved"
    await family.press_id(f"so:no:{one}")
    await family.press_id(f"so:dx:{one}")
    assert "سجّلنا اعتذارك" in family.text
    assert (await request_row(db, one)).status == "cancelled"
    passed = await request_row(db, two)
    assert passed.status == "approved" and passed.stall_number == 1
    assert (await notice_keys(db, "b"))[-1] == "fam.n.offer"


async def test_cancelling_a_confirmed_stall_frees_it(engine: Engine, db: Database) -> None:
    one, two = await offered_and_waiting(engine, db)
    family = Chat(engine, user="a")
    await family.press_id(f"so:ok:{one}")
    await family.send("/families")
    await family.press("my")
    await family.press(f"x{one}")
    await family.press("yes")
    assert (await request_row(db, one)).status == "cancelled"
    assert (await request_row(db, two)).status == "approved"


async def test_someone_elses_request_cannot_be_touched(engine: Engine, db: Database) -> None:
    rid = await submitted(engine, db, "fam", 1)
    stranger = await register_family(engine, "stranger", seed=9)
    await stranger.press_id(f"so:ok:{rid}")
    assert "لم أجد هذا الطلب" in stranger.text
    await stranger.press_id(f"so:dx:{rid}")
    assert "لم أجد هذا الطلب" in stranger.text
    await stranger.press_id(f"si:a:{rid}")
    assert "لا ينتظر ردًّا" in stranger.text
    await stranger.press_id("fmy:list:x1")  # not its own list's button
    assert (await request_row(db, rid)).status == "submitted"


async def test_only_staff_review(engine: Engine, db: Database) -> None:
    await submitted(engine, db, "fam", 1)
    user = Chat(engine, user="fam")
    await user.send("/staff")
    assert "مخصّص لموظفي الأمانة" in user.text
    await user.press_id("frv:q:r1")  # a forged or old button
    assert (await request_row(db, 1)).status == "submitted"


async def test_typed_numbers_are_answers_not_buttons(engine: Engine, db: Database) -> None:
    """ "1" typed as a note or an answer is text, not the first button (back or cancel)."""
    rid, boss = await opened_by_staff(engine, db)
    await boss.press("in")
    await boss.send("2")
    assert (await request_row(db, rid)).info_request == "2"
    family = Chat(engine, user="fam")
    await family.press_id(f"si:a:{rid}")
    await family.send("1")
    request = await request_row(db, rid)
    assert request.info_reply == "1" and request.status == "under_review"
    await open_review(boss)
    await boss.press(f"r{rid}")
    await boss.press("rj")
    await boss.press("other")
    await boss.send("1")
    request = await request_row(db, rid)
    assert request.status == "rejected" and request.reject_note == "1"


async def test_my_data_shows_the_family_and_its_requests(engine: Engine, db: Database) -> None:
    rid = await submitted(engine, db, "fam", 1)
    family = Chat(engine, user="fam")
    await family.send("/mydata")
    assert "بيانات الأسرة المنتجة" in family.text
    assert "مطبخ أم محمد" in family.text and "1•••••••" in family.text
    assert f"#{rid} سوق عكاظ التراثي" in family.text and "طلب بسطة واحد" in family.text
    assert_clean(family.last)


async def test_deleting_ones_data_passes_the_stall_on(engine: Engine, db: Database) -> None:
    one, two = await offered_and_waiting(engine, db)
    family = Chat(engine, user="a")
    await family.press_id(f"so:ok:{one}")
    await family.send("/mydata")
    await family.press("del")
    await family.press("yes")
    assert [r.id for r in await requests(db)] == [two]  # the family's rows are gone
    passed = await request_row(db, two)
    assert passed.status == "approved" and passed.stall_number == 1
    assert (await notice_keys(db, "b"))[-1] == "fam.n.offer"


async def confirmed_and_waiting(engine: Engine, db: Database) -> tuple[int, int, int]:
    """Family "a" holds the one food stall (confirmed), family "b" waits for it: the two
    request ids and the site's id."""
    one, two = await offered_and_waiting(engine, db)
    await Chat(engine, user="a").press_id(f"so:ok:{one}")
    return one, two, (await request_row(db, one)).site_id


async def open_held(boss: Chat, site_id: int) -> None:
    """The staff list of the stalls held at a site."""
    await boss.send("/staff")
    await boss.press("fsa")
    await boss.press(f"s{site_id}")
    await boss.press("held")


async def test_staff_open_a_confirmed_stall_and_release_it(
    engine: Engine, db: Database, catalogs: Catalogs
) -> None:
    one, two, site_id = await confirmed_and_waiting(engine, db)
    boss = Chat(engine, user="boss")  # the staff member who offered it
    await open_held(boss, site_id)
    assert "بسطة واحدة محجوزة" in boss.text and "البسطة رقم 1" in boss.text
    assert "مطبخ" in boss.text and f"الطلب رقم {one}" in boss.text
    await boss.press(f"r{one}")
    # the request with staff wording in its history, and what staff may do with a held stall
    assert "أرسلنا عرضًا بالبسطة رقم 1" in boss.text
    assert "أكّدت الأسرة البسطة رقم 1" in boss.text
    assert "عُرضت عليك" not in boss.text
    assert boss.offers("rel") and not boss.offers("ap") and not boss.offers("rj")
    await boss.press("rel")
    assert "لماذا تُلغى البسطة" in boss.text
    await boss.press("back")  # changed their mind: nothing happened
    assert (await request_row(db, one)).status == "confirmed"
    await boss.press("rel")
    await boss.file()
    assert (await request_row(db, one)).status == "confirmed"  # a reason is typed text
    await boss.send("لم تلتزم الأسرة بموعد التجهيز")
    assert f"أُلغيت البسطة في الطلب رقم {one}" in boss.text
    assert "البسطات المحجوزة" in boss.text  # back on the site's held stalls
    released, passed = await request_row(db, one), await request_row(db, two)
    assert released.status == "cancelled" and released.stall_number is None
    assert passed.status == "approved" and passed.stall_number == 1  # the waitlist rule
    told = (await notices(db, "a"))[-1].payload
    assert told["key"] == "fam.n.released"
    assert told["params"]["stall"] == "1"
    assert told["params"]["reason"] == "لم تلتزم الأسرة بموعد التجهيز"
    text = catalogs.translator("ar").t(told["key"], **told["params"])
    assert "أُلغيت البسطة رقم 1" in text and "السبب: لم تلتزم الأسرة" in text
    assert (await notice_keys(db, "b"))[-1] == "fam.n.offer"
    assert "stall_request.released" in await audit_actions(db)
    # the stall is now offered to the next family, in the site's list
    await boss.press(f"r{two}")
    assert "أرسلنا عرضًا بالبسطة رقم 1" in boss.text and boss.offers("rel")
    # the released request's history says so, in staff wording (opened by its number)
    await boss.send("/staff")
    await boss.press("frv")
    await boss.press_id(f"frv:q:r{one}")
    assert "ألغينا البسطة رقم 1: لم تلتزم الأسرة بموعد التجهيز" in boss.text
    assert not boss.offers("rel")


async def test_releasing_in_english_and_the_family_told_in_english(
    engine: Engine, db: Database, catalogs: Catalogs
) -> None:
    one, _, site_id = await confirmed_and_waiting(engine, db)
    boss = Chat(engine, user="boss")  # the staff member who offered it, now in English
    await boss.send("/language")
    await boss.press("en")
    await open_held(boss, site_id)
    assert "1 stall held." in boss.text
    await boss.press(f"r{one}")
    assert "We offered stall no. 1" in boss.text
    assert "The family confirmed stall no. 1" in boss.text
    await boss.press("rel")
    await boss.send("Site closed <for works> & repairs")
    assert f"The stall of request no. {one} is released" in boss.text
    told = (await notices(db, "a"))[-1].payload
    text = catalogs.translator("en").t(told["key"], **told["params"])
    assert "Stall no. 1" in text and "Reason: Site closed &lt;for works&gt; &amp; repairs" in text
    await boss.send("/staff")
    await boss.press("frv")
    await boss.press_id(f"frv:q:r{one}")
    assert "We released stall no. 1: Site closed &lt;for works&gt; &amp; repairs" in boss.text
    assert_clean(boss.last)


async def test_only_a_held_stall_can_be_released(engine: Engine, db: Database) -> None:
    rid, boss = await opened_by_staff(engine, db)
    assert not boss.offers("rel")
    await boss.press_id("frv:rq:rel")  # a forged button on a request under review
    await boss.send("سبب")
    assert "تغيّرت حالة الطلب" in boss.text
    assert (await request_row(db, rid)).status == "under_review"
    assert "stall_request.released" not in await audit_actions(db)


async def test_history_speaks_as_staff_of_each_change(engine: Engine, db: Database) -> None:
    """Review, a question and its answer, a rejection: each told to staff as what happened,
    never as the family was told."""
    rid, boss = await opened_by_staff(engine, db)
    await boss.press("in")
    await boss.send("هل لديكم شهادة صحية سارية؟")
    family = Chat(engine, user="fam")
    await family.press_id(f"si:a:{rid}")
    await family.send("نعم، سارية حتى نهاية العام")
    await open_review(boss)
    await boss.press(f"r{rid}")
    await boss.press("rj")
    await boss.press("documents")
    await boss.press("_s")
    await boss.press_id(f"frv:q:r{rid}")  # a decided request, opened by its number
    history_text = boss.text[boss.text.index("السجل") :]
    for line in (
        "قدّمت الأسرة الطلب",
        "بدأنا مراجعة الطلب",
        "طلبنا من الأسرة معلومات",
        "أجابت الأسرة عن سؤالنا",
        "رفضنا الطلب (",
    ):
        assert line in history_text, line
    for family_wording in ("منك", "طلبك", "بانتظار"):
        assert family_wording not in history_text, family_wording
