"""First names and nicknames common in the UK, for spotting people the coach does not know by name.

Lower case, one word each. `EVERYDAY_WORD_NAMES` are names that are also everyday English words (Will,
Mark, Don, Frank...): they count as names only where the sentence says so (see `people_names`). Extend the
lists freely: a name missing here is only found by its context ("my mate Zbigniew", "Kev's hand").
"""

from __future__ import annotations

FIRST_NAMES = frozenset(
    """
    aaron abbie abby abdul abdullah abigail abu adam adeel adnan adrian ahmed aiden aimee aisha ajay alan
    alana alastair albert alex alexander alexandra alfie ali alice alicia alison alistair allan amanda
    amelia amina amy andre andrea andrew andy angela angus anita ann anna anne annie anthony antony anya
    aoife archie arjun arran arthur ashleigh ashley asif aysha barry baz bazza beata becky benjamin bernard
    bethan bethany beverley billy blake bobby bradley brendan brett brian bridget bruce bryan caitlin
    callum calum calvin cameron carl carla carlos carly caroline carys catherine chantelle charlene charlie
    charlotte chelsea chloe chris christian christopher ciara ciaran claire clare clive colin connor conor
    courtney craig dafydd damian damien dan daniel danielle danny darren darryl dave davey david debbie
    deborah declan denise dennis derek des desmond dev dexter diane dominic donald donna donovan doug
    douglas duncan dylan eamon ed eddie edward eilidh elaine eleanor eleri elizabeth ella ellie elliot
    elliott emeka emily emma emmanuel eric erin esther ethan euan eva evan evie ewan fahad faisal farhan
    fatima felix finlay finley finn fiona francesca fraser freddie frederick freya gareth garry gary gavin
    gaz gazza gemma geoff geoffrey george georgia gerald gerry gillian gina gordon graeme graham greg
    gregory gurpreet hamish hamza hannah harpreet harrison harry harvey hassan hayden helen helena henry
    howard hugh hussain iain ian ibrahim imogen imran isaac isabel isabella isla ivan jackie jacob
    jacqueline jake jamal james jamie jane janet jared jasmine jason jay jayne jeff jeffrey jenna jennifer
    jenny jeremy jerome jess jessica jim jimmy jo joanna joanne jodie joe joel joey john johnny jon
    jonathan jonny jordan joseph josh joshua jude julian julie justin kai kamal kane karen karl kasim kate
    kathryn katie kayleigh keith kelly ken kenneth kenny kerry kev kevin kieran kieron kim kirk kirsty kris
    krishna krzysztof kyle lara laura lauren leah leanne lee leighton len lenny leo leon lesley leslie
    lewis liam linda lisa lloyd logan lois lorraine louis louise luca lucas lucy lukasz luke lydia lynn
    magdalena maisie malcolm mandy marc marcus marek maria marie mario marius martha martin maryam mateusz
    matt matthew matty megan mehmet melanie mia michael michal michelle mickey micky mike mohamed mohammad
    mohammed mohini molly monika muhammad nadia naomi natalie natasha nathan niall niamh nicky nicola nigel
    nikki noah nolan oliver olivia ollie omar oscar owen paige pamela pardeep paul paula pawel pete peter
    phil philip phoebe piotr priya rachel raj rajesh ravi rebecca reece rees rhiannon rhys richard ricky
    robbie robbo robert rodney roger ronan ronnie rosie ross roy ruben russell ryan sajid salman sam
    samantha sami samir samuel sandra sanjay sara sarah scott seamus sean sebastian shane shannon sharon
    shaun sheila shelley sian simon sophie spencer stacey stan stanley stephanie stephen steve steven
    stevie stewart stuart sunil susan suzanne syed tanya tara tariq ted teddy teresa theo thomas tim
    timothy tina toby tom tomasz tommo tommy toni tony tracey tracy trevor tyler tyrone umar usman vicky
    victoria vikram vince vinny wayne wendy wes wesley william wojciech yasir yasmin yusuf zach zachary zak
    zara zoe zubair
    """.split()
)

EVERYDAY_WORD_NAMES = frozenset(
    """
    amber april art august ben bill bob bond brad brook buddy carol carter chase chip chuck cliff cooper
    crystal dale dawn dean don dot drew dusty earl faith frank gene glen grant guy harper holly hope hunter
    iris ivy jack jade jock joy june kit lance lily mark mason max may mick miles neil nick norm paddy page
    pat penny pip poppy rain ray reed rich rick river rob robin rocky rose ruby rusty sandy sid sky sonny
    storm stu sue summer sunny taylor terry victor wade will woody
    """.split()
)
