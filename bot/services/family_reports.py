"""A site's stall requests as a spreadsheet for staff (issue 5 §8): XLSX or CSV with the
headers in Arabic from the catalog. Used by the staff chat and by `shuraka export requests`;
`bot.exports` writes the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.districts import ALL_DISTRICTS
from bot.core.i18n import N_, Translator
from bot.core.text import mask_national_id
from bot.core.unit import Unit
from bot.exports import export_mobile, export_when, to_csv, to_xlsx
from bot.services.errors import NotFound, ServiceError, require_staff
from bot.services.family_notices import stall_label
from storage import families as fam
from storage.models_families import Site

FORMATS = ("xlsx", "csv")
CATEGORY_CODES = ("food", "sweets", "coffee", "honey", "perfume", "crafts", "sewing", "other")
NEED_CODES = ("electricity", "water")
COLUMNS = (
    N_("fam.x.id"),
    N_("fam.x.status"),
    N_("fam.x.family"),
    N_("fam.x.applicant"),
    N_("fam.x.nid"),
    N_("fam.x.mobile"),
    N_("fam.x.district"),
    N_("fam.x.categories"),
    N_("fam.x.description"),
    N_("fam.x.stall_type"),
    N_("fam.x.stall_number"),
    N_("fam.x.start"),
    N_("fam.x.end"),
    N_("fam.x.freelance_no"),
    N_("fam.x.freelance_exp"),
    N_("fam.x.health_no"),
    N_("fam.x.health_exp"),
    N_("fam.x.needs"),
    N_("fam.x.submitted"),
    N_("fam.x.updated"),
)


def _labels(tr: Translator, codes: list[str], known: Sequence[str], prefix: str) -> str:
    names = {code: tr.label(f"{prefix}.{code}") for code in known}
    return tr.label("form.list_sep").join(names.get(c, c) for c in codes)


def export_filename(site: Site, fmt: str) -> str:
    return f"site-{site.id}-requests.{fmt}"


async def export_site(
    session: AsyncSession,
    tr: Translator,
    site: Site,
    fmt: str,
    timezone: str,
    *,
    full_ids: bool = False,
) -> tuple[bytes, int]:
    """The file's bytes and how many requests it lists. National IDs are masked unless
    `full_ids` (files sent through a messenger leave the Kingdom; the CLI's stay local)."""
    rows = []
    for request, family in await fam.site_requests(session, site.id):
        categories = _labels(tr, list(family.categories), CATEGORY_CODES, "fam.cat")
        if family.other_category:
            categories += tr.label("form.list_sep") + family.other_category
        district = (
            tr.label(f"district.{family.district}")
            if family.district in ALL_DISTRICTS
            else family.district
        )
        rows.append(
            [
                request.id,
                tr.label(f"fam.status.{request.status}"),
                family.family_name,
                family.applicant_name,
                family.national_id if full_ids else mask_national_id(family.national_id),
                export_mobile(family.mobile),
                district,
                categories,
                family.description,
                stall_label(tr, request.stall_type),
                request.stall_number,
                export_when(tr, request.start_date, timezone),
                export_when(tr, request.end_date, timezone),
                family.freelance_doc_number,
                export_when(tr, family.freelance_doc_expiry, timezone),
                family.health_cert_number,
                export_when(tr, family.health_cert_expiry, timezone),
                _labels(tr, list(family.needs), NEED_CODES, "fam.need"),
                export_when(tr, request.created_at, timezone),
                export_when(tr, request.updated_at, timezone),
            ]
        )
    headers = [tr.label(key) for key in COLUMNS]
    if fmt == "csv":
        return to_csv(headers, rows), len(rows)
    # Sheet names cannot hold some characters a site name may have ("/"): use a fixed title.
    return to_xlsx(tr.label("fam.x.sheet", id=site.id), headers, rows), len(rows)


@dataclass(frozen=True, slots=True)
class Export:
    site: Site
    filename: str
    data: bytes
    rows: int


async def export_requests(unit: Unit, site_id: int, fmt: str, *, full_ids: bool) -> Export:
    """A site's requests as a file, its headers in Arabic whatever the reader's language
    (issue 5 §8); the export is audited. `full_ids` only for files that stay on the server."""
    require_staff(unit.actor)
    if fmt not in FORMATS:
        raise ServiceError("form.err.use_choices")
    site = await fam.get_site(unit.session, site_id)
    if site is None:
        raise NotFound("fam.err.site_gone")
    arabic = unit.catalogs.translator("ar")
    data, count = await export_site(
        unit.session, arabic, site, fmt, unit.timezone, full_ids=full_ids
    )
    await unit.audit("site.exported", f"site:{site.id}", format=fmt, rows=count)
    return Export(site, export_filename(site, fmt), data, count)
