"""The cue grammar for harm to a person and uncontrolled hazards happening now.

`hazard_cue(norm)` is true for "he's had a belt", "trench has collapsed", "we've hit a cable", and
false when the hazard is framed as a question, a hypothetical or a lesson ("what do I do if someone
gets a belt"). The emergency detector combines it with the model (`sitecoach.nlu.classifier`).
"""

import re

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


def hazard_cue(norm: str) -> bool:
    """Whether a normalised message reports harm or a hazard now (not a question about one)."""
    return bool(_EMERGENCY_RE.search(norm)) and not _is_hypothetical(norm)


# What kind of emergency a report is, so the steps fit it (checked in this order; the first that matches
# wins). Electrical cues come first: on a cable job an electrical cause changes every step (nobody touches
# the casualty until the supply is isolated), so the general electrical steps are the default too.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "electric",
        re.compile(
            r"\belectr\w*|\bshock\w*|\bbelt(?:ed)?\b|\bzap\w*|\bjolt\w*|\btingl\w*|\barc\w*|\bflash\w*"
            r"|\b(?:hit|struck|strike|striked|cut|cut into|through|into|nicked|nick|damaged|split) "
            r"(?:a |the |an |that |this )?(?:live )?" + _TARGET + r"\b"
            r"|\blive (?:cable|conductor|main|end|core|one)\b"
        ),
    ),
    (
        "collapse",
        re.compile(
            r"\bcollapse\w* (?:trench|hole|excavation|wall|side|sides|dig)\b"
            r"|\b(?:trench|hole|excavation|wall|walls|side|sides|shoring|bank|ground|dig|pit) "
            r"(?:\w+ ){0,2}(?:collapsed|caved|slid|slipped|given way|gave way|come in|came in|"
            r"fallen in|fell in)"
            r"|\bcav(?:e|ed|ing) in\b|\bburied\b|\bunder the (?:spoil|soil|mud|dirt|muck)\b|\bslid in\b"
        ),
    ),
    (
        "gas",
        re.compile(
            r"\bgas\b|\bgassy\b|\bcarbon monoxide\b|\bco alarm\b|\blow oxygen\b|\blow o2\b|\bh2s\b"
            r"|\b(?:detector|monitor|alarm)\w* (?:\w+ ){0,3}(?:going off|beeping|bleeping|screaming|alarming)"
            r"|\bfumes\b"
        ),
    ),
    ("fire", re.compile(r"\bfire\b|\bflames?\b|\bsmok\w*|\bexplo\w*|\bblew up\b|\bblown up\b")),
    ("eye", re.compile(r"\beyes?\b|\beyeball\b")),
    ("burn", re.compile(r"\bburn\w*|\bscald\w*|\bblister\w*")),
    ("bleeding", re.compile(r"\bbleed\w*|\bblood\w*|\bgash\w*|\bdeep cut\b|\bcut (?:his|her|my|their|me)\b")),
)


def hazard_kind(norm: str) -> str:
    """The kind of emergency a normalised report describes: electric (the default), collapse, gas, fire,
    eye, burn or bleeding."""
    for kind, pattern in _KINDS:
        if pattern.search(norm):
            return kind
    return "electric"
