"""Offline intent classifier for Site Coach WhatsApp messages.

Three layers, all standard library and fully deterministic:

1. Normalisation: NFKC, lower-case, punctuation/emoji stripped, letter repeats
   collapsed and common jointer/texting slang and typos mapped to plain words.
2. Deterministic rules for the safety-critical and consent intents
   (``emergency``, ``stop``, ``start``, ``help``).  ``stop``/``start``/``help``
   only fire when the *whole* message is the command; ``emergency`` fires on
   any report of a person hurt or an uncontrolled hazard unless the message is
   clearly a hypothetical or learning question.
3. A small TF-IDF model (word 1-2-grams plus in-word character 3-5-grams)
   scored against per-intent centroids and the nearest training example,
   nudged by a few strong keyword cues, for everything else.  The model never
   predicts ``emergency``, ``stop`` or ``start``.
"""

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sitecoach.nlu.intents import Intent

RULE_CONFIDENCE = 0.99
EMPTY_CONFIDENCE = 0.2

_WORD_WEIGHT = 0.55  # share of the score from word 1-2-grams (rest: char 3-5-grams)
_NEAREST_WEIGHT = 0.3  # share of the score from the single most similar example (word block)
_CUE_BONUS = 0.12  # added to an intent's score when one of its strong cues matches
_TEMPERATURE = 0.06  # softmax temperature over cosine scores
_MIN_SCORE = 0.04  # below this the message carries no usable signal
_FULL_CONFIDENCE_SCORE = 0.25  # weaker best scores scale the softmax confidence down
_MAX_COMMAND_TOKENS = 16  # whole-message commands are short; longer text is never one
_TOKEN_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Classification:
    """The predicted intent of one message and a 0..1 confidence."""

    intent: str
    confidence: float


# --------------------------------------------------------------------------
# Layer 1: normalisation
# --------------------------------------------------------------------------

_EMOJI_WORDS = {
    "\U0001f198": " sos ",  # 🆘
    "\u2753": " ? ",  # ❓
    "\u2754": " ? ",  # ❔
    "&": " and ",
    "+": " and ",
    "@": " at ",
}
_EMOJI_RE = re.compile("|".join(re.escape(k) for k in _EMOJI_WORDS))
_APOSTROPHE_RE = re.compile("['\u2018\u2019\u201b`\u00b4\u02bc]")
_NON_WORD_RE = re.compile(r"[^\w\s]|_")
_REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")
_KV_RE = re.compile(r"\b(\d+)\s?(?:k|kv|kvs|kilovolt|kilovolts)\b")

_SLANG: dict[str, tuple[str, ...]] = {}


def _slang(targets: str, *words: str) -> None:
    """Register slang/typo spellings that normalise to ``targets``."""
    for word in words:
        _SLANG[word] = tuple(targets.split())


_slang("give me", "gies", "gie", "gis", "giz", "gimme", "gimmie", "gizzus", "gi", "givus")
_slang("give", "giv", "gve")
_slang("give me a", "gizza", "gissa", "gizzi")
_slang("my", "ma", "mah", "mi", "mai", "maw")
_slang("today", "2day", "tday", "2dy", "todae", "tdy")
_slang("tomorrow", "2moro", "2morrow", "2mora", "tmrw", "tmr", "tomoz", "2mrw", "tomorra", "tomora")
_slang("tonight", "2nite", "2nyt", "tonite", "2night")
_slang("you", "u", "ya", "yah", "yous", "youse", "ye", "yu", "yoo")
_slang("your", "ur", "yer", "yr", "yor")
_slang("are", "r")
_slang("please", "pls", "plz", "plez", "pleez", "plse", "plox", "pleas", "pleaase", "plss")
_slang("how is", "hows", "hoos", "howz")
_slang("what is", "whats", "wats", "wots", "wha", "whit's", "whts", "wuts")
_slang("what", "wot", "wat", "wht", "wut", "whit", "wit", "wah")
_slang("where is", "wheres", "wherse")
_slang("who is", "whos")
_slang("how", "hw", "hoo", "haw")
_slang("when", "wen", "whn")
_slang("because", "cos", "coz", "cuz", "bcos", "bc", "becos")
_slang("dont know", "dunno", "idk")
_slang("want to", "wanna", "wana")
_slang("going to", "gonna", "gunna")
_slang("got to", "gotta")
_slang("let me", "lemme")
_slang("have", "hav", "av", "ave", "hae")
_slang("good", "gd", "gud", "guid")
_slang("and", "nd", "n")
_slang("before", "b4")
_slang("about", "abt", "bout", "aboot")
_slang("out", "oot")
_slang("thanks", "thx", "thnx", "thanx", "thnks", "thks", "ty", "tanks", "ta", "thanku", "thankyou")
_slang("ok", "k", "kk", "okay", "okey", "oki", "okie", "okk")
_slang("yes", "aye", "yeah", "yep", "yup", "yea", "yeh")
_slang("no", "nae", "naw", "nah", "nope", "na")
_slang("didnt", "didnae", "didny")
_slang("dont", "dinnae", "dinny", "divnt", "divvent")
_slang("cant", "cannae", "canny", "canna")
_slang("isnt", "isnae", "isny")
_slang("wasnt", "wasnae")
_slang(
    "photo",
    "pic",
    "pics",
    "piccy",
    "piccie",
    "piccys",
    "piccies",
    "pix",
    "picture",
    "pictures",
    "foto",
    "fotos",
    "photie",
    "photies",
    "phota",
    "photos",
    "snap",
    "snaps",
    "pik",
    "piks",
    "img",
    "image",
    "images",
    "pict",
    "phto",
    "photoo",
)
_slang("video", "vid", "vids", "videos", "vidz")
_slang("question", "q", "qu", "ques", "qn")
_slang("questions", "qs", "qz", "qns")
_slang("quiz", "quizz", "quizzes", "quizes", "quizzez", "qiuz", "quizs", "quize", "quizzy", "kwiz", "quis")
_slang("message", "msg", "mssg", "mesage", "messege")
_slang("messages", "msgs", "mssgs", "mesages", "messeges")
_slang("text", "txt")
_slang("texts", "txts")
_slang("texting", "txting", "textin")
_slang("something", "summat", "summit", "sumthin", "somethin")
_slang("anything", "owt")
_slang("nothing", "nowt")
_slang("with", "wiv", "wi", "w")
_slang("this", "dis", "thi")
_slang("the", "da", "tha", "teh", "hte")
_slang("of", "ov", "o")
_slang("from", "fae", "frae")
_slang("to", "tae")
_slang("on", "oan")
_slang("one", "yin")
_slang("would", "wid", "wud")
_slang("could", "cud")
_slang("should", "shud", "shld")
_slang("going", "gaun", "goin")
_slang("know", "ken", "kno")
_slang("hello", "ello", "allo", "helo", "hullo")
_slang("morning", "mornin", "moring", "morng")
_slang("evening", "evenin")
_slang("night", "nite")
_slang("supervisor", "superviser", "supervisr", "supervisors")
_slang("gaffer", "gaffa")
_slang("shock", "shok", "shoc", "shcok", "schock")
_slang("electric", "lecky", "leccy", "elec")
_slang("electrocuted", "electricuted", "lectrocuted", "electrocted", "electricated", "electocuted")
_slang("cable", "cabel", "cabe", "cble", "cabke")
_slang("people", "ppl")
_slang("really", "rly")
_slang("probably", "prob", "probs")
_slang("minutes", "mins")
_slang("seconds", "secs")
_slang("im", "ahm")
_slang("joint", "jiont", "joynt")
_slang("progress", "progres", "progess", "prgress", "progrss")
_slang("mentor", "mentr", "menter", "mentorr")
_slang("evidence", "evidance", "evedence", "evdence", "evidnce")
_slang("unsubscribe", "unsub", "unsubcribe", "unsubscibe", "unsuscribe")
_slang("emergency", "emergancy", "emergecy", "emerg")

# Nouns after which Scots/northern "me" means "my" ("how's me progress").
_POSSESSED = frozenset(
    """progress mate mates pal marra mucker score scores streak results stats mentor supervisor
    gaffer boss evidence portfolio photos photo log logbook joint joints hand arm leg head face
    eye eyes fingers finger level points badges quiz quizzes work cable assessor tutor
    grades grade record records apprenticeship nvq course answers answer labourer brother
    trainer manager""".split()
)

# Long, distinctive words worth fuzzy-matching (typos must not hide an emergency).
_FUZZY_TARGETS = (
    "electrocuted",
    "electrocution",
    "electrocute",
    "unconscious",
    "unresponsive",
    "ambulance",
    "emergency",
    "explosion",
    "exploded",
    "collapsed",
    "breathing",
    "bleeding",
    "flashover",
    "paramedic",
    "paramedics",
    "unsubscribe",
    "electric",
    "injured",
    "trapped",
)
_FUZZY_SKIP = frozenset(
    """tapped wrapped strapped scrapped trapper breaking breeding bleating pleading electrical
    electric explosive exploding collapse collapsing injures inured emerging emergence
    trapping trappings unscrew subscribe resubscribe subscribed subscriber""".split()
)

_BASE_LEXICON = frozenset(
    """stop start help please now quit cancel end menu commands options subscribe resume
    unstop restart opt out in alone more messages message texts text texting me my you your
    quiz test question questions photo video evidence progress mentor supervisor human
    cheers thanks hello hiya morning good so yes no what how is are why when where who
    shock electric electrocuted breathing unconscious bleeding burns burnt burned fire
    explosion flashover cable cables strike hit struck gas leak smell trench collapsed
    trapped ambulance emergency quick sos injured hurt collapse down man going doing
    mate lads lad joint joints pot end resin sleeve earth earthing spike spiking""".split()
)


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, giving up once above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _fuzzy_target(token: str) -> str | None:
    """Return the critical word ``token`` is a typo of, if any."""
    if len(token) < 6 or token in _FUZZY_SKIP or token in _BASE_LEXICON:
        return None
    for target in _FUZZY_TARGETS:
        if token[0] != target[0]:
            continue  # typos almost never change the first letter; avoids resubscribe -> unsubscribe
        limit = 2 if len(target) >= 10 else 1
        if token != target and _osa_distance(token, target, limit) <= limit:
            return target
    return None


class _Normaliser:
    """Turns raw WhatsApp text into a list of canonical lower-case tokens."""

    def __init__(self, lexicon: Iterable[str] = ()) -> None:
        """Create a normaliser that knows the words in ``lexicon``."""
        words = set(_BASE_LEXICON)
        for targets in _SLANG.values():
            words.update(targets)
        words.update(lexicon)
        self._lexicon = frozenset(words)
        self._cache: dict[str, tuple[str, ...]] = {}

    def _canonical(self, token: str) -> tuple[str, ...]:
        """Map one cleaned token to its canonical token(s)."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        result = self._canonical_uncached(token)
        if len(self._cache) < _TOKEN_CACHE_LIMIT:
            self._cache[token] = result
        return result

    def _canonical_uncached(self, token: str) -> tuple[str, ...]:
        """Slang map, then lexicon repairs (doubled letters, dropped g), then fuzzy match."""
        slang = _SLANG.get(token)
        if slang is not None:
            return slang
        if token in self._lexicon or token.isdigit():
            return (token,)
        if _REPEAT_RE.search(token):
            # "pleeeease" -> "pleease" / "please", "cheeeers" -> "cheers": keep whichever is known.
            double = _REPEAT_RE.sub(r"\1\1", token)
            single = _REPEAT_RE.sub(r"\1", token)
            for candidate in (double, single):
                if candidate in _SLANG or candidate in self._lexicon:
                    return self._canonical_uncached(candidate)
            token = single
        if token.endswith("in") and token + "g" in self._lexicon:
            return (token + "g",)
        fuzzy = _fuzzy_target(token)
        if fuzzy is not None:
            return (fuzzy,)
        return (token,)

    def tokens(self, text: str) -> list[str]:
        """Normalise ``text`` and return its canonical tokens."""
        text = unicodedata.normalize("NFKC", text).lower()
        text = _EMOJI_RE.sub(lambda m: _EMOJI_WORDS[m.group(0)], text)
        text = _APOSTROPHE_RE.sub("", text)
        text = _NON_WORD_RE.sub(" ", text)
        text = _KV_RE.sub(r"\1kv", text)
        out: list[str] = []
        for raw in text.split():
            out.extend(self._canonical(raw))
        for i, tok in enumerate(out):
            if tok == "me" and i + 1 < len(out) and out[i + 1] in _POSSESSED:
                out[i] = "my"
        if len(out) > 1 and out[0] == "y":
            out[0] = "why"
        return out


_DEFAULT_NORMALISER = _Normaliser()


def normalise(text: str) -> str:
    """Return the canonical, space-separated form of ``text`` used by every layer."""
    return " ".join(_DEFAULT_NORMALISER.tokens(text))


# --------------------------------------------------------------------------
# Layer 2: deterministic rules
# --------------------------------------------------------------------------

_POLITE = (
    r"(?:please|now|thanks|thank you|cheers|mate|pal|bud|lad|lads|ffs|asap|bot|coach|"
    r"site coach|for now|immediately|right now|ok|then|x+|love|hun|pet|bab|la|mucker|marra|"
    r"straight away|for good|forever|again)"
)
_PREFIX = (
    r"(?:(?:hi|hey|oi|ok|right|please|just|can you|could you|will you|would you|i want to|i|"
    r"want to|i would like to|id like to|i wish to|i need to|i want|how do i|how can i|let me|"
    r"kindly|yes|aye|no|ffs|mate|bot|coach|site coach)\s+)*"
)
_STOP_CORE = (
    r"(?:stop(?: all| it| this| everything| that| now)?"
    r"|stop (?:the |all |these |your |all the |all your |all these |sending )?"
    r"(?:messages|message|texts|text|msgs|notifications|reminders|spam|alerts|updates)"
    r"(?: (?:to )?me)?"
    r"|stop (?:texting|messaging|sending|contacting|bothering|spamming|pinging|emailing|"
    r"sending me|texting|hassling|mithering) ?(?:me|us)?(?: messages| texts| stuff| these)?"
    r"(?: (?:this|these|that|your|all this|all that|all your))?(?: (?:rubbish|crap|shite|stuff|spam|junk|"
    r"garbage|nonsense|shit|pish|bollocks|messages|texts))?"
    r"|unsubscribe(?: me)?(?: from (?:this|these|all|the|everything)(?: messages| texts| list| service)?)?"
    r"|cancel(?: it| this| all| everything| my subscription| subscription| messages| the messages|"
    r" me)?"
    r"|end(?: it| this| messages| the messages| chat| subscription)?"
    r"|quit(?: it| this)?"
    r"|opt (?:me )?out(?: of (?:this|these|all|everything|messages|texts)(?: messages| texts)?)?"
    r"|no more (?:messages|texts|msgs|reminders|notifications)"
    r"|leave me alone|go away|do not disturb|dnd"
    r"|remove me(?: from (?:this|the list|your list|here|it|the service))?"
    r"|take me off (?:this|the list|your list|it)"
    r"|(?:dont|do not|never) (?:text|message|contact|msg) me(?: again| anymore| any more| no more)?)"
)
_START_CORE = (
    r"(?:(?:start|restart|unstop|resume|subscribe|resubscribe|re subscribe)"
    r"(?: (?:me|it|them|the messages|messages|texts|msgs|up|it up|back up|me up|over|back))?"
    r"(?: again)?"
    r"|opt (?:me )?(?:back )?in|opt back in"
    r"|sign me (?:up|back up|back in)(?: again)?"
    r"|turn (?:messages|it|them|texts) back on"
    r"|start (?:sending|texting|messaging)(?: me)?(?: messages| texts| stuff)?(?: again)?"
    r"|start the messages again|send me messages again|im back in|count me in)"
)
_HELP_CORE = (
    r"(?:help(?: me)?|menu|main menu|the menu|show (?:me )?(?:the )?(?:menu|commands|options)"
    r"|commands|command list|list (?:of |the )?commands|options|what (?:are the )?(?:commands|options)"
    r"|what can (?:you|this|this bot|the bot|it|i) do(?: for me)?"
    r"|what (?:do|does) (?:you|this|this bot|it|the bot) do"
    r"|what can i (?:ask|say|do|use you for|ask you)"
    r"|how (?:does|do) (?:this|it|this bot|the bot|this thing|site coach|you) work"
    r"|how do i use (?:this|you|it|this bot|this thing|site coach|the bot)"
    r"|instructions|info|information|guide|user guide|what is this|what are you|who are you"
    r"|what is site coach|how it works|tutorial|support|faq|faqs|i need help|need help|help needed"
    r"|i dont know what to do|not sure how this works|confused|im confused|im lost|lost)"
)


def _whole(core: str) -> re.Pattern[str]:
    """Compile a whole-message command grammar around ``core``."""
    return re.compile(rf"^{_PREFIX}{core}(?:\s+{core})*(?:\s+{_POLITE})*$")


_STOP_RE = _whole(_STOP_CORE)
_START_RE = _whole(_START_CORE)
_HELP_RE = _whole(_HELP_CORE)
_QUESTION_ONLY_RE = re.compile(r"^\s*[?\u2753\u2754\uff1f][\s?\u2753\u2754\uff1f]*$")

_TARGET = r"(?:cable|cables|main|mains|service|services|feeder|lv|hv|\d+kv|supply|live one)"
_PERSON = (
    r"(?:hes|shes|im|were|theyre|been|someone|somebody|someones|somebodys|man|lad|lads|mate|mates|"
    r"he|she|i|we|they|him|her|me|us)"
)
_EMERGENCY_RE = re.compile(
    "|".join(
        (
            r"\belectrocut\w*",
            r"\belectric(?:al)? shock",
            r"\b(?:got|get|gets|getting|gettin|had|has had|took|taken|taking|caught|felt) "
            r"(?:a |an |the )?(?:bad |big |massive |nasty |huge |proper |right |wee |good )?"
            r"(?:shock|shocks|belt|zap|jolt)\b",
            r"\b(?:got|get|gets|getting|been|was|is|hes|shes|im|were|theyre) "
            r"(?:shocked|zapped|belted|jolted|electrified)\b",
            r"\bzapped\b",
            r"\b(?:shock|belt|zap|tingle|tingles|jolt) (?:off|from) (?:the|a|it|that|this)\b",
            r"\b(?:not|no|isnt|aint|hes not|stopped) breathing\b|\bstopped breathing|\bcant breathe?\b"
            r"|\bno pulse\b|\bno heartbeat\b|\bnot responding\b|\bunresponsive\b|\bunconscious\b",
            r"\bpassed out\b|\bknocked out\b|\bcollapsed\b|\bfainted\b|\bout cold\b|\bnot moving\b"
            r"|\b(?:wont|not|cant) wak(?:e|ing)(?: up)?\b"
            r"|\blying (?:on|in) the (?:floor|ground|trench|road)\b"
            r"|\b(?:hes|shes|theyre) on the (?:floor|ground)\b",
            r"\bman down\b|\binjured\b|\bcasualty\b|\bheart attack\b|\bseizure\b|\bchoking\b",
            r"\b(?:hes|shes|is|badly|seriously|got|been|im|were|theyre|getting) hurt\b"
            r"|\bhurt (?:himself|herself|myself|themselves|his|her|my|their|me)\b",
            r"\bbleeding\b|\bbleedin\b|\bblood\b",
            r"\b(?:got|has|have|had|with|bad|nasty|serious|severe|his|her|my|their|some|degree|"
            r"covered in|suffered) burns\b|\b(?:got|has|have|had) (?:a )?(?:bad |nasty |serious )?burn\b"
            r"|\bburnt (?:himself|herself|myself|his|her|my|their)\b"
            r"|\b(?:got|been|badly|bad|severely|is|hes|shes|im) (?:burnt|burned)\b"
            r"|\bburned (?:himself|herself|myself|his|her|my|their)\b",
            r"(?<!cease)(?<!youre on )(?<!you are on )(?<!your on )\bfire\b"
            r"(?!(?: \w+){0,3} (?:over|across)\b)"
            r"(?! (?:away|us|me|over|off|a|an|some|another|more|one|extinguisher|extinguishers|"
            r"blanket|blankets|resistant|retardant|drill|drills|alarm|alarms|safety|exit|exits|"
            r"marshal|warden|rated|proof|risk|risks|regs|point|points|up|it|them|that|those|"
            r"questions|question|quiz|quizzes|triangle|prevention|certificate)\b)",
            r"\bexplo(?:sion|sions|ded|de|ding)\b|\bblew up\b|\bblown up\b|\bwent bang\b"
            r"|\b(?:massive|big|loud|huge|almighty) bang\b",
            r"\bflash ?over\b|\barc flash\b|\barc flashed\b|\barced (?:out|over|up)\b"
            r"|\bbig flash\b|\bflashed (?:over|out|up)\b",
            r"\bcable strike\b|\bstruck (?:a|an|the)\b|\bstrike on\b",
            rf"\b(?:hit(?! (?:me|us)\b)|hitting|hitt|struck|striking|nicked|clipped|clipping|"
            rf"went through|gone through|dug through|dug into|dug thru|drilled through|"
            rf"drilled into|burst|severed|ripped|ripped out) (?:\w+ ){{0,3}}?{_TARGET}\b",
            rf"\b{_TARGET} (?:\w+ )?(?:hit|struck|damaged|severed|burst|cut|ripped|fractured)\b",
            r"\b(?:been|got|get|gets|was|is|hes|shes|im|were|theyre|just) (?:hit|struck|run over|"
            r"knocked down|clipped|pinned|crushed) by\b",
            rf"\b(?:cut|cutting|sawed|sawn|sawing) (?:into|through|thru) (?:\w+ ){{0,3}}?{_TARGET}\b",
            r"\bbang (?:and|then|with|n) (?:smoke|fire|flames?|a flash|flash|sparks)\b"
            r"|\bsmok(?:e|ing) (?:from|out of|off|pouring|coming out)\b",
            rf"\b(?:digger|excavator|breaker|pick|spade|shovel|kango|kanga|drill|bucket|grab) "
            rf"(?:\w+ ){{0,2}}?(?:through|into|hit|on) (?:\w+ ){{0,2}}?{_TARGET}\b",
            r"\bgas (?:leak|leaking|escape|escaping|everywhere|coming)\b"
            r"|\b(?:smell|smells|smelling|smelt|stink|stinks|stinking|reeks) (?:of )?gas\b"
            r"|\bleaking gas\b|\bhit (?:a|the) gas\b",
            r"\btrench (?:has |is )?(?:collapse|collapsed|collapsing|caved|caving|cave|gave way|"
            r"fell in|fallen in)\b|\bsides? (?:has |have |are |is )?(?:collapsed|collapsing|caved|"
            r"caving|gone|give way|gave way)\b|\bcaved in\b|\bcave in\b|\bgave way\b",
            rf"\b{_PERSON} trapped\b|\btrapped (?:under|in the trench|in the hole|in the pit|by|"
            rf"between|in there)\b|\b{_PERSON} buried\b|\bburied alive\b|\bpinned (?:under|down)\b"
            rf"|\bcrushed (?:his|her|my|their|him|me|under)\b|\b{_PERSON} crushed\b",
            r"\bfell (?:in|into|down|off|over|through)\b|\bfallen (?:in|into|down|off|through)\b",
            r"\bbroken (?:leg|arm|bone|wrist|ankle|neck|back)\b|\bbroke (?:his|her|my) "
            r"|\bhead injury\b",
            r"\bcut (?:himself|herself|myself|his|her|my) |\bdeep cut\b"
            r"|\bsliced (?:his|her|my|himself|myself)\b",
            r"\bsmoke (?:coming|pouring|everywhere)\b|\b(?:is|its|was|started|keeps|starting) "
            r"smoking\b|\bsparks (?:everywhere|flying|coming)\b|\bsparking\b|\bsparked\b",
            r"\b999\b|\b112\b|\bambulance\b|\bparamedics?\b|\bemergency\b|\bsos\b|\bmayday\b",
            r"\bhelp (?:me |us |him |her )?(?:quick|quickly|fast|now|asap|urgent|urgently|someone|"
            r"somebody|help)\b"
            r"|\b(?:someone|somebody) help\b|\bneed help (?:now|fast|quick|asap)\b|\bhelp me quick",
        )
    )
)

# Hypothetical / learning framing that turns a hazard mention into a question.
_URGENT_RE = re.compile(
    r"\b(?:just|now|quick|quickly|urgent|urgently|asap|sos|help me|help us|mayday|hurry|"
    r"come quick|someone help|somebody help|help help|right now)\b"
)
_IF_RE = re.compile(
    r"\b(?:if|incase|in case|suppose|supposing|say someone|say you|what happens when|"
    r"what to do when|do you do when|when someone|when somebody|when a person|when you)\b"
)
_LEARNING_RE = re.compile(
    r"\b(?:quiz|test me|test my|question|questions|revise|revision|exam|exams|module|course|"
    r"training|lesson|learn|learning|explain|explanation|define|definition|meaning|theory|"
    r"toolbox talk|notes)\b"
)
_PERSONAL_RE = re.compile(
    r"\b(?:hes|shes|theyre|ive|weve|we have|i have|he is|she is|they are|my mate|my pal|"
    r"my marra|my boss|my gaffer|my labourer|my supervisor|the lad|a lad|someones|"
    r"somebodys|someone has|somebody has|we just|i just|theres|there is|did i|i got|i had|"
    r"we got|we had|i felt|i hit|we hit|i was|we were|he was|she was|he got|she got|they got|"
    r"he has|she has|i think)\b"
)
_FRAMING_RE = re.compile(
    r"\b(?:first aid|procedure|procedures|policy|regs|regulations|hsg47|avoid|avoiding|"
    r"prevent|preventing|prevention|risk|risks|precautions|signs of|symptoms|"
    r"dont hit|not hit|never hit|difference between|safe distance)\b"
    r"|^(?:what is|what are|what does|what do you|what should you|what would you|what to do|"
    r"what causes|what happens|what ppe|what first aid|what precautions|what kind|"
    r"how do you|how do we|how to|how should|how would|how can you|how can we|how is|how does|"
    r"how are|how likely|how common|why|explain|define|describe|tell me about|teach me|"
    r"can you explain|which|who do you|who do we|when do you|when do we|when should you|"
    r"when would you|where do you|is it true|is it safe|first aid for|treatment for|"
    r"how you treat|can you get|could you get|would you get|do you get|will you get|"
    r"do you|does|is it possible|give me a|quiz|test)\b"
)


def _is_hypothetical(text: str) -> bool:
    """True when a hazard mention is framed as a hypothetical or learning question."""
    if _URGENT_RE.search(text):
        return False
    if _IF_RE.search(text) or _LEARNING_RE.search(text):
        return True
    if _PERSONAL_RE.search(text):
        return False
    return bool(_FRAMING_RE.search(text))


# Strong keyword cues for the model layer.
_CUES: dict[str, re.Pattern[str]] = {
    "quiz": re.compile(
        r"\b(?:quiz|test me|test my knowledge|testing me|question me|ask me|another one|"
        r"another question|next question|next one|flash ?cards?|multiple choice|"
        r"practice questions?|mock (?:exam|test)|random question|hit me with|fire (?:us|me|over)|"
        r"quick ?fire|pop quiz|give me a question|give me questions|questions on|question on|"
        r"be tested|get tested|tested on)\b"
        r"|^(?:(?:is it|its|it is|answer|answer is|the answer is|is the answer|im going with|"
        r"going with|i think its|i reckon its|i reckon|i say|option|i go|go) )?[abcd]"
        r"(?: (?:i think|i reckon|please|mate|then|surely))?$"
    ),
    "evidence": re.compile(
        r"\b(?:photo|video|evidence|portfolio|upload|uploaded|uploading|attached|attach|"
        r"attachment|log this|log it|logbook|log book|sign off|signed off|media omitted|"
        r"image omitted|video omitted|screenshot|file attached)\b"
    ),
    "progress": re.compile(
        r"\b(?:progress|how am i doing|how im doing|streak|score|scores|stats|statistics|"
        r"results|badge|badges|my level|points|percentage|how far (?:am i|along|through)|"
        r"on track|where am i (?:at|up to)|what have i (?:done|completed)|leaderboard|"
        r"how many (?:quizzes|modules|have i)|how did i do|how did i get on|how have i done|"
        r"did i pass|have i (?:done|got|completed) enough|(?:need to|should i) (?:work on|improve|"
        r"focus on)|weak (?:on|areas|topics|spots)|epa|gateway|end point|endpoint|whats left|"
        r"what is left|left to do|ready for (?:my )?(?:epa|gateway|assessment))\b"
    ),
    "preferences": re.compile(
        r"\b(?:nudge|remind|reminder|reminders|message|text|send)\b(?:\w+ ){0,4}?\b(?:at|to|for) "
        r"(?:\d|half|quarter)|\b(?:what time|when) do you (?:nudge|remind|message|text)|\breminder time\b"
    ),
    "hours": re.compile(
        r"\b\d+(?:\.\d+)? ?(?:h|hr|hrs|hour|hours|min|mins|minutes)\b|\boff the job\b|\botj\b|"
        r"\b(?:log|logged|add|record) (?:my |some |the )?(?:hours|time|training)\b|\bhalf (?:a )?day\b|"
        r"\bhours? (?:of|on|doing|shadowing|training|at college|in college)\b"
    ),
    "mentor": re.compile(
        r"\b(?:mentor|supervisor|assessor|tutor|trainer|human|real person|actual person|"
        r"speak to (?:someone|somebody|a person)|talk to (?:someone|somebody|a person)|"
        r"call me|ring me|phone me|get in touch|contact my|line manager)\b"
    ),
}


# --------------------------------------------------------------------------
# Layer 3: TF-IDF centroid model
# --------------------------------------------------------------------------

_CHAR_CACHE: dict[str, tuple[str, ...]] = {}


def _char_grams(token: str) -> tuple[str, ...]:
    """In-word character 3-5-grams of ``token``, padded with a space each side."""
    grams = _CHAR_CACHE.get(token)
    if grams is not None:
        return grams
    padded = f" {token} "
    size = len(padded)
    grams = tuple(padded[i : i + n] for n in (3, 4, 5) for i in range(size - n + 1))
    if len(_CHAR_CACHE) < _TOKEN_CACHE_LIMIT:
        _CHAR_CACHE[token] = grams
    return grams


def _word_features(tokens: Sequence[str]) -> dict[str, int]:
    """Counts of word unigrams and bigrams."""
    counts: dict[str, int] = {}
    previous = ""
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
        if previous:
            bigram = previous + " " + tok
            counts[bigram] = counts.get(bigram, 0) + 1
        previous = tok
    return counts


def _char_features(tokens: Sequence[str]) -> dict[str, int]:
    """Counts of in-word character 3-5-grams."""
    counts: dict[str, int] = {}
    for tok in tokens:
        for gram in _char_grams(tok):
            counts[gram] = counts.get(gram, 0) + 1
    return counts


class _Block:
    """One TF-IDF feature block with an inverted index of class centroids."""

    def __init__(self, docs: Sequence[tuple[int, dict[str, int]]], n_classes: int) -> None:
        """Fit IDF weights and per-class L2-normalised centroids."""
        df: dict[str, int] = {}
        for _, counts in docs:
            for feat in counts:
                df[feat] = df.get(feat, 0) + 1
        n_docs = len(docs)
        self.idf = {f: math.log((1 + n_docs) / (1 + d)) + 1.0 for f, d in df.items()}
        self.unseen_idf = math.log(1 + n_docs) + 1.0
        sums: list[dict[str, float]] = [{} for _ in range(n_classes)]
        for label, counts in docs:
            vec = self._weights(counts)
            centroid = sums[label]
            for feat, w in vec.items():
                centroid[feat] = centroid.get(feat, 0.0) + w
        postings: dict[str, list[tuple[int, float]]] = {}
        for label, centroid in enumerate(sums):
            norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
            for feat, w in sorted(centroid.items()):
                postings.setdefault(feat, []).append((label, w / norm))
        self.postings = {f: tuple(p) for f, p in postings.items()}

    def _weights(self, counts: Mapping[str, int]) -> dict[str, float]:
        """L2-normalised sublinear TF-IDF vector of ``counts``."""
        idf = self.idf
        vec = {f: (1.0 + math.log(c)) * idf.get(f, self.unseen_idf) for f, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {f: w / norm for f, w in vec.items()}

    def cosines(self, counts: Mapping[str, int], n_classes: int) -> list[float]:
        """Cosine similarity of ``counts`` to each class centroid."""
        dots = [0.0] * n_classes
        norm2 = 0.0
        idf = self.idf
        unseen = self.unseen_idf
        postings = self.postings
        for feat, count in counts.items():
            w = idf.get(feat, unseen)
            if count > 1:
                w *= 1.0 + math.log(count)
            norm2 += w * w
            for label, cw in postings.get(feat, ()):
                dots[label] += w * cw
        if norm2 <= 0.0:
            return dots
        inv = 1.0 / math.sqrt(norm2)
        return [d * inv for d in dots]


class _Nearest:
    """Inverted index of individual example vectors (word block) for nearest-example scores."""

    def __init__(self, block: _Block, docs: Sequence[tuple[int, dict[str, int]]]) -> None:
        """Index every example's L2-normalised word TF-IDF vector."""
        self.labels = tuple(label for label, _ in docs)
        postings: dict[str, list[tuple[int, float]]] = {}
        for doc_id, (_, counts) in enumerate(docs):
            for feat, w in block._weights(counts).items():
                postings.setdefault(feat, []).append((doc_id, w))
        self.postings = {f: tuple(p) for f, p in postings.items()}
        self.block = block

    def best(self, counts: Mapping[str, int], n_classes: int) -> list[float]:
        """Highest cosine similarity to any single example, per class."""
        dots: dict[int, float] = {}
        norm2 = 0.0
        idf = self.block.idf
        unseen = self.block.unseen_idf
        postings = self.postings
        for feat, count in counts.items():
            w = idf.get(feat, unseen)
            if count > 1:
                w *= 1.0 + math.log(count)
            norm2 += w * w
            for doc_id, dw in postings.get(feat, ()):
                dots[doc_id] = dots.get(doc_id, 0.0) + w * dw
        best = [0.0] * n_classes
        if norm2 <= 0.0:
            return best
        inv = 1.0 / math.sqrt(norm2)
        labels = self.labels
        for doc_id, dot in dots.items():
            label = labels[doc_id]
            if dot * inv > best[label]:
                best[label] = dot * inv
        return best


class IntentClassifier:
    """Deterministic offline intent classifier: normalisation, rules, then TF-IDF centroids."""

    def __init__(self, examples: Mapping[str, Sequence[str]], intents: Sequence[Intent]) -> None:
        """Build the model once from ``examples`` (intent -> messages) for the registry's ``intents``."""
        self.intents = tuple(intents)
        unknown = sorted(set(examples) - {i.name for i in self.intents})
        if unknown:
            raise ValueError(f"unknown intents in examples: {unknown}")
        vocab: set[str] = set()
        for texts in examples.values():
            for text in texts:
                vocab.update(_DEFAULT_NORMALISER.tokens(text))
        self._normaliser = _Normaliser(vocab)
        self._emergency_phrases = self._phrases(examples.get("emergency", ()))
        self._stop_phrases = self._phrases(examples.get("stop", ()))
        self._start_phrases = self._phrases(examples.get("start", ()))
        self._labels = tuple(i.name for i in self.intents if not i.rule_only and examples.get(i.name))
        label_index = {intent: k for k, intent in enumerate(self._labels)}
        word_docs: list[tuple[int, dict[str, int]]] = []
        char_docs: list[tuple[int, dict[str, int]]] = []
        for intent in self._labels:
            for text in examples[intent]:
                tokens = self._normaliser.tokens(text)
                # Whole-message commands never reach the model, so they must not shape it
                # (otherwise "help" alone would drag "help with earthing" towards help).
                if tokens and not _HELP_RE.match(" ".join(tokens)):
                    word_docs.append((label_index[intent], _word_features(tokens)))
                    char_docs.append((label_index[intent], _char_features(tokens)))
        n = len(self._labels)
        self._words = _Block(word_docs, n)
        self._nearest = _Nearest(self._words, word_docs)
        self._chars = _Block(char_docs, n)
        self._cue_index = tuple(
            (label_index[intent], pattern) for intent, pattern in _CUES.items() if intent in label_index
        )

    def _phrases(self, texts: Iterable[str]) -> frozenset[str]:
        """Normalised whole-message command phrases taken from the examples."""
        return frozenset(p for p in (" ".join(self._normaliser.tokens(t)) for t in texts) if p)

    def normalise(self, text: str) -> str:
        """Return the canonical form of ``text`` as seen by the rules and the model."""
        return " ".join(self._normaliser.tokens(text))

    def classify(self, text: str) -> Classification:
        """Classify one message into one of the registry's intents with a 0..1 confidence."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        if _QUESTION_ONLY_RE.match(text):
            return Classification("help", RULE_CONFIDENCE)
        tokens = self._normaliser.tokens(text)
        if not tokens:
            return Classification("smalltalk", EMPTY_CONFIDENCE)
        norm = " ".join(tokens)
        if norm in self._emergency_phrases or (_EMERGENCY_RE.search(norm) and not _is_hypothetical(norm)):
            return Classification("emergency", RULE_CONFIDENCE)
        if len(tokens) <= _MAX_COMMAND_TOKENS:
            if norm in self._stop_phrases or _STOP_RE.match(norm):
                return Classification("stop", RULE_CONFIDENCE)
            if norm in self._start_phrases or _START_RE.match(norm):
                return Classification("start", RULE_CONFIDENCE)
            if _HELP_RE.match(norm):
                return Classification("help", RULE_CONFIDENCE)
        return self._model(tokens, norm)

    def _model(self, tokens: list[str], norm: str) -> Classification:
        """Score the statistical intents and turn the scores into a calibrated-ish confidence."""
        n = len(self._labels)
        if n == 0:
            return Classification("smalltalk", EMPTY_CONFIDENCE)
        word_counts = _word_features(tokens)
        word = self._words.cosines(word_counts, n)
        char = self._chars.cosines(_char_features(tokens), n)
        near = self._nearest.best(word_counts, n)
        scores = [
            (1.0 - _NEAREST_WEIGHT) * (_WORD_WEIGHT * w + (1.0 - _WORD_WEIGHT) * c) + _NEAREST_WEIGHT * e
            for w, c, e in zip(word, char, near, strict=True)
        ]
        for label, pattern in self._cue_index:
            if pattern.search(norm):
                scores[label] += _CUE_BONUS
        best = max(range(n), key=scores.__getitem__)
        if scores[best] < _MIN_SCORE:
            return Classification("smalltalk", EMPTY_CONFIDENCE)
        top = scores[best]
        total = sum(math.exp((s - top) / _TEMPERATURE) for s in scores)
        confidence = min(1.0, max(0.0, 1.0 / total)) * min(1.0, top / _FULL_CONFIDENCE_SCORE)
        return Classification(self._labels[best], round(confidence, 4))
