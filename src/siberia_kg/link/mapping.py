"""Configuration of the linker: which Wikidata classes fit which of our classes, which
occupations fit which roles, which Wikidata properties hold which of our dates.

The Q-ids here are Wikidata *classes* (human, city, film ...) used only to check an item's type
through ``wdt:P31/wdt:P279*`` and its occupation through ``wdt:P106/wdt:P279*``; they are never
written as a link of one of our entities. A link is written only for an item the endpoint has
answered for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..namespaces import SCHEMA, SKG

WD = "http://www.wikidata.org/entity/"


def S(name: str) -> str:
    return str(SCHEMA[name])


def K(name: str) -> str:
    return str(SKG[name])


@dataclass(frozen=True)
class TypeRule:
    classes: tuple[str, ...]   # Wikidata classes (Q-ids) an item must be an instance of
    specific: bool = True      # a specific rule hides the generic rules of the same entity


# Wikidata classes, named once so the rules below read as words.
Q = {
    "human": "Q5",
    "human settlement": "Q486972", "city": "Q515",
    "country": "Q6256", "sovereign state": "Q3624078", "state": "Q7275",
    "historical country": "Q3024240",
    "administrative territorial entity": "Q56061",
    "geographic location": "Q2221906", "geographical feature": "Q618123",
    "geographic region": "Q82794", "island": "Q23442", "railway line": "Q728937",
    "railway station": "Q55488", "cemetery": "Q39614",
    "organization": "Q43229", "military unit": "Q176799", "archives": "Q166118",
    "government agency": "Q327333", "university": "Q3918",
    "newspaper": "Q11032", "periodical": "Q1002697",
    "literary work": "Q7725634", "book": "Q571", "written work": "Q47461344",
    "film": "Q11424", "film series": "Q24856",
    "television series": "Q5398426", "television program": "Q15416",
    "comics": "Q1004",
    "scholarly article": "Q13442814", "article": "Q191067", "web page": "Q36774",
    "map": "Q4006", "law": "Q7748", "treaty": "Q131569", "document": "Q49848",
    "report": "Q10870555", "collection": "Q2668072",
    "academic journal": "Q737498", "scientific journal": "Q5633421", "magazine": "Q41298",
    "creative work": "Q17537576",
    "occurrence": "Q1190554", "event": "Q1656682",
}

_PLACE = ("geographic location", "geographical feature", "geographic region",
          "human settlement", "administrative territorial entity", "country", "island",
          "railway line")


def _q(*names: str) -> tuple[str, ...]:
    return tuple(Q[n] for n in names)


TYPE_RULES: dict[str, TypeRule] = {
    S("Person"): TypeRule(_q("human")),
    # places
    S("Country"): TypeRule(_q("country", "sovereign state", "state", "historical country")),
    S("AdministrativeArea"): TypeRule(_q("administrative territorial entity")),
    S("City"): TypeRule(_q("human settlement", "city")),
    S("TrainStation"): TypeRule(_q("railway station")),
    S("Cemetery"): TypeRule(_q("cemetery")),
    S("Place"): TypeRule(_q(*_PLACE), specific=False),
    K("Camp"): TypeRule(_q(*_PLACE), specific=False),
    # organizations (newspapers are works in Wikidata, organizations here)
    S("Organization"): TypeRule(_q("organization"), specific=False),
    S("GovernmentOrganization"): TypeRule(_q("government agency", "organization")),
    S("CollegeOrUniversity"): TypeRule(_q("university", "organization")),
    S("NewsMediaOrganization"): TypeRule(_q("organization", "newspaper", "periodical")),
    S("ArchiveOrganization"): TypeRule(_q("organization", "archives")),
    K("MilitaryUnit"): TypeRule(_q("military unit", "organization")),
    # works: the schema.org form decides; our kinds (fiction, memoir ...) are generic
    S("Book"): TypeRule(_q("book", "literary work", "written work")),
    S("Movie"): TypeRule(_q("film", "film series")),
    S("TVSeries"): TypeRule(_q("television series", "television program")),
    S("ComicStory"): TypeRule(_q("comics")),
    S("ScholarlyArticle"): TypeRule(_q("scholarly article", "article")),
    S("Article"): TypeRule(_q("article", "scholarly article")),
    S("NewsArticle"): TypeRule(_q("article")),
    S("WebPage"): TypeRule(_q("web page", "article")),
    S("Map"): TypeRule(_q("map")),
    S("Legislation"): TypeRule(_q("law", "treaty", "document")),
    S("Report"): TypeRule(_q("report", "document")),
    S("Collection"): TypeRule(_q("collection")),
    S("Periodical"): TypeRule(_q("periodical", "academic journal", "scientific journal",
                                 "magazine", "newspaper")),
    S("CreativeWork"): TypeRule(_q("creative work", "written work"), specific=False),
    K("FictionalWork"): TypeRule(_q("creative work"), specific=False),
    K("Memoir"): TypeRule(_q("written work", "creative work"), specific=False),
    K("ScholarlyWork"): TypeRule(_q("written work", "scholarly article", "book"), specific=False),
    K("ArchiveCollection"): TypeRule(_q("collection", "document"), specific=False),
    # events
    S("Event"): TypeRule(_q("occurrence", "event"), specific=False),
    K("Internment"): TypeRule(_q("occurrence", "event")),
}

# Broad classes say little: an item "is a geographic location" is weak evidence.
BROAD_CLASSES = frozenset(_q("geographic location", "geographical feature", "organization",
                             "creative work", "written work", "occurrence", "document"))

# Never a candidate: pages about names, lists, categories, disambiguation, fiction characters.
EXCLUDED_CLASSES: dict[str, str] = {
    "Q4167410": "Wikimedia disambiguation page",
    "Q4167836": "Wikimedia category",
    "Q13406463": "Wikimedia list article",
    "Q11266439": "Wikimedia template",
    "Q101352": "family name",
    "Q202444": "given name",
    "Q95074": "fictional character",
    "Q15632617": "fictional human",
}

# Occupations (P106) that fit our roles. FormerInternee says nothing of an occupation.
ROLE_OCCUPATIONS: dict[str, tuple[str, ...]] = {
    K("Historian"): ("Q201788",),                                   # historian
    K("Writer"): ("Q36180", "Q482980"),                             # writer, author
    K("Author"): ("Q482980", "Q36180", "Q1930187", "Q201788",       # author, writer, journalist,
                  "Q1650915", "Q1622272"),                          # historian, researcher, univ. teacher
    K("Artist"): ("Q483501", "Q177220", "Q2526255", "Q715301"),     # artist, singer, film director,
                                                                    # comics artist
    K("Politician"): ("Q82955", "Q116", "Q372436"),                 # politician, monarch, statesperson
    K("Official"): ("Q212238", "Q82955", "Q189290", "Q193391"),     # civil servant, politician,
                                                                    # military officer, diplomat
    K("MilitaryOfficer"): ("Q189290", "Q47064"),                    # military officer, military personnel
}

# A role that says only that the person wrote a cited work: weak evidence of an occupation.
WEAK_ROLE = K("Author")

# Our date properties and the Wikidata properties that hold the same fact.
DATE_PROPERTIES: dict[str, tuple[str, ...]] = {
    S("birthDate"): ("P569",),
    S("deathDate"): ("P570",),
    S("datePublished"): ("P577", "P571", "P580", "P1191"),
    S("startDate"): ("P580", "P585", "P571"),
    S("endDate"): ("P582", "P585", "P576"),
    S("foundingDate"): ("P571",),
    S("dissolutionDate"): ("P576",),
    S("legislationDate"): ("P577", "P585", "P571"),
}
# Dates that must agree exactly (a person is born once); others may be off by a year
# (first shown at a festival, released at home the next year).
STRICT_DATES = frozenset({S("birthDate"), S("deathDate")})

# Wikidata properties the details query fetches.
WIKIDATA_DATE_PROPS = ("P569", "P570", "P571", "P576", "P577", "P580", "P582", "P585", "P1191")
CREATOR_PROPS = ("P50", "P57", "P170", "P58", "P86", "P98", "P110", "P162")
COUNTRY_PROPS = ("P17", "P27", "P495")
OCCUPATION_PROP = "P106"

# Our properties that name the makers of a work.
CREATOR_PREDICATES = tuple(S(n) for n in ("author", "creator", "director", "editor",
                                          "translator", "contributor"))

# Coordinates: within this many km is agreement, beyond three times as many a contradiction.
COORD_TOLERANCE_KM: dict[str, float] = {
    S("TrainStation"): 5.0, S("Cemetery"): 5.0, S("City"): 20.0, K("Camp"): 30.0,
    S("AdministrativeArea"): 400.0, S("Place"): 500.0, S("Country"): 2500.0,
}

# States that came before or after others on the same ground: a mismatch between them and a
# successor is no contradiction (a camp in the Soviet Union lies in today's Russia).
UMBRELLA_COUNTRIES = frozenset({"soviet union", "ussr", "union of soviet socialist republics",
                                "empire of japan", "manchukuo", "russian empire",
                                "mongolian people's republic"})

LABEL_LANGUAGES = ("en", "ja", "ru", "mul", "ko", "zh", "kk")


def wd_iri(qid: str) -> str:
    return f"{WD}{qid}"


def all_type_classes() -> list[str]:
    out = set(EXCLUDED_CLASSES)
    for rule in TYPE_RULES.values():
        out.update(rule.classes)
    return sorted(out, key=lambda q: int(q[1:]))


def all_occupations() -> list[str]:
    return sorted({q for qs in ROLE_OCCUPATIONS.values() for q in qs}, key=lambda q: int(q[1:]))


def allowed_classes(types: frozenset[str] | set[str]) -> tuple[frozenset[str], bool]:
    """The Wikidata classes that fit an entity of these types, and whether they are specific.
    Specific rules hide generic ones: a film that is also a skg:FictionalWork must be a film,
    not merely a creative work (a song is a creative work too)."""
    rules = [TYPE_RULES[t] for t in types if t in TYPE_RULES]
    specific = [r for r in rules if r.specific]
    chosen = specific or rules
    return frozenset(q for r in chosen for q in r.classes), bool(specific)


def coord_tolerance(types: frozenset[str] | set[str]) -> float:
    values = [COORD_TOLERANCE_KM[t] for t in types if t in COORD_TOLERANCE_KM]
    return min(values) if values else 100.0
