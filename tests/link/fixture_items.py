"""The Wikidata-shaped test fixture: the right items for many of our entities, and the homonyms
and near-misses around them.

Every item id here is invented (Q9000xxxxx): the fixture is test data, not a claim about
Wikidata. The only real ids are those of Wikidata *classes* and *occupations* that the linker's
configuration names (human Q5, city Q515, film Q11424 ...), because the type checks go through
them; their subclass chains in the fixture run through invented intermediate classes.

``gold`` says which of our entities an item is, for measuring precision and recall; it is never
written to the RDF. Items without ``gold`` are homonyms, near-misses or context (the countries,
regions, people and classes that other items point to).
"""

from __future__ import annotations

from .wikidata_model import Claim, Entity, render

ITEMS: list[Entity] = []
REDIRECTS: dict[str, str] = {}

# The gazetteer's real Wikidata ids, and the invented items that stand for them in the fixture
# (tests that need the gazetteer links to resolve rewrite a copy of the data with this).
GAZETTEER_REWRITE = {
    "Q196594": "Q900000201", "Q144345": "Q900000202", "Q154801": "Q900000203",
    "Q196374": "Q900000204", "Q4454": "Q900000205", "Q6576": "Q900000206",
    "Q959": "Q900000207", "Q649": "Q900000208", "Q42956": "Q900000209",
    "Q750573": "Q900000210", "Q1490": "Q900000211",
}


def cls(qid: str, label: str, *superclasses: str) -> None:
    ITEMS.append(Entity(qid, labels={"en": label}, claims=[Claim("P279", s) for s in superclasses]))


def item(qid: str, gold: str | None = None, *, en=None, ja=None, ru=None, mul=None, aka=None,
         desc=None, **props) -> Entity:
    labels = {k: v for k, v in (("en", en), ("ja", ja), ("ru", ru), ("mul", mul)) if v}
    claims: list[Claim] = []
    for prop, values in props.items():
        if isinstance(values, (str, tuple, Claim)):
            values = [values]
        for v in values:
            claims.append(v if isinstance(v, Claim) else Claim(prop, v))
    e = Entity(qid, labels=labels, aliases=aka or {}, descriptions={"en": desc} if desc else {},
               claims=claims, gold=gold)
    ITEMS.append(e)
    return e


def dep(prop: str, value) -> Claim:
    return Claim(prop, value, rank="deprecated")


def pref(prop: str, value, **quals) -> Claim:
    return Claim(prop, value, rank="preferred", qualifiers=quals)


def normal(prop: str, value, **quals) -> Claim:
    return Claim(prop, value, qualifiers=quals)


# ---------------------------------------------------------------- classes (real ids = config)

cls("Q5", "human")
cls("Q486972", "human settlement")
cls("Q515", "city", "Q486972")
cls("Q900009001", "city of federal subject significance", "Q515")
cls("Q900009002", "town", "Q486972")
cls("Q900009003", "village", "Q486972")
cls("Q900009004", "big city", "Q515")
cls("Q900009005", "capital city", "Q515")
cls("Q900009006", "city of the United States", "Q515")
cls("Q900009007", "city of Japan", "Q515")
cls("Q900009008", "census-designated place", "Q486972")
cls("Q56061", "administrative territorial entity")
cls("Q900009010", "federal subject of Russia", "Q56061")
cls("Q900009011", "krai of Russia", "Q900009010")
cls("Q900009012", "oblast of Russia", "Q900009010")
cls("Q900009013", "republic of Russia", "Q900009010")
cls("Q900009014", "autonomous Soviet socialist republic", "Q56061")
cls("Q900009015", "union republic of the Soviet Union", "Q56061")
cls("Q900009016", "region of Kazakhstan", "Q56061")
cls("Q900009017", "prefecture of Japan", "Q56061")
cls("Q900009018", "state of the United States", "Q56061")
cls("Q900009019", "former federal subject of Russia", "Q56061")
cls("Q900009023", "county", "Q56061")
cls("Q900009024", "district of Russia", "Q56061")
cls("Q900009025", "province of Canada", "Q56061")
cls("Q6256", "country")
cls("Q7275", "state")
cls("Q3624078", "sovereign state", "Q7275", "Q6256")
cls("Q3024240", "historical country", "Q7275")
cls("Q2221906", "geographic location")
cls("Q82794", "geographic region", "Q2221906")
cls("Q618123", "geographical feature")
cls("Q23442", "island", "Q618123")
cls("Q900009020", "archipelago", "Q618123")
cls("Q900009021", "peninsula", "Q618123")
cls("Q900009022", "river", "Q618123")
cls("Q728937", "railway line")
cls("Q55488", "railway station")
cls("Q39614", "cemetery")
cls("Q43229", "organization")
cls("Q327333", "government agency", "Q43229")
cls("Q900009030", "ministry", "Q327333")
cls("Q900009031", "secret police", "Q327333")
cls("Q900009032", "political party", "Q43229")
cls("Q3918", "university", "Q43229")
cls("Q176799", "military unit", "Q43229")
cls("Q900009033", "army", "Q176799")
cls("Q900009034", "international organization", "Q43229")
cls("Q900009035", "news agency", "Q43229")
cls("Q900009036", "legislative chamber", "Q43229")
cls("Q900009037", "cabinet", "Q43229")
cls("Q900009038", "musical group", "Q43229")
cls("Q900009039", "terrorist organization", "Q43229")
cls("Q900009040", "news division", "Q43229")
cls("Q17537576", "creative work")
cls("Q47461344", "written work", "Q17537576")
cls("Q7725634", "literary work", "Q47461344")
cls("Q571", "book", "Q47461344")
cls("Q900009050", "novel", "Q7725634")
cls("Q11424", "film", "Q17537576")
cls("Q24856", "film series", "Q17537576")
cls("Q900009051", "film trilogy", "Q24856")
cls("Q15416", "television program", "Q17537576")
cls("Q5398426", "television series", "Q15416")
cls("Q900009052", "television drama", "Q5398426")
cls("Q1004", "comics", "Q17537576")
cls("Q900009053", "song", "Q17537576")
cls("Q900009054", "album", "Q17537576")
cls("Q900009055", "painting", "Q17537576")
cls("Q191067", "article", "Q47461344")
cls("Q13442814", "scholarly article", "Q191067")
cls("Q1002697", "periodical", "Q47461344")
cls("Q737498", "academic journal", "Q1002697")
cls("Q41298", "magazine", "Q1002697")
cls("Q11032", "newspaper", "Q1002697")
cls("Q49848", "document", "Q17537576")
cls("Q131569", "treaty", "Q49848")
cls("Q900009056", "declaration", "Q49848")
cls("Q1190554", "occurrence")
cls("Q1656682", "event", "Q1190554")
cls("Q900009060", "war", "Q1190554")
cls("Q900009061", "military operation", "Q1190554")
cls("Q900009062", "battle", "Q1190554")
cls("Q900009063", "conference", "Q1656682")
cls("Q900009064", "historical period", "Q1190554")
cls("Q900009065", "historical event", "Q1656682")
cls("Q900009066", "ship", "Q900009067")
cls("Q900009067", "vehicle")
# never candidates
cls("Q4167410", "Wikimedia disambiguation page")
cls("Q101352", "family name")
cls("Q15632617", "fictional human")
# occupations
cls("Q201788", "historian")
cls("Q36180", "writer")
cls("Q482980", "author")
cls("Q1930187", "journalist")
cls("Q1650915", "researcher")
cls("Q1622272", "university teacher")
cls("Q483501", "artist")
cls("Q900009070", "musician", "Q483501")
cls("Q177220", "singer", "Q900009070")
cls("Q2526255", "film director")
cls("Q82955", "politician")
cls("Q116", "monarch")
cls("Q372436", "statesperson")
cls("Q212238", "civil servant")
cls("Q47064", "military personnel")
cls("Q189290", "military officer", "Q47064")
cls("Q193391", "diplomat")
cls("Q900009071", "novelist", "Q36180")
cls("Q900009072", "poet", "Q36180")
cls("Q900009073", "basketball player")
cls("Q900009074", "association football player")
cls("Q900009075", "revolutionary")
cls("Q900009076", "philosopher")
cls("Q900009077", "economist")
cls("Q900009078", "composer")
cls("Q900009079", "cricketer")
cls("Q900009080", "military historian", "Q201788")
cls("Q900009081", "editor")
cls("Q900009082", "geographer")

# ---------------------------------------------------------------- countries

item("Q900000101", "place:soviet-union", en="Soviet Union", ja="ソビエト連邦",
     ru="Союз Советских Социалистических Республик",
     aka={"en": ["USSR", "U.S.S.R.", "Union of Soviet Socialist Republics"], "ru": ["СССР"],
          "ja": ["ソ連"]},
     desc="country in Eurasia from 1922 to 1991", P31=["Q3024240", "Q3624078"],
     P571="1922-12-30", P576="1991-12-26")
item("Q900000102", "place:mongolia", en="Mongolia", ja="モンゴル国", ru="Монголия",
     aka={"ja": ["モンゴル"], "en": ["State of Mongolia"]},
     desc="country in East Asia", P31="Q3624078", P625=(46.0, 105.0))
item("Q900000103", "place:japan", en="Japan", ja="日本", ru="Япония", aka={"ja": ["日本国"]},
     desc="island country in East Asia", P31=["Q3624078", "Q6256"], P625=(35.0, 136.0))
item("Q900000104", "place:russia", en="Russia", ja="ロシア", ru="Россия",
     aka={"en": ["Russian Federation"], "ja": ["ロシア連邦"]},
     desc="country in Eastern Europe and Northern Asia", P31="Q3624078", P571="1991-12-25")
item("Q900000105", "place:peoples-republic-of-china", en="People's Republic of China",
     ja="中華人民共和国", ru="Китайская Народная Республика", aka={"en": ["PRC", "China"]},
     desc="country in East Asia", P31="Q3624078", P571="1949-10-01")
item("Q900000106", "place:north-korea", en="North Korea", ja="朝鮮民主主義人民共和国",
     aka={"ja": ["北朝鮮"], "en": ["DPRK", "Democratic People's Republic of Korea"]},
     desc="country in East Asia", P31="Q3624078", P571="1948-09-09")
item("Q900000107", "place:kazakhstan", en="Kazakhstan", ja="カザフスタン", ru="Казахстан",
     aka={"en": ["Republic of Kazakhstan"]}, desc="country in Central Asia and Eastern Europe",
     P31="Q3624078")
item("Q900000108", "place:united-states", en="United States of America", ja="アメリカ合衆国",
     aka={"en": ["United States", "U.S.A.", "USA", "US", "America"]},
     desc="country primarily located in North America", P31="Q3624078")
item("Q900000109", "place:united-kingdom", en="United Kingdom", ja="イギリス",
     aka={"en": ["UK", "U.K.", "United Kingdom of Great Britain and Northern Ireland"]},
     desc="country in north-west Europe", P31="Q3624078")
item("Q900000110", en="South Korea", ja="大韓民国", desc="country in East Asia", P31="Q3624078")
item("Q900000111", en="Canada", desc="country in North America", P31="Q3624078")
item("Q900000112", en="Ukraine", desc="country in Eastern Europe", P31="Q3624078")

# homonyms of countries
item("Q900000701", en="Soviet Union", desc="1985 album by a rock band", P31="Q900009054")
item("Q900000702", en="Mongolian People's Republic", ja="モンゴル人民共和国",
     ru="Монгольская Народная Республика", aka={"en": ["Mongolia", "MPR"]},
     desc="socialist state in East Asia from 1924 to 1992", P31="Q3024240",
     P571="1924-11-26", P576="1992-02-12")
item("Q900000703", en="Mongolia", desc="geographic region in East and Central Asia",
     ja="モンゴル高原", P31="Q82794")
item("Q900000704", en="Japan", desc="English new wave band", P31="Q900009038")
item("Q900000705", en="Empire of Japan", ja="大日本帝国", aka={"en": ["Japan", "Imperial Japan"]},
     desc="historical nation-state from 1868 to 1947", P31="Q3024240", P571="1868-01-03",
     P576="1947-05-03")
item("Q900000706", en="Russian Soviet Federative Socialist Republic",
     ja="ロシア・ソビエト連邦社会主義共和国",
     ru="Российская Советская Федеративная Социалистическая Республика",
     aka={"en": ["RSFSR", "Russia", "Soviet Russia"], "ru": ["РСФСР"]},
     desc="union republic of the Soviet Union", P31=["Q900009015", "Q3024240"],
     P571="1917-11-07", P576="1991-12-25", P17="Q900000101")
item("Q900000707", en="Russian Empire", ja="ロシア帝国", ru="Российская империя",
     aka={"en": ["Russia", "Imperial Russia"]}, desc="empire in Eurasia from 1721 to 1917",
     P31="Q3024240", P571="1721", P576="1917")
item("Q900000708", en="North Korea", desc="2001 documentary film", P31="Q11424", P577="2001")
item("Q900000709", en="Kazakh Soviet Socialist Republic", ja="カザフ・ソビエト社会主義共和国",
     ru="Казахская Советская Социалистическая Республика",
     aka={"en": ["Kazakh SSR", "Kazakhstan"]}, desc="union republic of the Soviet Union",
     P31=["Q900009015", "Q3024240"], P17="Q900000101", P571="1936-12-05", P576="1991-12-16")

# ---------------------------------------------------------------- regions and places

item("Q900000120", "place:manchuria", en="Manchuria", ja="満洲", ru="Маньчжурия",
     aka={"ja": ["満州"]}, desc="historical region in Northeast Asia", P31="Q82794",
     P625=(45.0, 125.0))
item("Q900000710", en="Northeast China", ja="中国東北部", aka={"en": ["Dongbei"]},
     desc="geographical region of the People's Republic of China", P31="Q82794",
     P17="Q900000105")
item("Q900000711", en="Manchuria", desc="1939 film", P31="Q11424", P577="1939")
item("Q900000121", "place:korea", en="Korea", ja="朝鮮", desc="region in East Asia",
     P31="Q82794")
item("Q900000712", en="Korean Peninsula", ja="朝鮮半島", desc="peninsula in East Asia",
     P31="Q900009021")
item("Q900000122", "place:sakhalin", en="Sakhalin", ja="サハリン", ru="Сахалин",
     aka={"en": ["Sakhalin Island"]}, desc="Russian island in the North Pacific Ocean",
     P31="Q23442", P17="Q900000104", P625=(50.0, 143.0))
item("Q900000713", en="Sakhalin Oblast", ja="サハリン州", ru="Сахалинская область",
     aka={"en": ["Sakhalin"]}, desc="federal subject of Russia", P31="Q900009012",
     P17="Q900000104")
item("Q900000714", en="Sakhalin", desc="ferry built in 1986", P31="Q900009066")
item("Q900000123", "place:south-sakhalin", en="Karafuto Prefecture", ja="樺太庁",
     aka={"en": ["South Sakhalin", "Karafuto"], "ja": ["南樺太", "樺太"]},
     desc="prefecture of the Empire of Japan on southern Sakhalin (1907–1949)",
     P31="Q900009017", P17="Q900000705", P571="1907", P576="1949")
item("Q900000124", "place:kuril-islands", en="Kuril Islands", ja="千島列島", ru="Курильские острова",
     aka={"en": ["Kurile Islands", "Kuriles"]}, desc="archipelago in the north-west Pacific",
     P31="Q900009020", P17="Q900000104", P625=(46.5, 151.5))
item("Q900000125", "place:siberia", en="Siberia", ja="シベリア", ru="Сибирь",
     desc="geographic region in North Asia", P31="Q82794", P17="Q900000104",
     P625=(60.0, 100.0))
item("Q900000719", en="Siberia", desc="town in Indiana, United States", P31="Q900009002",
     P17="Q900000108", P625=(38.13, -86.69))
item("Q900000720", en="Siberia", desc="2018 film", P31="Q11424", P577="2018")
item("Q900000126", "place:russian-far-east", en="Russian Far East", ru="Дальний Восток России",
     ja="ロシア極東", desc="region of Russia", P31="Q82794", P17="Q900000104")
item("Q900000127", "place:solomon-islands", en="Solomon Islands", ja="ソロモン諸島",
     desc="country in Oceania", P31="Q3624078")
item("Q900000715", en="Solomon Islands", desc="archipelago in the South Pacific",
     P31="Q900009020")
item("Q900000128", "place:primorsky-krai", en="Primorsky Krai", ja="沿海地方", ru="Приморский край",
     aka={"en": ["Primorye", "Primorsky Territory", "Primorski Krai"], "ru": ["Приморье"]},
     desc="federal subject of Russia", P31="Q900009011",
     P17=[pref("P17", "Q900000104"), normal("P17", "Q900000101", P582="1991-12-26")],
     P625=(45.0, 135.0))
item("Q900000129", "place:khabarovsk-krai", en="Khabarovsk Krai", ja="ハバロフスク地方",
     ru="Хабаровский край", aka={"en": ["Khabarovsk Territory", "Khabarovsk"]},
     desc="federal subject of Russia", P31="Q900009011",
     P17=[pref("P17", "Q900000104"), normal("P17", "Q900000101", P582="1991-12-26")],
     P625=(54.0, 135.0))
item("Q900000130", "place:krasnoyarsk-krai", en="Krasnoyarsk Krai", ja="クラスノヤルスク地方",
     ru="Красноярский край", aka={"en": ["Krasnoyarsk Territory"]},
     desc="federal subject of Russia", P31="Q900009011", P17="Q900000104", P625=(63.0, 93.0))
item("Q900000131", "place:south-kazakhstan-province", en="Turkistan Region",
     ru="Туркестанская область",
     aka={"en": ["South Kazakhstan Region", "South Kazakhstan Province"]},
     desc="region of Kazakhstan", P31="Q900009016", P17="Q900000107")
item("Q900000132", "place:zhambyl-province", en="Jambyl Region", ru="Жамбылская область",
     aka={"en": ["Zhambyl Region", "Zhambyl Province", "Jambyl Province"]},
     desc="region of Kazakhstan", P31="Q900009016", P17="Q900000107")
item("Q900000133", "place:buryat-mongol-assr",
     en="Buryat-Mongol Autonomous Soviet Socialist Republic",
     ru="Бурят-Монгольская Автономная Советская Социалистическая Республика",
     aka={"en": ["Buryat-Mongol ASSR"]},
     desc="autonomous republic of the Soviet Union (1923–1958)", P31="Q900009014",
     P17="Q900000101", P571="1923-05-30", P576="1958-07-07")
item("Q900000716", en="Republic of Buryatia", ru="Республика Бурятия",
     aka={"en": ["Buryatia", "Buryat-Mongol ASSR"]}, desc="federal subject of Russia",
     P31="Q900009013", P17="Q900000104", P571="1992")
item("Q900000134", "place:uzbek-ssr", en="Uzbek Soviet Socialist Republic",
     ru="Узбекская Советская Социалистическая Республика", aka={"en": ["Uzbek SSR"]},
     desc="union republic of the Soviet Union (1924–1991)", P31="Q900009015",
     P17="Q900000101", P571="1924-10-27", P576="1991-08-31")
item("Q900000135", "place:chita-oblast", en="Chita Oblast", ja="チタ州", ru="Читинская область",
     desc="former federal subject of Russia (1937–2008)", P31="Q900009019",
     P17="Q900000104", P571="1937-09-26", P576="2008-03-01")
item("Q900000144", en="Zabaykalsky Krai", ja="ザバイカリエ地方", ru="Забайкальский край",
     aka={"en": ["Chita Oblast", "Transbaikal Krai"]}, desc="federal subject of Russia",
     P31="Q900009011", P17="Q900000104", P571="2008-03-01")
item("Q900000136", "place:irkutsk-oblast", en="Irkutsk Oblast", ja="イルクーツク州",
     ru="Иркутская область", desc="federal subject of Russia", P31="Q900009012",
     P17="Q900000104")
item("Q900000137", "place:baikal-amur-mainline", en="Baikal–Amur Mainline",
     ja="バイカル・アムール鉄道", ru="Байкало-Амурская магистраль",
     aka={"en": ["BAM", "Baikal-Amur Mainline"], "ru": ["БАМ"]},
     desc="railway line in Russia", P31="Q728937", P17="Q900000104")
item("Q900000138", "place:kyoto-prefecture", en="Kyoto Prefecture", ja="京都府",
     desc="prefecture of Japan", P31="Q900009017", P17="Q900000103", P625=(35.2, 135.5))
item("Q900000139", "place:chidorigafuchi-national-cemetery",
     en="Chidorigafuchi National Cemetery", ja="千鳥ケ淵戦没者墓苑",
     desc="national cemetery in Tokyo", P31="Q39614", P17="Q900000103", P131="Q900000148")
item("Q900000148", en="Chiyoda", ja="千代田区", desc="special ward of Tokyo", P31="Q56061",
     P131="Q900000211", P17="Q900000103")
item("Q900000140", "place:lincoln-nebraska", en="Lincoln", aka={"en": ["Lincoln, Nebraska"]},
     desc="capital city of Nebraska, United States", P31="Q900009006", P17="Q900000108",
     P131="Q900000149", P625=(40.81, -96.68))
item("Q900000149", en="Lancaster County", desc="county in Nebraska, United States",
     P31="Q900009023", P131="Q900000145", P17="Q900000108")
item("Q900000145", en="Nebraska", desc="state of the United States of America",
     P31="Q900009018", P17="Q900000108")
item("Q900000721", en="Lincoln", desc="cathedral city in Lincolnshire, England", P31="Q515",
     P17="Q900000109", P131="Q900000722", P625=(53.23, -0.54))
item("Q900000722", en="Lincolnshire", desc="county of England", P31="Q900009023",
     P17="Q900000109")
item("Q900000141", "place:fort-leavenworth", en="Fort Leavenworth",
     desc="census-designated place in Kansas, United States", P31="Q900009008",
     P17="Q900000108")
item("Q900000142", "place:washington", en="Washington, D.C.",
     aka={"en": ["Washington", "DC", "Washington DC"]},
     desc="capital city of the United States of America", P31="Q900009005", P17="Q900000108",
     P625=(38.9, -77.04))
item("Q900000729", en="Washington", aka={"en": ["Washington State"]},
     desc="state of the United States of America", P31="Q900009018", P17="Q900000108")
item("Q900000730", en="George Washington", aka={"en": ["Washington"]},
     desc="1st president of the United States (1732–1799)", P31="Q5", P106="Q82955",
     P569="1732-02-22", P570="1799-12-14")
item("Q900000731", en="Washington", desc="city in Wilkes County, Georgia, United States",
     P31="Q900009006", P17="Q900000108", P625=(33.74, -82.74))
item("Q900000732", en="Washington", desc="town in Tyne and Wear, England", P31="Q900009002",
     P17="Q900000109", P625=(54.9, -1.52))
item("Q900000143", "place:exeter", en="Exeter", desc="city in Devon, England", P31="Q515",
     P17="Q900000109", P131="Q900000146", P625=(50.72, -3.53))
item("Q900000146", en="Devon", desc="county of England", P31="Q900009023", P17="Q900000109")
item("Q900000733", en="Exeter", desc="town in Rockingham County, New Hampshire, United States",
     P31="Q900009002", P17="Q900000108", P625=(42.98, -70.95))
# near-misses only: the right item is not in the fixture, the linker must not take these
item("Q900000723", en="London", desc="city in Ontario, Canada", P31="Q515", P17="Q900000111",
     P625=(42.98, -81.25))
item("Q900000725", en="Jack London", aka={"en": ["London"]}, desc="American writer (1876–1916)",
     P31="Q5", P106="Q900009071", P569="1876-01-12", P570="1916-11-22")
item("Q900000726", en="New York", aka={"en": ["New York State"]},
     desc="state of the United States of America", P31="Q900009018", P17="Q900000108")
item("Q900000727", en="New York", desc="American weekly magazine", P31="Q41298")
item("Q900000735", en="Seattle", desc="steamship launched in 1909", P31="Q900009066")
item("Q900000736", en="Seattle", desc="1990s song", P31="Q900009053")
item("Q900000734", en="Yalta", desc="2007 television film", P31="Q11424", P577="2007")
item("Q900000737", en="Krasnaya Zarya", ru="Красная Заря",
     desc="village in Oryol Oblast, Russia", P31="Q900009003", P17="Q900000104",
     P131="Q900000739")
item("Q900000739", en="Oryol Oblast", ru="Орловская область", desc="federal subject of Russia",
     P31="Q900009012", P17="Q900000104")
item("Q900000738", en="Krasnaya Zarya", ru="Красная Заря",
     desc="village in Zabaykalsky Krai, Russia", P31="Q900009003", P17="Q900000104",
     P131="Q900000740")
item("Q900000740", en="Chernyshevsky District", desc="district of Zabaykalsky Krai, Russia",
     P31="Q900009024", P131="Q900000144", P17="Q900000104")
item("Q900000741", en="Raychikha", desc="river in Amur Oblast, Russia", P31="Q900009022",
     P17="Q900000104")

# ---------------------------------------------------------------- gazetteer cities

item("Q900000201", "place:taishet", en="Tayshet", ru="Тайшет", aka={"en": ["Taishet"]},
     desc="town in Irkutsk Oblast, Russia", P31="Q900009002", P17="Q900000104",
     P131="Q900000136", P625=(55.94, 98.0))
item("Q900000202", "place:kansk", en="Kansk", ru="Канск", desc="town in Krasnoyarsk Krai, Russia",
     P31="Q900009002", P17="Q900000104", P131="Q900000130", P625=(56.2, 95.7))
item("Q900000203", "place:komsomolsk-on-amur", en="Komsomolsk-on-Amur", ru="Комсомольск-на-Амуре",
     desc="city in Khabarovsk Krai, Russia", P31="Q900009001", P17="Q900000104",
     P131="Q900000129", P625=(50.55, 137.0))
item("Q900000204", "place:sovetskaya-gavan", en="Sovetskaya Gavan", ru="Советская Гавань",
     desc="town in Khabarovsk Krai, Russia", P31="Q900009002", P17="Q900000104",
     P131="Q900000129", P625=(48.97, 140.28))
item("Q900000205", "place:khabarovsk", en="Khabarovsk", ja="ハバロフスク", ru="Хабаровск",
     desc="city in Russia, administrative centre of Khabarovsk Krai",
     P31=["Q900009001", "Q900009004"], P17="Q900000104", P131="Q900000129",
     P625=(48.48, 135.07))
item("Q900000771", en="Khabarovsk", desc="river ship built in 1953", P31="Q900009066")
item("Q900000206", "place:irkutsk", en="Irkutsk", ja="イルクーツク", ru="Иркутск",
     desc="city in Russia, administrative centre of Irkutsk Oblast", P31="Q900009001",
     P17="Q900000104", P131="Q900000136", P625=(52.28, 104.28))
item("Q900000207", "place:vladivostok", en="Vladivostok", ja="ウラジオストク", ru="Владивосток",
     desc="city in Primorsky Krai, Russia", P31="Q900009001", P17="Q900000104",
     P131="Q900000128", P625=(43.12, 131.9))
item("Q900000208", "place:moscow", en="Moscow", ja="モスクワ", ru="Москва",
     desc="capital and largest city of Russia", P31=["Q900009005", "Q900009004"],
     P17="Q900000104", P625=(55.75, 37.62))
item("Q900000209", "place:harbin", en="Harbin", ru="Харбин", ja="ハルビン市",
     desc="city in Heilongjiang, China", P31="Q515", P17="Q900000105", P131="Q900000212",
     P625=(45.76, 126.63))
item("Q900000212", en="Heilongjiang", desc="province of China", P31="Q56061", P17="Q900000105")
item("Q900000210", "place:maizuru", en="Maizuru", ja="舞鶴市", ru="Майдзуру",
     desc="city in Kyoto Prefecture, Japan", P31="Q900009007", P17="Q900000103",
     P131="Q900000138", P625=(35.47, 135.38))
item("Q900000211", "place:tokyo", en="Tokyo", ja="東京都", ru="Токио", aka={"ja": ["東京"]},
     desc="capital of Japan", P31="Q900009005", P17="Q900000103", P625=(35.69, 139.69))

# ---------------------------------------------------------------- people

item("Q900000301", "person:joseph-stalin", en="Joseph Stalin", ja="ヨシフ・スターリン",
     ru="Иосиф Виссарионович Сталин",
     aka={"en": ["Stalin", "Josef Stalin", "Iosif Stalin"], "ja": ["スターリン"],
          "ru": ["Иосиф Сталин", "Сталин"]},
     desc="Soviet politician and leader (1878–1953)", P31="Q5",
     P106=["Q82955", "Q900009075"], P27="Q900000101",
     P569=[Claim("P569", "1878-12-18"), dep("P569", "1879-12-21")], P570="1953-03-05")
item("Q900000742", en="Stalin", desc="1992 television film", P31="Q11424", P577="1992")
item("Q900000768", en="Stalin", desc="family name", P31="Q101352")
item("Q900000302", "person:boris-yeltsin", en="Boris Yeltsin", ja="ボリス・エリツィン",
     ru="Борис Николаевич Ельцин", aka={"ja": ["エリツィン"], "ru": ["Борис Ельцин"]},
     desc="first President of Russia (1931–2007)", P31="Q5", P106="Q82955",
     P27=["Q900000104", "Q900000101"], P569="1931-02-01", P570="2007-04-23")
item("Q900000303", "person:nikolai-gagen", en="Nikolai Gagen", ru="Николай Александрович Гаген",
     aka={"ru": ["Николай Гаген"]}, desc="Soviet general (1893–1969)", P31="Q5",
     P106="Q189290", P27="Q900000101", P569="1893-08-10", P570="1969-06-07")
item("Q900000304", "person:aleksandr-vasilevsky", en="Aleksandr Vasilevsky",
     ru="Александр Михайлович Василевский",
     aka={"en": ["Alexander Vasilevsky"], "ru": ["Александр Василевский"]},
     desc="Marshal of the Soviet Union (1895–1977)", P31="Q5", P106="Q189290",
     P27="Q900000101", P569="1895-09-30", P570="1977-12-05")
item("Q900000305", "person:franklin-d-roosevelt", en="Franklin Delano Roosevelt",
     aka={"en": ["Franklin D. Roosevelt", "FDR"]},
     desc="32nd president of the United States (1882–1945)", P31="Q5", P106="Q82955",
     P27="Q900000108", P569="1882-01-30", P570="1945-04-12")
item("Q900000306", "person:winston-churchill", en="Winston Churchill",
     desc="Prime Minister of the United Kingdom (1874–1965)", P31="Q5",
     P106=["Q82955", "Q36180"], P27="Q900000109", P569="1874-11-30", P570="1965-01-24")
item("Q900000743", en="Winston Churchill", desc="American novelist (1871–1947)", P31="Q5",
     P106="Q900009071", P27="Q900000108", P569="1871-11-10", P570="1947-03-12")
item("Q900000307", "person:hirohito", en="Hirohito", ja="昭和天皇",
     aka={"en": ["Emperor Shōwa", "Emperor Hirohito"], "ja": ["裕仁", "迪宮裕仁"]},
     desc="Emperor of Japan from 1926 to 1989", P31="Q5", P106=["Q116", "Q82955"],
     P27="Q900000103", P569="1901-04-29", P570="1989-01-07")
item("Q900000308", "person:kyuichi-tokuda", en="Kyuichi Tokuda", ja="徳田球一",
     aka={"en": ["Tokuda Kyuichi", "Kyūichi Tokuda"]}, desc="Japanese communist politician",
     P31="Q5", P106="Q82955", P27="Q900000103", P569="1894-09-12", P570="1953-10-14")
item("Q900000309", "person:hideki-tojo", en="Hideki Tōjō", ja="東條英機",
     aka={"en": ["Hideki Tojo", "Tojo Hideki"]}, desc="Prime Minister of Japan (1884–1948)",
     P31="Q5", P106=["Q82955", "Q189290"], P27="Q900000103", P569="1884-12-30",
     P570="1948-12-23")
item("Q900000310", "person:shinzo-abe", en="Shinzo Abe", ja="安倍晋三",
     aka={"en": ["Shinzō Abe", "Abe Shinzo"]}, desc="Prime Minister of Japan (1954–2022)",
     P31="Q5", P106="Q82955", P27="Q900000103", P569="1954-09-21", P570="2022-07-08")
item("Q900000311", "person:yasuhisa-shiozaki", en="Yasuhisa Shiozaki", ja="塩崎恭久",
     desc="Japanese politician", P31="Q5", P106="Q82955", P27="Q900000103", P569="1950-11-07")
item("Q900000312", "person:muneo-suzuki", en="Muneo Suzuki", ja="鈴木宗男",
     desc="Japanese politician", P31="Q5", P106="Q82955", P27="Q900000103", P569="1948-01-31")
item("Q900000313", "person:karl-marx", en="Karl Marx", ja="カール・マルクス", ru="Карл Маркс",
     desc="German philosopher and economist (1818–1883)", P31="Q5",
     P106=["Q900009076", "Q900009077", "Q1930187", "Q36180"], P569="1818-05-05",
     P570="1883-03-14")
item("Q900000744", en="Karl Marx", desc="German composer (1897–1985)", P31="Q5",
     P106="Q900009078", P569="1897-11-12", P570="1985-05-08")
item("Q900000314", "person:friedrich-engels", en="Friedrich Engels", ja="フリードリヒ・エンゲルス",
     desc="German philosopher (1820–1895)", P31="Q5", P106=["Q900009076", "Q36180"],
     P569="1820-11-28", P570="1895-08-05")
item("Q900000315", "person:vladimir-lenin", en="Vladimir Lenin", ja="ウラジーミル・レーニン",
     ru="Владимир Ильич Ленин", aka={"en": ["Lenin", "Vladimir Ilyich Lenin"]},
     desc="Russian revolutionary and Soviet leader (1870–1924)", P31="Q5",
     P106=["Q82955", "Q900009075"], P569="1870-04-22", P570="1924-01-21")
item("Q900000745", en="Lenin", desc="nuclear-powered icebreaker", P31="Q900009066")
item("Q900000316", "person:toyoko-yamasaki", en="Toyoko Yamasaki", ja="山崎豊子",
     desc="Japanese novelist (1924–2013)", P31="Q5", P106="Q900009071", P27="Q900000103",
     P569="1924-01-03", P570="2013-09-29")
item("Q900000317", "person:masaki-kobayashi", en="Masaki Kobayashi", ja="小林正樹",
     desc="Japanese film director (1916–1996)", P31="Q5", P106="Q2526255", P27="Q900000103",
     P569="1916-02-14", P570="1996-10-04")
item("Q900000746", en="Masaki Kobayashi", ja="小林将樹", desc="Japanese footballer", P31="Q5",
     P106="Q900009074", P27="Q900000103", P569="1990-05-02")
item("Q900000318", "person:haruo-minami", en="Haruo Minami", ja="三波春夫",
     desc="Japanese enka singer (1923–2001)", P31="Q5", P106="Q177220", P27="Q900000103",
     P569="1923-07-19", P570="2001-04-14")
item("Q900000319", "person:jun-ushiroku", en="Jun Ushiroku", ja="後宮淳",
     desc="Japanese general (1884–1973)", P31="Q5", P106="Q189290", P27="Q900000103",
     P569="1884-09-28", P570="1973-11-24")
item("Q900000320", "person:junpei-gomikawa", en="Junpei Gomikawa", ja="五味川純平",
     desc="Japanese novelist (1916–1995)", P31="Q5", P106="Q900009071", P27="Q900000103",
     P569="1916-03-15", P570="1995-03-08")
item("Q900000321", "person:yoshiro-ishihara", en="Yoshirō Ishihara", ja="石原吉郎",
     aka={"en": ["Yoshiro Ishihara"]}, desc="Japanese poet (1915–1977)", P31="Q5",
     P106="Q900009072", P27="Q900000103", P569="1915-11-11", P570="1977-11-13")
item("Q900000322", "person:tetsuro-ahiko", en="Tetsuro Ahiko", ja="阿彦哲郎",
     desc="Japanese former prisoner of war who stayed in Kazakhstan (1927–2020)", P31="Q5",
     P27="Q900000107", P569="1927", P570="2020-06-18")
item("Q900000323", "person:anne-applebaum", en="Anne Applebaum",
     desc="American-Polish journalist and historian", P31="Q5",
     P106=["Q1930187", "Q201788"], P27="Q900000108", P569="1964-07-25")
item("Q900000324", "person:john-w-dower", en="John W. Dower", aka={"en": ["John Dower"]},
     desc="American historian", P31="Q5", P106="Q201788", P27="Q900000108",
     P569="1938-06-21")
item("Q900000747", en="John Dower", desc="English cricketer", P31="Q5", P106="Q900009079",
     P569="1889")
item("Q900000325", "person:david-glantz", en="David Glantz", aka={"en": ["David M. Glantz"]},
     desc="American military historian", P31="Q5", P106="Q900009080", P27="Q900000108",
     P569="1942-01-11")
item("Q900000326", "person:jason-dawsey", en="Jason Dawsey", desc="American historian",
     P31="Q5", P106="Q201788", P27="Q900000108")
item("Q900000327", "person:yoshikuni-igarashi", en="Yoshikuni Igarashi",
     desc="Japanese-American historian", P31="Q5", P106=["Q201788", "Q1622272"])
item("Q900000328", "person:william-f-nimmo", en="William F. Nimmo", desc="American historian",
     P31="Q5", P106="Q201788", P27="Q900000108")
item("Q900000329", "person:lori-watt", en="Lori Watt", desc="American historian of Japan",
     P31="Q5", P106="Q201788", P27="Q900000108")
item("Q900000750", en="Lori Watt", desc="American basketball player", P31="Q5",
     P106="Q900009073", P27="Q900000108", P569="1983")
item("Q900000330", "person:s-i-kuznetsov", en="Sergei Ilyich Kuznetsov",
     ru="Сергей Ильич Кузнецов",
     aka={"en": ["S. I. Kuznetsov", "Sergey Kuznetsov"], "ru": ["С. И. Кузнецов"]},
     desc="Russian historian", P31="Q5", P106=["Q201788", "Q1622272"], P27="Q900000104",
     P569="1956")
item("Q900000748", en="Sergei Kuznetsov", ru="Сергей Кузнецов",
     aka={"en": ["S. Kuznetsov"]}, desc="Soviet footballer", P31="Q5", P106="Q900009074",
     P569="1950")
item("Q900000331", "person:gilbert-grosvenor", en="Gilbert Hovey Grosvenor",
     aka={"en": ["Gilbert Grosvenor", "Gilbert H. Grosvenor"]},
     desc="American editor of National Geographic (1875–1966)", P31="Q5",
     P106=["Q900009081", "Q1930187"], P27="Q900000108", P569="1875-10-28", P570="1966-02-04")
item("Q900000749", en="Gilbert Melville Grosvenor",
     aka={"en": ["Gilbert M. Grosvenor", "Gilbert Grosvenor"]},
     desc="American editor of National Geographic (born 1931)", P31="Q5",
     P106=["Q900009081", "Q1930187"], P27="Q900000108", P569="1931-05-05")
item("Q900000332", "person:melville-grosvenor", en="Melville Bell Grosvenor",
     aka={"en": ["Melville Grosvenor"]},
     desc="American editor of National Geographic (1901–1982)", P31="Q5",
     P106=["Q900009081", "Q1930187"], P27="Q900000108", P569="1901-11-26", P570="1982-04-22")
item("Q900000333", "person:ulrich-straus", en="Ulrich Straus",
     desc="American diplomat and author (1926–2008)", P31="Q5", P106=["Q193391", "Q482980"],
     P27="Q900000108", P569="1926", P570="2008")
item("Q900000334", "person:iwao-peter-sato", en="Iwao Peter Sato",
     desc="Japanese-American author and former prisoner of war", P31="Q5", P106="Q482980",
     P27="Q900000108")
item("Q900000335", "person:sherzod-muminov", en="Sherzod Muminov",
     desc="historian of modern Japan", P31="Q5", P106="Q201788")
item("Q900000751", en="Amy King", desc="American poet", P31="Q5", P106="Q900009072",
     P27="Q900000108", P569="1971")
item("Q900000336", en="Satsuo Yamamoto", ja="山本薩夫", desc="Japanese film director",
     P31="Q5", P106="Q2526255", P27="Q900000103")
item("Q900000337", en="Kang Je-gyu", desc="South Korean film director", P31="Q5",
     P106="Q2526255", P27="Q900000110")
item("Q900000338", en="Paul Anka", desc="Canadian singer and songwriter", P31="Q5",
     P106="Q177220", P27="Q900000111")
item("Q900000765", en="Hannah Arendt", desc="German-American political theorist", P31="Q5",
     P106="Q900009076")
item("Q900000766", en="René Magritte", desc="Belgian painter", P31="Q5", P106="Q483501")

# ---------------------------------------------------------------- organizations

item("Q900000401", "org:gupvi", en="Main Administration for Affairs of Prisoners of War and Internees",
     ru="Главное управление по делам военнопленных и интернированных НКВД/МВД СССР",
     aka={"en": ["GUPVI"], "ru": ["ГУПВИ"]},
     desc="Soviet government agency in charge of prisoners of war (1939–1953)", P31="Q327333",
     P17="Q900000101", P571="1939", P576="1953")
item("Q900000402", "org:nkvd", en="NKVD", ru="Народный комиссариат внутренних дел",
     aka={"en": ["People's Commissariat for Internal Affairs"], "ru": ["НКВД"]},
     desc="law enforcement agency of the Soviet Union (1934–1946)", P31="Q900009031",
     P17="Q900000101", P571="1934-07-10", P576="1946-03-15")
item("Q900000403", "org:mvd", en="Ministry of Internal Affairs of the Soviet Union",
     ru="Министерство внутренних дел СССР", aka={"en": ["MVD"], "ru": ["МВД СССР"]},
     desc="interior ministry of the Soviet Union (1946–1991)", P31="Q900009030",
     P17="Q900000101", P571="1946-03-15", P576="1991")
item("Q900000752", en="Ministry of Internal Affairs of Russia",
     ru="Министерство внутренних дел Российской Федерации",
     aka={"en": ["MVD"], "ru": ["МВД", "МВД России"]},
     desc="interior ministry of Russia", P31="Q900009030", P17="Q900000104", P571="1802")
item("Q900000404", "org:cpsu", en="Communist Party of the Soviet Union",
     ru="Коммунистическая партия Советского Союза", aka={"en": ["CPSU"], "ru": ["КПСС"]},
     desc="ruling political party of the Soviet Union", P31="Q900009032", P17="Q900000101")
item("Q900000405", "org:gulag", en="Gulag", ru="ГУЛАГ",
     aka={"en": ["GULAG", "Main Administration of Camps"]},
     desc="Soviet government agency in charge of the forced labour camp system",
     P31="Q327333", P17="Q900000101", P571="1930", P576="1960")
item("Q900000753", en="Gulag", desc="1985 film", P31="Q11424", P577="1985")
item("Q900000767", en="Gulag", desc="Wikimedia disambiguation page", P31="Q4167410")
item("Q900000406", "org:red-army", en="Red Army", ru="Красная армия",
     aka={"en": ["Workers' and Peasants' Red Army"], "ru": ["РККА"]},
     desc="army of the Soviet Union (1918–1946)", P31="Q900009033", P17="Q900000101",
     P571="1918-01-28", P576="1946-02-25")
item("Q900000754", en="Japanese Red Army", ru="Японская Красная армия",
     aka={"en": ["Red Army"]}, desc="Japanese militant communist group",
     P31="Q900009039", P17="Q900000103", P571="1971")
item("Q900000755", en="Red Army", desc="2014 documentary film", P31="Q11424", P577="2014")
item("Q900000407", "org:soviet-state-defense-committee", en="State Defense Committee",
     ru="Государственный комитет обороны", aka={"ru": ["ГКО"], "en": ["GKO"]},
     desc="extraordinary organ of state power of the Soviet Union (1941–1945)",
     P31="Q327333", P17="Q900000101", P571="1941-06-30", P576="1945-09-04")
item("Q900000408", "org:council-of-ministers-of-the-ussr",
     en="Council of Ministers of the Soviet Union",
     aka={"en": ["Council of Ministers of the USSR", "Sovmin"]},
     desc="government of the Soviet Union (1946–1991)", P31="Q900009037", P17="Q900000101")
item("Q900000409", "org:government-of-japan", en="Government of Japan", ja="日本国政府",
     aka={"ja": ["日本政府"], "en": ["Japanese Government"]},
     desc="central government of Japan", P31="Q900009037", P17="Q900000103")
item("Q900000410", "org:ministry-of-health-and-welfare", en="Ministry of Health and Welfare",
     ja="厚生省", aka={"en": ["Kōseishō"]},
     desc="former ministry of the Japanese government (1938–2001)", P31="Q900009030",
     P17="Q900000103", P571="1938-01-11", P576="2001-01-06")
item("Q900000756", en="Ministry of Health and Welfare", ja="保健福祉部",
     desc="ministry of the government of South Korea", P31="Q900009030", P17="Q900000110")
item("Q900000757", en="Ministry of Health and Welfare (Taiwan)", ja="衛生福利部",
     aka={"en": ["Ministry of Health and Welfare"]},
     desc="ministry of the Republic of China", P31="Q900009030")
item("Q900000411", "org:ministry-of-health-labour-and-welfare",
     en="Ministry of Health, Labour and Welfare", ja="厚生労働省", aka={"en": ["MHLW"]},
     desc="ministry of the Japanese government", P31="Q900009030", P17="Q900000103",
     P571="2001-01-06")
item("Q900000412", "org:house-of-representatives-japan", en="House of Representatives",
     ja="衆議院", desc="lower house of the National Diet of Japan", P31="Q900009036",
     P17="Q900000103")
item("Q900000758", en="United States House of Representatives", ja="アメリカ合衆国下院",
     aka={"en": ["House of Representatives", "US House"]},
     desc="lower house of the United States Congress", P31="Q900009036", P17="Q900000108")
item("Q900000759", en="House of Representatives", ja="代議院",
     desc="lower house of the Parliament of Australia", P31="Q900009036")
item("Q900000413", "org:kwantung-army", en="Kwantung Army", ja="関東軍",
     desc="army group of the Imperial Japanese Army (1919–1945)", P31="Q900009033",
     P17="Q900000705", P571="1919", P576="1945")
item("Q900000414", "org:imperial-japanese-army", en="Imperial Japanese Army", ja="大日本帝国陸軍",
     aka={"en": ["Japanese Army", "IJA"], "ja": ["帝国陸軍"]},
     desc="army of the Empire of Japan (1871–1945)", P31="Q900009033", P17="Q900000705")
item("Q900000415", "org:unit-731", en="Unit 731", ja="731部隊",
     desc="covert biological and chemical warfare unit of the Imperial Japanese Army",
     P31="Q176799", P17="Q900000705")
item("Q900000416", "org:japanese-communist-party", en="Japanese Communist Party", ja="日本共産党",
     desc="political party in Japan", P31="Q900009032", P17="Q900000103", P571="1922-07-15")
item("Q900000417", "org:unesco", en="UNESCO", ja="国際連合教育科学文化機関",
     aka={"ja": ["ユネスコ"], "en": ["United Nations Educational, Scientific and Cultural Organization"]},
     desc="specialised agency of the United Nations", P31="Q900009034", P571="1945-11-16")
item("Q900000418", "org:irkutsk-state-university", en="Irkutsk State University",
     ru="Иркутский государственный университет", desc="university in Irkutsk, Russia",
     P31="Q3918", P17="Q900000104", P131="Q900000206", P571="1918")
item("Q900000419", "org:sankei-shimbun", en="Sankei Shimbun", ja="産経新聞",
     aka={"en": ["The Sankei Shimbun"]}, desc="Japanese daily newspaper", P31="Q11032",
     P17="Q900000103")
item("Q900000420", "org:nihon-keizai-shimbun", en="Nihon Keizai Shimbun", ja="日本経済新聞",
     aka={"en": ["Nikkei"]}, desc="Japanese daily newspaper", P31="Q11032", P17="Q900000103")
item("Q900000421", "org:new-york-times", en="The New York Times",
     aka={"en": ["New York Times", "NYT"]}, desc="American daily newspaper", P31="Q11032",
     P17="Q900000108")
item("Q900000422", "org:vanderbilt-university", en="Vanderbilt University",
     desc="private research university in Nashville, Tennessee", P31="Q3918",
     P17="Q900000108")
item("Q900000423", "org:associated-press", en="Associated Press", aka={"en": ["AP"]},
     desc="American news agency", P31="Q900009035", P17="Q900000108")
item("Q900000424", "org:bbc-news", en="BBC News", desc="news division of the BBC",
     P31="Q900009040", P17="Q900000109")
item("Q900000425", "org:dpaa", en="Defense POW/MIA Accounting Agency", aka={"en": ["DPAA"]},
     desc="agency of the United States Department of Defense", P31="Q327333",
     P17="Q900000108", P571="2015-01-30")
item("Q900000426", "org:united-nations", en="United Nations", ja="国際連合",
     aka={"en": ["UN", "U.N."], "ja": ["国連"]}, desc="intergovernmental organization",
     P31="Q900009034", P571="1945-10-24")
item("Q900000428", "org:kyodo-news", en="Kyodo News", ja="共同通信社",
     desc="Japanese news agency", P31="Q900009035", P17="Q900000103")

# ---------------------------------------------------------------- works

item("Q900000501", "work:fumo-chitai", en="Fumō Chitai", ja="不毛地帯",
     aka={"en": ["Fumo Chitai", "The Barren Zone"]}, desc="novel by Toyoko Yamasaki",
     P31="Q900009050", P50="Q900000316", P577="1976", P495="Q900000103")
item("Q900000502", "work:fumo-chitai-film", en="Fumō Chitai", ja="不毛地帯",
     aka={"en": ["Fumo Chitai"]}, desc="1976 Japanese film directed by Satsuo Yamamoto",
     P31="Q11424", P57="Q900000336", P144="Q900000501", P577="1976-08-21", P495="Q900000103")
item("Q900000503", "work:fumo-chitai-tv-drama-1", en="Fumō Chitai", ja="不毛地帯",
     desc="1979 Japanese television drama", P31="Q900009052", P144="Q900000501",
     P580="1979", P495="Q900000103")
item("Q900000504", "work:fumo-chitai-tv-drama-2", en="Fumō Chitai", ja="不毛地帯",
     desc="2009 Japanese television drama", P31="Q900009052", P144="Q900000501",
     P580="2009-10-15", P495="Q900000103")
item("Q900000776", en="Fumō Chitai", desc="Wikimedia disambiguation page", P31="Q4167410")
item("Q900000505", "work:the-human-condition", en="The Human Condition", ja="人間の條件",
     aka={"en": ["The Human Condition trilogy"]},
     desc="Japanese film trilogy directed by Masaki Kobayashi (1959–1961)",
     P31="Q900009051", P57="Q900000317", P144="Q900000762", P577="1959", P495="Q900000103")
item("Q900000762", en="The Human Condition", ja="人間の條件",
     desc="novel by Junpei Gomikawa", P31="Q900009050", P50="Q900000320", P577="1956")
item("Q900000763", en="The Human Condition", desc="1958 book by Hannah Arendt", P31="Q571",
     P50="Q900000765", P577="1958")
item("Q900000764", en="The Human Condition", desc="1933 painting by René Magritte",
     P31="Q900009055", P170="Q900000766", P571="1933")
item("Q900000506", "work:my-way", en="My Way", aka={"en": ["Mai Wei"]},
     desc="2011 South Korean war film directed by Kang Je-gyu", P31="Q11424",
     P57="Q900000337", P577="2011-12-21", P495="Q900000110")
item("Q900000760", en="My Way", desc="song popularized by Frank Sinatra", P31="Q900009053",
     P86="Q900000338", P577="1969")
item("Q900000761", en="My Way", desc="1974 South African drama film", P31="Q11424",
     P577="1974")
item("Q900000507", "work:gulag-a-history", en="Gulag: A History",
     desc="2003 book by Anne Applebaum", P31="Q571", P50="Q900000323", P577="2003")
item("Q900000508", "work:anguish-of-surrender", en="The Anguish of Surrender",
     desc="2003 book by Ulrich Straus on Japanese prisoners of war", P31="Q571",
     P50="Q900000333", P577="2003")
item("Q900000509", "work:when-empire-comes-home", en="When Empire Comes Home",
     desc="book by Lori Watt on the repatriation of Japanese after 1945", P31="Q571",
     P50="Q900000329", P577="2009")
item("Q900000510", "work:embracing-defeat", en="Embracing Defeat",
     aka={"en": ["Embracing Defeat: Japan in the Wake of World War II"]},
     desc="1999 history book by John W. Dower", P31="Q571", P50="Q900000324", P577="1999")
item("Q900000511", "work:thousand-days-in-siberia",
     en="1,000 Days in Siberia: The Odyssey of a Japanese-American POW",
     aka={"en": ["1,000 Days in Siberia"]}, desc="memoir by Iwao Peter Sato", P31="Q571",
     P50="Q900000334", P577="1997")
item("Q900000512", "work:japan-still-has-cadres-remaining",
     en="Japan Still Has Cadres Remaining", desc="scholarly article published in 2022",
     P31="Q13442814", P50="Q900000335", P577="2022-03")
item("Q900000513", "work:potsdam-declaration", en="Potsdam Declaration", ja="ポツダム宣言",
     desc="statement calling for the surrender of Japan in World War II", P31="Q900009056",
     P577="1945-07-26")
item("Q900000514", "work:soviet-japanese-neutrality-pact", en="Soviet–Japanese Neutrality Pact",
     ja="日ソ中立条約", aka={"en": ["Japanese–Soviet Neutrality Pact"]},
     desc="1941 non-aggression pact between the Soviet Union and Japan", P31="Q131569",
     P577="1941-04-13")
item("Q900000515", "work:geneva-conventions-1929",
     en="Geneva Convention relative to the Treatment of Prisoners of War (1929)",
     aka={"en": ["Geneva Conventions of 1929", "Geneva Convention of 1929"]},
     desc="1929 treaty on the treatment of prisoners of war", P31="Q131569", P577="1929-07-27")
item("Q900000516", "work:journal-of-cold-war-studies", en="Journal of Cold War Studies",
     desc="academic journal", P31="Q737498", P571="1999")
item("Q900000517", "work:journal-of-slavic-military-studies",
     en="Journal of Slavic Military Studies", desc="academic journal", P31="Q737498",
     P571="1988")
item("Q900000518", "work:war-and-society", en="War & Society",
     aka={"en": ["War and Society"]}, desc="academic journal of military history",
     P31="Q737498", P571="1983")
item("Q900000769", en="War and Society", desc="1987 book", P31="Q571", P577="1987")
item("Q900000519", "work:national-geographic-magazine", en="National Geographic",
     aka={"en": ["National Geographic Magazine"]},
     desc="monthly magazine of the National Geographic Society", P31="Q41298", P571="1888")
item("Q900000520", "work:moscow-news", en="Moscow News",
     desc="English-language newspaper published in Moscow", P31="Q11032", P571="1930")

# ---------------------------------------------------------------- events

item("Q900000601", "event:siberian-internment",
     en="Japanese prisoners of war in the Soviet Union", ja="シベリア抑留",
     aka={"en": ["Siberian Internment", "Siberian internment"]},
     desc="detention of Japanese soldiers and civilians in Soviet labour camps after World War II",
     P31="Q900009065", P580="1945", P582="1956")
item("Q900000602", "event:yalta-conference", en="Yalta Conference", ja="ヤルタ会談",
     desc="1945 meeting of the Allied leaders", P31="Q900009063", P580="1945-02-04",
     P582="1945-02-11")
item("Q900000603", "event:soviet-invasion-of-manchuria", en="Soviet invasion of Manchuria",
     aka={"en": ["Manchurian Strategic Offensive Operation", "Operation August Storm"]},
     desc="military operation of World War II", P31="Q900009061", P580="1945-08-09",
     P582="1945-08-20")
item("Q900000604", "event:japanese-surrender", en="Surrender of Japan",
     aka={"en": ["Japanese surrender"]}, desc="end of World War II in Asia",
     P31="Q900009065", P585="1945-08-15")
item("Q900000605", "event:russo-japanese-war", en="Russo-Japanese War", ja="日露戦争",
     desc="1904–1905 war between the Russian Empire and Japan", P31="Q900009060",
     P580="1904-02-08", P582="1905-09-05")
item("Q900000606", "event:nomonhan-incident", en="Battles of Khalkhin Gol",
     aka={"en": ["Nomonhan Incident", "Battle of Khalkhin Gol"]},
     desc="1939 battles between the Soviet Union and Japan", P31="Q900009062",
     P580="1939-05-11", P582="1939-09-16")
item("Q900000607", "event:khrushchev-thaw", en="Khrushchev Thaw", aka={"en": ["The Thaw"]},
     desc="period in the Soviet Union from the mid-1950s", P31="Q900009064", P580="1953")
item("Q900000608", "event:dissolution-of-the-soviet-union", en="Dissolution of the Soviet Union",
     aka={"en": ["Collapse of the Soviet Union"]},
     desc="process of the breakup of the Soviet Union", P31="Q900009065",
     P585="1991-12-26")

# ---------------------------------------------------------------- redirects (merged items)

REDIRECTS["Q900000902"] = "Q900000136"   # an old item for Irkutsk Oblast, merged into it
REDIRECTS["Q900000903"] = "Q900000133"   # an old item for the Buryat-Mongol ASSR


def gold() -> dict[str, str]:
    """Our entity (CURIE) -> the fixture item that is it."""
    out: dict[str, str] = {}
    for e in ITEMS:
        if e.gold:
            assert e.gold not in out, f"two gold items for {e.gold}"
            out[e.gold] = e.qid
    return out


def turtle() -> str:
    return render(ITEMS, REDIRECTS)
