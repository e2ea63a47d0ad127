"""Generate ``sms_spam.csv``: synthetic text messages labelled ``HAM`` (a real message) or ``SPAM``.

The SMS spam project (labs/project-sms-spam.md) trains and evaluates spam filters on this file:

    label,message

About 13 % of the rows are spam, like the public SMS spam corpora. Ham is what friends, family, colleagues
and classmates text each other: short, informal, full of abbreviations ("u", "2nite", "thx"), typos, missing
punctuation and emoticons, about plans, lateness, food, school, work, feelings, errands. Spam is what
fraudsters and aggressive marketers send: prizes, premium-rate numbers, phishing links ("your account is
locked"), fake deliveries with a "customs fee", loans, subscriptions with "STOP to opt out", dating chat lines,
investment tips, tax refunds.

Why synthetic and why like this: real SMS corpora hold personal messages. Each message is put together from
pools of openings, bodies, details and sign-offs per topic, with names, places, times, amounts, phone numbers,
short codes and links filled in, then written in one of several styles (lower case, text-speak, shouting,
typos). Hard cases are there on purpose: ham that talks about money, links, winning, deliveries and calling
("won the pub quiz!!", "ur parcel came to mine"), and spam written casually ("hey its Jess, saw ur profile").

The output is deterministic: the same ``--seed`` and ``--rows`` give the same file byte for byte, and no
message appears twice (a repeated candidate is redrawn). Only the Python standard library is used; the
challenge messages of the project are drawn by :func:`generate` with other seeds.

Usage:
    python data/generate_sms_spam.py                    # writes data/sms_spam.csv
    python data/generate_sms_spam.py --seed 7 --rows 500 --output out.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from collections.abc import Callable
from pathlib import Path

DEFAULT_SEED = 13
DEFAULT_ROWS = 2500
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "sms_spam.csv"
COLUMNS = ["label", "message"]
LABELS = ["HAM", "SPAM"]  # course id order: 0 = HAM, 1 = SPAM
SPAM_SHARE = 0.13
MAX_ATTEMPTS = 50  # redraws of a repeated message before giving up

R = random.Random  # the one source of randomness: every function takes the generator it draws from

# ---------------------------------------------------------------------------------------------------------
# Shared vocabulary
# ---------------------------------------------------------------------------------------------------------
NAMES = [
    "Sam",
    "Jess",
    "Mike",
    "Priya",
    "Tom",
    "Aisha",
    "Dan",
    "Becky",
    "Olu",
    "Sinead",
    "Marek",
    "Chloe",
    "Raj",
    "Kate",
    "Liam",
    "Zoe",
    "Ben",
    "Amy",
    "Jack",
    "Nadia",
    "Josh",
    "Ellie",
    "Kofi",
    "Hannah",
    "Luca",
    "Mia",
    "Ryan",
    "Sophie",
    "Ade",
    "Fran",
    "Gaz",
    "Ana",
    "Dev",
    "Lily",
    "Matt",
    "Tash",
    "Rob",
    "Jo",
]
FAMILY = ["mum", "dad", "nan", "grandad", "ur sister", "my bro", "auntie Sue", "uncle Pete", "the kids", "mum n dad"]
PLACES = [
    "the pub",
    "spoons",
    "the library",
    "town",
    "the station",
    "nandos",
    "the gym",
    "college",
    "work",
    "the park",
    "tesco",
    "the cinema",
    "the chippy",
    "ikea",
    "the bus stop",
    "uni",
    "the match",
    "church",
    "the caff",
    "maccies",
]
TIMES = ["7", "8", "half 6", "6ish", "10 mins", "quarter to 8", "noon", "2", "after work", "later", "tmrw", "sat"]
DAYS = ["mon", "tues", "wed", "thurs", "fri", "sat", "sun", "tomorrow", "tonight", "the weekend", "next week"]
FOODS = ["pizza", "a curry", "chips", "pasta", "a kebab", "sushi", "a roast", "burgers", "tacos", "a takeaway"]
EMOTICONS = [":)", ":-)", ";)", ":(", ":P", ":D", "xx", "x", "lol", "haha", "hehe", ":-/", "<3", "xxx"]

# ---------------------------------------------------------------------------------------------------------
# Ham: one function per topic, each with several sentence structures
# ---------------------------------------------------------------------------------------------------------


def ham_plans(r: R) -> str:
    """Meeting up, going out."""
    place, time, day = r.choice(PLACES), r.choice(TIMES), r.choice(DAYS)
    return r.choice(
        [
            f"Are you coming to {place} {day}?",
            f"Meet you at {place} at {time}",
            f"Fancy {place} {day}? {r.choice(NAMES)} is coming too",
            f"We're at {place} if you want to come down",
            f"What time are we meeting {day}? I can do {time}",
            f"Still on for {day}? Let me know",
            f"Is it still ok if I come round {day}",
            f"Can we do {day} instead, something came up",
            f"Where r u? We're outside {place}",
            f"Going to {place} {day} if anyone's up for it",
            f"{r.choice(NAMES)} said {place} at {time}, that ok with you?",
            f"Shall I pick you up at {time} or are you getting the bus",
        ]
    )


def ham_late(r: R) -> str:
    """Running late, on the way."""
    return r.choice(
        [
            f"Running {r.choice(['5', '10', '15', '20'])} mins late sorry",
            "On my way now",
            "Just leaving, be there soon",
            f"Bus is late again, be there by {r.choice(TIMES)}",
            "Stuck in traffic, start without me",
            "Sorry overslept!! Leaving now",
            "Just got off the train, where are you?",
            "I'm here, where are you",
            f"Be there in {r.choice(['5', '10', '2', '20'])}",
            "Can't find a parking space, going round again",
            "Missed the bus, getting the next one",
        ]
    )


def ham_reply(r: R) -> str:
    """Short answers."""
    return r.choice(
        [
            "Ok",
            "Ok see you then",
            "Yeah sure",
            "No worries",
            "Sounds good",
            "Thanks!",
            "Cool, thanks for letting me know",
            "Haha yes",
            "Nope, not yet",
            "Maybe, I'll see how I feel",
            "Alright",
            "Yes please",
            "Ok will do",
            "Oh right, fair enough",
            "Nah I'm good thanks",
            "Yep that's fine",
            "Lol what",
            "Great, thank you so much",
            "Fine by me",
            "I know right",
        ]
    )


def ham_family(r: R) -> str:
    """Family errands and news."""
    who = r.choice(FAMILY)
    return r.choice(
        [
            f"Can you pick up {r.choice(['milk', 'bread', 'eggs', 'nappies', 'teabags', 'bin bags'])} "
            "on your way home",
            f"{who.capitalize()} says hi",
            f"Did you ring {who} back? She was asking",
            f"Dinner's at {r.choice(TIMES)}, don't be late",
            f"Have you fed the {r.choice(['cat', 'dog', 'fish', 'rabbit'])}?",
            f"Going to see {who} {r.choice(DAYS)}, want to come",
            f"Can u ring me when u get this, it's about {who}",
            f"{who.capitalize()} is out of hospital, doing fine",
            f"Don't forget it's {who}'s birthday {r.choice(DAYS)}",
            f"Who's taking the kids to {r.choice(['school', 'football', 'swimming', 'cubs'])} {r.choice(DAYS)}",
            "I'm home, where's the key?",
            "Text me when you get home safe",
        ]
    )


def ham_food(r: R) -> str:
    """Food and drink."""
    food = r.choice(FOODS)
    return r.choice(
        [
            f"Fancy {food} {r.choice(DAYS)}?",
            f"I'm getting {food}, do you want anything",
            f"What do you want for tea? I was thinking {food}",
            f"Just had the best {food.removeprefix('a ')} ever",
            f"Shall we just order {food}",
            "Is there anything in the fridge?",
            f"I've put {food} in the oven, ready in {r.choice(['10', '20', '30'])} mins",
            "Starving, when's dinner",
            f"Can you grab {r.choice(['wine', 'beer', 'snacks', 'crisps', 'dessert'])} on the way",
        ]
    )


def ham_work_school(r: R) -> str:
    """Work and study."""
    return r.choice(
        [
            f"Have you done the {r.choice(['essay', 'coursework', 'reading', 'lab report', 'assignment'])} yet",
            f"Exam is on {r.choice(DAYS)}, I haven't revised at all",
            f"Meeting moved to {r.choice(TIMES)}",
            "Boss wants us in early tomorrow, ugh",
            f"Can you cover my shift on {r.choice(DAYS)}? I'll owe you one",
            "Lecture's cancelled today",
            f"Did you get the notes from {r.choice(['monday', 'the lecture', 'the seminar', 'class'])}",
            "Got the job!!! Start on monday",
            "Interview went ok I think, fingers crossed",
            "Working late again, don't wait up",
            "Deadline is friday, we need to meet about the project",
            "Just finished my last exam!!!",
            "Can you send me the slides from today",
            f"I'm in the library till {r.choice(TIMES)} if you want to study",
        ]
    )


def ham_feelings(r: R) -> str:
    """How are you, news, feelings."""
    return r.choice(
        [
            "How are you feeling today?",
            "Hope you're ok, thinking of you",
            "Miss you loads",
            "Had such a good time last night, thank you",
            "Sorry about earlier, I was in a mood",
            "Are you ok? You seemed quiet",
            "Can't sleep, are you up?",
            "Love you, see you soon",
            "Feeling rough today, staying in bed",
            f"Happy birthday {r.choice(NAMES)}!! Have a great day",
            "Congratulations!! So proud of you",
            "Good luck today, you'll smash it",
            "Night night, sleep well",
            "Morning! How did you sleep",
            "That's so sad, I'm really sorry",
            "I'm so bored",
        ]
    )


def ham_hard(r: R) -> str:
    """Ham that looks like spam: money, winning, links, deliveries, calling, free."""
    name = r.choice(NAMES)
    return r.choice(
        [
            "We won the pub quiz!! £50 bar tab",
            f"I won! {r.choice(['Got tickets', 'Came first', 'Won the raffle'])} lol can't believe it",
            f"Can you send me the £{r.randint(5, 60)} for the tickets when you get a sec",
            f"Here's the link to the photos {r.choice(['drive.google.com/x', 'photos.app.goo.gl/abc', 'we.tl/t-9x'])}",
            "Your parcel came to mine, I'll drop it round later",
            "Amazon delivery is here, shall I sign for it",
            f"Call me when you're free, it's about {r.choice(['the flat', 'the car', 'mum', 'saturday'])}",
            f"Ring me back urgent, {r.choice(['locked myself out', 'car broke down', 'lost my phone'])}",
            "Free tonight? Fancy a film",
            "The bank called about the mortgage, can we talk later",
            f"I paid {name} back the £{r.randint(10, 200)} btw",
            "Got a prize for best presentation at work haha",
            "Claim form for the insurance is on the table",
            "Offer on at tesco, 2 for 1 on pizza, shall I get some",
            f"Text {name}, her new number is 07{r.randint(100, 999)} {r.randint(100000, 999999)}",
            "My phone's on 2%, call you later",
            "Sorry can't talk, in a meeting. Call you back",
            "Just checked, the refund went through finally",
            f"Congrats on the win!! {name} told me",
            "The delivery guy left it with next door",
            "Did you get my message about the loan for the car? Dad can help",
            "Reply when you can, no rush",
        ]
    )


HAM_TOPICS: list[tuple[Callable[[R], str], int]] = [
    (ham_plans, 16),
    (ham_late, 9),
    (ham_reply, 12),
    (ham_family, 12),
    (ham_food, 9),
    (ham_work_school, 12),
    (ham_feelings, 13),
    (ham_hard, 10),
]
HAM_EXTRAS = [
    "",
    "",
    "",
    "",
    " Let me know",
    " Speak later",
    " Love you",
    " Cheers",
    " Ta",
    " Hope ur ok",
    " Anyway",
    " Can't wait",
    " Sorry",
    " Text me back",
]

# ---------------------------------------------------------------------------------------------------------
# Spam: one function per scheme
# ---------------------------------------------------------------------------------------------------------
TLDS = [".com", ".co", ".info", ".net", ".xyz", ".top", ".co.uk", ".online", ".site", ".link", ".cc"]
BRANDS = ["HSBC", "Barclays", "Lloyds", "NatWest", "Santander", "Monzo", "PayPal", "Netflix", "Apple", "HMRC"]
COURIERS = ["Royal Mail", "DPD", "Evri", "Hermes", "Parcelforce", "UPS", "DHL", "Yodel", "FedEx"]
PRIZES = [
    "a £1000 cash prize",
    "a brand new iPhone",
    "£500 of Tesco vouchers",
    "a 2-week holiday in Spain",
    "£2,000 CASH",
    "a Samsung Galaxy",
    "an all-inclusive cruise",
    "£250 Amazon gift card",
    "a PS5",
    "£5000",
]


def url(r: R) -> str:
    """A short or fake link."""
    stem = r.choice(
        ["secure-", "verify", "my", "claim", "parcel", "track", "win", "get", "login", "refund", "acc", "pay"]
    ) + r.choice(["-uk", "now", "help", "portal", "info", "24", "centre", "-update", "app", "zone"])
    path = "".join(r.choice("abcdefghkmnpqrstuvwxyz23456789") for _ in range(r.randint(4, 7)))
    if r.random() < 0.35:
        return f"{r.choice(['bit.ly', 'tinyurl.com', 'is.gd', 'cutt.ly', 'rb.gy'])}/{path}"
    prefix = r.choice(["", "", "www.", "http://", "https://"])
    return f"{prefix}{stem}{r.choice(TLDS)}/{path}"


def premium(r: R) -> str:
    """A premium-rate or unknown number."""
    return r.choice(
        [
            f"09{r.randint(0, 9)}{r.randint(1000000, 9999999)}",
            f"0871{r.randint(1000000, 9999999)}",
            f"0844 {r.randint(100, 999)} {r.randint(1000, 9999)}",
            f"0{r.randint(7000, 7999)}{r.randint(100000, 999999)}",
        ]
    )


def shortcode(r: R) -> str:
    """A five-digit SMS short code."""
    return str(r.randint(61000, 89999))


def price(r: R) -> str:
    """A per-message or per-minute price."""
    return r.choice(["150p/msg", "£1.50/msg", "£3/wk", "£4.50/week", "£1/min", "10p/min", "£2.50/txt", "50p/min"])


def code(r: R) -> str:
    """A claim code."""
    return "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(r.randint(4, 6)))


def spam_prize(r: R) -> str:
    """You have won."""
    prize = r.choice(PRIZES)
    return r.choice(
        [
            f"Congratulations! You have been selected to receive {prize}. Call {premium(r)} now to claim",
            f"URGENT! Your mobile number has WON {prize}! To claim call {premium(r)}. Claim code {code(r)}",
            f"WINNER!! As a valued customer you have won {prize}. Text CLAIM to {shortcode(r)}",
            f"You are a winner! Claim {prize} at {url(r)} before midnight",
            f"Final notice: {prize} is waiting for you. Reply YES to {shortcode(r)} to claim. {price(r)}",
            f"Your number was drawn in our monthly draw! Prize: {prize}. Ring {premium(r)} quoting {code(r)}",
            f"Dear customer, you've won {prize} in our weekly competition. Visit {url(r)} to collect",
            f"2nd attempt to contact u. U have won {prize}. Call {premium(r)} from a landline",
        ]
    )


def spam_phishing(r: R) -> str:
    """Bank / account phishing."""
    brand = r.choice(BRANDS)
    return r.choice(
        [
            f"{brand}: A new payee was added to your account. If this was NOT you, visit {url(r)} immediately",
            f"{brand} ALERT: your account has been suspended due to unusual activity. Verify at {url(r)}",
            f"We noticed a login to your {brand} account from a new device. Not you? Secure it here {url(r)}",
            f"{brand}: your payment of £{r.randint(50, 999)}.{r.randint(10, 99)} is pending. Cancel at {url(r)}",
            f"Your {brand} card has been locked. To unlock please confirm your details at {url(r)}",
            f"{brand}: we were unable to process your last payment. Update your billing info: {url(r)}",
            f"Security notice from {brand}: confirm your identity within 24 hours or your account will be closed "
            f"{url(r)}",
            f"HMRC: You are due a tax refund of £{r.randint(100, 900)}.{r.randint(10, 99)}. Claim it at {url(r)}",
        ]
    )


def spam_delivery(r: R) -> str:
    """Fake parcel messages."""
    courier = r.choice(COURIERS)
    return r.choice(
        [
            f"{courier}: your parcel is on hold due to an unpaid shipping fee of "
            f"£{r.randint(1, 3)}.{r.randint(10, 99)}. Pay now: {url(r)}",
            f"{courier}: We missed you today. Reschedule your delivery at {url(r)}",
            f"Your package could not be delivered due to an incomplete address. Update here {url(r)}",
            f"{courier} - customs charge of £{r.randint(1, 4)}.{r.randint(10, 99)} required before delivery: {url(r)}",
            f"Parcel {code(r)}{r.randint(100, 999)} awaiting redelivery. Book a slot: {url(r)}",
            f"We tried to deliver your package. Please confirm your details within 48h {url(r)}",
        ]
    )


def spam_loan(r: R) -> str:
    """Loans, debt, claims."""
    amount = r.choice(["£500", "£1,000", "£2,500", "£5000", "£10k", "£750", "£15,000"])
    return r.choice(
        [
            f"Need cash fast? Get up to {amount} today, no credit checks. Apply at {url(r)}",
            f"You are pre-approved for a loan of {amount}. Reply YES to {shortcode(r)}. STOP to opt out",
            f"Struggling with debt? Government scheme can write off up to 80%. Call {premium(r)}",
            f"You may be entitled to {amount} compensation for your accident. Reply CLAIM or call {premium(r)}",
            f"Instant payday loans {amount} in 15 mins, bad credit OK. Text LOAN to {shortcode(r)}",
            f"Mis-sold PPI? You could be owed {amount}. Call free on {premium(r)} now",
        ]
    )


def spam_subscription(r: R) -> str:
    """Ringtones, games, premium subscriptions."""
    return r.choice(
        [
            f"Get the latest ringtones FREE! Text TONE to {shortcode(r)}. {price(r)} 16+ STOP to end",
            f"You have been subscribed to our weekly fun alerts. {price(r)}. To unsubscribe text STOP to "
            f"{shortcode(r)}",
            f"FREE entry into our £250 weekly comp! Just text WIN to {shortcode(r)} now. T&Cs apply {price(r)}",
            f"Your free trial ends today. Continue for just {price(r)} or reply STOP",
            f"Download 3 top games for your phone now! Reply GAME to {shortcode(r)}. {price(r)}",
            f"Thanks for your subscription to HotTips. Your account will be charged {price(r)}. Help: {premium(r)}",
            f"Watch the latest films free on your mobile: {url(r)} Offer ends soon",
        ]
    )


def spam_dating(r: R) -> str:
    """Chat lines and fake contacts."""
    name = r.choice(NAMES)
    return r.choice(
        [
            f"Hey its {name}, saw ur profile and wanted to say hi ;) chat with me at {url(r)}",
            f"Lonely tonight? Hot singles in your area are waiting. Call {premium(r)} {price(r)}",
            f"{name} has sent you a private message. View it here: {url(r)}",
            f"Someone fancies you! To find out who, text FIND to {shortcode(r)}. {price(r)}",
            f"Hi darling, I'm new in town and bored, text me back on {premium(r)} xx",
            f"Hi, it's me, I got a new number. Can you send me a message on WhatsApp {premium(r)}",
        ]
    )


def spam_invest(r: R) -> str:
    """Investment and easy money."""
    return r.choice(
        [
            f"Turn £250 into £5,000 in a week with our crypto bot. Join now {url(r)}",
            f"Earn £{r.randint(200, 900)} a day working from home. No experience needed. Info: {url(r)}",
            f"Bitcoin is exploding! Our members made 400% this month. Start at {url(r)}",
            f"Exclusive offer: make money from your phone in your spare time. Reply INFO to {shortcode(r)}",
            f"Hi, we are hiring part-time, £{r.randint(300, 800)}/day, apply on WhatsApp {premium(r)}",
        ]
    )


def spam_survey(r: R) -> str:
    """Surveys, offers, vouchers."""
    return r.choice(
        [
            f"Complete our 2 minute survey and get a £{r.choice([50, 100, 200])} voucher: {url(r)}",
            f"Your mobile is due for a FREE upgrade! Call {premium(r)} or reply UPGRADE",
            f"Last chance! 70% off designer brands today only at {url(r)}",
            f"You have {r.randint(2000, 9000)} reward points expiring today. Redeem now: {url(r)}",
            f"As a loyal customer you qualify for a free camera phone. Call {premium(r)} now",
        ]
    )


SPAM_TOPICS: list[tuple[Callable[[R], str], int]] = [
    (spam_prize, 20),
    (spam_phishing, 17),
    (spam_delivery, 15),
    (spam_loan, 12),
    (spam_subscription, 14),
    (spam_dating, 9),
    (spam_invest, 7),
    (spam_survey, 9),
]
SPAM_EXTRAS = [
    "",
    "",
    "",
    " T&Cs apply.",
    " Offer ends today.",
    " Reply STOP to opt out.",
    " Don't miss out!",
    " 18+ only.",
    " Act now!",
    " Txt STOP to end.",
    " Limited time.",
    " Unsubscribe: reply NO.",
]

# ---------------------------------------------------------------------------------------------------------
# Styles: the same content written the way different people type
# ---------------------------------------------------------------------------------------------------------
TEXT_SPEAK = {
    "you": "u",
    "your": "ur",
    "you're": "ur",
    "are": "r",
    "to": "2",
    "for": "4",
    "tonight": "2nite",
    "tomorrow": "tmrw",
    "see": "c",
    "okay": "ok",
    "because": "cos",
    "please": "pls",
    "thanks": "thx",
    "with": "wiv",
    "later": "l8r",
    "great": "gr8",
    "what": "wat",
    "know": "no",
    "mins": "mins",
    "be": "b",
    "text": "txt",
    "message": "msg",
    "and": "n",
    "about": "abt",
    "people": "ppl",
    "don't": "dont",
    "i'm": "im",
    "can't": "cant",
}


def text_speak(text: str, r: R, share: float) -> str:
    """Replace a share of the words that have a short form (``you`` -> ``u``)."""

    def swap(match: re.Match) -> str:
        word = match.group(0)
        short = TEXT_SPEAK.get(word.lower())
        return short if short and r.random() < share else word

    return re.sub(r"[A-Za-z']+", swap, text)


def typo(text: str, r: R) -> str:
    """One typing slip in a longer word: a swap of two letters, a dropped or a doubled letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = r.choice(candidates)
    w = words[i]
    k = r.randint(1, len(w) - 2)
    kind = r.random()
    if kind < 0.4:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif kind < 0.7:
        w = w[:k] + w[k + 1 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def ham_style(text: str, r: R) -> str:
    """How friends type: lower case, text-speak, dropped full stops, typos, emoticons, repeated letters."""
    roll = r.random()
    if roll < 0.45:
        text = text.lower()
    if r.random() < 0.5:
        text = text_speak(text, r, r.choice([0.4, 0.7, 1.0]))
    if r.random() < 0.4:
        text = text.rstrip(".")
        text = text.replace(". ", " ").replace(", ", " ")
    if r.random() < 0.25:
        text = typo(text, r)
    if r.random() < 0.25:
        text = text.rstrip("!?.") + r.choice(["!!", "??", "...", "!", " ?", "!!!"])
    if r.random() < 0.3:
        text = f"{text} {r.choice(EMOTICONS)}"
    if r.random() < 0.15:
        text = f"{r.choice(['hey', 'hi', 'oi', 'hiya', 'morning', 'ok so', 'omg', 'right'])} {text}"
    return text


def spam_style(text: str, r: R) -> str:
    """How spammers type: shouting, text-speak to fit 160 characters, a stray typo, missing spaces."""
    roll = r.random()
    if roll < 0.12:
        text = text.upper()
    elif roll < 0.3:
        words = text.split(" ")
        for _ in range(r.randint(1, 3)):
            i = r.randrange(len(words))
            words[i] = words[i].upper()
        text = " ".join(words)
    if r.random() < 0.2:
        text = text_speak(text, r, 0.8)
    if r.random() < 0.1:
        text = typo(text, r)
    if r.random() < 0.08:
        text = text.lower()
    return text


def weighted(topics: list[tuple[Callable[[R], str], int]], r: R) -> Callable[[R], str]:
    """Pick a topic function in proportion to its weight."""
    functions, weights = zip(*topics)
    return r.choices(functions, weights=weights)[0]


def ham_message(r: R) -> str:
    """One real message: a topic, sometimes a second sentence, an extra, a style."""
    text = weighted(HAM_TOPICS, r)(r)
    if r.random() < 0.25:
        text = (
            f"{text}. {weighted(HAM_TOPICS, r)(r)}"
            if not text.endswith(("?", "!"))
            else f"{text} " + (weighted(HAM_TOPICS, r)(r))
        )
    text += r.choice(HAM_EXTRAS)
    if r.random() < 0.15:
        text += f" {r.choice(NAMES) if r.random() < 0.3 else r.choice(['x', 'xx', 'J', 'M'])}"
    return ham_style(text, r)


def spam_message(r: R) -> str:
    """One spam message: a scheme, an extra, a style."""
    text = weighted(SPAM_TOPICS, r)(r) + r.choice(SPAM_EXTRAS)
    if r.random() < 0.15:
        text = r.choice(["FREE MSG: ", "URGENT: ", "Reminder: ", "Dear Customer, ", "(Ad) ", "FreeMsg ", ""]) + text
    return spam_style(text, r)


def tokens(text: str) -> frozenset[str]:
    """Lower-case word set of a message (for near-duplicate checks)."""
    return frozenset(re.findall(r"[a-z0-9£']+", text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Word-set overlap of two messages: 1 for the same words, 0 for none in common."""
    return len(a & b) / len(a | b) if a or b else 1.0


def generate(seed: int, rows: int, spam_share: float = SPAM_SHARE) -> list[tuple[str, str]]:
    """``rows`` (label, message) pairs, ``round(rows * spam_share)`` of them spam, shuffled, no message twice."""
    r = random.Random(seed)
    n_spam = round(rows * spam_share)
    labels = ["SPAM"] * n_spam + ["HAM"] * (rows - n_spam)
    r.shuffle(labels)
    seen: set[str] = set()
    result = []
    for label in labels:
        for _ in range(MAX_ATTEMPTS):
            message = (spam_message if label == "SPAM" else ham_message)(r).strip()
            key = message.lower()
            if key not in seen:
                break
        else:
            raise RuntimeError(f"could not draw a new {label} message after {MAX_ATTEMPTS} attempts; ask fewer rows")
        seen.add(key)
        result.append((label, message))
    return result


def csv_text(rows: list[tuple[str, str]]) -> str:
    """The CSV file's text: header ``label,message``, '\\n' line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write the file and print its label counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.rows)
    args.output.write_bytes(csv_text(rows).encode("utf-8"))
    spam = sum(label == "SPAM" for label, _ in rows)
    print(f"wrote {len(rows)} messages ({spam} SPAM, {len(rows) - spam} HAM) to {args.output.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
