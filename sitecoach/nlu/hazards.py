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

_BODY = (
    r"(?:head|neck|back|face|eye|eyes|hand|hands|arm|arms|leg|legs|foot|feet|thigh|wrist|thumb|finger|"
    r"fingers)"
)
_VEHICLE = r"(?:car|cars|van|vans|lorry|lorrys|bus|motorbike|bike|cyclist|driver|taxi|truck)"
_WORKER = (
    r"(?:lad|lads|labourer|labourers|banksman|(?:traffic )?marshal|jointer|jointers|apprentice|driver"
    r"|drivers|gaffer|"
    r"supervisor|pedestrian|cyclist|woman|man|kid|kids|boy|girl|bloke|blokes|fella|fellas|worker|workers)"
)
# Round 7 (issue 13): harm now in words the first grammar missed (written from the training data's gaps,
# not a development set): people down or fitting, medical emergencies, injuries from plant and tools,
# members of the public and vehicles, fires and gas happening now, and dialect ("hes after fallin in").
_MORE_HARM_RE = re.compile(
    "|".join(
        (
            r"\bkeel(?:ed|s|ing)? over\b|\bgone (?:limp|floppy)\b|\bhit the deck\b|\bon the deck\b"
            r"|\bdropped (?:on|to) the (?:floor|ground|deck)\b|\bspark(?:o| out| oot)\b|\bout for the count\b"
            r"|\b(?:not|wont|isnt|no|cant get him to) (?:coming|come) round\b|\b(?:not|isnt"
            r"|cant) get(?:ting)? up\b"
            r"|\b(?:ay|aint|isnt|no|not) (?:movin|breathin)\b|\bbarely breathing\b|\bgurgling\b|\bwheezing\b"
            r"|\bbreathing (?:has |is |s )?(?:gone )?(?:really )?(?:shallow|funny|strange)\b"
            r"|\bcant find (?:a |his |her )?(?:pulse|heartbeat)\b",
            r"\bhaving a (?:fit|seizure|stroke|heart attack|funny turn)\b|\bconvuls\w*|\bfrothing\b"
            r"|\bfoaming\b"
            r"|\bfitting on the (?:floor|ground|deck)\b|\btook a (?:bad |funny )?turn\b|\bslurring\b"
            r"|\b(?:going|gone|turned|turning|goin) (?:blue|purple)\b|\blips (?:are |have )?(?:gone "
            r"|going )?blue\b"
            r"|\bchest pains?\b|\b(?:clutching|grabbed|grabbing|holding|gripping) (?:his|her|my"
            r"|their) chest\b"
            r"|\ballergic reaction\b|\banaphyla\w*|\bthroat\w* (?:is |s )?(?:swelling|closing)\b"
            r"|\bface (?:has |is |s )?(?:dropped|drooping)\b|\b(?:hes|shes|he is|she is) (?:gone |going "
            r"|all )*"
            r"(?:confused|delirious|disorientated)\b|\bdoesnt know where (?:he|she) is\b",
            rf"\b(?:chopped|cut|sliced|ripped|torn) (?:the (?:end|tip|top) of )?(?:his|her|my|their) "
            rf"(?:finger|fingers|thumb|hand)\w* off\b|\bfingers? (?:is |are |s )?(?:hanging off|smashed"
            rf"|crushed)\b"
            rf"|\b(?:gone|went|go) (?:into|through) (?:his|her|my|their) {_BODY}\b"
            rf"|\bthrough (?:his|her|my|their) (?:boot|thumb|hand|foot|finger)\b|\bspurting\b|\bclaret\b"
            rf"|\bgash\w*"
            rf"|\b(?:split|cracked|smashed|hit|smacked|banged|bashed) (?:his|her|my|their) (?:head|face)\b"
            rf"|\bbones? (?:poking|sticking) (?:out|through)\b|\bpointing the wrong way\b|\bhanging wrong\b"
            rf"|\bcant feel (?:his|her|my|their) (?:legs|arms|feet)\b|\bbroken (?:his|her|my|their) (?:back"
            rf"|neck)\b"
            rf"|\blanded on (?:his|her|my|their) (?:head|neck|back)\b|\bonto (?:his|her|my|their) (?:head"
            rf"|neck)\b"
            rf"|\b(?:slipped|come|came|fell|fallen|gone|went) off (?:the |a )?(?:back of the )?(?:ladder"
            rf"|scaffold|"
            rf"trailer|lorry|roof|ramp|steps|digger|platform|edge)\b"
            rf"|\b{_BODY}s? (?:has |have |is |are |s |got )?(?:caught|trapped|dragged) (?:in|under|between)\b"
            rf"|\b(?:glove|gloves|sleeve|sleeves|hair|jacket|clothes) (?:is |are |s |got )?caught in\b"
            rf"|\btrapped (?:his|her|my|their) {_BODY}\b|\bup to (?:his|her|their) (?:waist|chest|neck"
            rf"|armpits)\b",
            rf"\b(?:lads|lad|hes|shes|someones|somebodys|mans|theyre|labourers|jointers|drivers|kids|bloke) "
            rf"(?:still )?under (?:it|the (?:\w+ )?(?:slab|plate|plates|van|digger|drum|spoil|tree|wall"
            rf"|bucket|dumper|"
            rf"lorry|car|pipe|rubble))\b"
            rf"|\b{_VEHICLE}\w* (?:has |have |is |just |s )?(?:\w+ )?(?:gone|come|crashed|driven|dived"
            rf"|ploughed|"
            rf"mounted|smashed|reversed)\b(?: \w+){{0,3}} (?:into|through|in) (?:the |our )?(?:trench|dig"
            rf"|works|"
            rf"barrier|barriers|cones|hole|excavation|pit)\b"
            rf"|\b(?:hit|clipped|knocked over|knocked down|ran over|run over|tracked over|reversed over|"
            rf"reversed into|pinned|dragged|whipped|flung) (?:the |a |our )?(?:{_WORKER}|him|her)\b"
            rf"|\bdragged (?:by|under)\b|\b(?:tracked|run|ran|reversed|rolled) over (?:his|her|him|my)\b"
            rf"|\b(?:tipped|toppled|rolled) (?:over )?(?:into the|with (?:him|her|the))\b"
            rf"|\b(?:{_WORKER}|someone|somebody|two|three) (?:are |is |s |been |got |getting )?"
            rf"(?:hurt|injured|burnt|burned)\b"
            r"|\b(?:been|got|was|hes|shes|lads|theyre) (?:been )?(?:flung|thrown|blown) (?:off|aff|back"
            r"|across|clear)?\b"
            r"|\b(?:had|taken|took|got) (?:\d+ ?)+(?:volts|v|kv)\b|\bwallop (?:off|from)\b"
            r"|\b(?:stuck|frozen|welded|locked) (?:on|to) (?:it|the (?:\w+ )?(?:cable|conductor|core|tail"
            r"|phase|"
            r"main|service|wire))\b|\bcant let go\b|\bgone live\b|\blive in (?:the )?(?:water|it|puddle)\b"
            r"|\bgetting (?:tingles|shocks|belts)\b",
            r"\b(?:substation|substations|sub|subs|tent|tents|pillar|pillars|joint|joints|van|vans|cabin"
            r"|pot|pots|"
            r"transformer|transformers|generator|generators|genny|box)s? (?:has |is |just )?(?:gone up"
            r"|went up|"
            r"blown up|blew up)\b|\bin flames\b|\bflames? (?:shot|out|coming|pouring|shooting|everywhere"
            r"|at)\b"
            r"|(?<!youre )(?<!your )(?<!you are )\bon fire\b(?! away)|\bcaught fire\b|\bhas caught\b"
            r"|\bfull of smoke\b|\bsmokes? (?:is |s )?(?:pouring|billowing|in the)\b"
            r"|\b(?:pillar|joint|cable|pavement|box|cut out|sub|substation|transformer|pit|duct|tent|van"
            r"|link box|"
            r"vent|vents|hole|manhole)s? (?:is |are |s )?(?:smoking|arcing)\b|\b(?:its|is|started"
            r"|keeps) arcing\b"
            r"|\barcing (?:in|on|at|from|everywhere)\b|\bblue flashes\b|\bglowing (?:red|hot)\b"
            r"|\b(?:manhole )?covers? (?:has |s )?(?:just )?blown off\b|\blid (?:has |s )?blown off\b"
            r"|\b(?:hes|shes|theyre|is|are|\w+s) after (?:fallin|falling|takin|taking|blowin|blowing|cavin|"
            r"caving|collapsin|collapsing|gettin|getting|cuttin|cutting|burnin|burning)\b",
            r"\bgas (?:leek|leakin|hissing|roaring|blowing|pouring)\b|\b(?:ruptured|cracked|split|broke"
            r"|broken|"
            r"damaged) (?:a |the )?gas\b|\bgas (?:main|pipe|service)s? (?:has |is |s )?(?:ruptured|cracked"
            r"|split|"
            r"broken)\b|\b(?:stench|reek|whiff|stink) of (?:gas|eggs)\b|\b(?:stinks|smells|reeks) of eggs\b"
            r"|\b(?:o2|co|oxygen|gas) (?:alarm|alarms|monitor|monitors|detector|detectors)s? (?:is |are |s "
            r"|has |"
            r"have )?(?:gone off|going off|beeping|screaming|alarming)\b",
            # round 12: not where a trench is going to be dug ("the bus stop is right where the trench is
            # going", "the trench is going along the verge")
            r"(?<!where the )(?<!where our )(?<!where a )"
            r"\b(?:trench|trenchs|hole|holes|side|sides|wall|walls|pit|pits|excavation|dig|spoil|heaps"
            r"|shoring|"
            r"shorings|box)s? (?:is |are |has |have |s |just )?(?:gone in|come in|came in|folded|slid"
            r"|slumped|"
            r"buckled|going(?! to| along| across| through| past| round| around| outside| down the)"
            r"|moving(?! to)|cracking|cavin|caving)\b|\b(?:pit|pits|trench|chamber"
            r"|chambers|hole|bay)s? "
            r"(?:is |are |s )?(?:flooding|filling (?:up )?with water)\b|\bwaters? (?:is |s )?pouring in\b"
            r"|\b(?:splashed|sprayed|flown|flew|gone|went) (?:\w+ ){0,3}(?:in|into) (?:his|her|my"
            r"|their) eyes?\b"
            r"|\b(?:acid|compound|resin|chemical|dust|solder|stone)s?\b(?: \w+){0,3} (?:in|into) "
            r"(?:his|her|my|their) eyes?\b|\b(?:he|she) cant see (?:anything|a thing|properly)\b"
            r"|\bcant see after\b"
            r"|\b(?:flash|chemical|acid|arc) burns?\b|\bscalded (?:his|her|my|their|himself|herself|myself)\b"
            r"|\b(?:hes|shes|ive|he has|she has) scalded\b|\bskins? (?:is |s )?(?:coming|peeling) off\b"
            r"|\b(?:face|hand|hands|arm|arms|skin|fingers|palm|back|leg)s? (?:is |are "
            r"|s )?(?:all )?(?:blistering|"
            r"blistered|melting)\b|\b(?:molten|boiling|hot) (?:solder|pitch|compound|resin|metal"
            r"|lead)\b(?: \w+){0,3} "
            r"(?:on|down|over|in) (?:his|her|my|their)\b"
            r"|\b(?:touched|hit) the (?:overhead|overheads|power line|power lines)\b|\b(?:overhead"
            r"|power) lines? "
            r"(?:has |have |s )?(?:come|came|fallen) down\b|\bwires? (?:are |is |s )?(?:down|hanging)\b"
            r"|\bambos?\b|\bfire brigade\b|\b(?:i think |think )?(?:hes|shes) dead$",
        )
    )
)

# Round 10 (a blind round): harm now in the other languages a UK site hears, as the normaliser gives them
# (accents kept or dropped; it turns Polish "w" into "with" and "na" into "no"). Only cries for help and
# words that name harm: never a plain "help" ("madad chahiye" may be help with a quiz) or "fell" ("phone
# gir gaya"). "Pomocy", "ajutor" and "padėkite" are cries for help only as the first word ("potrzebuję pomocy
# z quizem" is help with a quiz). A cue, not a verdict: the model must still agree at its cue bar, unless it
# cannot read the message (most words unseen, two words or more: `classifier.UNFAMILIAR_SHARE`).
_FOREIGN_HARM_RE = re.compile(
    "|".join(
        (
            # Polish: "pomocy", "ratunku", "wypadek", "porażenie prądem", "stracił przytomność", "nie oddycha"
            r"^pomocy\b|\b(?:ratunku|wypad(?:ek|ku)|nieprzytomn\w*|krwawi\w*|po[zż]ar\w*|wybuch\w*|karetk\w*)\b"
            r"|\bpora[zż]\w*(?: \w+)? pr[aą]d\w*|\bpr[aą]d\w*(?: \w+)? pora[zż]\w*"
            r"|\bstraci[lł]\w* przytomno\w*"
            r"|\bnie oddycha\w*|\bpali si[eę]\b|\bzawali[lł]\w*|\b(?:wyciek|ulatnia\w*|czu[cć])\w* gaz\w*"
            r"|\b(?:spad|wpad)[lł]\w* (?:do|with|w) wykop\w*",
            # Romanian: "ajutor", "electrocutat", "s-a curentat", "inconștient", "nu respiră", "sângerează"
            r"^ajutor\b|\b(?:curentat\w*|incon[sș]tient\w*|le[sș]inat\w*|s[aâ]ngereaz[aă]|incendiu|ambulan[tț]\w*)\b"
            r"|\bluat curent\b|\bnu (?:mai )?respir[aă]\b|\bmiroase (?:a )?gaz\b|\bpr[aă]bu[sș]\w*",
            # Portuguese: "socorro", "acidente", "eletrocutado", "levou um choque", "desmaiou", "caiu na vala"
            r"\b(?:socorro|acidente|ele(?:c)?trocutad\w*|inconsciente|desmai\w*|sangr(?:ando|a muito)"
            r"|inc[eê]ndio|ambul[aâ]ncia)\b|\b(?:levou|apanhou|tomou) (?:um )?choque\b"
            r"|\bn[aã]o (?:est[aá] a )?respira\w*|\b(?:cheiro|fuga|vazamento) (?:a |de )?g[aá]s\b"
            r"|\bcaiu (?:no|na|dentro)\b",
            # Lithuanian: "padėkite", "gelbėkit", "nelaimė", "sutrenkė srovė", "be sąmonės", "nekvėpuoja"
            r"^pad[eė]kit\w*|\b(?:gelb[eė]kit\w*|nelaim\w*|(?:su|nu)trenk\w*|nekv[eė]puoja|kraujuoja|gaisras"
            r"|[iį]griuv\w*|greit[aą]j\w*)\b|\belektros sm[uū]g\w*|\bbe s[aą]mon[eė]s\b|\bduj[uų] kvap\w*",
            # Urdu and Punjabi in Latin letters: "bachao", "jaldi madad", "current lag gaya", "behosh",
            # "saans nahi le raha", "khoon nikal raha", "aag lag gayi", "hil nahi raha"
            r"\b(?:bachao|bachaao|behosh\w*)\b|\b(?:jaldi|jldi) madad\b|\bmadad (?:karo|kro|kardo)\b"
            r"|\b(?:current|karant|karent) (?:lag|laga|lagg|lagya|lageya)\w*|\bsaa?ns (?:nahi|nai|no)\b"
            r"|\bkhoon (?:nikal|beh|bah)\w*|\baag (?:lag|lagi|lagg)\w*"
            r"|\bhil (?:nahi|nai|no) (?:reha|raha|rha)\b",
            # round 12 (a blind round). Hungarian: "segítség" (first word), "megrázta az áram", "áramütés",
            # "eszméletlen", "nem lélegzik", "nem mozdul", "tűz van", "beszorult / bent rekedt", "mentőt"
            r"^seg[ií]ts[eé]g\b|\bmegr[aá]zta (?:az )?[aá]ram\b|\b[aá]ram[uü]t[eé]s\w*|\beszm[eé]letlen\w*"
            r"|\bnem (?:l[eé]legzik|l[eé]legzett|mozdul\w*)|\bt[uű]z van\b|\bki(?:gyulladt|[eé]gett)\b"
            r"|\b(?:beszorult|bent rekedt|alatta rekedt)\b|\bv[eé]rzik\b|\bment[oő](?:t|k|ket)\b"
            r"|\bg[aá]zszag\w*"
            r"|\bbeomlott\b|\b[oö]sszeesett\b",
            # Bulgarian (Latin and Cyrillic): "pomosht" (first word), "udari go tok", "ne disha", "pozhar",
            # "v bezsaznanie", "lineyka"
            r"^(?:pomosht|pomo[sš]t|помощ)\b|\budari (?:\w+ )?tok\b|\btok(?:ut|at)? (?:go |ya )?udari\b"
            r"|\bne di[sš]h?a\b|\bpo[zž]ar\w*|\bbez ?s[ua]?znanie\b|\bline(?:y|j)ka\w*"
            r"|\bmiri[sš]h?e na gaz\b"
            r"|\bсрути\w*|удари (?:го )?ток|не диша|пожар\w*|безсъзнание|линейка",
            # Arabic in Latin letters: "al najda" (first), "mukahrab" (electrocuted), "ma yitnaffas" (not
            # breathing; "ma" arrives as "my"), "7ari2" (fire), "is3af" (ambulance), "mahroo2" (burnt)
            r"^(?:al |el )?najda\b|\bmu?kahrab\w*|\bmekahrab\w*|\b(?:ma|my|mish|mesh|mush) "
            r"(?:yitnaf+as|yetnaf+as|yitnaf+es|bitnaf+as|byitnaf+as)\b|\b(?:7ari2|hari2|7aree2|7ariq|hareeq"
            r"|7areeq|harig)\w*|\b(?:is3af|es3af|isaaf|is3aaf)\b|\bma7?h?roo2\b|\bma7rou2\b"
            r"|\bghayib 3an (?:al |el )?wa3i\b|\b(?:tasarrub|tasrib) (?:al )?gh?az\b",
            # Somali: "caawimaad" (first word, or "caawimaad degdeg"), "koronto ayaa ku dhacday", "ma
            # neefsanayo", "hariiq" (fire), "miyir beelay" (unconscious), "dhiig" (blood) flowing
            r"^caawi(?:maad|ya)\b|\bcaawimaad degdeg\b|\bkoronto(?: ayaa)? (?:ku dhac|qabat)\w*"
            r"|\b(?:ma|mana) neefsan\w*|\bhariiq\w*|\bmiyir (?:beel|la\'aan)\w*|\bmiyirbeel\w*"
            r"|\bdhiig (?:badan )?(?:ka )?(?:baxay|bax\w*|socd\w*)|\bambalaas\w*",
            # Italian: "aiuto" (first), "preso la scossa", "folgorato", "non respira", "svenuto",
            # "crollato", "c'è fuoco", "incendio", "ambulanza", "perde sangue", "odore / fuga di gas"
            r"^aiuto\b|\bpreso (?:la |una )?scossa\b|\bfolgorat\w*|\bnon respira\b|\bsvenut\w*"
            r"|\bprivo di sensi\b|\bcrollat\w*|\b(?:cè|ce|c e) (?:del |un )?fuoco\b|\bincendio\b"
            r"|\bambulanza\b|\bperde (?:molto )?sangue\b|\b(?:odore|fuga|puzza) di gas\b",
            # French: "au secours", "électrocuté", "ne respire plus", "évanoui", "inconscient", "effondré",
            # "au feu", "incendie", "odeur / fuite de gaz", "il saigne", "les pompiers", "le samu"
            r"\bau secours\b|\b[eé]lectrocut\w*|\bne respire (?:plus|pas)\b|\b[eé]vanou\w*|\binconscient\w*"
            r"|\beffondr[eé]\w*|\bau feu\b|\bincendie\b|\b(?:odeur|fuite) de gaz\b|\bsaigne\w*"
            r"|\bpompiers\b|\bsamu\b|\bne bouge (?:plus|pas)\b",
            # Spanish: "ayuda" (first), "no respira", "se derrumbó", "atrapado", "olor / fuga de gas",
            # "incendio", "fuego", "ambulancia", "sangra"
            r"^ayuda\b|\bno respira\b|\bderrumb\w*|\batrapad[oa]s?\b|\b(?:olor|fuga) a? ?(?:de )?gas\b"
            r"|\bfuego\b|\bambulancia\b|\bsangra\w*|\bno se mueve\b",
            # round 15 (a blind round): Romanian "iese fum", "miroase a ars", "ia foc"; Lithuanian
            # "dūmai ... dega"; Bulgarian "изгорих"; Portuguese "explosão", "(estou / estamos) preso(s)",
            # "a água está a subir"; Welsh "mae tân" ("ta" arrives as "thanks")
            r"\biese fum\b|\bmiroase a ars\b|\bia foc\b|\bd[uū]mai\b.{0,30}\bdega\b"
            r"|\bk[aą][zž]kas dega\b"
            r"|изгор\w*|\bexplos[aã]o\b|\b(?:ficou|fiquei|ficamos|est[aá]|estou|estamos|thanks|ta) presos?\b"
            r"|\b[aá]gua (?:\w+ ){0,2}sub\w*|\bmae t[aâ]n\b",
        )
    )
)

# Hypothetical / learning framing that turns a hazard mention into a question.
_URGENT_RE = re.compile(
    r"\b(?:just|now|quick|quickly|urgent|urgently|asap|sos|help me|help us|mayday|hurry|"
    r"come quick|someone help|somebody help|help help|right now)\b"
)
# "dont know if I should..." and "not sure if we can..." are doubt about what to do now, not a hypothetical
# ("the joint's smoking and I don't know if I should go near it": round 9, a blind round's emergency).
_IF_RE = re.compile(
    r"(?<!know )(?<!sure )\bif\b|\b(?:know|sure) if\b(?! (?:i|we) (?:should|can|need|ought|have|must)\b)"
    r"|\b(?:incase|in case|suppose|supposing|say someone|say you|what happens when|"
    r"what to do when|do you do when|when someone|when somebody|when a person|when you"
    # round 12: "in case of" and "what do you do if" in the other languages ("en cas de fuite de gaz", "qué
    # hago si", "cosa si fa se", "ce fac dacă", "co robić gdy", "mit kell tenni ha")
    r"|en cas de|en caso de|in caso di|[iî]n caz de|w razie|que faire|que faut il faire|qu(?:e|é) hago si"
    r"|qu(?:e|é) hacer si|cosa (?:si fa|fare|faccio) se|ce (?:fac|faci|facem) (?:daca|dacă)"
    r"|co (?:robić|robic|zrobić|zrobic) (?:gdy|jak|jeśli|jesli)|mit kell tenni|ha valaki)\b"
)
# An incident told as the past ("a lad got a belt last week", "my uncle got blown across a sub in the 90s"):
# a story or a question about it, not harm now.
_PAST_RE = re.compile(
    r"\b(?:yesterday|last (?:week|month|year|night|time|summer|winter|spring|autumn|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)|(?:days|weeks|months|years) (?:ago|back)|a (?:week|month|year|while) "
    r"(?:ago|back)|a few (?:days|weeks|months|years) (?:ago|back)|in the \d+s|back in the (?:day|\d+s)"
    r"|back in \d+|"
    r"over the weekend|the other (?:day|week)|(?:he|she|i|we|they) once"
    r"|(?:do you |d you |you )?(?:remember|member) (?:when|that time|the time))\b"
)
# ... unless something is happening as they write ("smoke pouring out of the joint we made yesterday").
_NOW_RE = re.compile(r"\b(?:hes|shes|theyre|theres|its|still|pouring|coming out|right now)\b")
# Saying they have recovered is neither urgent nor happening ("got belted yesterday, he's fine now, how
# does that happen": round 8, a blind round's hard negative); any other present-tense or urgent word still
# counts ("... he's fine now but the lad with him has just collapsed").
_RECOVERED_RE = re.compile(
    r"\b(?:hes|shes|theyre|im|were|everyones) (?:all |totally |completely )?(?:fine|ok|okay|alright"
    r"|all right|grand|sound|back at work|back on site)(?!(?: now)? (?:but|except|although|though|apart)\b)"
    r"(?: now)?\b"
)
_LEARNING_RE = re.compile(
    r"\b(?:quiz|test me|test my|be tested|get tested|tested on|testing me|question|questions|revise|"
    r"revision|exam|exams|module|course|"
    r"training|lesson|learn|learning|explain|explanation|define|definition|meaning|theory|"
    r"toolbox talk|notes|scenario|scenarios"
    # round 12: the same in the other languages ("c'est pour le cours", "es para el examen", "domanda del
    # quiz", "întrebare pentru test", "kérdés", "pytanie z quizu")
    r"|examen|esame|egzamin\w*|vizsg\w*|cours|curso|corso|pytanie|pytania|intrebare|întrebare|domanda"
    r"|pregunta|k[eé]rd[eé]s\w*|kv[ií]z\w*|testa|testat|vapros\w*|въпрос\w*|su ?aa?(?:l|sh)\w*)\b"
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
    """True when a hazard mention is framed as a hypothetical or learning question, or told as the past."""
    settled = _RECOVERED_RE.sub(" ", text)
    if _URGENT_RE.search(settled):
        return False
    if _IF_RE.search(text) or _LEARNING_RE.search(text):
        return True
    if _PAST_RE.search(text) and not _NOW_RE.search(settled):
        return True
    if _PERSONAL_RE.search(text):
        return False
    return bool(_FRAMING_RE.search(text))


def foreign_harm_cue(norm: str) -> bool:
    """Whether a normalised message cries for help or names harm now in one of the other languages."""
    return not _is_hypothetical(norm) and _FOREIGN_HARM_RE.search(norm) is not None


def hazard_cue(norm: str) -> bool:
    """Whether a normalised message reports harm or a hazard now (not a question about one)."""
    # The framing check is cheap and the two grammars are not: it goes first.
    return not _is_hypothetical(norm) and bool(
        _EMERGENCY_RE.search(norm) or _MORE_HARM_RE.search(norm) or _FOREIGN_HARM_RE.search(norm)
    )


# What kinds of emergency a report describes, so the steps fit it. Electrical cues are specific ("got a
# belt", "arc flash", a cable hit, the joint "went bang"), never a bare "shock" (medical shock) or "belt"
# (a tool belt): an electrical cause changes every step, nobody touches the casualty until the supply is
# isolated. Gas is a leak or a smell, not a gas torch or bottle.
_STRIKE = (
    rf"\b(?:hit(?! (?:me|us)\b)|hitting|struck|striking|nicked|clipped|went through|gone through|"
    rf"dug through|dug into|drilled through|drilled into|severed|ripped out|cut into|cut through|"
    rf"sawn through|sawed through) (?:\w+ ){{0,3}}?{_TARGET}\b"
    rf"|\b{_TARGET} (?:\w+ ){{0,2}}?(?:hit|struck|damaged|severed|burst|ripped|fractured|blew|blown|"
    rf"went bang|exploded)\b"
    rf"|\b(?:digger|excavator|breaker|pick|spade|shovel|kango|kanga|drill|bucket|grab|mole|auger) "
    rf"(?:\w+ ){{0,2}}?(?:through|into|hit|on) (?:\w+ ){{0,2}}?{_TARGET}\b"
    r"|\bcable strike\b"
)
_KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    "electric": re.compile(
        r"\belectrocut\w*|\belectric(?:al)? (?:shock|burn|burns|fire)\b|\belectrified\b"
        r"|\b(?:got|get|gets|getting|had|has had|took|taken|caught|felt) (?:a |an |the )?(?:\w+ )?"
        r"(?:shock|shocks|belt|zap|jolt)\b|\b(?:shock|belt|zap|jolt|tingle)s? (?:off|from)\b"
        r"|\b(?:shocked|zapped|belted|jolted) (?:him|her|me|us|them|himself|myself)?\b"
        r"|\barc flash\w*|\bflash ?over\b|\barced\b|\bflash(?:ed)? (?:off|from|burn)|\bthe flash\b"
        r"|\bbig flash\b|\blive (?:cable|conductor|main|end|core|one|terminal)\b"
        r"|\b(?:joint|link box|pillar|pot end|cable|main|substation|transformer|fuse|cutout) "
        r"(?:\w+ )?(?:went bang|blew|blew up|exploded|flashed)\b|" + _STRIKE
    ),
    "gas": re.compile(
        r"\bgas (?:leak|leaking|escape|escaping|everywhere|coming|main (?:hit|struck|damaged)|smell|alarm|"
        r"detector|monitor)\w*|\b(?:smell|smells|smelling|smelt|stink|stinks|stinking|reeks|whiff)"
        r" (?:\w+ ){0,2}gas\b|\bleaking gas\b|\bhit (?:a |the )?gas\b|\bgassy\b|\bgassed\b"
        r"|\bcarbon monoxide\b|\bco alarm\b|\blow (?:oxygen|o2)\b|\bh2s\b"
        r"|\b(?:detector|monitor|alarm)\w* (?:\w+ ){0,3}(?:going off|beeping|bleeping|screaming|alarming)"
    ),
    "collapse": re.compile(
        r"\b(?:trench|hole|excavation|wall|walls|side|sides|shoring|bank|ground|dig|pit) "
        r"(?:\w+ ){0,2}(?:collapsed|collapsing|caved|slid|slipped|given way|gave way|come in|came in|"
        r"fallen in|fell in)\b|\bcollapsed (?:trench|hole|excavation)\b"
        r"|\bcav(?:e|ed|ing) in\b|\bburied\b|\bunder the (?:spoil|soil|mud|dirt|muck)\b|\bslid in\b"
    ),
    "fire": re.compile(
        r"\bon fire\b|\bfire\b|\bflames?\b|\bsmok(?:e|ing)\b|\bexplo\w*|\bblew up\b|\bblown up\b"
    ),
    "bleeding": re.compile(
        r"\bbleed\w*|\bblood\w*|\bgash\w*|\bdeep cut\b|\bcut (?:his|her|my|their|me|him)\w*\b"
    ),
    "eye": re.compile(
        r"\b(?:in|into|on) (?:his|her|my|me|their|your|the|both|one) (?:\w+ )?eyes?\b"
        r"|\beyes? (?:is |are |keeps |keep )?(?:burning|stinging|watering|streaming|closed|swollen|red)\b"
        r"|\b(?:splash|splashed|sprayed|squirted|flicked) (?:\w+ ){0,3}eyes?\b"
    ),
    "burn": re.compile(
        r"\b(?:burnt|burned|burns|scalded|scalds|scald|blistered|blistering|blisters)\b"
        r"|\b(?:a|bad|nasty|big|serious|deep) burn\b|\bburn (?:on|to) (?:his|her|my|their|me)\b"
    ),
}
# The order the steps are chosen in: the first kind found gives the steps; gas and electric also add
# their one-line warning when another kind leads.
KIND_ORDER = ("electric", "gas", "collapse", "fire", "bleeding", "eye", "burn")
_NOT_BREATHING = re.compile(
    r"\b(?:not|no|isnt|aint|stopped) breathing\b|\bcant breathe?\b|\bno pulse\b|\bunconscious\b"
    r"|\bunresponsive\b|\bnot responding\b|\bpassed out\b|\bknocked out\b|\bout cold\b"
    r"|\b(?:hes|shes|he|she|theyre|they|lad|lads|mate|mates|someone|somebody|someones|man|bloke|guy|"
    r"fella|gaffer|labourer|just|has|have) (?:\w+ )?collapsed\b"
    r"|\bgone quiet\b|\bnot moving\b|\b(?:wont|not|cant) wak(?:e|ing)\b"
)


# Someone down and still in a manhole, chamber or other confined space: bad air until proved otherwise,
# so the gas steps (get out, don't go in after them) apply even with no smell or alarm.
_CONFINED = re.compile(r"\b(?:manhole|chamber|confined space|tunnel|vault|sewer|cellar|culvert)\b")


def hazard_kinds(norm: str) -> tuple[str, ...]:
    """Every kind of emergency a normalised report describes, most decisive first (`KIND_ORDER`); empty
    when none is named (the general steps, which are the electrical ones, apply)."""
    bad_air = casualty_unresponsive(norm) and _CONFINED.search(norm) is not None
    return tuple(
        kind for kind in KIND_ORDER if _KIND_PATTERNS[kind].search(norm) or (kind == "gas" and bad_air)
    )


def hazard_kind(norm: str) -> str:
    """The kind whose steps lead the reply: the first of `hazard_kinds`, else electric."""
    kinds = hazard_kinds(norm)
    return kinds[0] if kinds else "electric"


def casualty_unresponsive(norm: str) -> bool:
    """Whether someone is described as not breathing, unconscious or collapsed (CPR may be needed)."""
    return bool(_NOT_BREATHING.search(norm))
