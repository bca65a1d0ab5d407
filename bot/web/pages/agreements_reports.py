"""A partner's agreements page (issue 15 item 3): its agreements with what each achieved
against its targets, and the achievement report to download, for the partner or for one
agreement, as a spreadsheet or a PDF in the reader's language (`partner_reports`)."""

from __future__ import annotations

from aiohttp import web

from bot.services import agreements as svc
from bot.services import partner_reports as reports
from bot.services.errors import NotFound
from bot.web.page import Pages, View
from bot.web.pages.agreements import status_label
from bot.web.pages.requests import gone

pages = Pages()

KINDS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@pages.get(r"/agreements/partners/{partner_id:\d+}")
async def partner_agreements(view: View) -> web.StreamResponse:
    tr = view.tr
    try:
        report = await reports.partner_report(view.work, view.path_id("partner_id"))
    except NotFound as err:
        return gone(view, "web.agr.title", err)
    sections = [
        {
            "agreement": s.agreement,
            "title": reports.section_title(tr, s),
            "period": reports.period_text(tr, s),
            "status": status_label(view, s.agreement.status) if s.agreement else "",
            "lines": [
                {
                    "label": tr.label(reports.MEASURE_LABELS[line.measure]),
                    "target": reports.cell_text(tr, line.target, line.measure),
                    "achieved": reports.cell_text(tr, line.achieved, line.measure),
                    "percent": reports.percent_text(tr, line),
                }
                for line in s.lines
            ],
        }
        for s in report.sections
    ]
    return view.render(
        "agreements/partner.html",
        partner=report.partner,
        name=svc.partner_name(report.partner, view.locale),
        sections=sections,
    )


@pages.get(r"/agreements/partners/{partner_id:\d+}/report.{kind:(xlsx|pdf)}")
async def partner_file(view: View) -> web.StreamResponse:
    report = await reports.partner_report(view.work, view.path_id("partner_id"))
    return _download(view, report)


@pages.get(r"/agreements/{agreement_id:\d+}/report.{kind:(xlsx|pdf)}")
async def agreement_file(view: View) -> web.StreamResponse:
    agreement, partner = await svc.get_agreement(view.work, view.path_id("agreement_id"))
    report = await reports.partner_report(view.work, partner.id, agreement.id)
    return _download(view, report)


def _download(view: View, report: reports.PartnerReport) -> web.Response:
    kind = view.request.match_info["kind"]
    if kind == "pdf":
        data = reports.report_pdf(view.tr, report, view.env.settings.timezone)
    else:
        data = reports.report_xlsx(view.tr, report)
    name = report.filename(kind)
    return web.Response(
        body=data,
        content_type=KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
