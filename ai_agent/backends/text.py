"""Text normalisation shared by the classifier's features and its rules."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(
    r"(https?://\S+|www\.\S+|\b[\w-]+(\.[\w-]+)*\.(com|net|org|biz|shop|co|io|ly|info|xyz|gov|us|uk|me)\b\S*)"
)
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
_MONEY = re.compile(r"[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(€|euros?|dollars?|bucks)\b")
_TIME = re.compile(r"\b\d{1,2}([:.]\d{2})?\s?(am|pm)\b|\b\d{1,2}:\d{2}\b")
_NUMBER = re.compile(r"\d+")
WORD = re.compile(r"[a-zñ_']+")

_STOPWORDS = (
    "a an the i me my we our you your u ur it its is are was be to of in on at for and or so this that "
    "im i'm i've i'd hi hello hey pls please thanks thank el la los las de del y o en un una que me mi"
)
STOPWORDS = frozenset(_STOPWORDS.split())


def normalize(text: str) -> str:
    """Lowercase, accents folded (ñ kept), links/phones/prices/times/numbers as placeholder words."""
    text = text.lower().replace("ñ", "\0")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = text.replace("\0", "ñ").replace("’", "'")
    text = _URL.sub(" _url_ ", text)
    text = _PHONE.sub(" _phone_ ", text)
    text = _MONEY.sub(" _money_ ", text)
    text = _TIME.sub(" _time_ ", text)
    return _NUMBER.sub(" _num_ ", text)
