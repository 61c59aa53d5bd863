"""Mails and letters of the accounts domain, in Dutch and English."""

from __future__ import annotations

from gql.mail.templates import Template, register

TEMPLATES = register(
    {
        "access_code_issued": Template(
            subject={"nl": "Je toegangscode voor het Handelsregister", "en": "Your access code"},
            body={
                "nl": "Beste {name},\n\nJe toegangscode is: {access_code}\n\n"
                "Log in met deze toegangscode en het wachtwoord dat je bij de aanvraag hebt gekozen.",
                "en": "Dear {name},\n\nYour access code is: {access_code}\n\n"
                "Sign in with this access code and the password you chose when you applied.",
            },
        ),
        "access_code_letter": Template(
            subject={"nl": "Uw toegangscode voor het Handelsregister", "en": "Your access code"},
            body={
                "nl": "Beste {name},\n\nU heeft namens {company_name} (KVK-nummer {kvk_number}) een "
                "toegangscode aangevraagd. Uw toegangscode is:\n\n    {access_code}\n\n"
                "Log in met deze toegangscode en het wachtwoord dat u bij de aanvraag heeft gekozen.",
                "en": "Dear {name},\n\nYou requested an access code on behalf of {company_name} "
                "(KVK number {kvk_number}). Your access code is:\n\n    {access_code}\n\n"
                "Sign in with this access code and the password you chose when you applied.",
            },
        ),
        "access_code_request_received": Template(
            subject={"nl": "We hebben je aanvraag ontvangen", "en": "We received your request"},
            body={
                "nl": "Beste {name},\n\nWe hebben je aanvraag voor een toegangscode namens "
                "{company_name} ontvangen. Na een controle sturen we de toegangscode per e-mail of "
                "per post, uiterlijk {expected_by}.",
                "en": "Dear {name},\n\nWe received your request for an access code on behalf of "
                "{company_name}. After a check we send the access code by e-mail or by post, by "
                "{expected_by} at the latest.",
            },
        ),
        "access_code_exists": Template(
            subject={"nl": "Je hebt al een toegangscode", "en": "You already have an access code"},
            body={
                "nl": "Beste {name},\n\nEr is een nieuwe aanvraag gedaan voor een toegangscode namens "
                "{company_name} met dit e-mailadres. Je hebt al een toegangscode (of een aanvraag "
                "loopt nog); per persoon en organisatie geven we er één uit.\n\n"
                "Ben je je toegangscode kwijt? Vraag dan een nieuwe toegangscode aan.",
                "en": "Dear {name},\n\nSomeone requested an access code on behalf of {company_name} "
                "with this e-mail address. You already have an access code (or a request is still "
                "being checked); we issue one per person per organisation.\n\n"
                "Lost your access code? Request a new access code.",
            },
        ),
        "access_code_request_rejected": Template(
            subject={"nl": "Je aanvraag is afgewezen", "en": "Your request was rejected"},
            body={
                "nl": "Beste {name},\n\nJe aanvraag voor een toegangscode namens {company_name} is "
                "afgewezen.\n\nReden: {reason}",
                "en": "Dear {name},\n\nYour request for an access code on behalf of {company_name} "
                "was rejected.\n\nReason: {reason}",
            },
        ),
        "password_changed": Template(
            subject={"nl": "Je wachtwoord is gewijzigd", "en": "Your password was changed"},
            body={
                "nl": "Beste {name},\n\nHet wachtwoord van toegangscode {masked_code} is op {at} "
                "gewijzigd. Alle andere sessies zijn beëindigd.",
                "en": "Dear {name},\n\nThe password of access code {masked_code} was changed on {at}. "
                "All other sessions were ended.",
            },
            confirms_a_change=True,
        ),
        "device_session_reused": Template(
            subject={
                "nl": "Was jij dit? We hebben een sessie beëindigd",
                "en": "Was this you? We ended a session",
            },
            body={
                "nl": "Beste {name},\n\nOp {at} is een oud inlogbewijs van de app-sessie "
                '"{device_name}" van toegangscode {masked_code} opnieuw gebruikt. Dat kan '
                "betekenen dat iemand anders het heeft. We hebben die sessie daarom beëindigd; "
                "log in de app opnieuw in.\n\nWas jij dit niet? Wijzig dan je wachtwoord en "
                "beëindig in je overzicht van sessies alle sessies die je niet herkent.",
                "en": "Dear {name},\n\nOn {at} an old sign-in token of the app session "
                '"{device_name}" of access code {masked_code} was used again. That may mean '
                "someone else has it, so we ended that session; please sign in to the app "
                "again.\n\nWas this not you? Then change your password and end every session "
                "you do not recognise in your list of sessions.",
            },
        ),
        "password_reset": Template(
            subject={"nl": "Wachtwoord opnieuw instellen", "en": "Reset your password"},
            body={
                "nl": "Beste {name},\n\nJe hebt gevraagd je wachtwoord opnieuw in te stellen. Dat kan "
                "met deze link, die {minutes} minuten geldig is en één keer werkt:\n\n{link}\n\n"
                "Code: {token}\n\nHeb je dit niet gevraagd? Dan kun je deze e-mail negeren.",
                "en": "Dear {name},\n\nYou asked to reset your password. Use this link; it is valid "
                "for {minutes} minutes and works once:\n\n{link}\n\nCode: {token}\n\n"
                "Did you not ask for this? Then you can ignore this e-mail.",
            },
        ),
        "new_access_code_confirm": Template(
            subject={"nl": "Bevestig je nieuwe toegangscode", "en": "Confirm your new access code"},
            body={
                "nl": "Beste {name},\n\nJe hebt een nieuwe toegangscode aangevraagd. Bevestig dat met "
                "deze link ({minutes} minuten geldig, werkt één keer). Daarna werkt je oude "
                "toegangscode niet meer; je wachtwoord blijft hetzelfde.\n\n{link}\n\nCode: {token}"
                "\n\nHeb je dit niet gevraagd? Dan kun je deze e-mail negeren.",
                "en": "Dear {name},\n\nYou requested a new access code. Confirm with this link "
                "(valid for {minutes} minutes, works once). After that your old access code stops "
                "working; your password stays the same.\n\n{link}\n\nCode: {token}\n\n"
                "Did you not ask for this? Then you can ignore this e-mail.",
            },
        ),
        "access_code_changed": Template(
            subject={"nl": "Je toegangscode is vervangen", "en": "Your access code was replaced"},
            body={
                "nl": "Beste {name},\n\nOp {at} is je toegangscode vervangen door een nieuwe. De "
                "nieuwe toegangscode ontvang je {channel_text}. De oude werkt niet meer.",
                "en": "Dear {name},\n\nOn {at} your access code was replaced by a new one. You "
                "receive the new access code {channel_text}. The old one no longer works.",
            },
            confirms_a_change=True,
        ),
        # An organisation's codes (staff, organisation.py). The organisation is written to
        # formally; "Had u dit niet verwacht?" rather than "was this you?": staff made the change.
        "organisation_code_deactivated": Template(
            subject={
                "nl": "Een toegangscode van {company_name} is stopgezet",
                "en": "An access code of {company_name} was deactivated",
            },
            body={
                "nl": "Geachte heer, mevrouw,\n\nOp {at} hebben wij toegangscode {masked_code} van "
                "{holder_name} stopgezet, een toegangscode van {company_name} (KVK-nummer "
                "{kvk_number}). Er kan niet meer mee worden ingelogd en open sessies zijn "
                "beëindigd.{note}\n\nHad u dit niet verwacht? Neem dan contact op met het "
                "servicecenter.",
                "en": "Dear Sir or Madam,\n\nOn {at} we deactivated access code {masked_code} of "
                "{holder_name}, an access code of {company_name} (KVK number {kvk_number}). It can "
                "no longer be used to sign in, and its open sessions were ended.{note}\n\n"
                "Did you not expect this? Please contact the service centre.",
            },
        ),
        "organisation_main_user_changed": Template(
            subject={
                "nl": "{company_name} heeft een nieuwe hoofdgebruiker",
                "en": "{company_name} has a new main user",
            },
            body={
                "nl": "Geachte heer, mevrouw,\n\nOp {at} is toegangscode {masked_code} van "
                "{holder_name} de hoofdgebruiker van {company_name} (KVK-nummer {kvk_number}) "
                "geworden.{previous} De hoofdgebruiker ziet alle bestellingen en facturen van de "
                "organisatie en wijzigt de machtiging voor automatische incasso.\n\n"
                "Had u dit niet verwacht? Neem dan contact op met het servicecenter.",
                "en": "Dear Sir or Madam,\n\nOn {at} access code {masked_code} of {holder_name} "
                "became the main user of {company_name} (KVK number {kvk_number}).{previous} The "
                "main user sees every order and invoice of the organisation and changes its "
                "direct-debit mandate.\n\nDid you not expect this? Please contact the service "
                "centre.",
            },
        ),
        "access_code_deactivated": Template(
            subject={
                "nl": "Je toegangscode is stopgezet",
                "en": "Your access code was deactivated",
            },
            body={
                "nl": "Beste {name},\n\nOp {at} hebben wij je toegangscode {masked_code} voor "
                "{company_name} stopgezet. Je kunt er niet meer mee inloggen.\n\n"
                "Had je dit niet verwacht? Neem dan contact op met het servicecenter.",
                "en": "Dear {name},\n\nOn {at} we deactivated your access code {masked_code} for "
                "{company_name}. You can no longer sign in with it.\n\n"
                "Did you not expect this? Please contact the service centre.",
            },
        ),
    }
)
