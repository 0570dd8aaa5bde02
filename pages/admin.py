"""`/admin` — for administrators: users, wall-display links and the audit log (read here, managed by CLI)."""
from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from auth.web import accounts, current_principal
from pages import ids
from pages.components import may_open, no_access, topbar
from pages.i18n import DEFAULT_LANG, t

dash.register_page(__name__, path="/admin", title="治安态势感知 · 系统管理")

AUDIT_ROWS = 300
AUDIT_EVENTS = ("login", "logout", "kiosk", "token_use", "export", "denied")
AUDIT_COLUMNS = ("col_time", "audit_event", "col_outcome", "col_actor", "col_ip", "col_path", "col_detail")


def layout(lang: str = DEFAULT_LANG, **_query) -> html.Div:
    lang = "en" if lang == "en" else "zh"
    if not may_open("/admin"):
        return no_access(lang)
    return html.Div([
        dcc.Store(id=ids.LANG, data=lang),
        topbar(lang, "/admin"),
        html.Div([
            html.P(t("manage_hint", lang), className="muted"),
            html.H3(t("users", lang)), users_table(lang),
            html.H3(t("kiosks", lang)), kiosks_table(lang),
            html.H3(t("audit_log", lang)),
            dcc.Dropdown(id=ids.AUDIT_EVENT, placeholder=t("all_events", lang), style={"width": "240px"},
                         options=[{"label": e, "value": e} for e in AUDIT_EVENTS]),
            html.Div(id=ids.AUDIT_TABLE),
        ], className="admin"),
    ])


def users_table(lang: str) -> html.Table:
    rows = [(u.name, t(f"role_{u.role}", lang), u.station_id or "–",
             t("state_disabled" if u.disabled else "state_active", lang)) for u in admin_accounts().users()]
    return _table(("col_name", "col_role", "col_station", "col_state"), rows, lang)


def kiosks_table(lang: str) -> html.Table:
    rows = [(k, scope, created, t("state_revoked" if revoked else "state_active", lang))
            for k, scope, created, revoked in admin_accounts().kiosks()]
    return _table(("#", "col_scope", "col_time", "col_state"), rows, lang)


@callback(Output(ids.AUDIT_TABLE, "children"), Input(ids.AUDIT_EVENT, "value"), Input(ids.LANG, "data"))
def show_audit(event, lang):
    rows = admin_accounts().audit_entries(AUDIT_ROWS, event or None)
    return _table(AUDIT_COLUMNS, [["" if v is None else v for v in row] for row in rows], lang)


def admin_accounts():
    """The accounts file, for administrators only: checked here, where it is read, not just by the page."""
    principal = current_principal()
    if principal is None or principal.role != "admin":
        raise PermissionError("only administrators read accounts and the audit log")
    return accounts()


def _table(columns, rows, lang: str) -> html.Table:
    head = html.Tr([html.Th(c if c == "#" else t(c, lang)) for c in columns])
    return html.Table([head, *[html.Tr([html.Td(str(v)) for v in row]) for row in rows]], className="simple")
