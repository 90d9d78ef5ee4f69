"""Round 8 (a blind round of opt-outs and emergencies): the whole-message STOP grammar now takes a rude
dismissal ("fuck off bot") and STOP in the other languages a UK site hears ("arrête", "nie chcę tych
wiadomości"), while banter, quiz control and trade words that look like them stay what they are; and an
incident told as the past with the casualty recovered ("he's fine now") is a story, not harm now.

Round 9 (another blind round): STOP in Lithuanian, Welsh, Urdu and Punjabi (Latin letters) and more
Polish, Romanian and Portuguese; finishing with the messages in an idiom ("call it a day on the texts") as
an opt-out cue; and doubt about what to do now ("I don't know if I should go near it") is not a hypothetical.

Round 10 (another blind round): harm now in Polish, Romanian, Portuguese, Lithuanian and Urdu/Punjabi (Latin
letters) is a hazard cue, where a plain word for help ("potrzebuję pomocy z quizem") is not; and Polish
"SMS-y" are messages to stop ("nie chcę już tych smsów"), where a bare English "sms" is not.

Round 12 (another blind round): STOP and "delete my number" in Bulgarian, Hungarian, Italian, French, Spanish,
Arabic and Somali (Latin letters), and more Polish, Romanian, Welsh and Urdu; a GDPR erasure request as the
whole message ("delete my number"); wishing the messages had stopped, making them stop for good and passing
on any more as opt-out cues; harm now in Hungarian, Bulgarian, Arabic, Somali, Italian, French and Spanish as
a hazard cue, where asking for help with a quiz, or a lesson question ("en cas de fuite de gaz ... c'est
pour le cours"), is not.

The messages are new wordings; none is chosen from an evaluation set.
"""

from __future__ import annotations

import pytest

from sitecoach.nlu.classifier import IntentClassifier
from sitecoach.nlu.commands import OPT_OUT_RE, is_stop_command
from sitecoach.nlu.hazards import hazard_cue
from sitecoach.nlu.normalise import DEFAULT_NORMALISER
from sitecoach.skills import build_classifier


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return build_classifier()


def _is_command(message: str) -> bool:
    norm = DEFAULT_NORMALISER.normalise(message)
    return is_stop_command(norm, len(norm.split()))


RUDE_DISMISSALS = ["fuck off", "F OFF BOT", "fuck off mate", "feck off coach", "naff off please", "do one"]
FOREIGN_STOPS = [
    "arrete",  # French, typed without the accent
    "Arrêtez les messages svp",
    "basta",
    "basta ya, no quiero más mensajes",
    "para ya por favor",
    "przestań",
    "nie chcę więcej wiadomości",
    "nu mai vreau mesaje te rog",
    "pare de enviar mensagens",
]


@pytest.mark.parametrize("message", RUDE_DISMISSALS + FOREIGN_STOPS)
def test_a_rude_or_foreign_stop_is_a_stop_command(classifier: IntentClassifier, message: str) -> None:
    assert _is_command(message)
    assert classifier.classify(message).intent == "stop"


@pytest.mark.parametrize(
    "message",
    [
        "haha fuck off, that's class",  # banter inside a longer message
        "fuck off is that true",
        "jog on with that one lol",
        "do one on earthing next",
        "para",  # a lone "para" could be anything
        "pare back the oversheath",
        "halt",  # an English word on site
        "no messages today?",  # missing the daily question, in English
        "arrete 11kv",
    ],
)
def test_words_that_only_look_like_them_are_not_a_command(message: str) -> None:
    assert not _is_command(message)


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("haha fuck off, that's class", "smalltalk"),
        ("do one on earthing next", "quiz"),
        ("pare back the oversheath how far", "explain"),
        ("stop quiz", "quiz"),  # quiz control: the quiz skill ends the round, the learner stays opted in
        ("end the quiz now", "quiz"),
        ("stop lying 😂 no way that's 33kV", "smalltalk"),
    ],
)
def test_banter_quiz_control_and_trade_words_are_not_opt_outs(
    classifier: IntentClassifier, message: str, intent: str
) -> None:
    assert classifier.classify(message).intent == intent


@pytest.mark.parametrize(
    "message",
    [
        "one of the jointers got belted off a service last month, he's alright now, why does it happen",
        "our labourer fell in the dig a few weeks ago, he's back at work now, what should we have done",
    ],
)
def test_a_past_incident_with_the_casualty_recovered_is_not_harm_now(
    classifier: IntentClassifier, message: str
) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))
    assert classifier.classify(message).intent != "emergency"


@pytest.mark.parametrize(
    "message",
    [
        "he had a belt yesterday and he's fine now but the lad with him has collapsed",
        "took a shock off the pillar last week, he's ok but his hand is blistering",
        "he got a belt off the main an hour ago, he's ok now but he's still shaking",
        "the gaffer got a shock off the link box, he's ok now i think",
    ],
)
def test_recovered_words_beside_harm_now_keep_the_cue(classifier: IntentClassifier, message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))
    assert classifier.classify(message).intent == "emergency"


# --- round 9 (a blind round of opt-outs and emergencies) ------------------------------------------------

ROUND9_FOREIGN_STOPS = [
    "wypisz mnie",  # Polish: "unsubscribe me"
    "nie wysyłajcie mi już wiadomości",
    "dezabonati-ma va rog",  # Romanian, typed without the accents
    "nesiųskite man žinučių",  # Lithuanian
    "prasau nebesiuskite daugiau zinuciu",  # Lithuanian, typed without the accents
    "nebenoriu tu zinuciu",
    "paid ag anfon neges ata i",  # Welsh
    "dim negeseuon eto plis",
    "ab messages mat bhejo bhai",  # Urdu in Latin letters
    "sab msgs band kardo ji",  # Punjabi in Latin letters
    "por favor me tira da lista",  # Portuguese
]


@pytest.mark.parametrize("message", ROUND9_FOREIGN_STOPS)
def test_stop_in_more_languages_is_a_stop_command(classifier: IntentClassifier, message: str) -> None:
    assert _is_command(message)
    assert classifier.classify(message).intent == "stop"


@pytest.mark.parametrize(
    "message",
    [
        "band karo",  # no word for messages: could be anything
        "messages band hai kya",  # "are the messages off?": a question
        "diolch",  # Welsh "thanks" alone
        "dim",
        "neges",
        "take me off the lista",
        "wypisz",
        "nie wiem",  # Polish "I don't know"
    ],
)
def test_polite_words_and_fragments_of_them_are_not_a_command(message: str) -> None:
    assert not _is_command(message)


@pytest.mark.parametrize(
    "message",
    [
        "been a good run but let's call it a day with the texts",
        "I'm going to step out of the coaching now, thanks for everything",
        "can I get off the list please, I've finished my apprenticeship",
        "won't be needing the reminders any longer ta",
    ],
)
def test_finishing_with_the_messages_in_an_idiom_is_an_opt_out_cue(message: str) -> None:
    assert OPT_OUT_RE.search(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "time to call it a day on the cable pull",
        "wrap it up coach, I'm going home",
        "sign out of the app how",
    ],
)
def test_calling_it_a_day_on_the_work_is_not_an_opt_out_cue(message: str) -> None:
    assert not OPT_OUT_RE.search(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "the pillar is smoking and I don't know if I should pull the fuses",
        "cable's sparking in the bay, not sure if we can get near it",
    ],
)
def test_doubt_about_what_to_do_now_is_not_a_hypothetical(message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "not sure if you can get a belt off a dead cable",
        "do you know if a smoking joint has to be reported",
        "I don't know what to do if the trench starts collapsing",
    ],
)
def test_a_question_with_know_if_or_sure_if_stays_a_question(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))


# --- round 10 (a blind round of opt-outs and emergencies) -----------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "ratunku, Marek spadł do wykopu i nie oddycha",  # Polish
        "kolega stracił przytomność przy złączu",
        "prąd go poraził, leży na ziemi",
        "ajutor! un coleg a luat curent",  # Romanian
        "colegul e inconstient in sant",
        "socorro, ele levou um choque no cabo",  # Portuguese
        "fuga de gás na vala, o rapaz desmaiou",
        "gelbėkit, darbininkas be sąmonės",  # Lithuanian
        "bachao yaar, usko current lag gaya",  # Urdu / Punjabi in Latin letters
        "tent ko aag lag gayi",
    ],
)
def test_harm_now_in_other_languages_is_a_hazard_cue(message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "potrzebuję pomocy z quizem",  # Polish: "I need help with the quiz"
        "am nevoie de ajutor cu testul",  # Romanian: "I need help with the test"
        "madad chahiye quiz mein",  # Urdu: "I need help with the quiz"
        "mera phone gir gaya tha, ab theek hai",  # "my phone fell, it's fine now"
        "obrigado pela ajuda",  # Portuguese: "thanks for the help"
    ],
)
def test_asking_for_help_in_other_languages_is_not_a_hazard_cue(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize("message", ["nie chcę już smsów", "nie wysyłajcie mi smsów", "przestańcie smsy"])
def test_polish_sms_words_are_messages_to_stop(message: str) -> None:
    assert _is_command(message)


@pytest.mark.parametrize("message", ["no sms today?", "sms", "nie wiem co to sms"])
def test_a_bare_sms_is_not_a_stop_command(message: str) -> None:
    assert not _is_command(message)


# --- round 12 (a blind round of opt-outs and emergencies) -----------------------------------------------

ROUND12_FOREIGN_STOPS = [
    "molya, sprete saobshteniyata",  # Bulgarian
    "ne mi prashtaite poveche saobshteniya",
    "kérem ne küldjetek több üzenetet",  # Hungarian
    "ne irjatok tobbet",
    "leiratkozom",
    "per favore smettila con i messaggi",  # Italian
    "cancellate il mio numero per favore",
    "law samaht wa2if el rasayel",  # Arabic in Latin letters
    "la tirsil li rasa2il ba3d al youm",
    "jooji fariimaha fadlan",  # Somali
    "jooji",  # Somali "stop!" alone, as "basta" and "arrete" are
    "fariimo dambe ha ii soo dirin",
    "töröljék az adataimat",  # Hungarian: "delete my data"
    "supprimez mes données svp",  # French
    "retirez-moi de la liste",
    "borren mis datos por favor",  # Spanish
    "sácame de la lista",
    "iztriite moite danni",  # Bulgarian
    "ștergeți datele mele",  # Romanian
    "usuń mnie z listy",  # Polish
    "imsah raqmi",  # Arabic
    "tynnwch fi oddi ar y rhestr plis",  # Welsh
    "mera number hata do",  # Urdu / Punjabi
    "delete my phone number",  # GDPR-style, in English
    "remove my details from your records please",
    "GDPR request: erase my personal data",
]


@pytest.mark.parametrize("message", ROUND12_FOREIGN_STOPS)
def test_stop_and_delete_my_number_in_more_languages_is_a_stop_command(message: str) -> None:
    assert _is_command(message)


@pytest.mark.parametrize(
    "message",
    [
        "ne znam",  # Bulgarian "I don't know"
        "töröljem a választ?",  # Hungarian "shall I delete the answer?"
        "delete my last answer",
        "remove my data from the quiz?",
        "cancellate la domanda 3",  # Italian "cancel question 3"
        "khalas",  # Arabic "enough / done"
        "molya",
    ],
)
def test_fragments_and_other_deletions_are_not_a_stop_command(message: str) -> None:
    assert not _is_command(message)


@pytest.mark.parametrize(
    "message",
    [
        "to be honest I'd rather you stopped texting me from now on",
        "honestly just make them stop for good",
        "I'll pass on any more of the quizzes and tips, thanks",
        "this is a right to erasure request under gdpr",
    ],
)
def test_wishing_them_stopped_or_passing_on_more_is_an_opt_out_cue(message: str) -> None:
    assert OPT_OUT_RE.search(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "I'll pass on these notes to the lads",
        "I'll pass on more details later",
        "how do I make it stop beeping",
        "I'd rather the gaffer stopped sending us out in the rain",
    ],
)
def test_passing_things_on_and_stopping_a_noise_are_not_opt_out_cues(message: str) -> None:
    assert not OPT_OUT_RE.search(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "segítség, áramütés érte a kollégát",  # Hungarian
        "a kolléga eszméletlen az árokban",
        "pomosht, tok go udari",  # Bulgarian
        "kolegata ne disha",
        "al najda, fi 7ari2 bil mawqa3",  # Arabic in Latin letters
        "zameeli mkahrab ya jamaa3a",
        "caawimaad, ninkii wuu dhacay mana neefsanayo",  # Somali
        "aiuto, è svenuto nello scavo",  # Italian
        "c'è fuoco nella buca",
        "au secours, il ne respire plus",  # French
        "le gars est inconscient dans la tranchée",
        "no respira, llamen una ambulancia",  # Spanish
    ],
)
def test_harm_now_in_round_12_languages_is_a_hazard_cue(message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "segítség kell a kvízhez",  # Hungarian: "I need help with the quiz"
        "ayuda con el examen por favor",  # Spanish
        "aiuto con la domanda 4",  # Italian
        "caawimaad su'aasha 3",  # Somali
        "pomosht s testa",  # Bulgarian
        "que faire en cas de fuite de gaz ? c'est pour le cours",  # French: a lesson question
        "qué hago si huele a gas en la arqueta, es para el examen",  # Spanish: a lesson question
    ],
)
def test_help_with_a_quiz_or_a_lesson_question_in_other_languages_is_not_a_hazard_cue(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    [
        "the new trench is going along the verge past the school",  # where it will be dug
        "we're parking the van where the trench is going",
        "scenario: the joint's smoking and the lad's collapsed, what's the first step?",  # a lesson
    ],
)
def test_a_trench_route_or_a_scenario_is_not_harm_now(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))


@pytest.mark.parametrize(
    "message",
    ["the side of the trench is going, get out", "trench wall's going, lads out now"],
)
def test_a_trench_side_going_is_still_harm_now(message: str) -> None:
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))


# --- round 11 (a blind round across every intent) ---------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "remember when dan got a belt off the pillar lol",
        "member that time the trench caved in on the new lad, mad",
        "do you remember when the joint went bang in the bay",
        "can I be tested on cable strikes",
        "I want to get tested on what to do in a trench collapse",
    ],
)
def test_a_remembered_incident_or_a_request_to_be_tested_is_not_harm_now(message: str) -> None:
    assert not hazard_cue(DEFAULT_NORMALISER.normalise(message))


def test_a_remembered_incident_happening_again_keeps_the_cue() -> None:
    message = "remember when the link box went up, well its smoking again right now"
    assert hazard_cue(DEFAULT_NORMALISER.normalise(message))
