"""Offline BM25 retrieval over lesson passages, tolerant of site slang and typos.

Pipeline for both passages and queries: lower-case and ASCII-fold, normalise
voltages ("11k", "11 kV", "11,000 volts" -> "11kv"), tokenise, light stemming
(plural / -ing / -ed / final -e), phrase and slang expansion (``SYNONYMS``),
then stop-word removal.  Query words that are not in the index vocabulary are
fuzzily matched (character trigrams + difflib ratio) to a known word.

Scoring is Okapi BM25 (k1=1.2, b=0.75) over a weighted bag of words per
passage: body text (weight 1), ``Passage.keywords`` (``KEYWORD_WEIGHT``) and
the lesson title (``TITLE_FIELD_WEIGHT``), multiplied by a per-kind prior
(``KIND_WEIGHTS``) so titles, facts and warnings beat script lines that are
equally relevant.  Scripts are split into passages of 1-3 sentences.

``PassageIndex.covers`` decides whether a lesson is strong enough to answer
from: ``coverage >= MIN_COVERAGE`` (0.6) AND ``score >= MIN_SCORE`` (2.0).

* Coverage counts the query's content words (after stop words and slang
  expansion; unknown words count as content) that occur anywhere in the lesson
  (text, keywords or title).  0.6 means "clearly more than half": 1 of 1,
  2 of 2, 2 of 3, 3 of 4 or 5.  It rejects questions that merely share one word
  with the course ("what's the weather like tomorrow" matches "cold weather"
  in the resin lesson, but "tomorrow" is unknown: 1 of 2).
* The lesson score is its best passage score plus 0.35x the second and 0.35^2x
  the third (``LESSON_HIT_DECAY``).  2.0 needs roughly one distinctive word
  (IDF >= ~1.5, i.e. in fewer than ~20% of passages) matched in a short
  passage, or several common ones; a lone common word only passes where it
  dominates the lesson (e.g. "cable" vs the CAT lesson).  On the test corpus on-topic
  questions score 4-15 and off-topic ones have no match at all or fail the
  coverage rule.  IDF grows only logarithmically with corpus size, so the
  threshold holds from a few dozen to a few thousand passages; both numbers
  can be overridden per index.
"""

import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import lru_cache
from types import MappingProxyType

from sitecoach.nlu.normalise import plain_words

BM25_K1 = 1.2
BM25_B = 0.75
KIND_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"title": 1.2, "warning": 1.1, "fact": 1.1, "script": 1.0}
)
KEYWORD_WEIGHT = 2.0
TITLE_FIELD_WEIGHT = 0.5
FUZZY_WEIGHT = 0.8
FUZZY_CUTOFF = 0.8
LESSON_HIT_DECAY = 0.35
LESSON_MAX_HITS = 3
MIN_COVERAGE = 0.6
MIN_SCORE = 2.0
SCRIPT_MAX_SENTENCES = 3
SCRIPT_MAX_CHARS = 320
_MAX_PHRASE = 4
_FUZZY_CACHE_SIZE = 4096

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are as at be because
    been before being below between both but by can could did do does doing
    down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of on once only or other our ours out over own
    same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your
    yours yourself
    im ive id ill youre youve thats whats wots wot wat wats hows whys wheres
    dont doesnt didnt cant cannot couldnt wont wouldnt shouldnt isnt arent
    wasnt werent aint gonna gotta wanna u ur ya yer yeah yes ok okay pls please
    plz thanks thank cheers mate hi hey hello lol tell explain know mean means
    need needs want say says said get gets got getting thing things stuff like
    really actually bit question anyone someone something ever also still
    use uses used using wants wanted told lad lads bloke guy guys fella gaffer
    boss teh da dat wiv fer innit summat owt nowt
    heard hear meant supposed suppose theyre theres coz cos cuz reckon reckons
    basically honestly kinda sorta defo deffo tho though anyway abit roughly
    confused understand understood sure wondering wonder curious quick quickly
    much bit lot lots proper
    howay ye ah aye nae naw gannin gan ower ar kid wee wis aw doon oot dinnae cannae
    wouldnae didnae isnae wasnae willnae ken aboot noo wi fae tae masel yersel mebbe
    wor youse yous mam pet hinny bab duck butt butty boyo efter wance de
    surely ages ago enough sayin saying goin gonna tryna
    dae div jist aal meself mesel yerself oor mair whens whys cn wer thru jus
    """.split()
)

# Raw phrase -> canonical phrase.  Both sides are normalised with the same
# tokenizer and stemmer as passages, so inflections ("meggering") come free.
_SYNONYM_SOURCE: tuple[tuple[str, str], ...] = (
    ("11k", "11kv"),
    ("deid", "dead"),
    ("low voltage", "lv"),
    ("high voltage", "hv"),
    ("megger", "insulation resistance test"),
    ("meggar", "insulation resistance test"),
    ("ir test", "insulation resistance test"),
    ("ir tester", "insulation resistance test"),
    ("insulation test", "insulation resistance test"),
    ("insulation tester", "insulation resistance test"),
    ("insulation resistance", "insulation resistance test"),
    ("genny", "signal generator"),
    ("gennie", "signal generator"),
    ("cat", "cable avoidance tool"),
    ("cat scanner", "cable avoidance tool"),
    ("pot end", "potend"),
    ("pot ended", "potend"),
    ("pot ending", "potend"),
    ("paper insulated lead covered", "pilc"),
    ("paper insulated", "pilc"),
    ("lead covered", "pilc"),
    ("cross linked polyethylene", "xlpe"),
    ("crosslinked polyethylene", "xlpe"),
    ("cross linked", "xlpe"),
    ("wave form", "waveform"),
    ("con sac", "consac"),
    ("protective multiple earthing", "pme"),
    ("tn c s", "tncs"),
    ("combined neutral and earth", "cne"),
    ("combined neutral earth", "cne"),
    ("separate neutral and earth", "sne"),
    ("permit", "ptw"),
    ("permit to work", "ptw"),
    ("work permit", "ptw"),
    ("sanction for test", "sft"),
    ("sanction to test", "sft"),
    ("cable spiking", "spike"),
    ("spike gun", "spike"),
    ("spiking gun", "spike"),
    ("spiking tool", "spike"),
    ("go off", "cure set"),
    ("going off", "cure set"),
    ("gone off", "cure set"),
    ("goes off", "cure set"),
    ("went off", "cure set"),
    ("harden", "cure set"),
    # belted PILC is a cable construction (paper round all three cores), not a shock: longer phrases win
    ("belted pilc", "belted paper insulation"),
    ("belted cable", "belted paper insulation"),
    ("belted paper", "belted paper insulation"),
    ("belted type", "belted paper insulation"),
    ("belted 11kv", "belted paper insulation 11kv"),
    ("belted and screened", "belted paper insulation screened"),
    ("belted or screened", "belted paper insulation screened"),
    ("belted vs screened", "belted paper insulation screened"),
    ("belt", "electric shock"),
    ("zap", "electric shock"),
    ("electrocuted", "electric shock"),
    ("electrocution", "electric shock"),
    ("tingle", "electric shock"),
    ("defib", "aed"),
    ("ksb", "knowledge skills behaviours"),
    ("ksbs", "knowledge skills behaviours"),
    ("epa", "end point assessment"),
    ("end-point assessment", "end point assessment"),
    ("otj", "off the job"),
    ("trans joint", "transition joint"),
    # chatter that asks for an explanation but names no topic: dropped
    ("how come", ""),
    ("voice note", ""),  # a transcription's own label ("voice note: ..."): "note" would stem to "not"
    ("when its at home", ""),
    ("in plain english", ""),
    ("in simple terms", ""),
    ("in simple words", ""),
    ("wavecon", "waveform"),
    ("instead of", "alternative"),
    ("these days", "modern"),
    ("nowadays", "modern"),
    ("offcut", "scrap"),
    ("offcuts", "scrap"),
    ("chuck", "dispose"),
    ("skip", "waste"),
    ("defibrillator", "aed"),
    ("avi", "voltage indicator"),
    ("approved voltage indicator", "voltage indicator"),
    ("hsg 47", "hsg47"),
    ("gs 38", "gs38"),
    ("semi con", "semicon"),
    ("semi conductive", "semicon"),
    ("semiconductive", "semicon"),
    ("semiconducting", "semicon"),
    ("semiconductor", "semicon"),
    ("ally", "aluminium"),  # jointers' slang: "ally cable", "ally core"
    ("manhole", "chamber"),
    ("hole", "trench"),  # "in the hole" is the excavation
    ("diff", "difference"),  # "whats the diff between a permit and an sft"
    ("pissing down", "rain"),  # site weather
    ("pissing it down", "rain"),
    ("chucking it down", "rain"),
    ("lashing down", "rain"),
    ("bucketing down", "rain"),
    ("knackered", "tired"),
    ("kip", "sleep"),
    ("hasawa", "hswa"),  # the Health and Safety at Work etc. Act 1974
    ("ganger", "supervisor"),  # whoever runs the gang or the job
    ("chargehand", "supervisor"),
    ("charge hand", "supervisor"),
    ("foreman", "supervisor"),
    ("heatshrink", "heat shrink"),
    ("coldshrink", "cold shrink"),
    ("pressure test", "pressuretest"),  # not "time pressure"
)

_APOSTROPHES = re.compile(r"['`\u2018\u2019\u00b4]")
_THOUSAND_VOLTS = re.compile(r"\b(\d+),?000\s*(?:v|volts?)\b")
_KILOVOLTS = re.compile(r"\b(\d+)\s*(?:kv|k|kilovolts?|kvolts?)\b")
_VOLTS = re.compile(r"\b(\d+)\s*(?:v|volts?)\b")
_MILLIMETRES = re.compile(r"\b(\d+)\s*(?:mm2|mm|sqmm)\b")
_TOKEN = re.compile(r"[a-z0-9]+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def sentences(text: str) -> list[str]:
    """The sentences (and lines) of a text, stripped, none empty."""
    return [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of a lesson: its title, a fact, a warning or script lines."""

    id: str
    lesson_id: str
    lesson_title: str
    kind: str
    text: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A passage with its relevance score (higher is better)."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class LessonMatch:
    """A lesson's aggregated relevance for a query."""

    lesson_id: str
    lesson_title: str
    score: float
    coverage: float
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class _Group:
    """One content word (or phrase) of a text, as canonical index terms."""

    terms: tuple[str, ...]
    raw: str | None = None  # the surface word, if the group may be typo-corrected


def _normalise(text: str) -> str:
    """Lower-case, ASCII-fold and canonicalise units in ``text``."""
    text = _APOSTROPHES.sub("", text.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c if c.isascii() else " " for c in text if not unicodedata.combining(c))
    text = _THOUSAND_VOLTS.sub(r"\1kv", text)
    text = _KILOVOLTS.sub(r"\1kv", text)
    text = _VOLTS.sub(r"\1v", text)
    return _MILLIMETRES.sub(r"\1mm", text)


def stem(token: str) -> str:
    """Strip plural, -ing, -ed and a final -e from an ASCII token."""
    if len(token) <= 3 or not token.isalpha():
        return token
    for suffix in ("ing", "ed"):
        base = token[: -len(suffix)]
        if token.endswith(suffix) and len(base) >= 3:
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            token = base
            break
    else:
        if token.endswith("ies") and len(token) > 4:
            token = token[:-3] + "y"
        elif token.endswith(("sses", "shes", "ches", "xes", "zes")):
            token = token[:-2]
        elif token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
    if len(token) >= 4 and token.endswith("e") and not token.endswith("ee"):
        token = token[:-1]
    return token


def _stems(text: str) -> tuple[list[str], list[str]]:
    """Return the raw tokens of ``text`` and their stems."""
    raw = _TOKEN.findall(_normalise(text))
    return raw, [stem(t) for t in raw]


@lru_cache(maxsize=8192)
def _chatter(token: str) -> bool:
    """A stop word, or a texting or dialect spelling of stop words only (the NLU's table: "wud" is
    "would", "hoo" is "how", "n" is "and"); never a job word the table also reads ("ganger")."""
    if token in STOP_WORDS:
        return True
    plain = plain_words(token)
    return bool(plain) and all(word in STOP_WORDS for word in plain or ())


def _build_synonyms() -> Mapping[tuple[str, ...], tuple[str, ...]]:
    """Compile ``_SYNONYM_SOURCE`` into stemmed phrase -> stemmed terms."""
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for phrase, canonical in _SYNONYM_SOURCE:
        terms = tuple(_stems(canonical)[1])
        table[tuple(_stems(phrase)[1])] = terms
        table.setdefault(terms, terms)  # the canonical phrase itself is one content word
    return MappingProxyType(table)


SYNONYMS: Mapping[tuple[str, ...], tuple[str, ...]] = _build_synonyms()


def analyze(text: str) -> list[tuple[str, ...]]:
    """Return the content words of ``text`` as groups of canonical index terms."""
    return [g.terms for g in _groups(text)]


def _groups(text: str) -> list[_Group]:
    """Tokenise, stem, expand phrases/slang and drop stop words."""
    raw, stems = _stems(text)
    groups: list[_Group] = []
    i, n = 0, len(stems)
    while i < n:
        for length in range(min(_MAX_PHRASE, n - i), 0, -1):
            canonical = SYNONYMS.get(tuple(stems[i : i + length]))
            if canonical is not None:
                if canonical:  # an empty canonical phrase is chatter ("how come"): no content word
                    groups.append(_Group(canonical))
                i += length
                break
        else:
            if not _chatter(raw[i]) and len(raw[i]) > 1:
                groups.append(_Group((stems[i],), raw[i]))
            i += 1
    return groups


def _trigrams(term: str) -> set[str]:
    """Character trigrams of ``term`` padded with word boundaries."""
    padded = f"^{term}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _similarity(a: str, b: str) -> float:
    """Difflib ratio of two words, scoring one adjacent swap ("nuetral") as 0.95."""
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
            if a[diff[1]] == b[diff[0]]:
                return 0.95
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def split_script(
    passage: Passage,
    max_sentences: int = SCRIPT_MAX_SENTENCES,
    max_chars: int = SCRIPT_MAX_CHARS,
) -> tuple[Passage, ...]:
    """Split a long passage into chunks of 1-``max_sentences`` sentences (ids ``id.N``)."""
    chunks: list[list[str]] = []
    for sentence in sentences(passage.text):
        current = chunks[-1] if chunks else None
        if (
            current is None
            or len(current) >= max_sentences
            or sum(len(s) + 1 for s in current) + len(sentence) > max_chars
        ):
            chunks.append([sentence])
        else:
            current.append(sentence)
    if len(chunks) <= 1:
        return (passage,)
    return tuple(
        replace(passage, id=f"{passage.id}.{n}", text=" ".join(chunk))
        for n, chunk in enumerate(chunks, start=1)
    )


class PassageIndex:
    """An immutable, thread-safe BM25 index over lesson passages."""

    def __init__(
        self,
        passages: Iterable[Passage],
        *,
        min_coverage: float = MIN_COVERAGE,
        min_score: float = MIN_SCORE,
    ) -> None:
        """Index ``passages``; scripts are split into sentence-sized passages."""
        self.min_coverage = min_coverage
        self.min_score = min_score
        docs: list[Passage] = []
        for passage in passages:
            docs.extend(split_script(passage) if passage.kind == "script" else (passage,))
        self._passages = tuple(docs)

        surface: dict[str, tuple[str, ...]] = {}
        title_terms: dict[str, list[str]] = {}
        bags: list[Counter[str]] = []
        lesson_terms: dict[str, set[str]] = defaultdict(set)
        self._lesson_titles: dict[str, str] = {}
        for doc in self._passages:
            bag: Counter[str] = Counter()
            for group in _groups(doc.text):
                bag.update(group.terms)
                if group.raw is not None:
                    surface.setdefault(group.raw, group.terms)
            for keyword in doc.keywords:
                for group in _groups(keyword):
                    for term in group.terms:
                        bag[term] += KEYWORD_WEIGHT
                    if group.raw is not None:
                        surface.setdefault(group.raw, group.terms)
            if doc.lesson_id not in title_terms:
                title_terms[doc.lesson_id] = [t for g in _groups(doc.lesson_title) for t in g.terms]
                self._lesson_titles[doc.lesson_id] = doc.lesson_title
            for term in title_terms[doc.lesson_id]:
                bag[term] += TITLE_FIELD_WEIGHT
            bags.append(bag)
            lesson_terms[doc.lesson_id].update(bag)
        self._lesson_terms = {k: frozenset(v) for k, v in lesson_terms.items()}

        n_docs = len(bags)
        lengths = [sum(bag.values()) for bag in bags]
        avg_len = (sum(lengths) / n_docs) if n_docs else 1.0
        df: Counter[str] = Counter(term for bag in bags for term in bag)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, bag in enumerate(bags):
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[i] / (avg_len or 1.0))
            prior = KIND_WEIGHTS.get(self._passages[i].kind, 1.0)
            for term, tf in bag.items():
                idf = math.log(1 + (n_docs - df[term] + 0.5) / (df[term] + 0.5))
                weight = prior * idf * tf * (BM25_K1 + 1) / (tf + norm)
                postings[term].append((i, weight))
        self._postings = {t: tuple(p) for t, p in postings.items()}

        for phrase, _ in _SYNONYM_SOURCE:
            for group in _groups(phrase):
                if " " not in phrase and phrase.isalpha():
                    surface.setdefault(phrase, group.terms)
        self._surface = {w: t for w, t in surface.items() if len(w) >= 3 and w.isalpha()}
        grams: dict[str, set[str]] = defaultdict(set)
        for word in self._surface:
            for gram in _trigrams(word):
                grams[gram].add(word)
        self._grams = {g: frozenset(words) for g, words in grams.items()}
        self._correct = lru_cache(maxsize=_FUZZY_CACHE_SIZE)(self._correct_uncached)

    @property
    def passages(self) -> tuple[Passage, ...]:
        """The indexed passages, after script splitting."""
        return self._passages

    def __len__(self) -> int:
        """Number of indexed passages."""
        return len(self._passages)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """Return the top ``k`` passages for ``query``, best first."""
        if k <= 0:
            return []
        _, weights = self._query(query)
        scores = self._score(weights)
        best = heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))
        return [Hit(self._passages[i], score) for i, score in best]

    def best_lessons(self, query: str, k: int = 3) -> list[LessonMatch]:
        """Aggregate passage hits by lesson and return the top ``k`` lessons."""
        if k <= 0:
            return []
        groups, weights = self._query(query)
        by_lesson: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for i, score in self._score(weights).items():
            by_lesson[self._passages[i].lesson_id].append((score, i))
        matches = []
        for lesson_id, scored in by_lesson.items():
            scored.sort(key=lambda item: (-item[0], item[1]))
            top = scored[:LESSON_MAX_HITS]
            total = sum(s * LESSON_HIT_DECAY**rank for rank, (s, _) in enumerate(top))
            terms = self._lesson_terms[lesson_id]
            covered = sum(1 for g in groups if not terms.isdisjoint(g))
            matches.append(
                LessonMatch(
                    lesson_id=lesson_id,
                    lesson_title=self._lesson_titles[lesson_id],
                    score=total,
                    coverage=covered / len(groups) if groups else 0.0,
                    hits=tuple(Hit(self._passages[i], s) for s, i in top),
                )
            )
        matches.sort(key=lambda m: (-m.score, m.lesson_id))
        return matches[:k]

    def covers(self, match: LessonMatch) -> bool:
        """Whether ``match`` is strong enough to answer from (coverage and score thresholds)."""
        return match.coverage >= self.min_coverage and match.score >= self.min_score

    def _query(self, query: str) -> tuple[list[tuple[str, ...]], dict[str, float]]:
        """Analyse a query into distinct content-word groups and term weights."""
        groups: dict[tuple[str, ...], float] = {}
        for group in _groups(query):
            terms, weight = group.terms, 1.0
            if group.raw is not None and terms[0] not in self._postings:
                corrected = self._correct(group.raw)
                if corrected is not None:
                    terms, weight = corrected, FUZZY_WEIGHT
            groups[terms] = max(weight, groups.get(terms, 0.0))
        weights: dict[str, float] = defaultdict(float)
        for terms, weight in groups.items():
            for term in terms:
                weights[term] += weight / math.sqrt(len(terms))
        return list(groups), weights

    def _score(self, weights: Mapping[str, float]) -> dict[int, float]:
        """Sum BM25 contributions of weighted query terms per passage index."""
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weights.items():
            for i, contribution in self._postings.get(term, ()):
                scores[i] += weight * contribution
        return scores

    def _correct_uncached(self, word: str) -> tuple[str, ...] | None:
        """Map an unknown surface word to the terms of the closest known word."""
        if len(word) < 4 or not word.isalpha():
            return None
        shared: Counter[str] = Counter()
        for gram in _trigrams(word):
            shared.update(self._grams.get(gram, ()))
        best: tuple[float, bool, int, str] | None = None
        for candidate, count in shared.items():
            if count < 2 or abs(len(candidate) - len(word)) > 2:
                continue
            similarity = _similarity(word, candidate)
            key = (similarity, word[0] == candidate[0], count, candidate)
            if similarity >= FUZZY_CUTOFF and (best is None or key > best):
                best = key
        return None if best is None else self._surface[best[3]]


def lesson_passages(
    lesson_id: str,
    title: str,
    script: str,
    key_facts: Iterable[str],
    safety_warnings: Iterable[str],
    keywords: Iterable[str] = (),
) -> list[Passage]:
    """The searchable passages of one lesson: its title, facts, warnings and script (split when indexed)."""
    kw = tuple(keywords)
    out = [Passage(f"{lesson_id}:title", lesson_id, title, "title", title, kw)]
    out += [
        Passage(f"{lesson_id}:fact:{i}", lesson_id, title, "fact", f, kw) for i, f in enumerate(key_facts)
    ]
    out += [
        Passage(f"{lesson_id}:warning:{i}", lesson_id, title, "warning", w, kw)
        for i, w in enumerate(safety_warnings)
    ]
    out.append(Passage(f"{lesson_id}:script", lesson_id, title, "script", script, kw))
    return out
