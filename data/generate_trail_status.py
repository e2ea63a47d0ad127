"""Generate ``trail_status.csv``: synthetic trail-status posts for two MTB trails.

The file imitates the social-media feed of a volunteer mountain-bike trail
association that manages two real trail systems in Georgia, USA: Blankets
Creek and Rope Mill. Every row is one post plus two labels saying whether
each trail is open (1) or closed (0) *for riding today*:

    status,Blankets_Creek,Rope_Mill

Why synthetic and why like this: the original course file had 80 rows and was
easy for a bag-of-words model. This generator builds ~900 posts
compositionally (openers, per-trail clauses, reasons, conditions, loop names,
times, dates, calls to action, sign-offs, hashtags, emojis, typos) across
several post families (both open, both closed, one open and one closed,
loop closures, reversals, future tense, events, hedged and sarcastic posts).
Trail names are written many ways and both trails appear in most posts, and
"open"/"closed" appear under both labels, so a model has to read which trail
each status word belongs to. TF-IDF + logistic regression lands well below
a model that reads the sentence.

Labelling rules (also in data/README.md):
  * 1 = riders may ride at least the trail's main loops today; a single loop,
    feature, parking-lot or restroom closure leaves the trail at 1.
  * 0 = the whole trail is closed today or "until further notice".
  * The latest status the post announces for today wins ("closed this
    morning, now open" = 1; "open earlier, closing again" = 0).
  * Opening later today ("opens at noon") = 1; reopening tomorrow or later,
    or "next check at 10am" with no opening announced = 0.
  * "Open, use your judgement" = 1; asking riders to stay off, including
    sarcastically ("sure, go ride in the mud..."), = 0.
  * A post that names no trail ("trails are open") applies to both.

The output is deterministic: the same ``--seed`` and ``--rows`` reproduce the
file byte for byte. Only the Python standard library is used.

Usage:
    python data/generate_trail_status.py            # writes data/trail_status.csv
    python data/generate_trail_status.py --seed 13 --rows 900 --output out.csv
"""

import argparse
import csv
import random
import re
from pathlib import Path

DEFAULT_SEED = 13
DEFAULT_ROWS = 900
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "trail_status.csv"
COLUMNS = ["status", "Blankets_Creek", "Rope_Mill"]
NEAR_DUP_THRESHOLD = 0.8
BC, RM = "bc", "rm"

# ---------------------------------------------------------------------------
# Vocabulary. Weighted lists are (text, weight) pairs; plain lists are uniform.
# ---------------------------------------------------------------------------

# Names are written many ways so no single spelling becomes a shortcut.
TRAIL_NAMES = {
    BC: [
        ("Blankets Creek", 30),
        ("Blankets", 30),
        ("BC", 12),
        ("#blanketscreek", 6),
        ("blankets", 4),
        ("Blanket's", 3),
        ("Blankets Ck", 3),
        ("Blanket Creek", 3),
        ("BLANKETS", 2),
    ],
    RM: [
        ("Rope Mill", 40),
        ("RM", 12),
        ("Rope Mill Park", 10),
        ("#ropemill", 6),
        ("ropemill", 4),
        ("Olde Rope Mill", 4),
        ("Rope Mill Pk", 2),
        ("ROPE MILL", 2),
    ],
}

# Loop and feature names give posts local colour; they appear under both
# labels, so they carry no label signal by themselves.
LOOPS = {
    BC: [
        "Dwelling Loop",
        "the Dwelling loop",
        "South Loop",
        "Quehl Holler",
        "Van Michael",
        "Mosquito Flats",
        "Hawk's Ridge",
        "the Van Michael trail",
        "the beginner loop",
    ],
    RM: [
        "Avalanche",
        "the Avalanche loop",
        "Explorer Loop 1",
        "Explorer Loop 3",
        "the Explorer loops",
        "the north side loop",
        "the upper loop",
    ],
}
FEATURES = {
    BC: [
        "the creek crossing",
        "the low section by the creek",
        "the bridge on Dwelling",
        "the bottom of South Loop",
        "the boardwalks",
    ],
    RM: [
        "the river bottoms",
        "the low loop by Little River",
        "the bridge over the river",
        "the lower Explorer loop",
        "the boardwalks",
    ],
}

GRAMMAR = {
    # --- times and dates -----------------------------------------------------
    "early_time": [
        "6:45",
        "7:00",
        "7:15",
        "7:30am",
        "7:45 am",
        "8am",
        "8:10",
        "6:30am",
        "first light",
        "8:30",
        "9:05",
    ],
    "late_time": ["10:30", "11:15", "11:40am", "noon", "12:20", "1pm", "1:30 pm", "10am", "2:15"],
    "later_time": ["noon", "1pm", "11am", "2 pm", "12:30", "1:15", "10:30"],
    "dow": ["Mon", "Tues", "Wed", "Thu", "Fri", "Sat", "Sun", "Saturday", "Sunday", "Monday", "Friday"],
    "md": [
        "11/14",
        "3/2",
        "10/7",
        "1/19",
        "12/3",
        "2/22",
        "4/9",
        "9/28",
        "1/6",
        "12/27",
        "2/11",
        "11/30",
        "3/15",
        "5/4",
    ],
    "date": ["{dow} {md}", "{md}", "{dow} {md}", "{dow}"],
    "day": ["tomorrow", "Saturday", "Sunday", "Monday", "this weekend", "{dow} {md}", "on {dow}"],
    "cold_temp": ["28°F", "31 degrees", "34°", "29F", "30°", "26 degrees"],
    "warm_temp": ["62F", "71 degrees", "58°F", "65°", "55°", "74 degrees"],
    "rain_amt": ["an inch", "1.5 inches", "2 inches", "half an inch", "3/4 inch", 'almost 2"'],
    # --- why things are closed ----------------------------------------------
    "reason_clause": [
        "due to rain",
        "after {rain_amt} of rain overnight",
        "because of last night's rain",
        "because the soil is saturated",
        "with standing water on the low sections",
        "since it's still wet from yesterday's storms",
        "because the ground is frozen and will thaw and be soft by noon",
        "due to freeze/thaw",
        "due to ice on the bridges",
        "due to lightning in the area",
        "with storms rolling in",
        "due to high winds",
        "due to downed trees",
        "after the storm dropped several trees",
        "because {feature} is flooded",
        "due to flooding at {feature}",
        "for wet conditions",
        "(too wet)",
        "(saturated)",
        "(trees down)",
        "(frozen, thawing by noon)",
        "",
    ],
    "reason_sentence": [
        "It rained {rain_amt} overnight and the soil is saturated.",
        "Ground is frozen right now and will thaw and be soft by noon.",
        "Freeze/thaw is the worst thing for our dirt.",
        "Lightning in the area and more storms on radar.",
        "Crews found multiple trees down after last night's wind.",
        "Standing water everywhere on the low sections.",
        "{cold_temp} at the trailhead and ice on the bridges.",
        "The creek is over the crossing after {rain_amt} of rain.",
        "Little River is out of its banks.",
        "Still saturated from the weekend storms.",
        "Wet trails rut fast and take weeks to fix.",
        # Nice-weather words under a closure: real feeds explain this a lot.
        "We know it's sunny and {warm_temp}, but the low sections are still saturated.",
        "It looks dry at the lot, but it's soup in the woods.",
        "Give it a day and it'll be hero dirt.",
        "Tacky dirt is coming, just not today.",
        "Sunny skies don't mean dry trails.",
    ],
    "park_reason": [
        "a city event",
        "storm cleanup",
        "a power outage",
        "a water main repair",
        "the holiday",
        "a county inspection",
    ],
    "race": ["XC race", "enduro race", "high school race", "state series race", "kids race", "fundraiser race"],
    # --- why things are open -------------------------------------------------
    "cond_short": [
        "tacky",
        "riding fast",
        "in hero dirt shape",
        "dry and fast",
        "a little dusty",
        "perfectly tacky",
        "grippy",
        "in great shape",
        "buffed out",
        "running well",
    ],
    "cond_sentence": [
        "Dirt is tacky.",
        "Hero dirt out there!",
        "Dry and fast.",
        "Conditions are perfect.",
        "Leaves are down, watch the corners.",
        "A little dusty in the turns.",
        "The rain missed us overnight.",
        "Trails drained well after yesterday's shower.",
        "It's {warm_temp} and sunny.",
        "Tacky dirt and cool air.",
        "Ground is dry even after the sprinkle.",
        "Hero dirt, get it while it lasts.",
        # Bad-weather words under an opening, for the same reason.
        "The rain missed us, the soil isn't saturated.",
        "Storms held off overnight.",
        "Ice melted off the bridges early.",
        "The downed trees from last night are cleared.",
        "Creek is back below the crossing.",
        "Frost is gone and the ground never froze deep.",
    ],
    "hazard": [
        "leaves hide some roots",
        "watch for the new reroute",
        "a tree is down on {loop}",
        "there's a puddle at {feature}",
        "roots are slick",
    ],
    "work": [
        "maintenance",
        "a reroute",
        "bridge repair",
        "trail work",
        "rock armoring",
        "drainage work",
        "tree removal",
        "a rebuild",
        "storm repairs",
    ],
    "event_lot": ["a city event", "repaving", "the race", "a festival"],
    "event_open": [
        "Thursday night group ride",
        "ladies ride",
        "kids clinic",
        "trail work day",
        "beginner skills session",
    ],
    # --- framing -------------------------------------------------------------
    "url": [
        "https://example.org/trail-status",
        "https://example.org/status",
        "example.org/trails",
        "https://example.org/volunteer",
        "example.org/events",
    ],
    "handle": ["@cityparksdept", "@trailcrew_lead", "@localbikeshop", "@gamtbcrew", "@woodstockriders"],
}

OPENERS_ANY = [
    "UPDATE:",
    "Update {late_time}:",
    "Trail status {date}:",
    "{date}:",
    "Good morning!",
    "Morning all,",
    "As of {early_time},",
    "Heads up:",
    "Quick update:",
    "Trail report:",
    "Weekend update:",
    "Hey riders,",
    "Status check at {early_time}:",
    "Happy {dow}!",
    "{handle}",
    "Status {date} -",
    "🚨 STATUS UPDATE 🚨",
    "Morning check done.",
]
OPENERS_OPEN = ["Good news:", "Great news!", "🎉", "Yes!"]
OPENERS_CLOSED = ["Bad news:", "Sorry folks,", "Ugh.", "Not today, friends."]

CTA_OPEN = [
    "Enjoy!",
    "Go ride!",
    "Have fun out there.",
    "Ride safe.",
    "Get out there!",
    "Enjoy the hero dirt.",
    "Be nice to hikers.",
    "Share the trail.",
    "Yield to climbers.",
    "See you on the trail!",
    "Bring lights, it gets dark early.",
    "Tag {handle} with your ride photos.",
]
CTA_CLOSED = [
    "Thanks for staying off.",
    "Thanks for your patience.",
    "Riding wet trails leaves ruts that take weeks to fix.",
    "Check back tomorrow.",
    "Save it for another day.",
    "Good day for a road ride.",
    "Respect the closure, please.",
    "We'll post when that changes.",
]
CTA_PARTIAL = [
    "Head to {o} instead.",
    "Plan accordingly.",
    "Ride {o}, give {c} a rest.",
    "Plenty of miles at {o} today.",
    "Tag {handle} in your {o} ride photos.",
]
CTA_NEUTRAL = [
    "Check the status page before you head out: {url}",
    "Follow for updates.",
    "Status page: {url}",
    "Questions? DM us.",
    "Please share.",
    "We update this every morning.",
    "More info: {url}",
    "Thanks to our volunteers!",
]
SIGNOFFS = [
    "- Trail crew",
    "-TC",
    "~ the trail team",
    "See you out there.",
    "Cheers!",
    "Ride on.",
    "- the volunteers",
    "Thanks, trail status team",
]
HASHTAGS = [
    "#mtb",
    "#trailstatus",
    "#georgiamtb",
    "#woodstockga",
    "#cantonga",
    "#singletrack",
    "#ridedry",
    "#protectyourtrails",
    "#mtblife",
    "#blanketscreek",
    "#ropemill",
    "#trailwork",
]
NEUTRAL_EMOJI = ["🌲", "🚵", "🚴", "🙏", "👍", "☕", "🍂", "🌞", "🤘"]
OPEN_EMOJI = ["✅", "🙌", "🎉", "🟢", "😎"]
CLOSED_EMOJI = ["🚫", "🌧️", "❄️", "⛈️", "💦", "😞", "🔴", "❌"]
DETAILS = [
    "New signs are up on {loop}.",
    "Thanks to the crew who cleared {loop} yesterday.",
    "Reminder: direction on {loop} switches on Monday.",
    "Watch for hikers on {loop}.",
    "{feature} got new rock armoring last week.",
    "Parking fills up early on weekends.",
    "Please carry out your trash.",
    "Dogs on leash, please.",
    "Thanks to everyone who came to the work day.",
    "Lost and found: a pair of gloves at the kiosk.",
    "Work day sign-up: {url}",
    "The new reroute on {loop} is settling in nicely.",
    "Membership renewals help pay for the tools.",
    "Thanks {handle} for lending the chainsaw.",
    "Shout-out to {handle} for the work day snacks.",
    "Hat tip to {handle} for the report from {loop}.",
    "{handle} has demo bikes at the lot this weekend.",
]

# Per-trail clauses by mode. {n} is the trail's name in this post.
OPEN_CLAUSES = {
    "plain": [
        "{n} is open",
        "{n} is open for riding",
        "{n} is OPEN",
        "{n} is good to go",
        "{n} is open and {cond_short}",
        "{n} is rideable today",
        "{n} is a go",
        "you can ride {n} today",
        "{n} is open, {cond_short}",
        "{n} is open today",
        "{n} got the green light",
        "we have {n} open",
        "{n} = open",
        "{n} is {cond_short} and open",
        "{n} is open all day",
    ],
    "negation": [
        "{n} is no longer closed",
        "{n} is not closed",
        "{n} isn't closed",
        "we did not close {n}",
        "{n} will not be closed today",
        "there's no closure at {n} today",
        "{n} is not closed despite the forecast",
        "no need to close {n}",
        "{n} is not closing today",
        "we are not closing {n}",
        "the closure at {n} has been lifted",
        "we almost closed {n} but it held up, it's open",
        "ignore the CLOSED sign at the {n} kiosk, it's old - the trail is open",
    ],
    "reversal": [
        "{n} was closed this morning but is now open",
        "{n} was closed at {early_time} but has dried out and is open",
        "we've reopened {n}",
        "{n} is back open",
        "{n} is open again",
        "{n} reopened at {late_time}",
        "after the {late_time} check, {n} is now open",
        "{n} was closed earlier, it's open now",
        "{n} closed overnight, reopened as of {late_time}",
    ],
    "later": [
        "{n} opens at {later_time} today",
        "{n} will open at {later_time} once it dries",
        "{n} will open later today, around {later_time}",
        "we'll open {n} at {later_time} today",
        "{n} is closed until {later_time}, then open for the rest of the day",
    ],
    "loop": [
        "{loop} at {n} is closed for {work}, the rest of {n} is open",
        "{n} is open except {loop}, which is closed for {work}",
        "{n} is open; {loop} is closed for {work}",
        "{loop} is closed ({work}) but every other loop at {n} is open",
        "{n} is open, just skip {loop} - closed for {work}",
        "the only closure at {n} is {loop} ({work}), everything else is open",
    ],
    "facility": [
        "the {n} lot is closed but the trail is open",
        "{n} restrooms are closed for repairs, trail is open",
        "{n} is open; the main lot is closed for {event_lot}, use the overflow lot",
        "power is out at the {n} trailhead so the restrooms are closed, but the trail is open",
        "the {n} parking lot is closed for {event_lot}, the trail is not",
        "the gate at {n} is closed, walk in from the road; trail is open",
    ],
    "event": [
        "{n} stays open during today's work day, watch for volunteers with tools",
        "group ride at {n} tonight at 6, trail is open to everyone",
        "{n} is open and the {event_open} is still on",
        "volunteer day at {n} this morning; the trail remains open, yield to the crew",
        "{n} is open, race course tape is up but you can ride it",
    ],
    "hedged": [
        "{n} is open but there are wet spots, use your judgement",
        "we are not closing {n}, but it's soft in places - use your best judgement",
        "{n} is open; a few puddles, ride through them not around",
        "{n} is open, a bit greasy on the roots, your call",
        "{n} is open, proceed with caution, {hazard}",
    ],
}
CLOSED_CLAUSES = {
    "plain": [
        "{n} is closed",
        "{n} is CLOSED",
        "{n} is closed today",
        "{n} is closed {reason_clause}",
        "no riding at {n} today",
        "{n} remains closed",
        "{n} is closed until further notice",
        "stay off {n} today",
        "{n} is a no-go today",
        "{n} = closed",
        "{n} is closed to bikes and hikers",
        "we have closed {n}",
        "{n} is shut {reason_clause}",
        "{n} closed {reason_clause}",
    ],
    "negation": [
        "{n} is not open",
        "{n} isn't open yet",
        "{n} will not open today",
        "we won't be opening {n} today",
        "{n} is no longer open",
        "{n} is not open today",
        "{n} is not rideable",
        "{n} won't open today {reason_clause}",
        "{n} is not open for riding",
        "{n} won't be open today",
        "don't expect {n} to open today",
        "we hoped to open {n} but it's still too wet",
        "{n}: not opening today",
    ],
    "reversal": [
        "{n} opened this morning but we are closing it again {reason_clause}",
        "{n} was open at {early_time}, now closed {reason_clause}",
        "update: {n} is closing again",
        "{n} is still closed",
        "{n} is still not open",
        "{n} was open earlier, we just closed it {reason_clause}",
        "{n} has been closed again",
        "we had to close {n} again",
    ],
    "future": [
        "{n} will reopen tomorrow",
        "{n} should reopen {day} if it stays dry",
        "{n} will open tomorrow morning, not today",
        "{n} is closed today, we'll check it again tomorrow",
        "{n} hopefully opens {day}",
        "{n} stays closed, reopening expected {day}",
        "{n} is closed for now, next check at {later_time}",
    ],
    "facility": [
        "{n} is closed - the city closed the park today",
        "{n} is closed, the gate is locked because of a power outage",
        "power outage at {n}: the park and trail are closed",
        "{n} is closed because the park is closed for {park_reason}",
        "the {n} lot is open but the trail is closed",
        "{n} restrooms are open, the trail is not",
        "{n} is open for hiking only, closed to bikes",
    ],
    "event": [
        "{n} is closed all day for the {race}",
        "{n} is closed to public riding for the {race}",
        "no public riding at {n} today, the {race} is on",
        "{n} is closed today for the {race}, good luck racers",
    ],
    "hedged": [
        "please stay off {n} today",
        "we'd ask everyone to skip {n} today",
        "please don't ride {n}, it's too soft",
        "do not ride {n}, it will rut",
        "{n} needs another day, please give it a rest",
    ],
    "sarcasm": [
        "sure, go ride {n} in the mud and destroy the trail we just fixed 🙄",
        "{n}? Absolutely, if you enjoy carrying your bike through peanut butter 🙄",
        "nothing says thank you to the volunteers like fresh ruts at {n} 🙄",
        "great day to ride {n}... said nobody who has seen the mud 🙄",
    ],
}
OPEN_MODE_WEIGHTS = {
    "plain": 22,
    "negation": 14,
    "reversal": 12,
    "later": 7,
    "loop": 12,
    "facility": 8,
    "event": 6,
    "hedged": 8,
}
CLOSED_MODE_WEIGHTS = {
    "plain": 22,
    "negation": 16,
    "reversal": 14,
    "future": 14,
    "facility": 5,
    "event": 6,
    "hedged": 8,
    "sarcasm": 5,
}

# Clauses about both trails at once. {bc}/{rm} are names, {x}/{loop} one trail.
JOINT_OPEN = {
    "plain": [
        "All trails are open",
        "Both trails are open",
        "Trails are OPEN",
        "Everything is open today",
        "Both {bc} and {rm} are open",
        "{bc} and {rm} are open",
        "{rm} and {bc} are both open",
        "All trails open",
        "We're open at both trails",
        "No closures today",
        "Trails are open, enjoy",
        "Green light at both trails",
        "Both parks are open for riding",
        "Trails are open and {cond_short}",
    ],
    "negation": [
        "Trails are no longer closed",
        "Nothing is closed today",
        "The trails are not closed",
        "Not closed! Both trails are rideable",
        "Neither trail is closed",
        "We are not closing the trails today",
        "Closure lifted at both trails",
        "Ignore the CLOSED sign at the kiosk, the trails are open",
    ],
    "reversal": [
        "We closed the trails this morning but they are open now",
        "Trails were closed at {early_time}; both have dried out and reopened",
        "Both trails reopened as of {late_time}",
        "Trails are back open",
        "Closed this morning, open now",
    ],
    "later": [
        "Both trails open at {later_time} today",
        "Trails open at {later_time} today, once the crew finishes clearing trees",
        "We'll open both trails at {later_time} today",
    ],
    "loop": [
        "Both trails are open; {loop} at {x} is closed for {work}",
        "All trails open except {loop} at {x} ({work})",
        "Everything is open but {loop}, which is closed for {work}",
    ],
    "facility": [
        "Trails are open, but the {x} lot is closed for {event_lot}",
        "Restrooms are closed at both trailheads, the trails are open",
        "The lots are closed for {event_lot} but the trails are open - park at the church",
    ],
    "hedged": [
        "Trails are open but wet in spots, use your judgement",
        "Not closing today, it's soft in places - your call",
        "Trails are open. Some puddles, please ride through them",
        "Open, but use good judgement on the low sections",
    ],
}
JOINT_CLOSED = {
    "plain": [
        "All trails are closed",
        "Both trails are closed",
        "Trails are CLOSED today",
        "Everything is closed",
        "No riding today",
        "{bc} and {rm} are both closed",
        "Both {rm} and {bc} closed today",
        "Closing both trails today",
        "Trails closed",
        "All trails closed until further notice",
        "Trails are closed {reason_clause}",
        "Both trails closed {reason_clause}",
    ],
    "negation": [
        "Trails are not open today",
        "Neither trail is open",
        "We won't open the trails today",
        "No open trails today",
        "Trails are no longer open",
        "Not opening today",
        "We hoped to open today but the trails are still too wet",
        "Trails won't be open today",
        "The parking lots are open, the trails are not",
    ],
    "reversal": [
        "We opened the trails this morning but we're closing them again {reason_clause}",
        "Update: closing again. Both trails are closed",
        "Trails are still closed",
        "Still closed at both trails",
        "Trails were open at {early_time}, now closed",
    ],
    "future": [
        "Trails will reopen tomorrow if it stays dry",
        "Trails are closed today; we'll reopen tomorrow",
        "Both trails closed, hoping to open {day}",
        "Closed today, next check tomorrow at 8",
        "Trails closed for now, we'll look again at {later_time}",
    ],
    "facility": [
        "The county has closed the park today, so trails are closed",
        "Power outage at the lots, gates are locked, trails closed",
        "Both parks are closed for {park_reason}, so no riding",
    ],
    "hedged": [
        "Please stay off the trails today",
        "Give the trails a rest today, please",
        "Sure, go ride in the mud and destroy the trail we just fixed 🙄",
        "Nothing says thanks to our volunteers like fresh ruts 🙄 Stay off",
        "Please don't ride today, the dirt needs time",
    ],
}
# Plain "trails are open/closed" is kept below half so that status words
# appear under both labels often enough to defeat keyword matching.
JOINT_OPEN_WEIGHTS = {
    "plain": 28,
    "negation": 16,
    "reversal": 14,
    "later": 8,
    "loop": 14,
    "facility": 10,
    "hedged": 12,
}
JOINT_CLOSED_WEIGHTS = {"plain": 28, "negation": 18, "reversal": 16, "future": 20, "facility": 6, "hedged": 12}

# Posts with one open and one closed trail, phrased as an exception.
EXCEPT_TEMPLATES = [
    "All trails are open except {c}",
    "Everything is open except {c} ({reason_clause})",
    "Everything is closed except {o}",
    "Only {o} is open today",
    "{o} is the only trail open today",
    "All trails closed except {o}",
    "Everything's closed but {o}",
    "Both trails open? Not quite - {c} is still closed, {o} is good",
    "Not everything is closed: {o} is open, only {c} is",
    "The only closed trail today is {c}",
    "One open, one closed: {o} open, {c} closed",
    "Just one trail open today, {o}",
]

BOARD_OPEN = ["OPEN", "Open ✅", "✅", "open", "🟢 open", "GO", "open 👍"]
BOARD_CLOSED = ["CLOSED", "Closed 🚫", "🚫", "closed", "🔴 closed", "NO GO", "❌"]
BOARD_FORMATS_STATUS_FIRST = [
    "Open: {o} | Closed: {c}",
    "Trail status {date}. Closed: {c}. Open: {o}.",
    "{date} - OPEN: {o} / CLOSED: {c}",
    "Closed - {c}; open - {o}",
    "Status board. Closed: {c}. Open: {o}",
]
BOARD_FORMATS = [
    "Trail status {date}: {n1} - {s1}, {n2} - {s2}",
    "{n1}: {s1} | {n2}: {s2}",
    "Status board: {n1} {s1} / {n2} {s2}",
    "{date} {n1} {s1} {n2} {s2}",
    "{n1} {s1}. {n2} {s2}.",
    "Today ({date}) - {n1}: {s1}; {n2}: {s2}",
]

SHORT_SAME = {
    1: [
        "All trails open!",
        "Trails are open today",
        "Both open ✅",
        "Hero dirt! All open",
        "Open. Go ride.",
        "Trails open, enjoy",
        "We're open, tacky dirt",
        "Not closed today!",
        "Everything open 🚵",
    ],
    0: [
        "Trails closed today",
        "Closed. Too wet.",
        "No riding today 🌧️",
        "All trails closed ❄️",
        "Both closed today",
        "Still closed, sorry",
        "Nope. Closed today.",
        "Trails not open today",
        "Closed until further notice",
    ],
}
SHORT_PARTIAL = [
    "{o} open, {c} closed",
    "{c} closed. {o} open.",
    "{o} is open; {c} not",
    "Just {o} today, {c} closed",
    "{c} closed, {o} good",
    "{o} ✅ {c} 🚫",
    "{c} is closed, {o} open",
    "Ride {o}. {c} closed.",
    # Status-first boards: "Closed: X | Open: Y" puts "X open" side by side.
    "Open: {o}. Closed: {c}.",
    "Closed: {c} | Open: {o}",
    "OPEN - {o}, CLOSED - {c}",
    "Closed today: {c}. Open today: {o}.",
]

EARLIER = {
    1: [
        "Both trails were open this morning",
        "We opened everything at {early_time}",
        "Trails were open first thing",
        "At {early_time} all trails were open",
    ],
    0: [
        "Trails were closed at first check ({early_time})",
        "We closed everything this morning {reason_clause}",
        "Both trails were closed at {early_time}",
        "At {early_time} all trails were closed",
    ],
}
# Final statements after an update; "changed" vs "same" keeps the story consistent.
TIMELINE_CHANGED = {
    1: [
        "{n} is now open",
        "{n} has dried out and is open",
        "{n} is open now",
        "we've reopened {n}",
        "{n} is back open",
        "{n} is no longer closed",
        "{n} just reopened",
    ],
    0: [
        "{n} is now closed",
        "we just closed {n} {reason_clause}",
        "{n} is closing {reason_clause}",
        "{n} is no longer open",
        "we had to close {n}",
        "{n} is closed now {reason_clause}",
    ],
}
TIMELINE_SAME = {
    1: [
        "{n} is still open",
        "{n} stays open",
        "{n} remains open",
        "{n} is still good",
        "no change at {n}, still open",
    ],
    0: [
        "{n} is still closed",
        "{n} stays closed",
        "{n} remains closed",
        "{n} is still not open",
        "no change at {n}, still closed",
    ],
}
TIMELINE_JOINT = {
    1: [
        "both trails are now open",
        "everything is open now",
        "we've reopened both trails",
        "trails are no longer closed",
        "all trails open",
    ],
    0: [
        "both trails are now closed",
        "we're closing everything {reason_clause}",
        "trails are closed now {reason_clause}",
        "closing both trails again",
        "trails are no longer open",
    ],
}
UPDATE_TAGS = [
    "UPDATE {late_time}:",
    "Update:",
    "EDIT:",
    "UPDATE -",
    "New update as of {late_time}:",
    "Update at {late_time} -",
]
# Contrastive connectors only between clauses with different statuses.
CONNECTORS_SAME = [". ", "; ", ", and ", " - ", ". ", ". ", " and "]
CONNECTORS_DIFF = [". ", "; ", ", but ", ", while ", " - ", ". ", ". ", ", and "]

EVENT_SENTENCES = [
    "Volunteer trail work day {date} 8am-noon, sign up at {url}",
    "Race registration closes Friday: {url}",
    "Group ride meets at the kiosk at 6pm",
    "Bring gloves and water if you're helping the crew",
    "Thanks to the volunteers who make these events happen",
]

# ---------------------------------------------------------------------------
# Small helpers.
# ---------------------------------------------------------------------------


def pick(rng, options):
    """Choose from a plain list or a list of (value, weight) pairs."""
    if isinstance(options[0], tuple):
        values = [value for value, _ in options]
        weights = [weight for _, weight in options]
        return rng.choices(values, weights=weights)[0]
    return rng.choice(options)


def pick_mode(rng, weights):
    """Choose a mode name from a {mode: weight} dict (insertion order is stable)."""
    modes = list(weights)
    return rng.choices(modes, weights=[weights[m] for m in modes])[0]


def expand(template, rng, ctx):
    """Fill {placeholders} from ctx first, then from GRAMMAR, recursively.

    Times, dates and days are cached in ctx so one post stays self-consistent.
    """
    sticky = {"early_time", "late_time", "later_time", "date", "dow", "md", "day"}

    def fill(match):
        key = match.group(1)
        if key in ctx:
            return ctx[key]
        value = expand(pick(rng, GRAMMAR[key]), rng, ctx)
        if key in sticky:
            ctx[key] = value
        return value

    return re.sub(r"\{(\w+)\}", fill, template)


def trail_ctx(rng, trail, base):
    """Context for one trail clause: its name, a loop and a feature of that trail."""
    ctx = dict(base)
    ctx.update(n=pick(rng, TRAIL_NAMES[trail]), loop=rng.choice(LOOPS[trail]), feature=rng.choice(FEATURES[trail]))
    return ctx


def cap(sentence):
    """Upper-case the first letter unless it starts a hashtag or mention."""
    if sentence and sentence[0].isalpha() and sentence[0].islower():
        return sentence[0].upper() + sentence[1:]
    return sentence


def finish(sentence, rng):
    """End a sentence with punctuation (sometimes '!') and tidy spacing."""
    sentence = re.sub(r"\s+", " ", sentence).strip()
    sentence = re.sub(r"\s+([,.;:!?)])", r"\1", sentence)
    if sentence and (sentence[-1].isalnum() or sentence[-1] == ")"):
        sentence += "!" if rng.random() < 0.12 else "."
    return cap(sentence)


# ---------------------------------------------------------------------------
# Clauses and post families.
# ---------------------------------------------------------------------------


def clause(rng, trail, is_open, base, mode=None, avoid=None):
    """One statement about one trail with the given label.

    Returns (text, template); a template equal to ``avoid`` is redrawn so a
    post never says the same thing twice about both trails.
    """
    table, weights = (OPEN_CLAUSES, OPEN_MODE_WEIGHTS) if is_open else (CLOSED_CLAUSES, CLOSED_MODE_WEIGHTS)
    mode = mode or pick_mode(rng, weights)
    template = rng.choice(table[mode])
    while template == avoid:
        template = rng.choice(table[pick_mode(rng, weights)])
    return expand(template, rng, trail_ctx(rng, trail, base)), template


def joint_clause(rng, is_open, base):
    """One statement covering both trails (same label for both)."""
    table, weights = (JOINT_OPEN, JOINT_OPEN_WEIGHTS) if is_open else (JOINT_CLOSED, JOINT_CLOSED_WEIGHTS)
    x = rng.choice([BC, RM])
    ctx = dict(
        base,
        bc=pick(rng, TRAIL_NAMES[BC]),
        rm=pick(rng, TRAIL_NAMES[RM]),
        x=pick(rng, TRAIL_NAMES[x]),
        loop=rng.choice(LOOPS[x]),
        feature=rng.choice(FEATURES[x]),
    )
    return expand(rng.choice(table[pick_mode(rng, weights)]), rng, ctx)


def open_closed_ctx(rng, labels, base):
    """Names for the open trail {o} and the closed trail {c} of a partial post."""
    o = BC if labels[BC] else RM
    c = RM if o == BC else BC
    return dict(base, o=pick(rng, TRAIL_NAMES[o]), c=pick(rng, TRAIL_NAMES[c]), feature=rng.choice(FEATURES[c]))


def join_pair(rng, first, second, same):
    """Join two clauses with a random connector into one or two sentences."""
    sep = rng.choice(CONNECTORS_SAME if same else CONNECTORS_DIFF)
    if " but " in first + second and "but" in sep:
        sep = ". "  # "X, but Y, but Z" reads badly
    if sep.startswith(",") and second[:1].islower() and not second.startswith(("blankets", "ropemill")):
        sep = rng.choice([". ", "; "])  # ", while we are not closing..." reads badly
    if sep.startswith("."):
        return [first, second]
    return [first + sep + second]


def style_joint(rng, labels, base):
    """Both trails share a status and the post talks about them together."""
    is_open = labels[BC] == 1
    sentences = [joint_clause(rng, is_open, base)]
    if rng.random() < 0.45:
        pool = "cond_sentence" if is_open else "reason_sentence"
        ctx = dict(base, feature="the low sections")
        sentences.insert(rng.choice([0, 1]), expand("{%s}" % pool, rng, ctx))
    return sentences


def style_pair(rng, labels, base):
    """One clause per trail, in random order, each with its own phrasing mode."""
    order = [BC, RM] if rng.random() < 0.5 else [RM, BC]
    first, template = clause(rng, order[0], labels[order[0]], base)
    second, _ = clause(rng, order[1], labels[order[1]], base, avoid=template)
    return join_pair(rng, first, second, labels[BC] == labels[RM])


def style_except(rng, labels, base):
    """Partial status phrased as 'everything X except Y' or 'only Y'."""
    if labels[BC] == labels[RM]:
        return style_joint(rng, labels, base)
    ctx = open_closed_ctx(rng, labels, base)
    return [expand(rng.choice(EXCEPT_TEMPLATES), rng, ctx)]


def style_board(rng, labels, base):
    """A terse status-board line listing both trails."""
    if labels[BC] != labels[RM] and rng.random() < 0.4:
        return [expand(rng.choice(BOARD_FORMATS_STATUS_FIRST), rng, open_closed_ctx(rng, labels, base))]
    order = [BC, RM] if rng.random() < 0.5 else [RM, BC]
    ctx = dict(base)
    for i, t in enumerate(order, start=1):
        ctx["n%d" % i] = pick(rng, TRAIL_NAMES[t])
        ctx["s%d" % i] = rng.choice(BOARD_OPEN if labels[t] else BOARD_CLOSED)
    return [expand(rng.choice(BOARD_FORMATS), rng, ctx)]


def style_timeline(rng, labels, base):
    """An earlier status followed by an update; the update is what counts."""
    if labels[BC] == labels[RM]:
        earlier = 1 - labels[BC]
    else:
        earlier = rng.choice([0, 1])
    first = expand(rng.choice(EARLIER[earlier]), rng, dict(base, feature="the low sections"))
    tag = expand(rng.choice(UPDATE_TAGS), rng, base)
    if labels[BC] == labels[RM] and rng.random() < 0.5:
        final = [expand(rng.choice(TIMELINE_JOINT[labels[BC]]), rng, dict(base, feature="the low sections"))]
    else:
        order = [BC, RM] if rng.random() < 0.5 else [RM, BC]
        parts = []
        for t in order:
            table = TIMELINE_CHANGED if labels[t] != earlier else TIMELINE_SAME
            parts.append(expand(rng.choice(table[labels[t]]), rng, trail_ctx(rng, t, base)))
        final = join_pair(rng, parts[0], parts[1], labels[BC] == labels[RM])
    return [first, tag + " " + final[0]] + final[1:]


def style_correction(rng, labels, base):
    """A correction of an earlier post, which mentions the wrong status too."""
    if labels[BC] != labels[RM]:
        ctx = open_closed_ctx(rng, labels, base)
        template = rng.choice(
            [
                "Correction: we had it backwards. {o} is open and {c} is closed",
                "Correction to the earlier post: {c} is closed, not open. {o} is open",
                "Oops, earlier post was wrong - {o} is the open one, {c} is closed",
                "Correction: {o} is not closed, it's open. {c} is closed though",
            ]
        )
        return [expand(template, rng, ctx)]
    t = rng.choice([BC, RM])
    ctx = trail_ctx(rng, t, base)
    if labels[BC]:
        template = "Correction: {n} is not closed as we posted earlier - both trails are open"
    else:
        template = "Correction: {n} is closed too, not open as posted earlier. Both trails are closed"
    return [expand(template, rng, ctx)]


def style_event(rng, labels, base):
    """An event or work-day post with each trail's status stated."""
    t = rng.choice([BC, RM])
    other = RM if t == BC else BC
    mode = "event" if labels[t] == 1 or rng.random() < 0.7 else "plain"
    parts = [
        clause(rng, t, labels[t], base, mode)[0],
        clause(rng, other, labels[other], base, rng.choice(["plain", "negation"]))[0],
    ]
    if rng.random() < 0.5:
        parts.reverse()
    sentences = join_pair(rng, parts[0], parts[1], labels[BC] == labels[RM])
    if rng.random() < 0.5:
        sentences.append(expand(rng.choice(EVENT_SENTENCES), rng, base))
    return sentences


def style_short(rng, labels, base):
    """A terse post of a few words."""
    if labels[BC] == labels[RM]:
        return [rng.choice(SHORT_SAME[labels[BC]])]
    return [expand(rng.choice(SHORT_PARTIAL), rng, open_closed_ctx(rng, labels, base))]


STYLES_SAME = {"joint": 30, "pair": 30, "short": 7, "board": 7, "timeline": 11, "event": 8, "correction": 5}
STYLES_PARTIAL = {"pair": 42, "except": 14, "short": 7, "board": 9, "timeline": 13, "event": 9, "correction": 6}
STYLE_FUNCS = {
    "joint": style_joint,
    "pair": style_pair,
    "except": style_except,
    "board": style_board,
    "timeline": style_timeline,
    "correction": style_correction,
    "event": style_event,
    "short": style_short,
}

# ---------------------------------------------------------------------------
# Decoration and noise.
# ---------------------------------------------------------------------------


def pick_opener(rng, labels, base):
    """An opener that fits the post (good/bad-news openers only when true)."""
    pool = list(OPENERS_ANY)
    if labels[BC] or labels[RM]:
        pool += OPENERS_OPEN
    if not (labels[BC] and labels[RM]):
        pool += OPENERS_CLOSED
    return expand(rng.choice(pool), rng, base)


def fresh(rng, pool, used):
    """Pick a template not used yet in this post (at most one URL per post)."""
    has_url = any("{url}" in t for t in used)
    options = [t for t in pool if t not in used and not (has_url and "{url}" in t)]
    template = rng.choice(options or pool)
    used.add(template)
    return template


def pick_cta(rng, labels, base, used):
    """A call to action consistent with the labels."""
    if labels[BC] != labels[RM]:
        template = fresh(rng, CTA_PARTIAL + CTA_NEUTRAL, used)
        return expand(template, rng, open_closed_ctx(rng, labels, base))
    # Neutral CTAs are listed twice so sign-off phrases are not a label shortcut.
    pool = (CTA_OPEN if labels[BC] else CTA_CLOSED) + CTA_NEUTRAL * 2
    return expand(fresh(rng, pool, used), rng, base)


def pick_detail(rng, base, used):
    """A label-neutral sentence that adds length and realism."""
    ctx = trail_ctx(rng, rng.choice([BC, RM]), base)
    return expand(fresh(rng, DETAILS, used), rng, ctx)


# Words that may start a sentence after "Morning all," and must keep their capital.
PROPER_STARTS = (
    "Blanket",
    "BC",
    "BLANKETS",
    "Rope",
    "RM",
    "ROPE",
    "Olde",
    "Ropemill",
    "Explorer",
    "Avalanche",
    "Dwelling",
    "South",
    "Quehl",
    "Van",
    "Mosquito",
    "Hawk",
    "UPDATE",
    "EDIT",
)


def attach_opener(opener, first):
    """Join an opener and the first sentence; lower-case after a comma opener."""
    if opener.endswith(",") and first[:1].isupper() and not first.startswith(PROPER_STARTS):
        first = first[0].lower() + first[1:]
    return opener + " " + first


def decorate(rng, sentences, labels, base, size, style):
    """Wrap the core sentences with openers, details, CTAs, sign-offs and tags."""
    extra = {"short": 0, "normal": 1, "long": 4}[size]
    core = [finish(s, rng) for s in sentences]
    tail, used = [], set()
    for _ in range(rng.randint(extra // 2, extra)):
        if rng.random() < 0.5:
            # Never before the first core sentence, so the opener leads into the status.
            core.insert(rng.randint(1, len(core)), finish(pick_detail(rng, base, used), rng))
        else:
            tail.append(finish(pick_cta(rng, labels, base, used), rng))
    if size != "short" and rng.random() < 0.3:
        tail.append(finish(pick_cta(rng, labels, base, used), rng))
    if size != "short" and rng.random() < 0.55:
        opener = cap(pick_opener(rng, labels, base))
        # Timeline posts carry their own "UPDATE" tag; a second one reads oddly.
        if not (style == "timeline" and "update" in opener.lower()):
            core[0] = attach_opener(opener, core[0])
    out = core + tail
    if size == "long" or rng.random() < 0.15:
        out.append(rng.choice(SIGNOFFS))
    if size != "short" and rng.random() < 0.35:
        out.append(" ".join(rng.sample(HASHTAGS, rng.randint(1, 3))))
    return " ".join(out)


def add_emoji(rng, text, labels):
    """Sprinkle an emoji; status emojis only where they are true."""
    pool = list(NEUTRAL_EMOJI)
    if labels[BC] and labels[RM]:
        pool += OPEN_EMOJI
    elif not labels[BC] and not labels[RM]:
        pool += CLOSED_EMOJI
    emoji = rng.choice(pool)
    return emoji + " " + text if rng.random() < 0.4 else text + " " + emoji


TYPOS = [
    (r"\bclosed\b", ["clsoed", "cloesd", "closd"]),
    (r"\bopen\b", ["opne", "oepn"]),
    (r"\bBlankets\b", ["Blankts", "Blanket's"]),
    (r"\bRope Mill\b", ["ropemill", "Rope MIll"]),
    (r"\btrails\b", ["trials", "trais"]),
    (r"\btoday\b", ["tody", "todya"]),
    (r"\btomorrow\b", ["tommorow", "tomorow"]),
    (r"\bbecause\b", ["becuase"]),
    (r"\buntil\b", ["untill"]),
    (r"\bjudgement\b", ["judgment"]),
]


def add_typo(rng, text):
    """Introduce one realistic typo in a word that the post contains.

    The lookbehind keeps URLs intact ("example.org/trails" stays a valid link).
    """
    candidates = [("(?<![/.])" + p, r) for p, r in TYPOS if re.search("(?<![/.])" + p, text)]
    if not candidates:
        return text
    pattern, replacements = rng.choice(candidates)
    return re.sub(pattern, rng.choice(replacements), text, count=1)


def add_noise(rng, text, labels):
    """Apply the feed's surface noise: emojis, typos, shouting."""
    if rng.random() < 0.3:
        text = add_emoji(rng, text, labels)
    if rng.random() < 0.12:
        text = add_typo(rng, text)
    roll = rng.random()
    if roll < 0.04:
        text = text.upper()
    elif roll < 0.12:
        text = re.sub(r"\b(open|closed)\b", lambda m: m.group(1).upper(), text)
    return text


# ---------------------------------------------------------------------------
# Generation and checks.
# ---------------------------------------------------------------------------


def make_post(rng, labels):
    """Render one post for labels {BC: 0/1, RM: 0/1}."""
    same = labels[BC] == labels[RM]
    size = rng.choices(["short", "normal", "long"], weights=[8, 76, 16])[0]
    style = "short" if size == "short" else pick_mode(rng, STYLES_SAME if same else STYLES_PARTIAL)
    if style == "short":
        size = "short"
    sentences = STYLE_FUNCS[style](rng, labels, {})
    text = decorate(rng, sentences, labels, {}, size, style)
    return add_noise(rng, text, labels)


def label_plan(rng, n_rows):
    """Exact label quotas (both open, both closed, two partials), shuffled."""
    n_open = round(0.28 * n_rows)
    n_closed = round(0.29 * n_rows)
    n_bc_only = (n_rows - n_open - n_closed) // 2
    n_rm_only = n_rows - n_open - n_closed - n_bc_only
    plan = [(1, 1)] * n_open + [(0, 0)] * n_closed + [(1, 0)] * n_bc_only + [(0, 1)] * n_rm_only
    rng.shuffle(plan)
    return plan


def tokens(text):
    """Token set for near-duplicate checks: lower-case, digits->0, words only."""
    text = re.sub(r"\d", "0", text.lower()).replace("'", "").replace("\u2019", "")
    return frozenset(re.findall(r"[a-z0]+", text))


def jaccard(a, b):
    """Jaccard similarity of two token sets."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def too_similar(candidate, accepted):
    """True if the candidate's token set is a near-duplicate of any accepted one."""
    return any(jaccard(candidate, other) >= NEAR_DUP_THRESHOLD for other in accepted)


def generate(seed=DEFAULT_SEED, n_rows=DEFAULT_ROWS):
    """Generate n_rows (text, bc, rm) rows, rejecting near-duplicates as they come."""
    rng = random.Random(seed)
    rows, seen = [], []
    for bc, rm in label_plan(rng, n_rows):
        for _ in range(500):
            text = make_post(rng, {BC: bc, RM: rm})
            toks = tokens(text)
            if toks and not too_similar(toks, seen):
                break
        else:
            raise RuntimeError("could not find a non-duplicate post for labels (%d, %d)" % (bc, rm))
        rows.append((text, bc, rm))
        seen.append(toks)
    return rows


def check_dataset(rows, min_rows=800):
    """Raise ValueError if the rows break any of the dataset's guarantees."""
    if len(rows) < min_rows:
        raise ValueError("only %d rows, need at least %d" % (len(rows), min_rows))
    texts = [text for text, _, _ in rows]
    if any(not t.strip() for t in texts):
        raise ValueError("empty post text found")
    if len(set(texts)) != len(texts):
        raise ValueError("exact duplicate post texts found")
    toks = [tokens(t) for t in texts]
    for i in range(len(toks)):
        for j in range(i + 1, len(toks)):
            if jaccard(toks[i], toks[j]) >= NEAR_DUP_THRESHOLD:
                raise ValueError(
                    "near-duplicates (Jaccard >= %.1f):\n  %r\n  %r" % (NEAR_DUP_THRESHOLD, texts[i], texts[j])
                )
    check_lengths(texts)
    check_labels(rows)


def check_lengths(texts):
    """Posts must range from a few words to ~70, mostly 10-40."""
    counts = [len(t.split()) for t in texts]
    if min(counts) < 3 or max(counts) > 80:
        raise ValueError("word counts out of range: min %d, max %d" % (min(counts), max(counts)))
    mid = sum(10 <= c <= 40 for c in counts) / len(counts)
    if mid < 0.6:
        raise ValueError("only %.0f%% of posts have 10-40 words" % (100 * mid))


def check_labels(rows):
    """Per-trail open share must be 40-55% and partial rows at least 25%."""
    n = len(rows)
    for col, name in ((1, "Blankets_Creek"), (2, "Rope_Mill")):
        share = sum(r[col] for r in rows) / n
        if not 0.40 <= share <= 0.55:
            raise ValueError("%s open share %.2f outside 0.40-0.55" % (name, share))
    partial = sum(r[1] != r[2] for r in rows) / n
    if partial < 0.25:
        raise ValueError("partial rows are only %.0f%%" % (100 * partial))


def write_csv(rows, path):
    """Write rows as UTF-8 CSV with a header and '\\n' line endings."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def main(argv=None):
    """Parse arguments, generate, check and write the dataset."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 13)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of posts (default 900)")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="CSV path (default: trail_status.csv next to this script)"
    )
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.rows)
    check_dataset(rows, min_rows=min(800, args.rows))
    write_csv(rows, args.output)
    print("wrote %d rows to %s" % (len(rows), args.output))


if __name__ == "__main__":
    main()
