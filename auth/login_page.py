"""The login and "no access" pages: plain server-rendered HTML (they must work before Dash is allowed to load)."""
from __future__ import annotations

from html import escape

STRINGS = {
    # key: (zh, en)
    "title": ("治安态势感知 · 登录", "Situational awareness · Sign in"),
    "heading": ("治安态势感知", "Public-security situational awareness"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "submit": ("登录", "Sign in"),
    "switch": ("English", "中文"),
    "error_login": ("用户名或密码错误，或账号已停用。", "Wrong user name or password, or the account is disabled."),
    "error_throttled": ("登录失败次数过多，请15分钟后再试。", "Too many failed sign-ins: try again in 15 minutes."),
    "error_csrf": ("页面已过期，请重新登录。", "The form expired: please sign in again."),
    "denied_title": ("无权访问", "No access"),
    "denied": ("您的账号无权访问此页面或此链接已被撤销。",
               "Your account may not open this page, or this link was revoked."),
    "back": ("返回登录", "Back to sign-in"),
}


def s(key: str, lang: str) -> str:
    zh, en = STRINGS[key]
    return en if lang == "en" else zh


def login_page(lang: str, csrf: str, next_path: str | None, error: str | None = None) -> str:
    other = "zh" if lang == "en" else "en"
    message = f'<p class="login-error" role="alert">{escape(s(error, lang))}</p>' if error else ""
    hidden_next = f'<input type="hidden" name="next" value="{escape(next_path)}">' if next_path else ""
    return _page(lang, s("title", lang), f"""
<form class="login" method="post" action="/login?lang={lang}">
  <h1>{escape(s("heading", lang))}</h1>
  {message}
  <label for="username">{escape(s("username", lang))}</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">{escape(s("password", lang))}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <input type="hidden" name="csrf" value="{escape(csrf)}">
  {hidden_next}
  <button type="submit" id="login-submit">{escape(s("submit", lang))}</button>
  <a class="login-lang" href="/login?lang={other}">{escape(s("switch", lang))}</a>
</form>""")


def denied_page(lang: str) -> str:
    return _page(lang, s("denied_title", lang), f"""
<div class="login"><h1>{escape(s("denied_title", lang))}</h1><p>{escape(s("denied", lang))}</p>
<a href="/login?lang={lang}">{escape(s("back", lang))}</a></div>""")


def _page(lang: str, title: str, body: str) -> str:
    html_lang = "en" if lang == "en" else "zh-CN"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(title)}</title><link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-body">{body}</body></html>"""
