"""The cue grammar for a safeguarding disclosure, in jointers' words, for recall.

`safeguarding_cue(norm)` is true for bullying and harassment ("the lads keep having a go at me"), sexual
harassment ("the ganger keeps touching me"), racist or homophobic abuse, violence or threats on site or at
home ("my stepdad hits me"), neglect ("nowhere to sleep"), being coerced to work unsafely ("said he'd sack
me if I don't go in without a permit"), exploitation (unpaid work, county lines), domestic abuse,
radicalisation ("keeps sending me far right stuff"), online abuse ("threatening to share pics of me"),
distress short of suicide words ("I'm not coping") and a disclosure about another apprentice ("the new
lad is getting bullied"). The classifier answers such a message with care and the route to the
designated safeguarding lead before anything but an emergency or a crisis (`sitecoach.skills.safeguarding`).

Recall first: a false alarm costs one caring message and a DSL reading one line; a missed disclosure can
cost a young person their safety. Banter ("the lads had a laugh"), the weather "abusing" someone and
questions about the policy itself are kept out.
"""

import re

_ME = r"(?:me|us|him|her|them|my mate|the new lad|the lad|the apprentice)"
_ASSAULT = (
    r"(?:hit|hits|hitting|punch|punched|punches|punching|kick|kicked|kicks|kicking|slap|slapped|slaps|"
    r"shove|shoved|shoves|strangled|choked|chokes|beat|beats|beaten|battered|batters|smacked|smacks|"
    r"headbutted|grabbed|pinned)"
)
_CUES = (
    # bullying, picking on, ganging up (on site, at college, online)
    r"\b(?:bully|bullies|bullied|bullying)\b",
    r"\b(?:keep|keeps|kept|always|constantly|still|all day|every day)\b.{0,30}\b(?:having a go at|picking on|"
    r"getting at|on at|winding up|mocking|slagging|laughing at|humiliating|ganging up on|taking the"
    r" piss out of)"
    rf" {_ME}\b",
    r"\b(?:picking on|ganging up on|singling out|singled out|humiliat\w*|intimidat\w*|made an example of)\b",
    r"\b(?:making|made|make|makes) my life (?:hell|a misery|a living hell)\b|\bmy life a misery\b",
    r"\b(?:call\w* (?:me|him|her) names|called names|monkey noises|wont leave (?:me|him|her) alone)\b",
    r"\b(?:not|no|isnt|aint) banter\b|\bgo back to (?:poland|your own country|where (?:you|i) came from)\b",
    r"\b(?:keep|keeps|getting|get|gettin|always) (?:slagged|slagging) (?:me |him |her )?off\b",
    r"\b(?:knock\w*|push\w*|shov\w*|throw\w*) (?:me|him|her) (?:about|around)\b",
    # harassment, including sexual; grooming
    r"\bharass\w*",
    r"\b(?:touch|touches|touched|touching|touchin|grope|groped|groping|gropes) (?:me|my (?:leg|legs|bum|arse|"
    r"backside|chest|boobs|body|thigh|thighs|hair|waist|privates|crotch))\b|\bfeeling me up\b",
    r"\b(?:keeps?|kept|keep on) (?:touch\w*|grop\w*) (?:him|her|them)\b",
    r"\b(?:sexual|sexually|inappropriate\w*|perv|pervy|creep|creepy)\b.{0,30}\b(?:me|comments|messages|"
    r"photos|pics|touch\w*)\b",
    r"\b(?:nudes|dick (?:pics?|photos?)|naked (?:pics?|photos?)|sexts?)\b",
    r"\bgroom\w*",
    r"\b(?:keep it (?:a )?secret|(?:told|tells) me not to tell)\b",
    # racist, homophobic and other hate abuse
    r"\b(?:racis\w*|racial\w*|homophob\w*|transphob\w*|islamophob\w*|slurs?|hate crime)\b",
    r"\bcall\w* (?:me|him|her) (?:a )?(?:gay|poof|queer|faggot|fag|paki|n word|terrorist|monkey)\b",
    r"\bbecause (?:i ?m|im|he ?s|hes|she ?s|shes) (?:black|gay|asian|muslim|polish|trans|bi|jewish|"
    r"romanian|irish|a woman|a girl)\b",
    # violence and threats, on site or at home
    rf"\b{_ASSAULT} {_ME}\b",
    r"\b(?:threaten\w*|threats?) (?:me|my \w+|to (?:hurt|kill|batter|stab|sack|do|smash|beat|get"
    r"|leave|share|post|"
    r"send|leak|tell))\b",
    r"\b(?:said|says|told me) (?:he ?d|hed|she ?d|shed|they ?d|theyd|he ?ll|hell|they ?ll|theyll|he will) "
    r"(?:kill|batter|hurt|stab|smash|do|deck|knock) (?:me|my)\b",
    r"\b(?:scared|afraid|frightened|terrified) (?:of|to go|of going) (?:him|her|them|home|my \w+|going home|"
    r"the ganger|the foreman|the supervisor|my boss|work)\b",
    r"\bnot safe (?:at home|at work|on site|in my house|round him|around him)\b|\b(?:dont|do not"
    r"|never) feel safe\b",
    r"\b(?:gets|get|got|getting) violent\b|\bviolent (?:at home|to me|towards me)\b",
    r"\b(?:hurts|hurt|hurting|hits|beats|hitting) (?:my|his|her) (?:mum|mam|mother|sister|brother"
    r"|wife|girlfriend|"
    r"missus|little \w+)\b",
    r"\b(?:mock|mocks|mocked) (?:me|him|her)\b",
    r"\b(?:take|takes|took|taking) (?:my|his|her) (?:phone|passport|id|bank card) (?:off|from|away from) "
    r"(?:me|him|her)\b",
    r"\b(?:controls? (?:all )?my (?:money|phone|life)|goes through my phone|wont let me see (?:my )?(?:mates|"
    r"friends|family))\b",
    r"\b(?:domestic (?:abuse|violence)|coercive control)\b",
    # any abuse, once the weather and the job are set aside (see `_NOT_PEOPLE`)
    r"\b(?:abuse|abused|abusing|abusive|abuser)\b",
    # neglect, no home, no food
    r"\b(?:kicked|chucked|thrown|threw) (?:me )?out\b.{0,25}\b(?:home|house|mum|dad|parents|flat)\b",
    r"\b(?:kicked|chucked|thrown) me out\b",
    r"\b(?:homeless|sleeping rough|sofa surfing|nowhere to (?:sleep|stay|live|go tonight))\b",
    r"\bsleeping in (?:my|the|his|her|their) (?:car|van)\b",
    r"\b(?:never|dont|wont|doesnt|dont ever|not) (?:let|letting|lets) (?:me|us|him|her|them"
    r"|the (?:new )?(?:lad|lads|apprentice|apprentices)) (?:eat|drink"
    r"|have (?:a |any )?(?:break|breaks|drink|food|lunch|dinner|water)|go to the (?:toilet|loo))\b",
    r"\b(?:no|isnt any|aint no|never any) food (?:at home|in the house|in the flat)\b",
    r"\bhavent (?:eaten|had a meal|had food) (?:in|for) (?:days|\d+ days|two days|three days|a"
    r" couple of days)\b",
    # coerced to work unsafely, on threat of the sack
    r"\b(?:sack|sacked|fire|fired|lose my job|the sack|lose my apprenticeship|kick me off)\b.{0,40}\b(?:if i|"
    r"unless i)\b.{0,20}\b(?:dont|do not|wont|refuse|say no|complain|report|tell|say (?:anything|owt|"
    r"a word|something)|speak up|open my mouth|grass)\b",
    r"\b(?:if i|unless i)\b.{0,20}\b(?:dont|do not|wont|refuse|say no|complain|report"
    r"|tell)\b.{0,40}\b(?:sack|"
    r"sacked|fire|fired|lose my job|lose my apprenticeship|the sack|finished|out on my ear|kick me off|"
    r"kicked off|get rid of me)\b",
    r"\b(?:pressured into|forced into|forced to|scared to say no)\b",
    r"\b(?:forced|forcing|forces|pressured|pressuring|pressures) (?:me|us|him|her|them|the (?:new )?lad"
    r"|my mate) (?:in)?to\b",
    r"\b(?:do it|get in|get in there|get down there|go in|go in there) or (?:go home|get out|get lost|else"
    r"|youre out|youre sacked|youre finished|(?:ill|hell|theyll) sack you)\b",
    r"\b(?:told|tells|telling|said) (?:me|us|him|her) to\b.{0,60}\bor else(?:\s*$| (?:hed|hell|theyd|theyll"
    r"|id|ill|youll|youre|im|i get|i lose|ill lose))",
    r"\bor (?:youre|im|ill be|youll be|you ll be) (?:out|sacked|finished|gone)\b",
    r"\b(?:made|makes|make|forced|forcing|forces|pressured|pressuring|pressures|bullied) (?:me|us"
    r"|my) (?:to |into )?"
    r"\w*.{0,30}\b(?:without (?:a |any )?(?:permit|ppe|gloves|proving|isolation|harness|shoring|support|"
    r"trench box|top man|gas (?:monitor|detector)|barriers|training)|live|unsafe|dead|unproven|"
    r"against the rules)\b",
    # told to sign a safety document in someone else's name, or unauthorised
    r"\b(?:makes|made|make|tells|told|telling|wants|wanted) (?:me|us|him|her) (?:to )?sign\b.{0,40}"
    r"\b(?:as him|as her|as them|his name|her name|not authori[sz]ed|not allowed)\b",
    r"\b(?:threw|throws|throwing|chucked|chucks|chucking|lobbed|lobs) (?:a |an |his |her |the |some )?"
    r"(?:\w+ )?(?:spanner|hammer|brick|bottle|stone|stones|rock|rocks|tool|wrench|bar|shovel|spade|pipe|"
    r"mug|cup|punch|drill|chair|knife|bolt|bolts)s? at (?:me|us|him|her|my head|the (?:new )?lad|"
    r"the apprentice)\b(?! (?:so|to|for) )",
    # Polish: forces me (to work), shouts at me
    r"\bzmusz\w* mnie\b|\bkrzycz\w* (?:na|no) mnie\b|\bbije mnie\b",
    # exploitation: unpaid work, long hours, wages taken, county lines, debts
    r"\b(?:not been paid|havent been paid|hasnt been paid|not being paid|wont pay me|not paying me"
    r"|no pay for|"
    r"unpaid for|havent paid me|(?:keeps?|takes?|taking|took) (?:all )?(?:my|me|his|her) (?:wages"
    r"|pay|money))\b",
    r"\bwork(?:ing)? for (?:nothing|free|no money)\b|\b(?:1[2-9]|sixteen|fourteen|eighteen|twenty) hour "
    r"(?:days|shifts)\b",
    r"\bdrop(?:ping)? (?:bags|packages|parcels|stuff) off\b",
    r"\b(?:working|work|worked|making me work) (?:[6-9]\d|1\d\d) hours?\b",
    r"\bcounty lines\b",
    r"\b(?:run|running|carry|carrying|hold|holding|deliver|delivering|drop|dropping|move|moving|sell|"
    r"selling) (?:drugs|gear|packages|parcels|bags|weed|stuff) (?:for|to)\b",
    r"\b(?:owe|owes|owing) (?:them|him|some lads|people|a dealer)\b.{0,30}\b(?:money|debt|or else|hurt|do)\b",
    # radicalisation
    r"\b(?:extremis\w*|extremist|radicalis\w*|radicaliz\w*|far right|jihad\w*|white power|race war|"
    r"isis|nazi\w*|neo nazi|terroris\w*|propaganda)\b",
    r"\bgetting rid of (?:immigrants|muslims|foreigners|jews|\w+ people)\b",
    # online abuse and sextortion
    r"\b(?:share|sharing|shared|post|posting|posted|leak|leaking|leaked|send|sending|spreading|spread) "
    r"(?:my |the )?(?:nudes|pics?|photos?|pictures?|videos?) (?:of me|around|online|to everyone)\b",
    r"\bposting (?:stuff|things|videos?|photos?|pics?) (?:about|of) me\b|\bfake (?:account|profile)"
    r" (?:of|as) me\b",
    # a disclosure that is still looking for whom to tell (and away from the mentor)
    r"\b(?:dont|do not) know who (?:to|else to|i can|i could) tell\b|\bneed to tell someone\b",
    r"\b(?:dont|do not) tell my mentor\b|\bmy mentor is the problem\b|\bcant (?:talk|speak) to my mentor\b",
    r"\bhappening to me\b",
    r"\b(?:blackmail\w*|sextort\w*|catfish\w*)\b",
    # disclosure about someone else
    r"\b(?:is|s|been|being|gets|getting|got)\s(?:bullied|abused|groomed|harassed|threatened|picked on|"
    r"exploited)\b",
    r"\b(?:is|s|been|being|gets|getting|got|gettin)\s(?:proper |properly |really |badly |regularly )?"
    r"(?:hit|beaten|battered|knocked about|touched)\s(?:at home|"
    r"by (?:his|her|their|my|the) (?:dad|mum|stepdad|step dad|uncle|brother|boyfriend|girlfriend"
    r"|partner|ganger|"
    r"foreman|gaffer|boss|supervisor|chargehand|jointer)|by (?:him|her|them))\b",
    r"\b(?:hit|punch\w*|kick\w*|slap\w*) (?:one of the|an|another) (?:apprentices?|lads?)\b",
)
# Distress without suicide words: a concern on its own, but not a sign that the mentor is its cause.
_DISTRESS = (
    r"\b(?:not coping|cant cope|struggling to cope|at the end of my (?:tether|rope)|cant stop crying)\b",
    r"\b(?:im|i am|i feel like im|my life is|my life s|everything s|everythings|everything is) "
    r"(?:just )?(?:falling apart|breaking down|a mess|too much)\b",
    r"\bcant take (?:it|this|any of this|much more)(?: any ?more)?\s*$|\bcant take (?:it|this) any ?more\b",
    r"\b(?:its|it s|it is|everything|everythings|everything s) all (?:too much|getting too much)\b",
    r"\bcrying (?:every (?:night|day|morning)|all (?:night|the time))\b",
)
_CUE_RE = re.compile("|".join(f"(?:{c})" for c in _CUES))
_DISTRESS_RE = re.compile("|".join(f"(?:{c})" for c in _DISTRESS))

# Words that look like a disclosure but are about the weather, the job or the kit ("the weather's abusing
# me", "this clay is battering me"), struck out before the cues are read.
_NOT_PEOPLE = re.compile(
    r"^(?:\W*(?:go on|go on then|ok|okay|right|yeah|yes|come on|alright|then)\W*)?hit (?:me|us)(?: with "
    r"(?!(?:a |the |his |her |their )?(?:shovel|spade|bar|pick|hammer|brick|belt|fist|bottle|pipe"
    r"|van|bat|stick|"
    r"chair|tool|spanner))[^.!?]*| \w+)?\s*$"
    r"|\bhit (?:me|us) with (?:a|an|another|one|some|some more|the|\d+) (?:quiz|questions?|hard one"
    r"|one|more)\b"
    r"|\bkick\w* (?:him|her|them|it) off\b"
    r"|\b(?:stop|quit|pack in) harass\w* (?:me|us)\b|\bthis is harassment\b|\byou(?:re| are) harass\w*"
    r"|\b(?:weather|rain|wind|cold|frost|snow|heat|sun|mud|clay|ground|traffic|job|shift|week|hole|trench|"
    r"drum|cable|kit|van|back|knees|hands|hangover|gym|exam|quiz|test|coursework|college work)\w*"
    r"(?: (?:is|was|s|has|has been|been|keeps|keep|proper|really|absolutely|just))* "
    r"(?:abusing|battering|killing|hammering|beating|kicking|bullying|smashing) (?:me|us)\b"
)
# Questions about safeguarding itself, the policy or the course ("what's the bullying policy"): help
# or explain answers those, unless the message also tells of something that happened.
_ABOUT_THE_POLICY = re.compile(
    r"\b(?:policy|policies|procedure|procedures|toolbox talk|definition)\b"
    r"|\b(?:what does|what is|whats|is there a|where can i)\b.{0,30}\b(?:mean|module|unit|course"
    r"|lesson|training)\b"
)
_HAPPENED = re.compile(r"\b(?:me|my|i|im|ive|us|mate|he|she|him|her|hes|shes|they|them|lad|girl)\b")


def safeguarding_cue(norm: str, distress: bool = True) -> bool:
    """Whether a normalised message discloses (or may disclose) a safeguarding concern; `distress` False:
    only harm done by someone (abuse, bullying, threats, exploitation), not distress alone."""
    text = _NOT_PEOPLE.sub(" ", norm)
    if _CUE_RE.search(text) is None and not (distress and _DISTRESS_RE.search(text)):
        return False
    if _ABOUT_THE_POLICY.search(text) and _HAPPENED.search(_ABOUT_THE_POLICY.sub(" ", text)) is None:
        return False
    return True
