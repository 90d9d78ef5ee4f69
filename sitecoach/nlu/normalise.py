"""Normalisation: what the rules and the model see of a message.

NFKC, lower case, punctuation and emoji stripped, letter repeats collapsed, and common jointer and
texting slang and typos mapped to plain words ("gies a quiz" -> "give me a quiz", "11k" -> "11kv").
"""

import re
import unicodedata
from collections.abc import Iterable

_TOKEN_CACHE_LIMIT = 50_000

# --------------------------------------------------------------------------
# Layer 1: normalisation
# --------------------------------------------------------------------------

_EMOJI_WORDS = {
    "\U0001f198": " sos ",  # 🆘
    "\U0001f6d1": " stop ",  # 🛑 (the stop sign)
    # a phone or notifications switched off: a request to stop or pause messages, which the coach treats as
    # STOP (pauses are opt-outs here; the confirmation says how to come back)
    "\U0001f4f5": " stop messages ",  # 📵
    "\U0001f515": " stop messages ",  # 🔕
    "\u2753": " ? ",  # ❓
    "\u2754": " ? ",  # ❔
    "&": " and ",
    "+": " and ",
    "@": " at ",
}
_EMOJI_RE = re.compile("|".join(re.escape(k) for k in _EMOJI_WORDS))
# A "no entry" sign alone says stop; beside words it means something else ("signs say ⛔ no entry"). The
# other stop signs need no such rule: 🛑, 📵 and 🔕 read as "stop (messages)" anywhere (above).
_NO_ENTRY_ONLY_RE = re.compile(r"^[\s\W]*\u26d4[\s\W\u26d4]*$")
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
_slang("stop", "stp", "st0p", "stopp", "sotp", "stpo", "stahp", "stawp", "stopz", "srop")
_slang("unsubscribe", "unsubcribe", "unsubscibe", "unsuscribe", "unsubscrib", "unsubsribe")
_slang("opt out", "optout", "opt-out")
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


def plain_words(token: str) -> tuple[str, ...] | None:
    """The plain words a texting, dialect or typo spelling stands for ("wud" -> "would", "hoo" -> "how",
    "mins" -> "minutes"), or None when ``token`` (lower case, no punctuation) is not one of them."""
    return _SLANG.get(token)


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


class Normaliser:
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

    def normalise(self, text: str) -> str:
        """The canonical, space-separated form of ``text``."""
        return " ".join(self.tokens(text))

    def tokens(self, text: str) -> list[str]:
        """Normalise ``text`` and return its canonical tokens."""
        text = unicodedata.normalize("NFKC", text).lower()
        if _NO_ENTRY_ONLY_RE.match(text):
            return ["stop"]
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


DEFAULT_NORMALISER = Normaliser()


def normalise(text: str) -> str:
    """Return the canonical, space-separated form of ``text`` used by every layer."""
    return " ".join(DEFAULT_NORMALISER.tokens(text))
