"""The sandbox's checkout page, where the payer decides a payment: Pay, Cancel or Fail.

`GET /sandbox/checkout/{provider_id}` shows the amount and description (Dutch, or English
with `Accept-Language: en`) and, for iDEAL, asks the IBAN and name the money comes from.
`POST` (a plain form) records the decision and sends the payer on to the payment's return
URL (303). The form carries a token, an HMAC of the payment's id, so another site cannot
decide a payment by posting to this address. An unknown, decided or expired payment gets
one neutral page, the same for each. No JavaScript; the one inline style sheet is allowed
by its hash in the page's own Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from gql import i18n
from gql.i18n import texts
from gql.psp.port import PaymentMethod, ProviderStatus
from gql.psp.sandbox import Checkout, SandboxProvider
from gql.services.shared.formatting import format_cents, format_moment
from gql.services.shared.validation import has_control_characters

TEXTS = texts(
    __name__,
    {
        "sandbox_title": {"nl": "Testbetaling", "en": "Test payment"},
        "sandbox_notice": {
            "nl": "Dit is de testomgeving van de betaalprovider: er wordt geen echt geld "
            "overgemaakt.",
            "en": "This is the payment provider's sandbox: no real money moves.",
        },
        "sandbox_amount": {"nl": "Bedrag", "en": "Amount"},
        "sandbox_description": {"nl": "Omschrijving", "en": "Description"},
        "sandbox_method": {"nl": "Betaalmethode", "en": "Payment method"},
        "sandbox_method_ideal": {"nl": "iDEAL", "en": "iDEAL"},
        "sandbox_method_card": {"nl": "Creditcard", "en": "Credit card"},
        "sandbox_valid_until": {"nl": "Geldig tot", "en": "Valid until"},
        "sandbox_iban": {"nl": "IBAN van de betaler", "en": "Payer's IBAN"},
        "sandbox_payer_name": {"nl": "Naam van de rekeninghouder", "en": "Account holder's name"},
        "sandbox_pay": {"nl": "Betalen", "en": "Pay"},
        "sandbox_cancel": {"nl": "Annuleren", "en": "Cancel"},
        "sandbox_fail": {"nl": "Laten mislukken", "en": "Make it fail"},
        "sandbox_iban_invalid": {
            "nl": "Dit IBAN is ongeldig.",
            "en": "This IBAN is not valid.",
        },
        "sandbox_name_required": {
            "nl": "Vul de naam van de rekeninghouder in (hoogstens 200 tekens).",
            "en": "Please fill in the account holder's name (at most 200 characters).",
        },
        "sandbox_unavailable_title": {
            "nl": "Betaling niet beschikbaar",
            "en": "Payment not available",
        },
        "sandbox_unavailable": {
            "nl": "Deze betaling bestaat niet of kan niet meer worden afgerond.",
            "en": "This payment does not exist or can no longer be completed.",
        },
        "sandbox_refused_title": {"nl": "Niet verwerkt", "en": "Not processed"},
        "sandbox_refused": {
            "nl": "Dit formulier komt niet van de betaalpagina. Open de betaalpagina opnieuw.",
            "en": "This form did not come from the payment page. Please open the payment "
            "page again.",
        },
    },
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;"
    "color:#1a1a1a}"
    ".notice{background:#fff4ce;border:1px solid #d8b800;padding:.5rem .75rem;border-radius:4px}"
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}"
    "label{display:block;margin-top:.75rem}"
    "input[type=text]{width:100%;padding:.4rem;box-sizing:border-box;font:inherit}"
    ".error{color:#b00020;margin:.25rem 0 0}"
    ".actions{margin-top:1.25rem;display:flex;gap:.5rem;flex-wrap:wrap}"
    "button{padding:.5rem 1rem;font:inherit}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_DECISIONS = {
    "pay": ProviderStatus.PAID,
    "cancel": ProviderStatus.CANCELED,
    "fail": ProviderStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class Payer:
    """An iDEAL payer as entered; `problems` maps a form field to its text key."""

    iban: str
    name: str
    problems: dict[str, str]


def check_payer(iban: str, name: str) -> Payer:
    """The IBAN (schwifty: checksum and country format, compacted) and the holder's name."""
    problems: dict[str, str] = {}
    compact = iban.strip()
    try:
        compact = IBAN(compact).compact
    except SchwiftyException:
        problems["iban"] = "sandbox_iban_invalid"
    cleaned = " ".join(name.split())
    if not cleaned or has_control_characters(cleaned) or len(cleaned) > 200:
        problems["name"] = "sandbox_name_required"
    return Payer(iban=compact, name=cleaned, problems=problems)


def checkout_routes(provider: SandboxProvider) -> list[Route]:
    """The routes to mount at /sandbox (gql/app.py)."""
    page = CheckoutPage(provider)
    return [Route("/checkout/{provider_id}", page.handle, methods=["GET", "POST"])]


class CheckoutPage:
    def __init__(self, provider: SandboxProvider) -> None:
        self.provider = provider

    async def handle(self, request: Request) -> Response:
        provider_id = request.path_params["provider_id"]
        language = i18n.negotiate(request.headers.get("accept-language"))
        if request.method == "POST":
            return await self._decide(request, provider_id, language)
        checkout = await self.provider.checkout(provider_id)
        if checkout is None:
            return _message_page("sandbox_unavailable_title", "sandbox_unavailable", language, 404)
        return self._form(checkout, language)

    async def _decide(self, request: Request, provider_id: str, language: str) -> Response:
        try:
            form = await request.form(max_files=0, max_fields=10)
        except HTTPException:
            return _message_page("sandbox_refused_title", "sandbox_refused", language, 400)
        token, choice = form.get("token"), form.get("decision")
        # The token first: without it nothing is looked up, so a refusal tells nothing.
        if not isinstance(token, str) or not self.provider.form_token_valid(provider_id, token):
            return _message_page("sandbox_refused_title", "sandbox_refused", language, 403)
        decision = _DECISIONS.get(choice) if isinstance(choice, str) else None
        if decision is None:
            return _message_page("sandbox_refused_title", "sandbox_refused", language, 400)
        checkout = await self.provider.checkout(provider_id)
        if checkout is None:
            return _message_page("sandbox_unavailable_title", "sandbox_unavailable", language, 404)
        iban = name = None
        if decision is ProviderStatus.PAID and checkout.method is PaymentMethod.IDEAL:
            iban_field, name_field = form.get("iban"), form.get("name")
            payer = check_payer(
                iban_field if isinstance(iban_field, str) else "",
                name_field if isinstance(name_field, str) else "",
            )
            if payer.problems:
                return self._form(checkout, language, payer=payer, status_code=400)
            iban, name = payer.iban, payer.name
        return_url = await self.provider.decide(
            provider_id, decision, payer_iban=iban, payer_name=name
        )
        if return_url is None:  # decided or expired meanwhile
            return _message_page("sandbox_unavailable_title", "sandbox_unavailable", language, 404)
        return RedirectResponse(return_url, status_code=303)

    def _form(
        self,
        checkout: Checkout,
        language: str,
        *,
        payer: Payer | None = None,
        status_code: int = 200,
    ) -> Response:
        def t(key: str) -> str:
            return escape(i18n.text(key, language))

        method = (
            i18n.text("sandbox_method_ideal", language)
            if checkout.method is PaymentMethod.IDEAL
            else i18n.text("sandbox_method_card", language)
        )
        fields = ""
        if checkout.method is PaymentMethod.IDEAL:
            problems = payer.problems if payer else {}
            fields = _input(
                "iban", t("sandbox_iban"), payer.iban if payer else "", problems, language
            )
            fields += _input(
                "name", t("sandbox_payer_name"), payer.name if payer else "", problems, language
            )
        body = f"""<p class="notice">{t("sandbox_notice")}</p>
<dl>
<dt>{t("sandbox_amount")}</dt><dd>{escape(format_cents(checkout.amount_cents, language))}</dd>
<dt>{t("sandbox_description")}</dt><dd>{escape(checkout.description)}</dd>
<dt>{t("sandbox_method")}</dt><dd>{escape(method)}</dd>
<dt>{t("sandbox_valid_until")}</dt><dd>{escape(format_moment(checkout.expires_at, language))}</dd>
</dl>
<form method="post">
<input type="hidden" name="token" value="{escape(self.provider.form_token(checkout.provider_id))}">
{fields}<div class="actions">
<button type="submit" name="decision" value="pay">{t("sandbox_pay")}</button>
<button type="submit" name="decision" value="cancel" formnovalidate>{t("sandbox_cancel")}</button>
<button type="submit" name="decision" value="fail" formnovalidate>{t("sandbox_fail")}</button>
</div>
</form>"""
        # form-action: the decision redirects to the return URL, which browsers check too.
        return _page(
            t("sandbox_title"),
            body,
            language,
            status_code,
            form_action=f"'self'{_source(checkout.return_url)}",
        )


def _input(name: str, label: str, value: str, problems: dict[str, str], language: str) -> str:
    error = ""
    if name in problems:
        error = (
            f'<p class="error" id="{name}-error">{escape(i18n.text(problems[name], language))}</p>'
        )
    described = f' aria-invalid="true" aria-describedby="{name}-error"' if error else ""
    return (
        f'<label for="{name}">{label}</label>'
        f'<input type="text" id="{name}" name="{name}" value="{escape(value)}" required '
        f'maxlength="200" autocomplete="off"{described}>{error}\n'
    )


def _message_page(title_key: str, text_key: str, language: str, status_code: int) -> Response:
    title = escape(i18n.text(title_key, language))
    return _page(title, f"<p>{escape(i18n.text(text_key, language))}</p>", language, status_code)


def _page(
    title: str, body: str, language: str, status_code: int, *, form_action: str = "'none'"
) -> Response:
    html = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{title}</h1>\n{body}\n</body></html>"
    )
    response = HTMLResponse(html, status_code=status_code)
    # Its own policy, in development too: the inline style by its hash, nothing else.
    response.headers["content-security-policy"] = (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["content-language"] = language
    return response


def _source(url: str) -> str:
    """The CSP source of a return URL (` https://app.example`, ` nl.example.app:`), or ''."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"http", "https"}:
        host = parts.netloc.rpartition("@")[2]
        if host and all(c.isalnum() or c in ".-:[]" for c in host):
            return f" {scheme}://{host}"
        return ""
    if scheme and all(c.isalnum() or c in "+.-" for c in scheme):
        return f" {scheme}:"
    return ""
