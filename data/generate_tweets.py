"""Generate ``data/tweets/chunk_*.csv``: synthetic tweets labelled negative (0) or positive (4), Sentiment140-style.

The tweet-sentiment project (labs/project-tweet-sentiment.md) trains on these files. Each row is one tweet:

    target,id,date,user,text          (target: 0 = negative, 4 = positive, as in Sentiment140)

Why synthetic and why like this: real tweets belong to their authors and Sentiment140 is labelled by emoticons
(noisy, and large to download). These tweets are built compositionally, not from a few templates: a topic
(food, travel, phones, weather, work, games, music, ... each with its own nouns), an opinion drawn from large
pools of positive and negative phrasings, and optional parts drawn independently: an opener, an intensifier, a
reason, an @mention, a URL, hashtags, emojis, slang, repeated letters, typos, ALL CAPS, a question. A share of
the tweets is hard on purpose:

  * negation flips a phrase (``not bad at all`` is positive, ``not great`` negative);
  * sarcasm says something nice about something bad (``oh great, my flight is delayed AGAIN``: negative);
  * mixed tweets hold both, and the label is the overall verdict, given by the clause after ``but`` /
    ``though`` / ``anyway`` (``the screen is gorgeous but the battery dies by lunch``: negative);
  * about a tenth carry no sentiment word from the opinion pools at all, only an emoji or a slang verdict.

The output is deterministic: the same ``--seed`` and ``--rows`` give the same files byte for byte (only the
Python standard library is used; no set or dict iteration order decides anything). Dates are in Sentiment140's
format (``Mon Apr 06 22:19:45 PDT 2009``). See data/tweets/README.md for the datasheet.

Usage:
    python data/generate_tweets.py                      # 2,400 tweets -> data/tweets/chunk_000.csv ... chunk_003.csv
    python data/generate_tweets.py --seed 7 --rows 1000 --chunk-size 500 --output-dir /tmp/tweets
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import random
from pathlib import Path

DEFAULT_SEED = 140
DEFAULT_ROWS = 2400
DEFAULT_CHUNK_SIZE = 600
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent / "tweets"
COLUMNS = ["target", "id", "date", "user", "text"]
NEGATIVE, POSITIVE = 0, 4

# topic -> things a tweet can be about (singular nouns that read well after "the"/"my"/"this")
TOPICS: dict[str, list[str]] = {
    "food": [
        "pizza",
        "burger",
        "ramen",
        "tacos",
        "pad thai",
        "brunch",
        "sushi",
        "curry",
        "sandwich",
        "pho",
        "bagel",
        "smoothie",
        "cheesecake",
        "dumplings",
        "salad",
        "fried chicken",
        "lasagna",
        "croissant",
    ],
    "coffee": ["coffee", "latte", "cold brew", "espresso", "flat white", "matcha", "chai", "iced americano"],
    "travel": [
        "flight",
        "layover",
        "hotel room",
        "train ride",
        "road trip",
        "airbnb",
        "airport lounge",
        "boarding process",
        "rental car",
        "bus ride",
        "ferry",
        "check-in",
    ],
    "tech": [
        "new phone",
        "laptop",
        "update",
        "battery",
        "headphones",
        "smartwatch",
        "wifi",
        "charger",
        "tablet",
        "keyboard",
        "app",
        "printer",
        "router",
        "camera",
        "console",
    ],
    "media": [
        "movie",
        "season finale",
        "new album",
        "podcast episode",
        "concert",
        "trailer",
        "book",
        "show",
        "documentary",
        "playlist",
        "sequel",
        "audiobook",
        "comedy special",
    ],
    "sport": [
        "game",
        "match",
        "run",
        "workout",
        "yoga class",
        "bike ride",
        "hike",
        "swim",
        "race",
        "derby",
        "tournament",
        "spin class",
    ],
    "work": [
        "meeting",
        "deadline",
        "presentation",
        "interview",
        "commute",
        "shift",
        "performance review",
        "first day",
        "project",
        "team lunch",
        "standup",
        "exam",
        "essay",
        "group project",
    ],
    "weather": ["weather", "sunshine", "rain", "snow day", "heatwave", "storm", "morning", "sunset", "weekend"],
    "service": [
        "customer service",
        "delivery",
        "package",
        "haircut",
        "dentist appointment",
        "support chat",
        "order",
        "refund",
        "bank app",
        "landlord",
        "plumber",
        "pharmacy queue",
    ],
    "people": [
        "roommate",
        "neighbour",
        "little sister",
        "best friend",
        "dog",
        "cat",
        "grandma",
        "coworkers",
        "kids",
        "boyfriend",
        "girlfriend",
        "teacher",
    ],
}

# Opinions about "the X". {x} is the thing. Large pools, so no single word decides the label.
POSITIVE_OPINIONS = [
    "{x} was amazing",
    "{x} is so good",
    "loving {x} right now",
    "{x} absolutely slapped",
    "{x} made my day",
    "{x} was perfect",
    "{x} exceeded every expectation",
    "honestly {x} was fantastic",
    "{x} is a total win",
    "obsessed with {x}",
    "{x} was worth every penny",
    "{x} was delightful",
    "{x} went really well",
    "{x} is the best thing this week",
    "{x} was brilliant",
    "couldn't be happier with {x}",
    "{x} is awesome",
    "{x} was lovely",
    "so grateful for {x}",
    "{x} hit different today",
    "{x} was a dream",
    "{x} rocks",
    "really enjoyed {x}",
    "{x} turned out great",
    "big fan of {x}",
    "{x} was so much fun",
    "{x} is chef's kiss",
    "{x} was superb",
    "{x} came through",
    "{x} put me in a great mood",
    "{x} is underrated and wonderful",
    "{x} was smooth from start to finish",
    "can't stop smiling about {x}",
    "{x} was pure joy",
    "10/10 {x}",
    "{x} was excellent",
    "{x} is goated",
    "{x} was a vibe",
    "{x} was incredible",
    "{x} was so wholesome",
    "{x} was top tier",
    "highly recommend {x}",
    "{x} was cozy and perfect",
    "{x} actually impressed me",
    "{x} was a pleasant surprise",
    "thankful for {x} today",
    "{x} is everything",
    "{x} sparked joy",
]
NEGATIVE_OPINIONS = [
    "{x} was awful",
    "{x} is so bad",
    "hating {x} right now",
    "{x} was a disaster",
    "{x} ruined my day",
    "{x} was terrible",
    "{x} was a huge letdown",
    "honestly {x} was horrible",
    "{x} is a total fail",
    "so done with {x}",
    "{x} was a waste of money",
    "{x} was miserable",
    "{x} went really badly",
    "{x} is the worst thing this week",
    "{x} was dreadful",
    "couldn't be more annoyed with {x}",
    "{x} sucks",
    "{x} was gross",
    "so sick of {x}",
    "{x} broke me today",
    "{x} was a nightmare",
    "{x} is trash",
    "really regret {x}",
    "{x} turned out awful",
    "{x} was so frustrating",
    "{x} was painful",
    "{x} was mid at best",
    "{x} is overpriced garbage",
    "{x} let me down",
    "{x} put me in a foul mood",
    "{x} is overrated and boring",
    "{x} was a mess from start to finish",
    "can't stop crying about {x}",
    "{x} was pure misery",
    "0/10 {x}",
    "{x} was disappointing",
    "{x} is cursed",
    "{x} was infuriating",
    "{x} was a joke",
    "{x} was depressing",
    "never again with {x}",
    "{x} was unbearable",
    "{x} stressed me out",
    "{x} gave me a headache",
    "{x} was broken again",
    "{x} is the absolute worst",
    "{x} was a scam",
]
# Negated opinions and their real polarity.
NEGATED_POSITIVE = [  # read as positive
    "{x} wasn't bad at all",
    "{x} was not terrible, actually kinda nice",
    "can't complain about {x}",
    "no regrets about {x}",
    "{x} never disappoints",
    "{x} didn't let me down",
    "nothing to hate about {x}",
    "{x} wasn't nearly as bad as people said",
    "not a single problem with {x}",
    "{x} is never boring",
]
NEGATED_NEGATIVE = [  # read as negative
    "{x} was not good",
    "{x} isn't worth it",
    "not a fan of {x}",
    "{x} didn't live up to the hype",
    "{x} was not what i paid for",
    "{x} doesn't work half the time",
    "can't say i enjoyed {x}",
    "{x} wasn't fun at all",
    "nothing good about {x}",
    "{x} never works when i need it",
    "{x} is not okay",
    "i don't love {x} anymore",
]
# Sarcasm: a positive surface about a bad event -> negative.
SARCASTIC = [
    "oh great, {x} is delayed AGAIN",
    "love how {x} broke the moment i needed it",
    "wow {x} was just fantastic... not",
    "yay another {x} that could have been an email",
    "thanks so much {x}, really needed that today",
    "just what i wanted, {x} going wrong at 7am",
    "{x} cancelled, perfect, absolutely perfect",
    "nothing says fun like {x} failing twice",
    "so glad i waited two hours for {x}",
    "best part of my day: {x} crashing",
    "brilliant, {x} lost my stuff",
    "living the dream with {x} today",
    "10/10 would not recommend {x}, truly a masterpiece of disappointment",
]
# Mixed: the clause after the connective decides the overall verdict.
CONNECTIVES = ["but", "but honestly", "though", "however", "still,", "but overall", "anyway"]
SHORT_POSITIVE = [
    "it was worth it",
    "i'd go again",
    "i'm happy",
    "loved it overall",
    "the rest made up for it",
    "still a great day",
    "no complaints really",
    "totally worth it",
    "it all worked out",
    "i'm smiling",
]
SHORT_NEGATIVE = [
    "it wasn't worth it",
    "never again",
    "i'm so disappointed",
    "the rest was terrible",
    "what a waste",
    "the whole day is ruined",
    "i want a refund",
    "i regret it",
    "it all went wrong",
    "i'm fuming",
]
# Verdicts without any opinion phrase: slang/emoji only.
SLANG_POSITIVE = [
    "W",
    "big W",
    "this slaps",
    "so here for it",
    "vibes immaculate",
    "no cap best day",
    "living for this",
    "yesss",
    "we love to see it",
    "lets gooo",
]
SLANG_NEGATIVE = [
    "L",
    "big L",
    "not it",
    "i'm so over it",
    "pain",
    "ugh",
    "kill me now",
    "smh",
    "fml",
    "this ain't it",
]
OPENERS = [
    "",
    "",
    "",
    "",
    "ok so ",
    "honestly ",
    "ngl ",
    "tbh ",
    "lowkey ",
    "update: ",
    "just saying, ",
    "can we talk about how ",
    "PSA: ",
    "day 3: ",
    "rn ",
    "me: ",
    "not gonna lie ",
    "story time: ",
]
INTENSIFIERS = ["", "", "", " fr", " for real", " tbh", " lol", " lmao", " omg", " istg", " af", " haha", " ngl"]
POSITIVE_EMOJIS = ["😍", "😊", "🎉", "👍", "❤️", "🥳", "😁", "🙌", "✨", "💯", "🔥", "😎", "🤩", "☀️", "💕"]
NEGATIVE_EMOJIS = ["😡", "😢", "👎", "💔", "😤", "😭", "🙄", "😩", "🤬", "😞", "😒", "🤦", "😫", "💀"]
NEUTRAL_EMOJIS = ["☕", "📱", "✈️", "🍕", "🎵", "🐶", "🌧️", "🏃", "📚", "💻"]
POSITIVE_TAGS = [
    "blessed",
    "happy",
    "winning",
    "goodvibes",
    "TreatYourself",
    "weekendmode",
    "grateful",
    "love",
    "BestDayEver",
    "FridayFeeling",
    "selfcare",
    "success",
]
NEGATIVE_TAGS = [
    "fail",
    "worstdayever",
    "annoyed",
    "MondayBlues",
    "fml",
    "epicfail",
    "rant",
    "neveragain",
    "sad",
    "ugh",
    "brokeagain",
    "CustomerServiceFail",
]
NEUTRAL_TAGS = [
    "food",
    "travel",
    "tech",
    "coffee",
    "work",
    "music",
    "gaming",
    "fitness",
    "weather",
    "london",
    "nyc",
    "throwback",
    "latergram",
    "movies",
    "books",
]
DOMAINS = ["bit.ly", "t.co", "instagr.am", "youtu.be", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly"]
HANDLES = [
    "jess_k",
    "mike88",
    "the_real_sam",
    "coffeeaddict",
    "AirlineHelp",
    "techguru",
    "mom",
    "dannyboy",
    "sarah_writes",
    "BurgerBarn",
    "uberfan",
    "citytransit",
    "nina_b",
    "gamer4life",
    "DeliveryNow",
    "alex_m",
    "PhoneCoSupport",
    "chloe",
    "raj_patel",
    "weatherguy",
    "liv",
    "tom_h",
]
USER_PARTS = [
    "sun",
    "cat",
    "pixel",
    "rain",
    "jazz",
    "moon",
    "taco",
    "blue",
    "wolf",
    "star",
    "kiwi",
    "fox",
    "lemon",
    "neon",
    "sky",
    "dino",
    "mango",
    "ghost",
    "ruby",
    "zen",
]
REASONS_POSITIVE = [
    "",
    "",
    "",
    " the staff were so kind",
    " finally some good news",
    " after a long week",
    " on the first try",
    " and it was cheap too",
    " with my favourite people",
    " no queue at all",
]
REASONS_NEGATIVE = [
    "",
    "",
    "",
    " the staff were so rude",
    " after waiting forever",
    " for the third time",
    " and it cost a fortune",
    " right before my deadline",
    " with zero apology",
    " in the rain",
]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def the(rng: random.Random, noun: str) -> str:
    """'the pizza', 'my laptop', 'this movie': varied determiners."""
    return rng.choice(["the", "the", "my", "this", "that", "our", "today's"]) + " " + noun


def typo(rng: random.Random, text: str) -> str:
    """One realistic typo in a longer word: a swapped, dropped or doubled letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word, k = words[i], rng.randrange(1, len(words[i]) - 2)
    kind = rng.choice(["swap", "drop", "double"])
    if kind == "swap":
        word = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    elif kind == "drop":
        word = word[:k] + word[k + 1 :]
    else:
        word = word[:k] + word[k] + word[k:]
    words[i] = word
    return " ".join(words)


def stretch(rng: random.Random, text: str) -> str:
    """'so good' -> 'soooo good': repeat a vowel of a short emphatic word."""
    for word in ("so", "good", "bad", "love", "hate", "yes", "no", "ugh", "omg"):
        marker = f" {word} "
        if marker in f" {text} ":
            vowel = next((c for c in word if c in "aeiou"), word[-1])
            long = word.replace(vowel, vowel * rng.randint(3, 6), 1)
            return f" {text} ".replace(marker, f" {long} ", 1).strip()
    return text


def opinion(rng: random.Random, positive: bool) -> str:
    """The core of a tweet and its kind: plain, negated, sarcastic, mixed or slang-only."""
    noun = rng.choice(TOPICS[rng.choice(sorted(TOPICS))])
    x = the(rng, noun)
    roll = rng.random()
    if roll < 0.52:
        core = rng.choice(POSITIVE_OPINIONS if positive else NEGATIVE_OPINIONS).format(x=x)
        core += rng.choice(REASONS_POSITIVE if positive else REASONS_NEGATIVE)
    elif roll < 0.64:
        core = rng.choice(NEGATED_POSITIVE if positive else NEGATED_NEGATIVE).format(x=x)
    elif roll < 0.72 and not positive:
        core = rng.choice(SARCASTIC).format(x=x)
    elif roll < 0.88:
        # mixed: the first clause has the other polarity, the second decides
        first = rng.choice(NEGATIVE_OPINIONS if positive else POSITIVE_OPINIONS).format(x=x)
        second = rng.choice(SHORT_POSITIVE if positive else SHORT_NEGATIVE)
        core = f"{first} {rng.choice(CONNECTIVES)} {second}"
    else:
        verdict = rng.choice(SLANG_POSITIVE if positive else SLANG_NEGATIVE)
        core = f"{x} today. {verdict}"
        if rng.random() < 0.8:  # mostly also an emoji: the only other cue
            core += " " + rng.choice(POSITIVE_EMOJIS if positive else NEGATIVE_EMOJIS)
    return core


def decorate(rng: random.Random, core: str, positive: bool, handles: list[str]) -> str:
    """Add the parts real tweets have, each with its own probability."""
    text = rng.choice(OPENERS) + core + rng.choice(INTENSIFIERS)
    if rng.random() < 0.25:
        text = f"@{rng.choice(handles)} " + text
    if rng.random() < 0.1:
        text += f" cc @{rng.choice(handles)}"
    if rng.random() < 0.3:
        text += rng.choice(["!", "!!", "!!!", ".", "...", " :)" if positive else " :(", "?!"])
    if rng.random() < 0.35:
        pool = POSITIVE_EMOJIS if positive else NEGATIVE_EMOJIS
        text += " " + "".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.12:
        text += " " + rng.choice(NEUTRAL_EMOJIS)
    if rng.random() < 0.15:
        text = stretch(rng, text)
    if rng.random() < 0.15:
        text = typo(rng, text)
    if rng.random() < 0.05:
        text = text.upper()
    elif rng.random() < 0.3:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        tags = [rng.choice(NEUTRAL_TAGS)]
        if rng.random() < 0.6:
            tags.append(rng.choice(POSITIVE_TAGS if positive else NEGATIVE_TAGS))
        text += " " + " ".join("#" + t for t in tags)
    if rng.random() < 0.2:
        code = "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(7))
        text += f" http://{rng.choice(DOMAINS)}/{code}"
    return text


def tweet_date(rng: random.Random) -> str:
    """A Sentiment140-style date between April and June 2009."""
    start = datetime.datetime(2009, 4, 6, 0, 0, 0)
    moment = start + datetime.timedelta(seconds=rng.randrange(0, 80 * 24 * 3600))
    return f"{DAYS[moment.weekday()]} {MONTHS[moment.month - 1]} {moment.day:02d} {moment:%H:%M:%S} PDT {moment.year}"


def user_name(rng: random.Random) -> str:
    """A plausible screen name."""
    return rng.choice(USER_PARTS) + rng.choice(["", "_", "x"]) + rng.choice(USER_PARTS) + str(rng.randint(0, 99))


def generate(seed: int, rows: int) -> list[list[object]]:
    """``rows`` tweets (half positive), without duplicate texts, as [target, id, date, user, text] rows."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[list[object]] = []
    next_id = 1467810369  # Sentiment140's ids are ten-digit numbers
    while len(out) < rows:
        positive = len(out) % 2 == 0
        text = decorate(rng, opinion(rng, positive), positive, HANDLES)
        if text in seen:
            continue
        seen.add(text)
        next_id += rng.randint(1, 500)
        out.append([POSITIVE if positive else NEGATIVE, next_id, tweet_date(rng), user_name(rng), text])
    rng.shuffle(out)
    return out


def write_chunks(rows: list[list[object]], output_dir: Path, chunk_size: int) -> list[Path]:
    """Write ``chunk_000.csv``, ``chunk_001.csv``, ... of ``chunk_size`` rows each (UTF-8, ``\\n`` line ends)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in sorted(output_dir.glob("chunk_*.csv")):
        old.unlink()
    paths = []
    for number, start in enumerate(range(0, len(rows), chunk_size)):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows[start : start + chunk_size])
        path = output_dir / f"chunk_{number:03d}.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        paths.append(path)
    return paths


def main() -> None:
    """Parse the command line and write the chunks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args()
    paths = write_chunks(generate(args.seed, args.rows), args.output_dir, args.chunk_size)
    print(f"wrote {args.rows} tweets in {len(paths)} chunks to {args.output_dir}")


if __name__ == "__main__":
    main()
