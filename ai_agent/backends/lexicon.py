"""Word groups the embedded classifier sees as extra features, and the rules for safety-critical intents.

A lexicon feature ("lex:cancel") lets one training example generalise to words it never saw; the
rules catch what must never be answered by a machine (injury, legal, data, cancelling a membership,
prompt injection) or is plainly spam, whatever the statistics say.
"""

from __future__ import annotations

import re

from .text import normalize


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split("|") if w.strip())


LEXICON: dict[str, tuple[str, ...]] = {
    "positive": _words(
        "love | loved | loving | great | amazing | awesome | best | fantastic | brilliant | legend | hero | "
        "incredible | gorgeous | superb | excellent | wonderful | thanks | thank | thx | ty | kudos | shoutout | "
        "appreciate | appreciated | impressed | spotless | friendly | helpful | cute | nice | lovely | perfect | "
        "stunning | beautiful | delighted | happy | glad | grateful | changing | fire | slaps | goat | smashed | "
        "finally | paid off | genial | geniales | gracias | encanta | increible | espectacular | sois | maravilla "
        "| mejor | mejores | touch | better | highlight | difference | surprise | renewed | keep doing"
    ),
    "negative": _words(
        "broken | dirty | filthy | rude | again | always | never | useless | ridiculous | annoying | annoyed | "
        "cloudy | reeks | stinks | smell | smells | forever | queue | stuck | ate | messed | hogging | crammed | "
        "sense | unacceptable | disappointed | disappointing | terrible | awful | worst | gross | mouldy | moldy "
        "| freezing | cold | overcrowded | crowded | fed | frustrating | frustrated | unprofessional | "
        "aggressively | unnecessary | cut | without | announcement | notice | literally | tiny | diminutos | "
        "sucios | harto | desastre | tarde | nunca | siempre | otra | rota | roto | no funciona | late | keep | "
        "getting old | dont care | didn't | doesn't | won't open | didnt | out of | why do | why does | not great "
        "| not happy | fault | cramped | limit | only go"
    ),
    "cancel": _words(
        "cancel | cancelling | canceling | cancelled | cant make | can't make | cannot make | won't make | wont "
        "make | bail | move | moved | reschedule | rearrange | push | postpone | swap | switch | instead | remove "
        "me | take me off | drop me | give my spot | give away | clash | clashes | can't come | cant come | can't "
        "do | cant do | won't be able | wont be able | unbook | off the list | anular | cancelar | cancelen | "
        "anulen | cambiar | mover | no puedo | no voy | make it | double booked | free up | away on"
    ),
    "book": _words(
        "book | booking | reserve | reservation | spot | spots | sign me up | sign up | put me down | fit me in | "
        "set me up | arrange | openings | opening | availability | available | appointment | schedule a | slot | "
        "slots | waitlist | try | follow-up | follow up | consult | session | reservar | reserven | apuntar | "
        "apuntame | cita | hueco | plaza | set up a meeting | lesson | private | 1-on-1 | one on one | tour | "
        "screen | fit | can i get a | can u fit"
    ),
    "billing": _words(
        "charge | charged | charges | charging | bill | billed | billing | invoice | payment | payments | pay | "
        "paid | card | refund | fee | fees | dues | statement | statements | autopay | installment | installments "
        "| interest | credit | receipt | transfer | direct debit | balance | account | price | cost | tip | "
        "prepaid | unpaid | overdue | bank | renewal | renew | cobran | cobrar | cobrado | pago | pagar | tarjeta "
        "| factura | recibo | comision | cuota | _money_"
    ),
    "membership": _words(
        "membership | memberships | member | members | plan | plans | pass | passes | guest | fob | wristband | "
        "freeze | frozen | trial | rejoin | join | joining | rate | contract | commitment | family | student | "
        "upgrade | downgrade | off-peak | off peak | tier | access | day pass | socio | socia | alta | abono | "
        "plan | contrato | membresia | matricula | permanencia"
    ),
    "schedule": _words(
        "time | times | hours | open | opens | close | closes | closed | when | whens | timetable | schedule | "
        "tonight | holidays | holiday | summer | weekend | weekday | early | late | still on | what time | at "
        "what | how late | how early | horario | hora | abren | cierran | festivo | _time_ | this week | on at | "
        "quiet hour | kick in | lights"
    ),
    "training": _words(
        "sets | reps | protein | squat | squats | pullups | pull-ups | treadmill | form | muscle | muscles | "
        "cardio | stretching | stretch | mobility | warm | rest | technique | progress | heart | zones | routine "
        "| program | programme | exercise | exercises | workout | lifting | lift | strength | weight loss | core "
        "| legs | glutes | deadlift | bench | tips | advice | recommend | good for | better for | should i | how "
        "do i | how many | how much | incline | foam | rollers | gloves | suspension | sled | kettlebell | "
        "entrenar | rutina | series | repeticiones | fuerza | ejercicios | tecnica | entrenador | point of | "
        "complement | zones"
    ),
    "spam": _words(
        "_url_ | _phone_ | txt | only | offer | verify | claim | win | winner | won | free | off | whatsapp | "
        "telegram | stream | followers | collab | catalogue | catalog | wholesale | manufacturer | moq | unusual "
        "| sign-in | tax | irs | crypto | bitcoin | casino | prize | selected | fee | overdue | disconnected | "
        "immediately | urgent | dear sir | madam | influencer | media kit | promo | mixtape | dropped | "
        "soundcloud | gana | dia | escribenos | premio | oferta | reunion | lost your number | add me | resale | "
        "reselling | codes"
    ),
    "human": _words(
        "injured | injury | hurt | hospital | doctor | medical | diabetic | hypo | mental | therapist | harass | "
        "harassed | harassment | discrimination | lawyer | solicitor | legal | police | insurer | incident | "
        "hacked | stolen | debt | collector | gdpr | rgpd | datos | divorce | unsafe | safe | photos | changing "
        "room | close | transfer | hold my payments | stop trying | ignore | pretend | code | door code | logs | "
        "don't log | dont log | note to ai | head office | other member | any other member | liability | manager "
        "| consent | lesion | acoso | denuncia | hard time | break | collapsed | fainted | bleeding | pain | "
        "emergency | call me"
    ),
}

_PATTERNS = {
    name: re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![a-z])")
    for name, words in LEXICON.items()
}


def lexicon_features(normalized: str) -> list[str]:
    out: list[str] = []
    for name, pattern in _PATTERNS.items():
        hits = len(pattern.findall(normalized))
        if hits:
            out.append(f"lex:{name}")
            if hits > 1:
                out.append(f"lex:{name}:2")
    return out


# --- Rules: messages no statistic may hand to an auto-reply --------------------------------------------

_HUMAN_RULES = [
    # Prompt injection and attempts to extract data or codes: never answered by a machine.
    r"ignore (all |your |the )?(previous |prior )?(rules|instructions|prompt)",
    r"(forget|disregard|override) (all |your |the )?(previous |prior )?(rules|instructions|prompt)",
    r"system prompt|developer mode|system override|jailbreak|note to (the )?(ai|bot|assistant)",
    r"\b(pretend|act as|roleplay|you are now|you are no longer)\b",
    r"\b(door|alarm|staff|master|admin|locker|safe|gate|wifi admin)\s+(door\s+)?(code|password|pin)\b",
    r"\b(other|another|previous|last|every|all)\s+(members?'?s?|customers?'?s?)\b.{0,40}"
    r"\b(message|messages|phone|number|numbers|email|emails|address|details|data)\b",
    r"\bolvida (tus|las) instrucciones|ignora (tus|las) (reglas|instrucciones)",
    # Cancelling / transferring a membership, refunds and disputes that need a decision.
    r"\b(cancel|close|terminate|end|quit|stop)\b.{0,25}\b(my|our|both|the)\b.{0,20}"
    r"\b(membership|memberships|contract)",
    r"\btransfer\b.{0,25}\bmembership|"
    r"\bmembership\b.{0,30}\bto my (brother|sister|son|daughter|wife|husband|partner|friend)",
    r"\b(chargeback|dispute|disputing|reverse the charge|money back|full refund)\b",
    r"\b(darme de baja|dar de baja|cancelar mi (membresia|contrato|cuota|abono))\b",
    # Injury, medical, mental health, safety, harassment, legal, data and account security.
    r"\b(injur(ed|y|ies)|hurt (my|myself|his|her)|broke my|fainted|collapsed|concussion|bleeding|hypo\b|chest pain)",
    r"\b(hospital|ambulance|a&e|emergency room|paramedic)",
    r"\b(mental health|suicid|self[- ]harm|eating disorder|depress)",
    r"\b(harass|stalk|following me|threaten|assault(?! bike)|inappropriate(ly)?|discriminat|racist|sexist|bullied)",
    r"\b(photos?|filming|recording|camera|phone)\b.{0,40}\b(changing room|locker room|cubicle|shower)",
    r"\b(lawyer|solicitor|attorney|legal action|sue\b|lawsuit|police report|court claim|insurer|incident report)",
    r"\b(gdpr|rgpd|delete (all )?my (personal )?data|erase my data|eliminen .{0,20}datos|borren .{0,20}datos)",
    r"\b(hacked|identity (was )?stolen|someone (used|logged into|booked .{0,20} in my name)|"
    r"changed my (email|password))",
    r"\b(debt collector|collections agency)",
    r"\b(stop (trying to )?(charging|charge|taking payments)|hold my payments)",
    r"\b(lesion|me lesione|acoso|acosando|denuncia|abogado)",
]
_HUMAN = [re.compile(p) for p in _HUMAN_RULES]

_SPAM_MARKERS = re.compile(
    r"\b(claim|verify|win|winner|won|prize|lottery|reward|voucher|casino|crypto|bitcoin|forex|followers|"
    r"collab|media kit|catalogue|wholesale|moq|seo|guaranteed|limited offer|only today|today only|"
    r"this weekend only|click|txt|text [a-z]+ to|unsubscribe|overdue|disconnected|suspended|locked|"
    r"unusual sign-in|pending tax refund|stream it|gana|premio|dinero)\b"
)


def rule_intent(text: str) -> str | None:
    """An intent the rules are sure of, or None: human-only first (safety), then obvious spam."""
    normalized = normalize(text)
    if any(rule.search(normalized) for rule in _HUMAN):
        return "requires_human_response"
    if "_url_" in normalized and _SPAM_MARKERS.search(normalized):
        return "spam"
    if "_phone_" in normalized and _SPAM_MARKERS.search(normalized):
        return "spam"
    return None
