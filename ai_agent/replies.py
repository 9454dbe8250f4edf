"""Reply drafting from the club's facts, in the member's language: short plain SMS, signed as the club.

Club facts are `key: value` lines kept in the AgentSettings singleton (e.g. `hours: Mon-Fri 5am-11pm`);
a `key_es:` line gives the Spanish version. Replies only ever quote facts; they never promise bookings,
refunds or anything staff have not decided, and never pretend to be a person.
"""

from __future__ import annotations

import re

from .intents import Intent

_SPANISH_WORDS = frozenset(
    [
        "que",
        "qué",
        "por",
        "para",
        "puedo",
        "quiero",
        "hola",
        "gracias",
        "tengo",
        "hay",
        "mañana",
        "cuánto",
        "cuanto",
        "cuándo",
        "cuando",
        "clase",
        "mi",
        "el",
        "los",
        "las",
        "una",
        "necesito",
        "pueden",
        "está",
        "están",
        "sois",
        "con",
        "del",
        "tienen",
        "cómo",
        "como",
        "dónde",
        "donde",
        "horario",
        "cuota",
        "socio",
        "reserva",
        "buenas",
        "buenos",
        "días",
        "favor",
    ]
)


def detect_language(text: str) -> str:
    """ "es" for Spanish, else "en" (the only two the club answers in)."""
    if "¿" in text or "¡" in text:
        return "es"
    words = re.findall(r"[a-záéíóúñü]+", text.lower())
    hits = sum(1 for w in words if w in _SPANISH_WORDS)
    return "es" if hits >= 2 and hits >= len(words) / 6 else "en"


def parse_facts(facts: str) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for line in facts.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and value.strip():
            parsed[key.strip().lower().replace(" ", "_")] = value.strip()
    return parsed


def _fact(facts: dict[str, str], language: str, *keys: str) -> str:
    for key in keys:
        value = facts.get(f"{key}_{language}") if language != "en" else None
        value = value or facts.get(key)
        if value:
            return value.rstrip(".") + "."
    return ""


_TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        Intent.QUESTION_ABOUT_MEMBERSHIP: (
            "Thanks for asking! {membership} Our front desk can go through the options with you."
        ),
        Intent.QUESTION_ABOUT_BILLING: (
            "Thanks for asking. {billing} For anything specific to your account, our front desk team will look into it."
        ),
        Intent.QUESTION_ABOUT_SCHEDULE: "Thanks for asking! Our hours: {hours} {classes}",
        Intent.QUESTION_ABOUT_TRAINING: "Great question! Our coaches are happy to help with that. {training}",
        Intent.APPOINTMENT_REQUEST: (
            "Thanks! We've passed your request to the team and they'll confirm a time with you. {booking}"
        ),
        Intent.APPOINTMENT_CANCELLATION: (
            "Thanks for letting us know. We've passed the change to the team and they'll confirm it with "
            "you. {cancellation}"
        ),
        Intent.PRAISE: "Thank you so much for the kind words! We'll share them with the team.",
        Intent.GENERAL_INQUIRY: (
            "Thanks for your message! Our front desk team will get back to you with the details. {general}"
        ),
        Intent.COMPLAINT: (
            "We're sorry to hear this and thank you for telling us. A manager will look into it and get back to you."
        ),
    },
    "es": {
        Intent.QUESTION_ABOUT_MEMBERSHIP: (
            "¡Gracias por preguntar! {membership} En recepción te explican todas las opciones."
        ),
        Intent.QUESTION_ABOUT_BILLING: (
            "Gracias por preguntar. {billing} Para cualquier detalle de tu cuenta, recepción lo revisará."
        ),
        Intent.QUESTION_ABOUT_SCHEDULE: "¡Gracias por preguntar! Nuestro horario: {hours} {classes}",
        Intent.QUESTION_ABOUT_TRAINING: "¡Buena pregunta! Nuestros entrenadores te ayudan encantados. {training}",
        Intent.APPOINTMENT_REQUEST: "¡Gracias! Hemos pasado tu solicitud al equipo y te confirmarán la hora. {booking}",
        Intent.APPOINTMENT_CANCELLATION: (
            "Gracias por avisar. Hemos pasado el cambio al equipo y te lo confirmarán. {cancellation}"
        ),
        Intent.PRAISE: "¡Muchas gracias por tus palabras! Se las pasamos al equipo.",
        Intent.GENERAL_INQUIRY: "¡Gracias por tu mensaje! Recepción te responderá con los detalles. {general}",
        Intent.COMPLAINT: (
            "Sentimos mucho lo ocurrido y gracias por contárnoslo. Un responsable lo revisará y te contestará."
        ),
    },
}

_FACT_KEYS = {
    "membership": ("membership", "prices"),
    "billing": ("billing",),
    "hours": ("hours",),
    "classes": ("classes", "timetable"),
    "training": ("training", "coaches"),
    "booking": ("booking",),
    "cancellation": ("cancellation",),
    "general": ("general",),
}

_SIGNATURE = {"en": "– {club} team", "es": "– Equipo de {club}"}


def draft_reply(*, intent: str, language: str, club_facts: str, club_name: str) -> str:
    """A short reply for `intent` built only from the facts, or "" when a machine should not answer."""
    templates = _TEMPLATES.get(language, _TEMPLATES["en"])
    template = templates.get(intent)  # type: ignore[call-overload]
    if template is None:
        return ""
    facts = parse_facts(club_facts)
    if intent == Intent.QUESTION_ABOUT_SCHEDULE and not facts.get("hours"):
        template = templates[Intent.GENERAL_INQUIRY]
    values = {name: _fact(facts, language, *keys) for name, keys in _FACT_KEYS.items()}
    body = " ".join(template.format(**values).split())
    name = facts.get("name") or club_name
    return f"{body} {_SIGNATURE.get(language, _SIGNATURE['en']).format(club=name)}"
