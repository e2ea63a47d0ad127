"""Generate ``email_triage.csv``: synthetic customer emails to a car-insurance company, in six categories.

Lab 6 evaluates classifiers on this file. Every row is one email a customer sent to the claims / service
inbox, labelled with the team that must handle it:

    id,subject,body,text,label          (text = subject + blank line + body, for training)

Labels: ``theft`` (vehicle or contents stolen, break-in), ``collision`` (accident with another vehicle or
an object), ``glass_damage`` (windscreen / window chipped or cracked, not in a theft), ``breakdown``
(roadside assistance, the car will not start or broke down), ``renewal_quote`` (price or cover for the
coming year), ``billing`` (payments, direct debits, refunds, invoices for the current policy).

Why synthetic and why like this: real claim emails hold personal data. The emails are built
compositionally (greetings, openings, paraphrased descriptions of what happened, details with vehicle
makes, places, dates and policy numbers, requests, sign-offs, vague subjects, typos), and the cue words are
drawn from large paraphrase pools so that a word seen once in training is no reliable shortcut. About a
third of the emails mention a second topic on purpose (a breakdown after an accident, a billing question
about a renewal, a window smashed during a theft): the label is the team that must act, which a reader
finds from the main request, not from one keyword. The classes are moderately imbalanced (collision is
about 3x billing).

Labelling rules (also in data/README.md):
  * A window or windscreen broken *to steal* the car or its contents is ``theft``; glass damaged any other
    way (stone chip, vandalism without theft, hail, a crack that grows) is ``glass_damage``.
  * A car that will not start or breaks down is ``breakdown`` even if an accident happened earlier, as long
    as the customer asks for recovery/roadside help and not for a damage claim.
  * A question about paying the current or renewed premium (debit, refund, card, invoice) is ``billing``; a
    request for a price or cover change for the coming year is ``renewal_quote``.

The output is deterministic: the same ``--seed`` and ``--rows`` give the same file byte for byte. Any two
emails have word-Jaccard similarity below 0.8 (checked here; a too-similar candidate is redrawn). Only the
Python standard library is used.

Usage:
    python data/generate_email_triage.py                 # writes data/email_triage.csv
    python data/generate_email_triage.py --seed 6 --rows 1000 --output out.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

DEFAULT_SEED = 6
DEFAULT_ROWS = 1000
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "email_triage.csv"
COLUMNS = ["id", "subject", "body", "text", "label"]
NEAR_DUP_THRESHOLD = 0.8
# Share of each label (collision ~3x billing): the order of this dict is the course's label order.
LABEL_SHARES = {
    "theft": 0.14,
    "collision": 0.26,
    "glass_damage": 0.15,
    "breakdown": 0.19,
    "renewal_quote": 0.17,
    "billing": 0.09,
}
# How often an email also mentions another topic (the confusable pairs).
CROSS_TOPIC_RATE = 0.6
VAGUE_SUBJECT_RATE = 0.8
# How often an email first recounts an earlier, already settled event of another category.
PAST_EVENT_RATE = 0.65
TYPO_RATE = 0.15

# ---------------------------------------------------------------------------------------------------------
# Shared vocabulary
# ---------------------------------------------------------------------------------------------------------
FIRST_NAMES = [
    "James",
    "Priya",
    "Tom",
    "Aisha",
    "Gareth",
    "Megan",
    "Olu",
    "Sinead",
    "Marek",
    "Hannah",
    "Raj",
    "Claire",
    "Dev",
    "Fiona",
    "Kwame",
    "Lucy",
    "Stefan",
    "Zara",
    "Callum",
    "Ines",
    "Patrick",
    "Mei",
    "Rhys",
    "Agnieszka",
    "Liam",
    "Nadia",
    "Owen",
    "Chloe",
    "Ibrahim",
    "Beth",
    "Ewan",
    "Sofia",
]
SURNAMES = [
    "Hughes",
    "Patel",
    "Walsh",
    "Khan",
    "Evans",
    "Morris",
    "Adeyemi",
    "Byrne",
    "Nowak",
    "Price",
    "Sharma",
    "Doyle",
    "Mistry",
    "Campbell",
    "Mensah",
    "Reid",
    "Keller",
    "Ali",
    "Fraser",
    "Costa",
    "Lynch",
    "Chen",
]
VEHICLES = [
    "Ford Focus",
    "Vauxhall Corsa",
    "VW Golf",
    "Toyota Yaris",
    "Nissan Qashqai",
    "Kia Sportage",
    "BMW 3 Series",
    "Audi A3",
    "Skoda Octavia",
    "Honda Civic",
    "Peugeot 208",
    "Renault Clio",
    "Hyundai Tucson",
    "Mini Cooper",
    "Fiat 500",
    "Mercedes A-Class",
    "Tesla Model 3",
    "Volvo XC40",
    "Mazda CX-5",
    "Citroen C3",
    "Dacia Sandero",
    "Seat Ibiza",
    "Land Rover Discovery",
    "Ford Transit van",
    "Toyota Prius",
    "Kia Niro",
]
PLACES = [
    "the M6 near junction 14",
    "Station Road",
    "the Tesco car park in Leeds",
    "our street in Cardiff",
    "the A38 outside Bristol",
    "the retail park in Swindon",
    "a country lane near Hexham",
    "the M25 at Clacton Road",
    "outside my work in Manchester",
    "the hospital car park",
    "the A1(M) northbound",
    "a roundabout in Reading",
    "my driveway in Norwich",
    "the multi-storey in Brighton",
    "Queen Street, Glasgow",
    "the school run in Bath",
    "a petrol station on the A30",
    "the ring road in Coventry",
    "the seafront at Scarborough",
    "Park Lane, Derby",
    "the IKEA car park in Milton Keynes",
    "a side street in Belfast",
    "the M4 near Newport",
    "our village green",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
TIMES = [
    "early this morning",
    "last night",
    "yesterday afternoon",
    "on {day} evening",
    "on {day} morning",
    "around 8am on {day}",
    "at about half five yesterday",
    "on {date}",
    "late on {day}",
    "over the weekend",
    "on my way home on {day}",
    "during the night of {date}",
]
GREETINGS = [
    "Hi,",
    "Hello,",
    "Dear Sir/Madam,",
    "Good morning,",
    "Hi there,",
    "To whom it may concern,",
    "Hello team,",
    "Dear customer services,",
    "Afternoon,",
    "",
    "Hi {agent},",
    "Dear claims team,",
]
AGENTS = ["Sarah", "Mark", "Joanne", "Ahmed", "Kate", "Daniel"]
SIGN_OFFS = [
    "Thanks,\n{name}",
    "Kind regards,\n{name}",
    "Many thanks\n{full}",
    "Regards,\n{full}",
    "Cheers,\n{name}",
    "Best wishes,\n{full}",
    "Thank you,\n{full}\nPolicy {policy}",
    "{name}",
    "Sent from my iPhone",
    "Thanks in advance,\n{full}",
    "Yours faithfully,\n{full}",
    "Speak soon,\n{name}",
]
OPENINGS = [
    "I hope you can help.",
    "I'm writing about my car insurance.",
    "Sorry to bother you.",
    "I tried calling but the wait was over an hour.",
    "My policy number is {policy}.",
    "Quick one, if possible.",
    "I'm not sure who to send this to.",
    "First time I've had to contact you.",
    "Following on from my call earlier.",
    "I need some advice please.",
    "",
    "",
    "",
]
CLOSINGS = [
    "Please let me know what happens next.",
    "Can someone call me back on {phone}?",
    "What do you need from me?",
    "I'd appreciate a quick reply.",
    "Please advise.",
    "Let me know if you need anything else.",
    "Could you email me the next steps?",
    "I'm free after 5pm if a call is easier.",
    "",
    "",
]
VAGUE_SUBJECTS = [
    "Policy {policy}",
    "Query",
    "My car",
    "Help please",
    "Question about my policy",
    "Urgent",
    "Re: your email",
    "Car insurance {policy}",
    "Need advice",
    "Fwd: {policy}",
    "Contact request",
    "Please read",
    "Problem with my {vehicle}",
]

# ---------------------------------------------------------------------------------------------------------
# Per-label pools: subjects, the main event (many paraphrases), details, and the request.
# ---------------------------------------------------------------------------------------------------------
LABELS = {
    "theft": {
        "subjects": [
            "Car stolen",
            "Stolen vehicle - {policy}",
            "Break-in last night",
            "Theft claim",
            "My {vehicle} has been taken",
            "Items taken from my car",
            "Reporting a theft",
            "Catalytic converter nicked",
            "Car missing from driveway",
            "Keyless theft",
        ],
        "events": [
            "my {vehicle} was stolen from {place} {time}",
            "someone took my {vehicle} from {place} {time}",
            "thieves drove off in my {vehicle} {time}",
            "my {vehicle} has gone - it was parked on {place} and it's just not there",
            "I came back to {place} and my {vehicle} had disappeared",
            "someone broke into my {vehicle} {time} and took my laptop and sat nav",
            "the catalytic converter was cut off my {vehicle} {time}",
            "my {vehicle} was nicked off the drive {time}",
            "the car was taken using a relay attack on the keyless entry {time}",
            "burglars got into the house {time}, grabbed the keys and went off with the {vehicle}",
            "my work tools were taken out of the {vehicle} on {place} {time}",
            "the number plates and the wheels were removed from my {vehicle} {time}",
            "I found my {vehicle} empty {time}: bag, phone charger and child seat all gone",
        ],
        "details": [
            "I've reported it to the police and have a crime reference number, {crime}.",
            "The police gave me reference {crime}.",
            "Both sets of keys are still with me.",
            "CCTV from a neighbour shows two men at about 3am.",
            "The tracker stopped reporting just after midnight.",
            "Nothing like this has happened to me before.",
            "The police said they'd been doing a lot of cars on that road.",
            "It was locked and the alarm was set.",
            "I've checked with the council and it wasn't towed.",
        ],
        "requests": [
            "How do I make a claim?",
            "What happens with a courtesy car while it's missing?",
            "Am I covered for the stuff that was inside?",
            "Please start a claim for me.",
            "How long before you pay out if it isn't found?",
        ],
    },
    "collision": {
        "subjects": [
            "Accident claim",
            "Collision on {place_short}",
            "Someone hit my car",
            "Bump yesterday",
            "Crash - {policy}",
            "Third party claim",
            "Reporting an accident",
            "Rear-ended",
            "Car park prang",
            "Damage to my {vehicle}",
        ],
        "events": [
            "another car went into the back of my {vehicle} at {place} {time}",
            "I was involved in an accident on {place} {time}",
            "a van pulled out and hit the side of my {vehicle} {time}",
            "I reversed into a bollard at {place} {time}",
            "someone clipped my wing mirror and bumper on {place} {time} and drove off",
            "I skidded on ice and hit a wall on {place} {time}",
            "a cyclist came off after touching my door on {place} {time}",
            "I was rear-ended at the lights on {place} {time}",
            "we had a head-on shunt with a taxi {time}",
            "my parked {vehicle} was hit by a delivery lorry {time}",
            "I collided with a deer on {place} {time}",
            "the other driver ran a red light and we crashed {time}",
            "I had a low-speed bump with another car at {place} {time}",
        ],
        "details": [
            "Nobody was hurt, thankfully.",
            "We swapped details, the other driver's reg is {reg}.",
            "The bumper is hanging off and the headlight is smashed.",
            "The other driver admitted it was their fault.",
            "There's a big dent in the passenger door.",
            "I have dashcam footage of the whole thing.",
            "The police attended and took statements.",
            "The airbags went off.",
            "The other party is saying it was my fault, which it wasn't.",
            "My neck has been sore since.",
        ],
        "requests": [
            "How do I get the repairs done?",
            "Can you book it into one of your garages?",
            "Do I need to get quotes for the bodywork?",
            "Please open a claim.",
            "Will this affect my no claims bonus?",
        ],
    },
    "glass_damage": {
        "subjects": [
            "Windscreen chip",
            "Cracked windscreen",
            "Glass claim",
            "Windscreen repair - {policy}",
            "Rear window smashed",
            "Stone chip",
            "Side window broken",
            "Sunroof cracked",
            "Windscreen replacement",
            "Crack in the glass",
        ],
        "events": [
            "a stone flew up and chipped my windscreen on {place} {time}",
            "there's a crack right across the windscreen of my {vehicle} since {time}",
            "the small chip in my screen has spread into a long crack",
            "my rear window shattered {time} - I think it was the frost",
            "someone threw something at the car on {place} {time} and the side window is smashed, nothing was taken",
            "hailstones cracked the sunroof of my {vehicle} {time}",
            "a branch came down in the wind and cracked the screen {time}",
            "the quarter light glass on my {vehicle} has cracked {time}",
            "a lorry threw up gravel on {place} {time} and now there are two chips in the screen",
            "kids kicked a football into my parked {vehicle} {time} and broke the back window",
            "the heated windscreen has a crack running up from the wiper",
        ],
        "details": [
            "It's in the driver's line of sight.",
            "The chip is about the size of a 5p coin.",
            "The car has a camera behind the mirror for lane assist.",
            "The crack is about 20cm now.",
            "I've taped some plastic over the window for now.",
            "It needs an MOT next month.",
            "I don't think anything else is damaged.",
            "I'm told it needs recalibrating afterwards.",
        ],
        "requests": [
            "Can you send someone to repair it?",
            "Is it a repair or a replacement, and what's the excess?",
            "Can a mobile technician come to my house?",
            "Please book the screen in.",
            "Does claiming for glass affect my no claims?",
        ],
    },
    "breakdown": {
        "subjects": [
            "Breakdown",
            "Car won't start",
            "Need recovery",
            "Roadside assistance",
            "Broken down - {policy}",
            "Flat battery",
            "Stuck on {place_short}",
            "Engine warning light",
            "Need a tow",
            "Breakdown cover question",
        ],
        "events": [
            "my {vehicle} won't start this morning, it just clicks",
            "I've broken down on {place} {time} and I'm waiting at the side of the road",
            "the engine cut out on {place} {time} and won't restart",
            "the battery is flat again and the car is dead on the drive",
            "the clutch went on {place} {time} and I can't get it into gear",
            "I've got a puncture on {place} and the spare is flat too",
            "the car started smoking and the temperature gauge went into the red {time}",
            "I put petrol in my diesel {vehicle} at {place} {time}",
            "the timing belt snapped on {place} {time}",
            "the car is juddering and a warning light came on, then it lost power {time}",
            "I locked the keys inside the car at {place} {time}",
            "my electric {vehicle} ran out of charge on {place} {time}",
        ],
        "details": [
            "I have two kids in the car with me.",
            "I'm in a safe place off the road.",
            "It's the third time this month.",
            "The garage can't look at it until next week.",
            "I have the roadside and home start add-on on my policy.",
            "The recovery truck last time took three hours.",
            "The car is only two years old.",
            "The AA said they can't help as I'm not a member with them.",
        ],
        "requests": [
            "Can you send a recovery truck?",
            "Please send someone out as soon as possible.",
            "Does my cover include a tow to my own garage?",
            "Can I get a jump start?",
            "How long will a patrol take to reach me?",
        ],
    },
    "renewal_quote": {
        "subjects": [
            "Renewal quote",
            "Renewal price",
            "My renewal - {policy}",
            "Quote for next year",
            "Why has my premium gone up?",
            "Renewal - adding a driver",
            "Change cover at renewal",
            "Renewal invite",
            "Price match",
            "Cover options for next year",
        ],
        "events": [
            "my renewal has come through at {price}, last year it was {price2}",
            "I'd like a quote to renew my policy for the {vehicle} next month",
            "the renewal letter says my premium is going up by {percent}",
            "I've found a cheaper quote on a comparison site and want to know if you can match it at renewal",
            "I'm changing to a {vehicle} when my policy renews and need a new price",
            "I want to add my partner as a named driver from the renewal date",
            "can you quote me for fully comprehensive instead of third party fire and theft next year",
            "my policy ends on {date} and I haven't received a renewal price yet",
            "I'd like to drop the legal cover and the courtesy car when I renew",
            "I've moved house and need the renewal quote updated for my new address",
            "my son passed his test and I'd like a price to add him when the policy rolls over",
        ],
        "details": [
            "I've been with you for {years} years.",
            "I've had no claims in that time.",
            "My mileage has dropped to about 6,000 a year since I work from home.",
            "The car is kept in a garage overnight now.",
            "Nothing else has changed.",
            "I had one small claim last year, which I know will count.",
            "I'd prefer to stay if the price is right.",
            "I'm 38 and have a clean licence.",
        ],
        "requests": [
            "Can you send me a revised quote?",
            "What's the best price you can do?",
            "Please don't auto-renew until I hear back.",
            "Could you break down what the price includes?",
            "Can you email me the quote?",
        ],
    },
    "billing": {
        "subjects": [
            "Payment query",
            "Direct debit",
            "Refund",
            "Double charged",
            "Invoice request",
            "Missed payment - {policy}",
            "Change payment date",
            "Card payment failed",
            "Billing question",
            "Payment problem",
        ],
        "events": [
            "I've been charged twice this month for my policy, {price} on the 1st and again on the 3rd",
            "my direct debit bounced because I changed banks",
            "I'd like to move my monthly payment date from the 1st to the 28th",
            "I cancelled the policy on {date} and haven't had my refund of {price}",
            "I need a copy of the invoice for my premium for my accounts",
            "the payment on my card was declined and I got a letter about arrears",
            "can I pay the rest of the year in one go instead of monthly",
            "the amount taken from my account ({price}) doesn't match my schedule",
            "I'd like to update the bank details for my direct debit",
            "why is there an interest charge on my monthly instalments",
            "the admin fee of {small} for changing my address was taken twice",
        ],
        "details": [
            "My bank reference shows it as COVERWISE INS.",
            "I've attached a screenshot of the statement.",
            "I pay monthly.",
            "I'm a bit short this month so it matters.",
            "My account number ends 4471.",
            "Your website just says 'payment error'.",
            "I've had no email about it.",
        ],
        "requests": [
            "Please refund the extra payment.",
            "Can you confirm the new payment date?",
            "When will the money go back into my account?",
            "Please send the invoice by email.",
            "Can you sort this out so I don't lose my cover?",
        ],
    },
}

# A second topic mentioned on purpose (the label stays that of the main request). Key: (label, other).
CROSS_TOPIC = {
    ("breakdown", "collision"): [
        "I had a minor bump last week which is already being dealt with, but today it's a different problem.",
        "Since the accident last month was repaired, the engine has been making a noise.",
    ],
    ("collision", "breakdown"): [
        "After the crash the car wouldn't start so it needed a tow, but I need the accident claim sorted.",
        "The recovery truck took it to a garage afterwards; I want to claim for the damage.",
    ],
    ("theft", "glass_damage"): [
        "They smashed the side window to get in.",
        "The windscreen was broken when they forced their way in.",
    ],
    ("glass_damage", "theft"): [
        "At first I thought it was an attempted theft, but nothing was stolen.",
        "The police said it looks like vandalism, not a break-in, as nothing was taken.",
    ],
    ("billing", "renewal_quote"): [
        "I'm happy with the renewal price itself, it's the payments I'm asking about.",
        "This is about the renewal premium that was taken from my account.",
    ],
    ("renewal_quote", "billing"): [
        "I pay by direct debit at the moment, and I'm fine with that.",
        "Last year's payments were all fine; I just want to know the new price.",
    ],
    ("collision", "glass_damage"): [
        "The windscreen also cracked in the impact.",
        "Glass on the passenger side is broken too.",
    ],
    ("theft", "billing"): [
        "I've kept paying the monthly premium in the meantime.",
        "My direct debit is still going out.",
    ],
    ("breakdown", "renewal_quote"): [
        "My policy is up for renewal soon but that's not why I'm writing.",
        "I added breakdown cover at my last renewal.",
    ],
    ("glass_damage", "collision"): ["No other car was involved.", "There's no other damage, it wasn't an accident."],
    ("collision", "theft"): [
        "At first I thought someone had tried to steal it, but it was a hit and run.",
        "Nothing was taken, the car was just hit while parked.",
    ],
    ("theft", "collision"): [
        "When the police found it, it had been crashed into a wall.",
        "The thieves hit a parked car when they drove off.",
    ],
    ("billing", "collision"): [
        "I had an accident claim in the spring, which is closed now.",
        "This isn't about my claim, that's been settled.",
    ],
    ("renewal_quote", "collision"): [
        "I had a small accident claim this year, which I know will count.",
        "The bump in March was not my fault, so I hope it won't count.",
    ],
    ("renewal_quote", "theft"): [
        "My last car was stolen so I've added a tracker to this one.",
        "Thefts are common round here but the car is kept in a locked garage.",
    ],
    ("breakdown", "glass_damage"): [
        "The windscreen chip from last month is fine, this is about the engine.",
        "I'm not calling about the glass claim, that's done.",
    ],
    ("billing", "breakdown"): [
        "I added breakdown cover mid-year, and since then the amount taken is wrong.",
        "The roadside cover add-on seems to be charged twice.",
    ],
}
# Sentences any team receives, so details and requests are no shortcut to the label.
SHARED_DETAILS = [
    "I've been with you for {years} years.",
    "I've attached some photos.",
    "This is really stressful.",
    "My policy number is {policy}.",
    "I need the car for work.",
    "I'm not sure if I'm covered for this.",
    "My husband usually deals with this.",
    "I called on {day} but was cut off.",
    "I've read the policy booklet and it isn't clear.",
    "The car is on finance.",
]
CLAIM_REQUESTS = [
    "Please open a claim.",
    "What's my excess?",
    "Will this affect my no claims bonus?",
    "What happens next?",
    "Can you call me?",
    "Do I need to fill in a form?",
]
ACCOUNT_REQUESTS = [
    "Can you look into this?",
    "Please reply by email.",
    "Can you call me?",
    "What are my options?",
    "Can you confirm in writing?",
]
SHARED_REQUESTS = {
    "theft": CLAIM_REQUESTS,
    "collision": CLAIM_REQUESTS,
    "glass_damage": CLAIM_REQUESTS,
    "breakdown": CLAIM_REQUESTS[3:] + ["How quickly can you help?"],
    "renewal_quote": ACCOUNT_REQUESTS,
    "billing": ACCOUNT_REQUESTS,
}
# Oblique wording: many rare paraphrases of each main event, so no single word gives the label away.
# A bag-of-words model sees each phrase a few times; a pretrained model knows "pinched" is "stolen".
OBLIQUE = {
    "theft": (
        ["my {vehicle}", "the car", "my motor", "our family car", "the van", "my husband's car"],
        [
            "was pinched from {place}",
            "got swiped from outside the house",
            "vanished overnight from {place}",
            "was driven away by someone who isn't me",
            "is gone and the police have been told",
            "was hot-wired and taken",
            "was lifted off the drive",
            "got half-inched {time}",
            "was robbed of everything inside",
            "is no longer where I parked it",
            "was taken by joyriders",
            "was cloned and driven off",
            "was emptied by someone who got in {time}",
        ],
    ),
    "collision": (
        ["my {vehicle}", "the car", "my motor", "our family car", "the van", "my husband's car"],
        [
            "got shunted {time}",
            "was written off in a smash",
            "ended up in a ditch after another driver swerved",
            "was side-swiped at {place}",
            "took a knock from a bus",
            "came off worse against a tractor",
            "was T-boned at a junction",
            "folded its bonnet against a lamp post",
            "got pranged at {place}",
            "met another car head-on, slowly thankfully",
            "was hit by someone who didn't stop",
            "had a coming-together with a lorry {time}",
            "bounced off the barrier at {place}",
        ],
    ),
    "glass_damage": (
        ["my {vehicle}", "the car", "my motor", "our family car", "the van", "my husband's car"],
        [
            "has a star-shaped mark in the screen",
            "now has a line spreading across the front glass",
            "has a shattered quarter light",
            "has a pane that fell out in pieces",
            "has a split running across the glass in front of me",
            "got its back glass crazed by frost",
            "has a ding in the screen from a pebble",
            "has a spiderweb in the rear glass",
            "has its screen pitted by grit",
            "has a window that burst in the heat",
            "has a fracture in the tailgate glass",
            "took a pebble to the front glass on {place}",
        ],
    ),
    "breakdown": (
        ["my {vehicle}", "the car", "my motor", "our family car", "the van", "my husband's car"],
        [
            "died at the lights {time}",
            "conked out on {place}",
            "coughed and stalled and won't go again",
            "is stranded at {place} with no power",
            "is dead, nothing happens when I turn the key",
            "limped onto the hard shoulder",
            "overheated and packed up",
            "is immobile at {place}",
            "has a gearbox that has given up",
            "is sat on {place} refusing to budge",
            "gave up the ghost {time}",
            "is stuck with a wheel that came loose",
        ],
    ),
    "renewal_quote": (
        ["my cover", "the policy", "our insurance", "my premium", "the cover on the {vehicle}"],
        [
            "looks much dearer for next year",
            "rolls over soon and I'd like fresh figures",
            "seems overpriced for the coming twelve months",
            "needs re-pricing with a new driver",
            "expires on {date} and I want options",
            "comes up soon and I'm shopping around",
            "should be cheaper next year since I drive less",
            "needs to reflect my new address from next term",
            "is due again and I'd like it cheaper",
            "goes up again next year, which seems a lot",
        ],
    ),
    "billing": (
        ["my bank", "my statement", "my account", "the app", "my card provider"],
        [
            "shows two debits from you this month",
            "shows money taken that I didn't agree to",
            "says your collection failed",
            "shows a fee I don't understand",
            "still has no credit from you since I cancelled",
            "shows the wrong amount going out",
            "says an instalment is overdue",
            "shows you took {price} on the wrong date",
            "lists an arrears charge",
            "needs your payment details changed",
        ],
    ),
}
OBLIQUE_RATE = 0.75
TYPOS = {
    "the": "teh",
    "because": "becuase",
    "received": "recieved",
    "windscreen": "windsreen",
    "policy": "polciy",
    "accident": "accdent",
    "stolen": "stollen",
    "payment": "paymnet",
    "recovery": "recovrey",
}


def fill(template: str, rng: random.Random, ctx: dict) -> str:
    """Replace ``{slot}`` placeholders with values from ``ctx``, drawing times and dates on the fly."""

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key == "time":
            return fill(rng.choice(TIMES), rng, ctx)
        return ctx[key]

    return re.sub(r"\{(\w+)\}", value, template)


def random_context(rng: random.Random) -> dict:
    """The facts of one email: who, which car, where, when, numbers."""
    name, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    price = rng.randint(280, 1450)
    place = rng.choice(PLACES)
    return {
        "name": name,
        "full": f"{name} {surname}",
        "agent": rng.choice(AGENTS),
        "vehicle": rng.choice(VEHICLES),
        "place": place,
        "place_short": place.replace("the ", "").split(" near ")[0].split(",")[0],
        "day": rng.choice(DAYS),
        "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}",
        "policy": f"{rng.choice(['MTR', 'CW', 'PX'])}-{rng.randint(100000, 999999)}",
        "crime": f"{rng.choice(['CR', 'WMP', 'MPS'])}/{rng.randint(10000, 99999)}/{rng.randint(22, 26)}",
        "reg": f"{rng.choice('ABCDEFGHKLMNOPRSVWY')}{rng.choice('ABCDEFGHKLMNOPRSVWY')}{rng.randint(10, 74)} "
        f"{''.join(rng.choice('ABCDEFGHJKLMNOPRSTUVWXYZ') for _ in range(3))}",
        "phone": f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        "price": f"£{price}",
        "price2": f"£{int(price * rng.uniform(0.55, 0.85))}",
        "small": f"£{rng.choice([15, 20, 25, 30, 35])}",
        "percent": f"{rng.randint(12, 60)}%",
        "years": str(rng.randint(2, 11)),
    }


def capitalise(sentence: str) -> str:
    """Upper-case the first letter and end with a full stop unless punctuation is already there."""
    sentence = sentence[0].upper() + sentence[1:]
    return sentence if sentence[-1] in ".?!" else sentence + "."


def add_typo(text: str, rng: random.Random) -> str:
    """Misspell one common word, as hurried customers do."""
    candidates = [w for w in TYPOS if re.search(rf"\b{w}\b", text)]
    if not candidates:
        return text
    word = rng.choice(candidates)
    return re.sub(rf"\b{word}\b", TYPOS[word], text, count=1)


def past_event(label: str, rng: random.Random, ctx: dict) -> str:
    """An earlier event of another category, marked as settled, so its cue words appear under this label."""
    other = rng.choice([name for name in LABELS if name != label])
    intro = rng.choice(["Back in {month}, ", "Last year ", "A while ago ", "Previously ", "In {month} "])
    outro = rng.choice(
        [
            "That was all sorted, thank you.",
            "That's been dealt with.",
            "You were great with that.",
            "That claim is closed.",
            "That's not why I'm writing though.",
            "That's all settled now.",
        ]
    )
    if rng.random() < OBLIQUE_RATE:
        subjects, predicates = OBLIQUE[other]
        text = f"{rng.choice(subjects)} {rng.choice(predicates)}"
    else:
        text = rng.choice(LABELS[other]["events"])
    text = text.replace("{time}", "").replace("  ", " ")
    return (
        capitalise(fill(intro, rng, {**ctx, "month": rng.choice(MONTHS)}) + fill(text, rng, ctx)).replace(" .", ".")
        + " "
        + outro
        + " Now"
    )


def make_email(label: str, rng: random.Random) -> tuple[str, str]:
    """One email of ``label``: (subject, body)."""
    pool, ctx = LABELS[label], random_context(rng)
    subject_pool = VAGUE_SUBJECTS if rng.random() < VAGUE_SUBJECT_RATE else pool["subjects"]
    subject = fill(rng.choice(subject_pool), rng, ctx)
    lead = rng.choice(["", "", "Just to let you know, ", "Unfortunately ", "I'm afraid ", "So, ", "Basically "])
    if rng.random() < OBLIQUE_RATE:
        subjects, predicates = OBLIQUE[label]
        event_text = f"{rng.choice(subjects)} {rng.choice(predicates)}"
    else:
        event_text = rng.choice(pool["events"])
    event = capitalise(lead + fill(event_text, rng, ctx))
    detail_pool = pool["details"] if rng.random() < 0.15 else SHARED_DETAILS
    details = [fill(d, rng, ctx) for d in rng.sample(detail_pool, rng.choice([0, 1, 1, 2]))]
    others = [other for (main, other) in CROSS_TOPIC if main == label]
    if others and rng.random() < CROSS_TOPIC_RATE:
        details.insert(rng.randrange(len(details) + 1), rng.choice(CROSS_TOPIC[(label, rng.choice(others))]))
    request_pool = pool["requests"] if rng.random() < 0.2 else SHARED_REQUESTS[label]
    request = rng.choice(request_pool) if rng.random() < 0.8 else ""
    if rng.random() < PAST_EVENT_RATE:
        event = past_event(label, rng, ctx) + " " + (event if event.startswith("I") else event[0].lower() + event[1:])
    parts = [fill(rng.choice(OPENINGS), rng, ctx), event, *details, request, fill(rng.choice(CLOSINGS), rng, ctx)]
    paragraph = " ".join(p for p in parts if p)
    if rng.random() < TYPO_RATE:
        paragraph = add_typo(paragraph, rng)
    greeting = fill(rng.choice(GREETINGS), rng, ctx)
    body = "\n\n".join(p for p in [greeting, paragraph, fill(rng.choice(SIGN_OFFS), rng, ctx)] if p)
    return subject, body


def word_set(text: str) -> frozenset[str]:
    """Lower-cased words, for the near-duplicate check."""
    return frozenset(re.findall(r"[a-z0-9£']+", text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Word-Jaccard similarity of two word sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def label_counts(rows: int) -> dict[str, int]:
    """How many emails of each label: ``LABEL_SHARES`` of ``rows``, remainder to the largest class."""
    counts = {label: int(share * rows) for label, share in LABEL_SHARES.items()}
    counts["collision"] += rows - sum(counts.values())
    return counts


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> list[dict]:
    """All emails, shuffled, each below ``NEAR_DUP_THRESHOLD`` word-Jaccard to every other one."""
    rng = random.Random(seed)
    plan = [label for label, n in label_counts(rows).items() for _ in range(n)]
    rng.shuffle(plan)
    emails, sets = [], []
    for label in plan:
        while True:
            subject, body = make_email(label, rng)
            words = word_set(subject + " " + body)
            if all(jaccard(words, other) < NEAR_DUP_THRESHOLD for other in sets):
                break
        sets.append(words)
        emails.append(
            {
                "id": f"e{len(emails) + 1:04d}",
                "subject": subject,
                "body": body,
                "text": f"{subject}\n\n{body}",
                "label": label,
            }
        )
    return emails


def write_csv(emails: list[dict], path: Path) -> None:
    """Write the rows with a fixed column order and Unix line endings (byte-for-byte reproducible)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(emails)


def main() -> None:
    """Parse the command line and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    emails = generate(args.rows, args.seed)
    write_csv(emails, args.output)
    counts = label_counts(args.rows)
    print(f"wrote {len(emails)} emails to {args.output}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
