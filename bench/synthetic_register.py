"""A generator of SYNTHETIC person registers, for tests and benchmarks.

Every record is invented: every romanised name starts with "SYNTHETIC", every kanji and kana
name carries (架空) / (かくう), "fictitious", every record id starts with "SYN-" and every
archive reference with "SYNTHETIC". Synthetic registers never go into data/ or a published
dump; import them into a scratch registers folder (--registers) with a title that says
SYNTHETIC.

The rows follow the documented layout (docs/registers.md) with a realistic variety: kanji,
kana (hiragana or katakana) and romaji names (Hepburn with or without macrons, either name
order), dates at every precision (and the archives' 00 for an unknown month or day), ranks and
units in Japanese or English, camps and places of death that match curated camps and places
(Taishet, Tayshet, Тайшет, Komsomolsk-on-Amur, ハバロフスク, Kansk ...) and some that do not,
deaths in captivity, repatriations with their ships, later deaths, and people born late enough
to be possibly alive. --bad K replaces K rows, at places fixed by the seed, with rows the
importer must reject (one kind after another: impossible dates, death before birth, dates in
the future, births before 1851, duplicate ids, empty names, missing and extra columns, broken
UTF-8, control characters, dates in no known format).

    python bench/synthetic_register.py N OUT.csv [--seed S] [--bad K] [--bom] [--crlf]

The same N, seed and options give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

COLUMNS = (
    "record_id", "name_kanji", "name_kana", "name_romaji", "birth_date", "rank", "unit", "camp",
    "death_date", "death_place", "burial_site", "repatriation_date", "repatriation_ship",
    "archive_reference",
)

# (kanji, hiragana, Hepburn with macrons)
SURNAMES = [
    ("佐藤", "さとう", "Satō"), ("鈴木", "すずき", "Suzuki"), ("高橋", "たかはし", "Takahashi"),
    ("田中", "たなか", "Tanaka"), ("伊藤", "いとう", "Itō"), ("渡辺", "わたなべ", "Watanabe"),
    ("山本", "やまもと", "Yamamoto"), ("中村", "なかむら", "Nakamura"), ("小林", "こばやし", "Kobayashi"),
    ("加藤", "かとう", "Katō"), ("吉田", "よしだ", "Yoshida"), ("山田", "やまだ", "Yamada"),
    ("佐々木", "ささき", "Sasaki"), ("山口", "やまぐち", "Yamaguchi"), ("松本", "まつもと", "Matsumoto"),
    ("井上", "いのうえ", "Inoue"), ("木村", "きむら", "Kimura"), ("林", "はやし", "Hayashi"),
    ("斎藤", "さいとう", "Saitō"), ("清水", "しみず", "Shimizu"), ("山崎", "やまざき", "Yamazaki"),
    ("森", "もり", "Mori"), ("池田", "いけだ", "Ikeda"), ("橋本", "はしもと", "Hashimoto"),
    ("阿部", "あべ", "Abe"), ("石川", "いしかわ", "Ishikawa"), ("山下", "やました", "Yamashita"),
    ("中島", "なかじま", "Nakajima"), ("石井", "いしい", "Ishii"), ("小川", "おがわ", "Ogawa"),
    ("前田", "まえだ", "Maeda"), ("岡田", "おかだ", "Okada"), ("長谷川", "はせがわ", "Hasegawa"),
    ("藤田", "ふじた", "Fujita"), ("後藤", "ごとう", "Gotō"), ("近藤", "こんどう", "Kondō"),
    ("村上", "むらかみ", "Murakami"), ("遠藤", "えんどう", "Endō"), ("青木", "あおき", "Aoki"),
    ("坂本", "さかもと", "Sakamoto"), ("大野", "おおの", "Ōno"), ("工藤", "くどう", "Kudō"),
]
GIVEN = [
    ("一郎", "いちろう", "Ichirō"), ("二郎", "じろう", "Jirō"), ("三郎", "さぶろう", "Saburō"),
    ("清", "きよし", "Kiyoshi"), ("勇", "いさむ", "Isamu"), ("実", "みのる", "Minoru"),
    ("進", "すすむ", "Susumu"), ("茂", "しげる", "Shigeru"), ("博", "ひろし", "Hiroshi"),
    ("正雄", "まさお", "Masao"), ("武", "たけし", "Takeshi"), ("勝", "まさる", "Masaru"),
    ("隆", "たかし", "Takashi"), ("秀夫", "ひでお", "Hideo"), ("義男", "よしお", "Yoshio"),
    ("幸雄", "ゆきお", "Yukio"), ("正", "ただし", "Tadashi"), ("一雄", "かずお", "Kazuo"),
    ("健一", "けんいち", "Ken'ichi"), ("信夫", "のぶお", "Nobuo"), ("利夫", "としお", "Toshio"),
    ("昭", "あきら", "Akira"), ("太郎", "たろう", "Tarō"), ("光雄", "みつお", "Mitsuo"),
    ("勇吉", "ゆうきち", "Yūkichi"), ("庄平", "しょうへい", "Shōhei"), ("源次郎", "げんじろう", "Genjirō"),
    ("忠雄", "ただお", "Tadao"), ("義一", "ぎいち", "Giichi"), ("文雄", "ふみお", "Fumio"),
]
GIVEN_WOMEN = [("千代", "ちよ", "Chiyo"), ("文子", "ふみこ", "Fumiko"), ("春子", "はるこ", "Haruko"),
               ("ハナ", "はな", "Hana")]
WOMEN_RANKS = [("看護婦", "Army nurse"), ("軍属", "Army civilian employee")]
RANKS = [
    ("二等兵", "Private Second Class"), ("一等兵", "Private First Class"),
    ("上等兵", "Superior Private"), ("兵長", "Lance Corporal"), ("伍長", "Corporal"),
    ("軍曹", "Sergeant"), ("曹長", "Sergeant Major"), ("准尉", "Warrant Officer"),
    ("少尉", "Second Lieutenant"), ("中尉", "First Lieutenant"), ("大尉", "Captain"),
    ("少佐", "Major"), ("中佐", "Lieutenant Colonel"), ("軍属", "Army civilian employee"),
]
RANK_WEIGHTS = [14, 18, 16, 10, 8, 7, 4, 2, 3, 2, 2, 1, 1, 6]
UNITS_JA = ["関東軍第{n}師団", "歩兵第{n}連隊", "満洲第{n}部隊", "第{n}方面軍司令部", "独立混成第{n}旅団",
            "野砲兵第{n}連隊", "第{n}国境守備隊"]
UNITS_EN = ["{nth} Division, Kwantung Army", "{nth} Infantry Regiment", "Manchukuo Unit {n}",
            "{nth} Independent Mixed Brigade"]
# Names that match a curated place or camp, and names that do not.
CAMPS_MATCHING = [
    "Taishet", "Tayshet", "Тайшет", "Taishet camp No. 7", "Komsomolsk-on-Amur",
    "Komsomolsk na Amure", "Комсомольск-на-Амуре", "Khabarovsk", "ハバロフスク", "Хабаровск",
    "ハバロフスク第16収容所", "Kansk", "Канск", "Irkutsk", "イルクーツク", "Vladivostok",
    "Sovetskaya Gavan", "Raychikha", "Izvestkovaya", "Krasnaya Zarya", "Novo-Grishino",
    "Chita Oblast", "チタ州", "Krasnoyarsk Krai", "Mongolia", "モンゴル", "KHABAROVSK",
]
CAMPS_OTHER = [
    "Karaganda", "カラガンダ", "Nakhodka transit camp", "ナホトカ", "Bratsk", "Ulan-Ude",
    "Улан-Удэ", "ウランバートル", "Tashkent", "Magadan", "Suchan", "Kemerovo", "Yelabuga",
    "タイシェット", "Camp 7/12", "Krasnoyarsk", "Chita",
]
BURIALS = ["{c} Japanese cemetery", "{c} cemetery No. {k}", "mass grave near {c}"]
BURIALS_JA = ["{c}第{k}墓地", "{c}日本人墓地"]
SHIPS = ["興安丸", "高砂丸", "大久丸", "英彦丸", "山澄丸", "信洋丸", "明優丸", "遠州丸", "白龍丸",
         "栄豊丸", "Kōan Maru", "Takasago Maru", "Eiho Maru"]
BAD_KINDS = ("impossible-date", "death-before-birth", "future-date", "birth-too-early",
             "duplicate-id", "empty-name", "missing-column", "extra-column", "bad-encoding",
             "control-character", "unknown-date-format")
BAD_BYTES = "\ue001"  # replaced by an invalid UTF-8 byte when written


def _nth(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _is_ja(s: str) -> bool:
    return any("\u3040" <= c <= "\u9fff" for c in s)


def _kata(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in s)


def _plain(s: str) -> str:
    return (s.replace("ō", "o").replace("ū", "u").replace("Ō", "O").replace("Ū", "U")
            .replace("'", ""))


def _ou(s: str) -> str:
    return s.replace("ō", "ou").replace("ū", "uu").replace("Ō", "Oo").replace("'", "")


class _Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def date(self, lo: int, hi: int, skew: float | None = None) -> str:
        """A date between years lo and hi at a random precision."""
        r = self.r
        y = (int(r.triangular(lo, hi + 0.999, skew)) if skew is not None
             else r.randint(lo, hi))
        m = r.randint(1, 12)
        d = r.randint(1, 28 if m == 2 else 30)
        p = r.random()
        if p < 0.74:
            return f"{y:04d}-{m:02d}-{d:02d}"
        if p < 0.88:
            return f"{y:04d}-{m:02d}"
        if p < 0.985:
            return f"{y:04d}"
        return f"{y:04d}-00-00" if p < 0.993 else f"{y:04d}-{m:02d}-00"

    def later(self, after: str, lo: int, hi: int) -> str:
        """A date in [lo, hi] not before `after` at their common precision."""
        for _ in range(20):
            d = self.date(max(lo, int(after[:4])), hi)
            n = min(len(d), len(after))
            if d[:n] >= after[:n] and not d.endswith("-00") and not after.endswith("-00"):
                return d
        return after[:4] if int(after[:4]) >= lo else str(lo)

    def name(self, woman: bool = False) -> tuple[str, str, str]:
        r = self.r
        s = SURNAMES[r.randrange(len(SURNAMES))]
        g = (GIVEN_WOMEN[r.randrange(len(GIVEN_WOMEN))] if woman
             else GIVEN[r.randrange(len(GIVEN))])
        kanji = f"{s[0]} {g[0]}" if r.random() < 0.5 else f"{s[0]}{g[0]}"
        kana = f"{s[1]} {g[1]}"
        if r.random() < 0.4:
            kana = _kata(kana)
        style = r.random()
        fam, giv = s[2], g[2]
        if style < 0.45:
            romaji = f"{fam} {giv}"
        elif style < 0.75:
            romaji = f"{_plain(giv)} {_plain(fam)}"
        elif style < 0.9:
            romaji = f"{_plain(fam).upper()} {_plain(giv)}"
        else:
            romaji = f"{_ou(fam)} {_ou(giv)}"
        k = f"{kanji}（架空）" if r.random() >= 0.03 else ""
        h = f"{kana}（かくう）" if r.random() >= 0.05 else ""
        ro = f"SYNTHETIC {romaji}" if r.random() >= 0.03 or not (k or h) else ""
        return k, h, ro

    def place(self, matching_share: float = 0.7) -> str:
        r = self.r
        pool = CAMPS_MATCHING if r.random() < matching_share else CAMPS_OTHER
        return pool[r.randrange(len(pool))]

    def row(self, i: int) -> list[str]:
        r = self.r
        woman = r.random() < 0.01
        kanji, kana, romaji = self.name(woman)
        birth = self.date(1890, 1931, 1922) if r.random() < 0.96 else ""
        born = birth or "1900"
        ranks = WOMEN_RANKS if woman else RANKS
        ri = r.randrange(len(ranks)) if woman else r.choices(range(len(RANKS)), RANK_WEIGHTS)[0]
        pr = r.random()
        rank = ranks[ri][0] if pr < 0.7 else ranks[ri][1] if pr < 0.9 else ""
        pu = r.random()
        n = r.randint(1, 140)
        unit = (UNITS_JA[r.randrange(len(UNITS_JA))].format(n=n) if pu < 0.6 else
                UNITS_EN[r.randrange(len(UNITS_EN))].format(n=n, nth=_nth(n)) if pu < 0.8 else "")
        camp = self.place() if r.random() < 0.92 else ""
        death = death_place = burial = repat = ship = ""
        fate = r.random()
        if fate < 0.45:  # died in captivity
            death = self.later(born, 1945, 1956)
            if death < "1945-08":
                death = "1945-" + f"{r.randint(9, 12):02d}"
            death_place = (camp if camp and r.random() < 0.6 else self.place(0.6)) \
                if r.random() < 0.85 else ""
            if r.random() < 0.6:
                c = death_place or camp or "Taishet"
                templates = BURIALS_JA if _is_ja(c) else BURIALS
                burial = templates[r.randrange(len(templates))].format(c=c, k=r.randint(1, 12))
        elif fate < 0.95:  # repatriated
            repat = self.later("1946-12", 1946, 1956)
            ship = SHIPS[r.randrange(len(SHIPS))] if r.random() < 0.8 else ""
            if r.random() < 0.25:
                death = self.later(repat, 1957, 2020)
        record_id = f"SYN-{i:07d}"
        archive = (f"SYNTHETIC f. 1a, op. {r.randint(1, 9)}, d. {r.randint(1, 9999)}, "
                   f"l. {r.randint(1, 400)}" if r.random() < 0.8 else "")
        return [record_id, kanji, kana, romaji, birth, rank, unit, camp, death, death_place,
                burial, repat, ship, archive]

    def spoil(self, row: list[str], kind: str, first_id: str) -> list[str]:
        """Turn a good row into one the importer must reject for the reason `kind`."""
        row = list(row)
        if kind == "impossible-date":
            row[4] = "1920-02-30"
        elif kind == "death-before-birth":
            row[4], row[8] = "1921-05-03", "1919-01-02"
        elif kind == "future-date":
            row[8] = "2099-01-01"
        elif kind == "birth-too-early":
            row[4] = "1849-05-01"
        elif kind == "duplicate-id":
            row[0] = first_id
        elif kind == "empty-name":
            row[1] = row[2] = row[3] = ""
        elif kind == "missing-column":
            row = row[:-1]
        elif kind == "extra-column":
            row = row + ["SYNTHETIC extra"]
        elif kind == "bad-encoding":
            row[3] = f"SYNTHETIC Kat{BAD_BYTES} Ichiro"
        elif kind == "control-character":
            row[6] = "歩兵第\x0790連隊"
        elif kind == "unknown-date-format":
            row[4] = "20/08/1921"
        return row


def rows(n: int, seed: int = 0, bad: int = 0):
    """(row number, kind or None, fields) for n data rows; bad rows at seed-fixed places."""
    g = _Gen(seed)
    bad = max(0, min(bad, n - 1))  # the first row stays good: duplicates repeat its id
    bad_at = sorted(random.Random(f"{seed}/bad").sample(range(1, n), bad))
    kinds = {i: BAD_KINDS[k % len(BAD_KINDS)] for k, i in enumerate(bad_at)}
    first_id = None
    for i in range(n):
        row = g.row(i + 1)
        if first_id is None:
            first_id = row[0]
        kind = kinds.get(i)
        if kind:
            row = g.spoil(row, kind, first_id)
        yield i + 1, kind, row


def write(path: Path, n: int, seed: int = 0, bad: int = 0, bom: bool = False,
          crlf: bool = False) -> dict:
    """Write the register; return {"rows": n, "bad": {row number: kind}}."""
    eol = "\r\n" if crlf else "\n"
    report: dict = {"rows": n, "seed": seed, "bad": {}}
    with open(path, "wb") as f:
        if bom:
            f.write(b"\xef\xbb\xbf")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator=eol)
        w.writerow(COLUMNS)
        for num, kind, row in rows(n, seed, bad):
            if kind:
                report["bad"][num] = kind
            w.writerow(row)
            if num % 20000 == 0:
                f.write(_encode(buf.getvalue()))
                buf.seek(0)
                buf.truncate()
        f.write(_encode(buf.getvalue()))
    return report


def _encode(text: str) -> bytes:
    data = text.encode("utf-8")
    return data.replace(BAD_BYTES.encode("utf-8"), b"\xff") if BAD_BYTES in text else data


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Write a SYNTHETIC person register (CSV).")
    ap.add_argument("n", type=int, help="number of data rows")
    ap.add_argument("out", type=Path, help="CSV file to write")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--bad", type=int, default=0, metavar="K",
                    help="replace K rows by rows that must be rejected")
    ap.add_argument("--bom", action="store_true", help="start with a UTF-8 byte order mark")
    ap.add_argument("--crlf", action="store_true", help="end lines with CR LF")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    report = write(args.out, args.n, seed=args.seed, bad=args.bad, bom=args.bom, crlf=args.crlf)
    dt = time.perf_counter() - t
    kinds = sorted(set(report["bad"].values()))
    print(f"wrote {args.n:,} SYNTHETIC rows to {args.out} in {dt:.1f} s "
          f"({args.n / dt if dt else 0:,.0f} rows/s)"
          + (f"; {len(report['bad'])} bad rows ({', '.join(kinds)})" if report["bad"] else ""),
          file=sys.stderr)


if __name__ == "__main__":
    main()
