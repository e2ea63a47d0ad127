"""Core layer (tweet-sentiment project; Labs 7-8 serve what it trains): the named text cleaners a run can use.

A run's cleaner is part of its settings (``TrainConfig.cleaner``, saved in ``training_config.json``), and
:mod:`coursekit.inference` reads the name back when it loads the run. So training, batch prediction, the web
service and the app all clean a text the same way, and a model trained on cleaned tweets is never served raw ones:

    from coursekit.cleaning import get_cleaner
    get_cleaner("tweets")("@jess loving #SundayFunday 😍 http://t.co/x")   # 'loving Sunday Funday smiling face ...'

The rules themselves live in :func:`coursekit.lessons.text.clean_social_text` (Lab 2); this module only names
them. Runs made before cleaners existed have no ``cleaner`` setting and mean ``"none"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from coursekit.errors import CourseError
from coursekit.lessons.text import MENTION, clean_social_text

DEFAULT_CLEANER = "none"


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


CLEANERS: dict[str, Callable[[str], str]] = {"none": no_cleaning, "tweets": clean_tweet}


def get_cleaner(name: str | None) -> Callable[[str], str]:
    """The cleaner called ``name`` (``None`` means :data:`DEFAULT_CLEANER`); an unknown name is a CourseError."""
    name = name or DEFAULT_CLEANER
    if name not in CLEANERS:
        raise CourseError(f"unknown cleaner {name!r}; choose one of: {', '.join(CLEANERS)}.")
    return CLEANERS[name]
