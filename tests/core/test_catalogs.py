"""The catalogs are complete and consistent, and the code holds no user-facing Arabic text.

Message ids used in the code are found two ways: statically (the `ast` of every module under
bot/) and at run time (the assembled app's forms, options, commands, districts and roles), so
keys built with f-strings are covered too.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

import bot.handlers.volunteers.signup as volunteer_signup
from bot.core.districts import ALL_DISTRICTS
from bot.core.forms import Form, Option
from bot.core.i18n import DEFAULT_LOCALES_DIR, Catalogs, Html, load_catalogs, po_path
from bot.handlers import build_app

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("ar", "en")
NPLURALS = {"ar": 6, "en": 2}
ARABIC_PLURAL_FORMS = (
    "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
)
ROLES = ("user", "staff", "admin")
# Quantities that are zero whenever the count is zero (no shifts counted: no hours).
ZERO_FORM_MAY_OMIT = frozenset({"hours"})

# --- collecting message ids -------------------------------------------------------------------

# call name -> positions of the positional arguments that are message ids
KEY_ARGS: dict[str, tuple[int, ...]] = {
    "t": (0,),
    "tn": (0,),
    "say": (0,),
    "label": (0,),
    "raw": (0,),
    "alternatives": (0,),
    "N_": (0,),
    "choice": (2,),  # ctx.choice(step, value, label_key)
    "Invalid": (0,),
    "FieldError": (1,),  # FieldError(field, msgid)
    "Field": (1, 2),  # Field(name, prompt, label, ...)
    "Option": (1,),  # Option(value, label)
    "Command": (2,),  # Command(name, handler, description)
}
# keyword arguments that carry a message id, whatever the call
KEY_KEYWORDS = frozenset(
    {
        "msgid",
        "key",
        "label_key",
        "prompt",
        "label",
        "prompt_contact",
        "description",
        "intro",
        "summary_title",
    }
)
# keywords above that only count for these calls (elsewhere "label"/"key" mean other things,
# e.g. sorted(key=...) or Choice(label=<plain text>))
KEYWORD_CALLS: dict[str, frozenset[str]] = {
    "prompt": frozenset({"Field"}),
    "label": frozenset({"Field", "Option"}),
    "prompt_contact": frozenset({"Field"}),
    "description": frozenset({"Command"}),
    "key": frozenset(KEY_ARGS),
}
CLASS_ATTRS = frozenset({"intro", "summary_title"})


def _constants(node: ast.AST | None, names: dict[str, set[str]] | None = None) -> Iterator[str]:
    """String constants an expression can evaluate to ("a" and "b" in `"a" if x else "b"`);
    with `names`, also those of a variable assigned a constant in the same module."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body, names)
        yield from _constants(node.orelse, names)
    elif isinstance(node, ast.Name) and names is not None:
        yield from sorted(names.get(node.id, ()))


def _assigned_constants(tree: ast.AST) -> dict[str, set[str]]:
    """Variable name -> string constants assigned to it anywhere in the module."""
    names: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, set()).update(_constants(node.value))
    return names


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def keys_in_source(source: str, filename: str = "<source>") -> dict[str, str]:
    """Message ids in Python source -> where the first use is ("file:line")."""
    found: dict[str, str] = {}

    def add(values: Iterable[str], node: ast.AST) -> None:
        for value in values:
            found.setdefault(value, f"{filename}:{getattr(node, 'lineno', 0)}")

    tree = ast.parse(source, filename)
    assigned = _assigned_constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            for pos in KEY_ARGS.get(name or "", ()):
                if pos < len(node.args):
                    add(_constants(node.args[pos], assigned), node)
            for kw in node.keywords:
                if kw.arg not in KEY_KEYWORDS:
                    continue
                only = KEYWORD_CALLS.get(kw.arg)
                if only is None or name in only:
                    add(_constants(kw.value), node)
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(stmt, ast.Assign):
                    targets, value = stmt.targets, stmt.value
                elif isinstance(stmt, ast.AnnAssign):
                    targets, value = [stmt.target], stmt.value
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in CLASS_ATTRS:
                        add(_constants(value), stmt)
    return found


def static_keys() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for key, where in keys_in_source(path.read_text(encoding="utf-8"), rel).items():
            found.setdefault(key, where)
    return found


def runtime_keys() -> dict[str, str]:
    """Keys only known at run time: f-string keys, option tuples, commands, districts, roles."""
    found: dict[str, str] = {}

    def add(key: object, where: str) -> None:
        assert isinstance(key, str), f"{where}: message id {key!r} is not a string"
        found.setdefault(key, where)

    app = build_app()
    for flow in app.flows.values():
        if not isinstance(flow, Form):
            continue
        where = f"form {flow.name}"
        if flow.intro:
            add(flow.intro, f"{where} intro")
        add(flow.summary_title, f"{where} summary_title")
        for field in flow.fields:
            add(field.prompt, f"{where}.{field.name} prompt")
            add(field.label, f"{where}.{field.name} label")
            if field.prompt_contact:
                add(field.prompt_contact, f"{where}.{field.name} prompt_contact")
            if not callable(field.options):
                for option in field.options:
                    add(option.label, f"{where}.{field.name} option {option.value}")
    for name, value in vars(volunteer_signup).items():
        if isinstance(value, tuple) and value and all(isinstance(o, Option) for o in value):
            for option in value:
                add(option.label, f"volunteer_signup.{name} {option.value}")
    for command in app.commands.values():
        add(command.description, f"command /{command.name}")
    for code in ALL_DISTRICTS:
        add(f"district.{code}", "ALL_DISTRICTS")
    for role in ROLES:
        add(f"role.{role}", "roles")
    return found


def used_keys() -> dict[str, str]:
    return {**runtime_keys(), **static_keys()}


# --- reading the catalogs ---------------------------------------------------------------------


def read_catalog(locale: str) -> Catalog:
    with po_path(DEFAULT_LOCALES_DIR, locale).open("rb") as fh:
        return read_po(fh, abort_invalid=True)


@pytest.fixture(scope="module")
def po() -> dict[str, Catalog]:
    return {loc: read_catalog(loc) for loc in LOCALES}


def _forms(message: Message) -> tuple[str, ...]:
    s = message.string
    assert s is not None, f"{message.id!r} has no translation string"  # read_po always sets one
    return tuple(s) if isinstance(s, (tuple, list)) else (s,)


def _msgid(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)


def _messages(catalog: Catalog) -> dict[str, Message]:
    """The neutral entries; gendered variants (msgctxt) are checked in test_i18n_gender."""
    return {_msgid(m): m for m in catalog if m.id and not m.context}


def missing_translations(keys: Iterable[str], po: dict[str, Catalog]) -> list[str]:
    """Lines "<locale>: <key>" for every key without a usable translation (absent, empty, fuzzy)."""
    problems = []
    for locale, catalog in po.items():
        for key in sorted(keys):
            message = catalog.get(key)
            if message is None:
                problems.append(f"{locale}: {key} (missing)")
            elif not all(form.strip() for form in _forms(message)):
                problems.append(f"{locale}: {key} (empty)")
            elif message.fuzzy:
                problems.append(f"{locale}: {key} (fuzzy, left out when compiled)")
    return problems


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --- the collector works ----------------------------------------------------------------------


def test_collector_finds_every_kind_of_use() -> None:
    source = """
class F(Form):
    intro = "k.intro"
    summary_title: str = "k.summary"
    other = "not.a.key"

def f(ctx, tr):
    ctx.say("k.say", n=1)
    tr.t("k.t"); tr.tn("k.tn", 3); tr.label("k.label"); tr.raw("k.raw")
    tr.alternatives("k.alt"); N_("k.n_")
    ctx.choice("step", "value", "k.choice")
    raise Invalid("k.inv1" if x else "k.inv2", limit=3)
    FieldError("nid", "k.fielderror")
    Field("name", "k.prompt", "k.flabel", prompt_contact="k.contact")
    Field(name="n", prompt="k.kwprompt", label="k.kwlabel")
    Option("m", "k.option")
    Command("start", handler, "k.command")
    Choice("id:x:y", "plain label")
    expected = "k.var1" if y else "k.var2"
    raise Invalid(expected)
    sorted(items, key="not.a.key")
    tr.t(f"dyn.{x}")
"""
    keys = set(keys_in_source(source))
    assert keys == {
        "k.intro",
        "k.summary",
        "k.say",
        "k.t",
        "k.tn",
        "k.label",
        "k.raw",
        "k.alt",
        "k.n_",
        "k.choice",
        "k.inv1",
        "k.inv2",
        "k.fielderror",
        "k.prompt",
        "k.flabel",
        "k.contact",
        "k.kwprompt",
        "k.kwlabel",
        "k.option",
        "k.command",
        "k.var1",
        "k.var2",
    }


def test_a_missing_key_is_reported(po: dict[str, Catalog]) -> None:
    assert missing_translations({"no.such.key", "menu.title"}, po) == [
        "ar: no.such.key (missing)",
        "en: no.such.key (missing)",
    ]


def test_collectors_see_the_real_code() -> None:
    static, runtime = static_keys(), runtime_keys()
    # a few keys each way, so an empty or broken collector cannot pass silently
    for key in (
        "menu.title",
        "vol.q.name",
        "err.national_id.checksum",
        "staff.volunteer_count",
        "form.done",
        "vol.saved",
        "vol.updated",
        "err.expected_text",
        "vol.intro",
    ):
        assert key in static, key
    for key in (
        "vol.interest.environment",
        "vol.avail.we_morning",
        "district.hawiya",
        "district.qudayra",
        "role.admin",
        "cmd.start",
        "vol.q.mobile_share",
    ):
        assert key in runtime, key
    looks_like_key = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
    odd = {k: w for k, w in {**static, **runtime}.items() if not looks_like_key.fullmatch(k)}
    assert not odd, f"collected strings that do not look like message ids: {odd}"


# --- completeness and consistency -------------------------------------------------------------


def test_every_used_key_is_translated_in_both_languages(po: dict[str, Catalog]) -> None:
    used = used_keys()
    problems = missing_translations(used, po)
    detail = [f"{p}  [used at {used[p.split(': ', 1)[1].split(' ')[0]]}]" for p in problems]
    assert not problems, "untranslated message ids:\n" + "\n".join(detail)


def test_compiled_catalogs_translate_every_used_key() -> None:
    """What the bot really loads (compiled in memory, fuzzy entries dropped) knows each key."""
    catalogs = load_catalogs()
    missing = [
        f"{tr.locale}: {key}"
        for tr in catalogs.all_translators()
        for key in sorted(used_keys())
        if tr._tr.gettext(key) == key
    ]
    assert not missing, missing


def test_both_catalogs_have_the_same_msgids(po: dict[str, Catalog]) -> None:
    ar, en = set(_messages(po["ar"])), set(_messages(po["en"]))
    assert ar - en == set(), "only in ar"
    assert en - ar == set(), "only in en"


def test_no_empty_or_fuzzy_entries(po: dict[str, Catalog]) -> None:
    problems = missing_translations(set(_messages(po["ar"])) | set(_messages(po["en"])), po)
    assert not problems, problems


def test_placeholders_match_between_languages(po: dict[str, Catalog]) -> None:
    ar, en = _messages(po["ar"]), _messages(po["en"])
    problems = []
    for key in sorted(set(ar) & set(en)):
        try:
            forms = {
                loc: [placeholders(f) for f in _forms(m)]
                for loc, m in (("ar", ar[key]), ("en", en[key]))
            }
        except ValueError as exc:  # unbalanced braces: str.format would fail at run time
            problems.append(f"{key}: bad format string ({exc})")
            continue
        union = {loc: set().union(*sets) for loc, sets in forms.items()}
        if union["ar"] != union["en"]:
            problems.append(f"{key}: ar {sorted(union['ar'])} != en {sorted(union['en'])}")
        if ar[key].pluralizable:
            # Plural forms may leave out the count ("one volunteer"), nothing else; the Arabic
            # zero form may also leave out a quantity that is zero with it ("no hours yet").
            for loc, sets in forms.items():
                for i, names in enumerate(sets):
                    may_omit = {"n"} | (ZERO_FORM_MAY_OMIT if loc == "ar" and i == 0 else set())
                    if names - may_omit != union[loc] - may_omit:
                        problems.append(f"{key}: {loc} form {i} has {sorted(names)}")
    assert not problems, "\n".join(problems)


def test_plural_entries_have_every_form(po: dict[str, Catalog]) -> None:
    problems = []
    for loc, catalog in po.items():
        assert catalog.num_plurals == NPLURALS[loc]
        for key, message in _messages(catalog).items():
            if not message.pluralizable:
                continue
            forms = _forms(message)
            if len(forms) != NPLURALS[loc] or not all(f.strip() for f in forms):
                problems.append(f"{loc}: {key} has {len(forms)} forms: {forms}")
    plural_keys = {k for k, m in _messages(po["ar"]).items() if m.pluralizable}
    assert "staff.volunteer_count" in plural_keys
    assert plural_keys == {k for k, m in _messages(po["en"]).items() if m.pluralizable}
    assert not problems, problems


# --- Arabic plural rules ------------------------------------------------------------------------


def test_arabic_plural_header_is_the_designed_one(po: dict[str, Catalog]) -> None:
    text = po_path(DEFAULT_LOCALES_DIR, "ar").read_text(encoding="utf-8")
    headers = re.findall(r'^"Plural-Forms: (.*)\\n"$', text, re.MULTILINE)
    assert headers == [ARABIC_PLURAL_FORMS]
    assert po["ar"].num_plurals == 6


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (11, 4),
        (100, 5),
        (101, 5),
        (111, 4),
        (1003, 3),
        (10, 3),
        (99, 4),
        (102, 5),
    ],
)
def test_arabic_plural_forms_through_the_translator(
    po: dict[str, Catalog], catalogs: Catalogs, n: int, form: int
) -> None:
    expected = _forms(po["ar"]["staff.volunteer_count"])[form].format(n=n)
    assert catalogs.translator("ar").tn("staff.volunteer_count", n) == expected


def test_arabic_plural_forms_are_all_distinct(po: dict[str, Catalog]) -> None:
    # otherwise the form test above could pass with a wrong rule
    forms = _forms(po["ar"]["staff.volunteer_count"])
    assert len(set(forms)) == 6


@pytest.mark.parametrize(("n", "form"), [(0, 1), (1, 0), (2, 1), (21, 1)])
def test_english_plural_forms(
    po: dict[str, Catalog], catalogs: Catalogs, n: int, form: int
) -> None:
    expected = _forms(po["en"]["staff.volunteer_count"])[form].format(n=n)
    assert catalogs.translator("en").tn("staff.volunteer_count", n) == expected


# --- no user text in code -----------------------------------------------------------------------

ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def arabic_in_code() -> list[str]:
    hits = []
    for top in ("bot", "storage", "scheduler"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for match in ARABIC.finditer(line):
                    rel = path.relative_to(ROOT)
                    hits.append(f"{rel}:{lineno}:{match.start() + 1}: U+{ord(match[0]):04X}")
    return hits


def test_arabic_detector_works() -> None:
    assert ARABIC.search("\u0647") and ARABIC.search("\ufef5") and ARABIC.search("\u0661")
    assert not ARABIC.search("\\u0647 plain ASCII \u2713")


def test_no_arabic_text_in_python_sources() -> None:
    hits = arabic_in_code()
    assert not hits, "Arabic characters in code (use the catalogs or \\u escapes):\n" + "\n".join(
        hits
    )


# --- escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_t_escapes_parameters_but_not_html(catalogs: Catalogs, locale: str) -> None:
    tr = catalogs.translator(locale)
    pattern = tr.raw("form.current_value")
    assert "{value}" in pattern
    escaped = tr.t("form.current_value", value="<b>&")
    assert escaped == pattern.format(value="&lt;b&gt;&amp;")
    assert "<b>&" not in escaped
    trusted = tr.t("form.current_value", value=Html("<b>x</b> &amp;"))
    assert trusted == pattern.format(value="<b>x</b> &amp;")
