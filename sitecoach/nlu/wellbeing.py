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
            r"\bsuicid\w*",
            r"\bself ?harm\w*",
            r"\b(?:end|ending) (?:it all|my life)\b",
            r"\b(?:thoughts?|thinking|thought|think|want|wanting|wanted|gonna|going|plan|planning|about) "
            r"(?:of |about |to )?(?:ending|end) it\b"
            r"(?! (?:early|today|tomorrow|there|here|now|for|at|on|off))",
            r"\btake (?:my|me) (?:own )?life\b|\btaking (?:my|me) (?:own )?life\b",
            r"\b(?:dont|do not|dont even|no longer) want to (?:be here|live|be alive|wake up|exist|go on)\b",
            r"\b(?:no|dont see the|cant see the|whats the) point (?:in |of )?(?:living|life|going on|"
            r"anything|it all)(?: any ?more)?\s*$",
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
