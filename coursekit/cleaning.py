"""Core layer (tweet-sentiment project; Labs 7-8 serve what it trains): the named text cleaners a run can use.

A run's cleaner is part of its settings (``TrainConfig.cleaner``, saved in ``training_config.json``), and
:mod:`coursekit.inference` reads the name back when it loads the run. So training, batch prediction, the web
service and the app all clean a text the same way, and a model trained on cleaned tweets is never served raw ones:

    from coursekit.cleaning import get_cleaner
    get_cleaner("tweets")("@jess loving #SundayFunday 😍 http://t.co/x")   # 'loving Sunday Funday smiling face ...'

The rules are :func:`clean_social_text`'s (Lab 2 teaches them through :mod:`coursekit.lessons.text`). Runs made
before cleaners existed have no ``cleaner`` setting and mean ``"none"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import emoji

from coursekit.errors import CourseError

DEFAULT_CLEANER = "none"

# A mention starts at a word boundary (so "me@example.org" stays an e-mail address).
MENTION = re.compile(r"(?<![\w@])@\w+")
# URLs with a scheme or "www.", and bare domains followed by a path ("example.org/trails").
URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# Word boundaries inside a CamelCase tag: "RopeMill" -> "Rope Mill", "MTBLife" -> "MTB Life".
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
TRAILING_PUNCTUATION = ".,;:!?)]'\""


def _split_hashtag(match: re.Match) -> str:
    """'#RopeMill' -> 'Rope Mill'; '#rope_mill' -> 'rope mill'; '#mtb' -> 'mtb'."""
    return CAMEL_BOUNDARY.sub(" ", match.group(1)).replace("_", " ")


def _drop_url(match: re.Match) -> str:
    """Remove a URL but keep punctuation that ends the sentence after it ("see x.org/a." -> "see .")."""
    url = match.group(0)
    stripped = url.rstrip(TRAILING_PUNCTUATION)
    return url[len(stripped) :]


def _emoji_as_words(chars: str, data: dict) -> str:
    """'✅' -> ' check mark button ', '🚫' -> ' prohibited ': the emoji's CLDR short name from the ``emoji`` package.

    The tokenizer knows none of these emojis (each is ``[UNK]``, so ✅ and ❌ look the same to the model), but it
    knows the words; some posts carry their status only as an emoji.
    """
    return " " + data["en"].strip(":").replace("_", " ") + " "


def clean_social_text(text: str) -> str:
    """Normalise a social-media post for a classifier.

    * user mentions become ``@user`` (the handle is noise, that someone is addressed is not);
    * URLs are removed (they tokenize into many meaningless pieces);
    * hashtags become words: ``#RopeMill`` -> ``Rope Mill``, ``#mtb`` -> ``mtb``;
    * emojis become their names: ``✅`` -> ``check mark button``, ``🚫`` -> ``prohibited``;
    * runs of whitespace become one space, and the ends are stripped.

    Case and punctuation are kept: an uncased tokenizer lower-cases anyway, and "CLOSED!!" can carry meaning.
    """
    if not isinstance(text, str):
        raise CourseError(
            f"clean_social_text expects a string, got {type(text).__name__} ({text!r}); "
            "drop or fill empty rows before cleaning"
        )
    text = URL.sub(_drop_url, text)
    text = MENTION.sub("@user", text)
    text = HASHTAG.sub(_split_hashtag, text)
    text = emoji.replace_emoji(text, replace=_emoji_as_words)
    # A removed URL leaves "see ." or "closes Friday: ." behind: close the gap, drop the orphaned colon.
    text = re.sub(r"\s*:?\s+([.,!?;])(?=\s|$)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def no_cleaning(text: str) -> str:
    """The text as it is (the trail runs of Labs 4-8)."""
    return text


def clean_tweet(text: str) -> str:
    """A tweet for the sentiment model: mentions and URLs removed, hashtags and emojis as words, one space.

    Unlike Lab 2's ``clean_social_text`` (which keeps ``@user``), mentions are dropped: who is addressed says
    nothing about the sentiment, and Sentiment140-style data has a mention in a quarter of the tweets.
    """
    if not isinstance(text, str):
        raise CourseError(f"a tweet must be a string, got {type(text).__name__}; drop or fill empty rows first")
    return re.sub(r"\s+", " ", clean_social_text(MENTION.sub(" ", text))).strip()


CLEANERS: dict[str, Callable[[str], str]] = {"none": no_cleaning, "social": clean_social_text, "tweets": clean_tweet}


def get_cleaner(name: str | None) -> Callable[[str], str]:
    """The cleaner called ``name`` (``None`` means :data:`DEFAULT_CLEANER`); an unknown name is a CourseError."""
    name = name or DEFAULT_CLEANER
    if name not in CLEANERS:
        raise CourseError(f"unknown cleaner {name!r}; choose one of: {', '.join(CLEANERS)}.")
    return CLEANERS[name]
