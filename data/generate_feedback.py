"""Generate ``feedback.jsonl``: synthetic customer feedback for a fictional trail-map app.

The app is "TrailTrack", a trail-map and ride-tracking app used by the riders of the course's
trail data (Blankets Creek, Rope Mill). Every line of the output is one JSON object::

    {"id": "fb-0001", "text": "...", "label": "bug_report"}

with ``label`` one of ``praise``, ``bug_report``, ``feature_request``, ``billing``, ``other``.

Why it looks like this: Lab 1 teaches loading, exploring and *validating* a file before training,
so the file is realistic (app-store reviews, support e-mails and in-app messages built
compositionally from greetings, core messages, context sentences, devices, versions and sign-offs)
and it is deliberately not separable by one keyword: "crash" appears in feature requests (crash
detection) and praise (the crash is fixed), "love" opens bug reports, prices appear in praise.
It also carries five realistic defects a validator must find (listed in data/README.md):
a missing label, an empty text, an exact duplicate record, a stray extra field and a label that
differs only by case and whitespace ("Bug_Report "); see ``add_defects``.

The output is deterministic: the same ``--seed`` reproduces the file byte for byte. Only the
Python standard library is used.

Usage:
    python data/generate_feedback.py                 # writes data/feedback.jsonl
    python data/generate_feedback.py --seed 7 --output /tmp/feedback.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

DEFAULT_SEED = 2026
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "feedback.jsonl"
LABELS = ["praise", "bug_report", "feature_request", "billing", "other"]
# Rows per label before the defects are applied: imbalanced on purpose, like a real inbox.
QUOTAS = {"praise": 134, "bug_report": 144, "feature_request": 105, "billing": 58, "other": 38}
NEAR_DUP_THRESHOLD = 0.75

SLOTS = {
    "app": ["TrailTrack", "the app", "this app", "TrailTrack", "the app"],
    "trail": [
        "Blankets Creek",
        "Rope Mill",
        "Blankets",
        "the Dwelling Loop",
        "Avalanche at Rope Mill",
        "Explorer Loop 3",
        "Quehl Holler",
        "South Loop",
        "Van Michael",
        "my local trails",
    ],
    "device": [
        "Pixel 8",
        "iPhone 15",
        "iPhone 12 mini",
        "Galaxy S23",
        "Galaxy A54",
        "OnePlus 11",
        "iPhone SE",
        "Pixel 6a",
        "Moto G84",
        "iPad mini",
    ],
    "phone": [
        "a Pixel 8 with Android 15",
        "an iPhone 15 on iOS 18.2",
        "an iPhone SE on iOS 17.6",
        "a Galaxy S23, Android 14",
        "a Moto G84 with Android 15",
        "an iPad mini on iOS 18",
    ],
    "os": ["Android 15", "iOS 18.2", "iOS 17.6", "Android 14", "iOS 18"],
    "version": ["4.2.0", "4.2.1", "4.1.3", "4.3.0", "4.0.9"],
    "update": ["4.2.0", "4.2.1", "4.3.0", "the last update", "the latest update", "yesterday's update"],
    "watch": ["Garmin Edge 540", "Apple Watch", "Wahoo ELEMNT", "Garmin Fenix", "Coros Dura"],
    "service": ["Strava", "Komoot", "Apple Health", "Google Fit", "Trailforks"],
    "feature": [
        "offline maps",
        "the elevation profile",
        "live tracking",
        "the trail status page",
        "ride recording",
        "the route planner",
        "segment times",
        "the heatmap",
        "the GPX export",
        "turn-by-turn directions",
        "the trail condition reports",
    ],
    "plan": ["Pro", "TrailTrack Pro", "the annual plan", "the monthly plan", "the family plan", "Pro annual"],
    "price": ["$4.99", "$39.99", "$59.99", "$5", "40 bucks", "€4.99"],
    "n": ["two", "three", "5", "10", "twice", "a few"],
    "km": ["12 km", "8 miles", "20k", "15 miles", "a 30 km loop", "a short 5 mile lap"],
    "when": ["yesterday", "this morning", "on Saturday", "last weekend", "since Tuesday", "for a week now", "today"],
    "name": ["Dana", "Marcus", "Priya", "J.", "Sam", "Lena", "Chris", "Tomás", "Aisha", "Ben"],
    "error": [
        "error 502",
        "'Sync failed'",
        "a blank screen",
        "'Something went wrong'",
        "error code TT-17",
        "a spinning wheel",
    ],
    "month": ["March", "June", "October", "last month", "January"],
}

GREETINGS = [
    "Hi,",
    "Hello team,",
    "Hey there!",
    "Hi TrailTrack team,",
    "Hello,",
    "Dear support,",
    "Quick note:",
    "Hey folks,",
    "",
]
SIGNOFFS = [
    "Thanks!",
    "Thanks, {name}",
    "Cheers, {name}",
    "Regards, {name}",
    "- {name}",
    "Thank you.",
    "Keep it up.",
    "",
    "",
    "",
]
# Label-neutral context; several of these mention words that belong to other labels on purpose.
CONTEXT = [
    "I ride {trail} most weekends.",
    "I've used {app} for about two years.",
    "I'm on {phone}.",
    "Version {version}, {device}.",
    "I pay for {plan}.",
    "I record every ride, usually {km}.",
    "Our club uses {app} for group rides.",
    "I also use {service}.",
    "I ride with a {watch}.",
    "Used it {when} at {trail}.",
    "I'm a volunteer on the trail crew.",
    "My kids ride with me on weekends.",
    "Long-time user, first time writing in.",
    "I paid for {plan} last year.",
    "I ride after work, usually for 40 minutes.",
    "If it matters, I'm on {phone}.",
    "My friends are all on {app} too.",
    "I had {app} recommended by the local bike shop.",
    "Let me know if you need more details.",
    "Screenshots attached.",
]

CORE = {
    "praise": [
        "{feature} is brilliant, it saved me at {trail} when I had zero signal.",
        "Best ride tracker I've used. {feature} is spot on.",
        "The {version} update fixed the crash on export, thank you!",
        "Love how quickly {app} shows whether {trail} is open before I drive out.",
        "Worth every penny of {plan}, {feature} alone pays for it.",
        "Recorded {km} at {trail} {when} and the track was perfect, even under the trees.",
        "Your support team sorted my problem in an hour. Impressive.",
        "Sync with {service} just works now. Great job.",
        "Battery use is way better since {update}, I can record a whole day.",
        "I was sceptical about paying {price} but {app} is excellent.",
        "Five stars. {feature} is the reason I switched from another app.",
        "Finally an app that gets the trail names right at {trail}.",
        "Clean design, no clutter, and {feature} loads instantly.",
        "I used to get crashes on my {device} but {version} is rock solid.",
        "Thanks for adding {feature}, it's exactly what I asked for last year.",
        "Really impressed with {feature} - {trail} looks great on the map.",
        "The trail condition reports keep me off muddy trails, which the trail crew appreciates.",
        "Brilliant little app, it works fine with my {watch}.",
        "Would be lost without {feature} at {trail}.",
        "The new ride summary screen is brilliant.",
        "Could not be happier with {plan}.",
        "Paid for {plan} and never looked back.",
        "If you are on the fence, get it. Tracking is better than my {watch} in the woods.",
    ],
    "bug_report": [
        "{app} crashes every time I open {feature} on my {device}.",
        "Love the app, but since {update} {feature} won't load at all.",
        "GPS track jumps all over the place at {trail}, it added {n} extra miles to my ride.",
        "Offline maps for {trail} are downloaded but show {error} without signal.",
        "Sync to {service} fails with {error} {when}.",
        "Battery drains from 100% to 20% in an hour while recording on {phone}.",
        "The ride I recorded {when} disappeared after I tapped save.",
        "{feature} shows the wrong elevation, it says I climbed 9000 ft on {km}.",
        "Paused recording auto-resumes in my pocket and ruins my average speed.",
        "Since {update} the map is blank at {trail} - just grey tiles.",
        "Pairing with my {watch} drops after {n} minutes.",
        "Tapping 'export GPX' does nothing on {device}.",
        "Push notifications for trail status arrive hours late, {trail} was already closed.",
        "I paid for {plan} but {feature} still says it's locked.",
        "{app} freezes on the splash screen after {update}, reinstalling didn't help.",
        "Dark spots in the heatmap around {trail}, the rides are there in my history but not on the map.",
        "Segment times are off by a few minutes compared to my {watch}.",
        "The route planner routes me onto a closed trail at {trail}.",
        "Login loops back to the start screen on {os}.",
        "Text in {feature} is cut off on my {device}.",
        "It would be great if {app} didn't crash every time I open {feature}.",
        "Could you look into this? {feature} shows {error} after every ride.",
        "The app was brilliant until {update}, now {feature} won't open.",
        "If I add a photo to a ride, the app closes.",
    ],
    "feature_request": [
        "Would love a dark mode for night rides.",
        "Please add crash detection that texts my partner if I go down at {trail}.",
        "Any plans to support the {watch}?",
        "It would be great if {feature} worked with {service}.",
        "Can you add an option to export rides as FIT files as well as GPX?",
        "Could {app} warn me before I ride onto a trail that is closed?",
        "I'd pay extra for {plan} if it included {feature} for the whole state.",
        "Please let me share a live link of my ride with my family.",
        "Could you show trail difficulty colours on the map like the signs at {trail}?",
        "Request: a widget that shows if {trail} is open without opening the app.",
        "A way to plan a route that avoids the climbs at {trail} would be amazing.",
        "Let us add photos of fallen trees so the trail crew can find them.",
        "Would be nice to compare two rides of the same loop side by side.",
        "Please bring back the old lap button, or add a setting for it.",
        "Can we get metric units in {feature}? Only miles right now.",
        "Group rides: let the leader see where everyone is.",
        "Could the app auto-pause when I stop at the trailhead?",
        "Support for e-bike battery stats from the bike would be great.",
        "Please add a payment option with PayPal.",
        "After every ride, show a summary screen with the climbs.",
        "I had an idea: badges for riders who join a trail work day.",
        "A route planner for the loops at {trail} would be brilliant.",
    ],
    "billing": [
        "I was charged {price} twice for {plan} {month}.",
        "How do I cancel {plan}? I can't find it in the settings.",
        "Please refund my last payment, I cancelled before the renewal date.",
        "The promo code from the {trail} race didn't apply a discount.",
        "Can I switch from the monthly plan to the annual one and keep my rides?",
        "I need an invoice with our club's name for the {plan} payment.",
        "My free trial ended early and I got charged {price}.",
        "Why did the price of {plan} go up to {price}?",
        "I bought {plan} on iPhone, does it carry over to my Android tablet?",
        "The family plan only shows one member as Pro, we pay for four.",
        "Charged in dollars but I'm in Canada, can you bill in CAD?",
        "I upgraded to {plan} but the receipt says monthly.",
        "Is there a student discount for {plan}?",
        "Payment failed with {error} but my card was still charged.",
        "Could you check why my payment of {price} failed twice?",
        "Would be great to get a refund for the double charge.",
        "After the trial I was charged {price} without a reminder.",
        "Are there discounts for trail crew volunteers?",
        "Let me know how to add my partner to the family plan.",
    ],
    "other": [
        "How do I delete my account and all my ride data?",
        "Is {trail} open today? The sign at the gate says closed.",
        "Who maintains the trail map data? A loop at {trail} has a new name.",
        "Our riding club would like to partner with you for a charity ride.",
        "Is my location shared with anyone when I record a ride?",
        "Do you have any job openings for Android developers?",
        "How do I change the e-mail address on my account?",
        "Just wanted to say the trail crew did amazing work at {trail} {when}.",
        "Are dogs allowed on the trails at {trail}?",
        "Can I use {app} for hiking too or is it only for bikes?",
        "Where can I report a damaged bridge at {trail}? Not an app problem.",
        "What does the orange dot next to my name mean?",
        "Do you sponsor the high school race series?",
        "Would it be possible to interview someone from the team for our club newsletter?",
        "Are the trail maps available as printed copies?",
        "If you need beta testers, I'm in.",
    ],
}
# Openers that pull a message towards another label's vocabulary (the keyword trap).
MIXED_OPENERS = {
    "praise": ["I had a billing question last month and it was handled fast.", "No bugs to report for once!"],
    "bug_report": ["Great app overall.", "Five stars usually, but", "Paid for {plan} happily, however:"],
    "feature_request": ["Love the app.", "No complaints about the price.", "The update works great."],
    "billing": ["The app itself is great.", "No bug here, just a payment problem."],
    "other": ["Not a bug report or a complaint.", "Not sure this is the right place."],
}
# Emojis that fit any message, plus a few that only fit some labels.
EMOJIS = {
    "any": ["🙏", "🚵", "😅", "🤔"],
    "praise": ["❤️", "👍", "🙌"],
    "bug_report": ["😡", "😤"],
    "billing": ["😤"],
    "feature_request": ["👍"],
}
TYPOS = [
    (r"\bthe\b", "teh"),
    (r"\brecord\b", "recrod"),
    (r"\bbecause\b", "becuase"),
    (r"\bdefinitely\b", "definately"),
    (r"\bplease\b", "pls"),
    (r"\byou\b", "u"),
    (r"\breally\b", "rly"),
    (r"\bwould\b", "woud"),
]


def expand(template: str, rng: random.Random) -> str:
    """Fill every {slot} in the template with a random choice for that slot."""
    return re.sub(r"\{(\w+)\}", lambda m: rng.choice(SLOTS[m.group(1)]), template)


def capitalise(text: str) -> str:
    """Upper-case the first letter (slots such as 'the app' may start a sentence)."""
    return text[:1].upper() + text[1:] if text else text


def make_text(rng: random.Random, label: str) -> str:
    """Compose one message: optional greeting, mixed opener, context, 1-2 core sentences, sign-off."""
    style = rng.choices(["review", "email", "short"], weights=[45, 40, 15])[0]
    parts = [capitalise(expand(rng.choice(CORE[label]), rng))]
    if style != "short" and rng.random() < 0.35:
        second = capitalise(expand(rng.choice(CORE[label]), rng))
        if second != parts[0]:
            parts.append(second)
    if style != "short" and rng.random() < 0.25:
        parts.insert(0, expand(rng.choice(MIXED_OPENERS[label]), rng))
    if style != "short":
        for _ in range(rng.choice([0, 1, 1, 2])):
            # Context goes before or after the message, never inside an opener's sentence.
            parts.insert(rng.choice([0, len(parts)]), expand(rng.choice(CONTEXT), rng))
    if style == "email":
        greeting = rng.choice(GREETINGS)
        parts = ([greeting] if greeting else []) + parts + [expand(rng.choice(SIGNOFFS), rng)]
    text = " ".join(p for p in parts if p)
    return add_noise(rng, text, label)


def add_noise(rng: random.Random, text: str, label: str) -> str:
    """Typos, lower-case typing, shouting and emojis, as in a real inbox."""
    if rng.random() < 0.15:
        pattern, replacement = rng.choice(TYPOS)
        text = re.sub(pattern, replacement, text, count=1)
    roll = rng.random()
    if roll < 0.08:
        text = text.lower()
    elif roll < 0.10:
        text = text.upper()
    if rng.random() < 0.12:
        text += " " + rng.choice(EMOJIS["any"] + EMOJIS.get(label, []))
    return text


def word_set(text: str) -> frozenset[str]:
    """Lower-case word set used to reject near-duplicates."""
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def too_similar(words: frozenset[str], accepted: list[frozenset[str]]) -> bool:
    """True when the Jaccard similarity with any accepted message reaches the threshold."""
    return any(len(words & o) / len(words | o) >= NEAR_DUP_THRESHOLD for o in accepted)


def generate_clean(seed: int) -> list[dict]:
    """Generate the clean rows (ids fb-0001...), label quotas exact, order shuffled."""
    rng = random.Random(seed)
    plan = [label for label, count in QUOTAS.items() for _ in range(count)]
    rng.shuffle(plan)
    rows, accepted = [], []
    for label in plan:
        for _ in range(1000):
            text = make_text(rng, label)
            words = word_set(text)
            if not too_similar(words, accepted):
                break
        else:
            raise RuntimeError(f"could not find a new message for label {label!r}")
        accepted.append(words)
        rows.append({"id": f"fb-{len(rows) + 1:04d}", "text": text, "label": label})
    return rows


# Where the defects go (0-based rows of the clean list). The copy of row DUPLICATE_OF is inserted at
# DUPLICATE_AT; the label variant goes on the first bug report after VARIANT_AFTER.
MISSING_LABEL_AT, EMPTY_TEXT_AT, STRAY_FIELD_AT, VARIANT_AFTER = 57, 133, 208, 250
DUPLICATE_OF, DUPLICATE_AT = 41, 301


def add_defects(rows: list[dict]) -> list[dict]:
    """Apply the five documented defects to a copy of the clean rows."""
    rows = [dict(r) for r in rows]
    rows[MISSING_LABEL_AT]["label"] = None
    rows[EMPTY_TEXT_AT]["text"] = ""
    rows[STRAY_FIELD_AT]["app_version"] = "4.2.1"
    variant = next(i for i, r in enumerate(rows) if i > VARIANT_AFTER and r["label"] == "bug_report")
    rows[variant]["label"] = "Bug_Report "
    rows.insert(DUPLICATE_AT, dict(rows[DUPLICATE_OF]))
    return rows


def write_jsonl(rows: list[dict], path: Path) -> None:
    """One JSON object per line, UTF-8, emojis kept as characters."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, generate the rows, add the defects and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSONL path (default data/feedback.jsonl)")
    args = parser.parse_args(argv)
    rows = add_defects(generate_clean(args.seed))
    write_jsonl(rows, args.output)
    print(f"wrote {len(rows)} rows to {args.output}")


if __name__ == "__main__":
    main()
