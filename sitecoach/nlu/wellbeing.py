"""The cue grammar for a learner in crisis: thoughts of suicide or self-harm, in jointers' words.

`crisis_cue(norm)` is true for "I want to end it all", "had thoughts about ending it", "thinking of
killing myself", "no point in anything anymore", "everyone'd be better off without me", "I've been
cutting myself", "thinking about jumping off the bridge". Such a message is never an opt-out ("end it" is
not "END"): the classifier answers it with care and helplines before anything else but an emergency
(`sitecoach.skills.wellbeing`). Recall first: a question about the job that happens to match costs one
caring message.
"""

import re

_CRISIS_RE = re.compile(
    "|".join(
        (
            # "cut myself on the knife" or "hurt myself on the drum" is an accident (the emergency path)
            r"\b(?:kill|killing|harm|harming|cutting|top|topping) (?:my ?self|meself|mesel)\b",
            r"\b(?:want|wants|wanted|wanting|going|gonna|trying|tried|threaten\w*|talk\w* about|"
            r"said he|said she) (?:to )?(?:kill|harm|top) (?:him|her|them) ?sel(?:f|ves)\b",
            r"\bsuicid\w*",
            r"\bself ?harm\w*",
            r"\b(?:end|ending) (?:it all|my life)\b",
            r"\b(?:thoughts?|thinking|thought|think|want|wanting|wanted|gonna|going|plan|planning|about) "
            r"(?:of |about |to )?(?:ending|end) it\b"
            r"(?! (?:early|today|tomorrow|there|here|now|for|at|on|off))",
            r"\btake (?:my|me) (?:own )?life\b|\btaking (?:my|me) (?:own )?life\b",
            r"\b(?:dont|do not|dont even|no longer) want to (?:be here|live|be alive|wake up|exist|go on)\b",
            r"\b(?:no|dont see the|cant see the|whats the|what is the) point (?:in |of )?"
            r"(?:living|life|going on|anything|it all)(?: any ?more)?\s*$",
            r"\bpoint (?:in|of) (?:me )?(?:being alive|staying alive|waking up)\b"
            r"|\bpoint (?:in|of) (?:me )?being here(?: any ?more)?\s*$",
            # "i dont see the point anymore" with nothing after it: two blind writers meant a crisis (an
            # opt-out names the messages: "dont see the point of these texts anymore")
            r"\b(?:dont|cant|do not|cannot) see (?:the|any) point any ?more\s*$",
            r"\bdone with (?:life|living)\b",
            r"(?:(?:^|\b(?:im|i am|i)\s)not (?:going to|gonna|gunna) be|\bi (?:wont|will not) be) "
            r"(?:around|here) (?:for )?(?:much|very|that|too) long(?:er)?\b"
            r"(?![^.]{0,40}\b(?:today|tonight|tomorrow|this (?:week|morning|afternoon)|monday|tuesday"
            r"|wednesday|thursday|friday|saturday|sunday|contract|signal|late|early|shift|job|site|quiz|course"
            r"|apprenticeship|firm|company|dentist|doctors|appointment|holiday|leave|at \d|\d))",
            r"\b(?:wont|will not|dont|wouldnt) need (?:these|them|this|any|it|messages|texts)\b.{0,30}"
            r"\bwhere im going\b",
            r"\btell (?:everyone|every1|them all|my (?:mum|mam|mom|family|kids|wife|girlfriend|missus)) "
            r"(?:im|i am|i was) sorry\b(?! (?:im |i am |ill be |ill |for being |about )?"
            r"(?:late|running|off|not|stuck|delayed|the|missing))",
            r"\b(?:no ?one|nobody|noone) (?:would|wud|will|d) (?:even )?(?:notice|care|miss me) if i "
            r"(?:was gone|were gone|wasnt here|wasnt around|was not here|was dead|died|disappeared"
            r"|ended it)\b",
            r"\b(?:im|i am|ive been|i have been|been|feeling|feel) (?:in|at) a "
            r"(?:really |very |proper |dead |right )?(?:bad|dark) place\b(?! (?:for|to|with|on|in|at) )",
            # a plan to crash on purpose ("keep thinking about driving the van into a wall")
            r"\b(?:thinking|thought|think|want|wanting|wanted|gonna|going|plan|planning|feel like|urge to)\b"
            r".{0,25}\b(?:drive|driving|crash|crashing|steer|steering)(?: the| my| me)?(?: van| car| motor)?"
            r" (?:into|off) (?:a |the )?(?:wall|tree|bridge|lorry|river|cliff|oncoming)\b",
            r"\b(?:pills|tablets|paracetamol)\b (?:all )?(?:out (?:on|in front)|lined up|counted out|"
            r"ready to take)",
            # other languages (without their accents too): Polish, Romanian, Portuguese, Spanish, Welsh,
            # Lithuanian, Urdu/Punjabi in Latin letters
            r"\bnie chc[eę] (?:ju[zż] )?(?:[zż]y[cć]|tu by[cć])\b|\bchc[eę] si[eę] zabi[cć]\b",
            r"\b(?:vreau s[aă] mor|nu mai vreau s[aă] tr[aă]iesc|vreau s[aă] m[aă] sinucid)\b",
            r"\b(?:quero morrer|n[aã]o quero (?:mais )?viver|quero me matar)\b",
            r"\b(?:quiero morir(?:me)?|no quiero (?:seguir )?vivir|quiero matarme)\b",
            r"\b(?:dw i |rwyn |dwi )(?:eisiau|isio) marw\b|\bnoriu mirti\b|\bnenoriu gyventi\b",
            r"\b(?:main |mein )?(?:marna|mar jana) (?:chahta|chahti|chaunda|chaundi)\b",
            r"\bbetter off (?:dead|without me|if i (?:wasnt|was not|werent|were not) (?:here|around|alive)"
            r"|if i (?:was|were) (?:dead|gone))\b",
            # a plan to jump or step in front of traffic ("thinking about jumping off the bridge on the way
            # home"); getting off a bus or a wagon is not one
            r"\b(?:thinking|thought|think|want|wanting|wanted|gonna|going|plan|planning|feel like|urge to)\b"
            r".{0,20}\b(?:jump|jumping|throw|throwing) (?:my ?self |meself )?(?:off|from) (?:a |the |that )?"
            r"(?:bridge|roof|building|cliff|car park|multi ?storey|tower block|flats)\b",
            r"\b(?:thinking|thought|think|want|wanting|wanted|gonna|going|plan|planning|feel like|urge to)\b"
            r".{0,20}\b(?:step|stepping|walk|walking|jump|jumping|throw|throwing)(?: my ?self| meself)? "
            r"(?:in front of|under) (?:a |the )?(?:train|lorry|bus|car|truck|wagon)\b",
            r"\bcant (?:go on(?= any ?more| like this|\s*$)|cope (?:any ?more|with (?:life|anything)))",
            r"\b(?:wish i (?:was|were) dead|want to die|wanna die|want to disappear)\b",
            r"\b(?:take|taking|took|thinking of|thought about) (?:an )?overdose\b",
            r"\boverdos\w* on (?:pills|tablets|paracetamol|meds|medication)\b",
        )
    )
)


def crisis_cue(norm: str) -> bool:
    """Whether a normalised message speaks of suicide or self-harm."""
    return _CRISIS_RE.search(norm) is not None
