#!/usr/bin/env python3
"""Compare meowlab's scoring output with an oracle, or with the fixtures' expectations.

Modes::

    python compare_scores.py CASES.json OURS.jsonl ORACLE.jsonl [--max-show 20]
    python compare_scores.py --fixtures CASES.json OURS.jsonl [--max-show 20]

``OURS.jsonl`` / ``ORACLE.jsonl`` hold one JSON object per case in the ``meowlab score``
format (see ``mahjong_oracle.py``); lines are matched by their ``index`` field (line
order when it is missing).

Oracle mode compares, per case: ``is_win``, ``han``, ``fu`` (ignored when either side
reports a yakuman), ``yakuman``, the yaku *set* and ``payment``.  Error strings of
non-wins are shown but not compared (implementations word them differently).

Fixtures mode compares OURS against each case's ``expected`` {is_win, han, fu, yaku ids}
(riichienv-core yaku ids, mapped to meowlab names by ``RIICHIENV_YAKU``): ``is_win``,
``han``, ``fu`` (ignored for yakuman hands) and the yaku set.  There is no payment or
yakuman count in the fixtures.

The output is a summary (cases, agreements, disagreements by category, known vs
unexplained) followed by the first ``--max-show`` unexplained disagreements, each with
the case in compact form (hand in mpsz notation, red fives as ``0``) and both results.

Known differences: a disagreement that matches a *documented, deliberate* rule difference
is classified by ``classify_known`` and does not fail the run.  Each entry in
``KNOWN_DIFFERENCES`` has a name, an explanation that cites its source, the modes it
applies to and a predicate ``(case, ours, other, categories) -> bool``.  The list starts
empty; add entries only with a cited rule source.

Exit status: 0 when every disagreement is classified as known, 1 otherwise
(2 for usage / input errors).  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

# --------------------------------------------------------------------------- yaku ids

# riichienv-core yaku.rs ids -> meowlab canonical names
RIICHIENV_YAKU = {
    1: "menzen_tsumo",
    2: "riichi",
    3: "chankan",
    4: "rinshan_kaihou",
    5: "haitei_raoyue",
    6: "houtei_raoyui",
    7: "yakuhai_haku",
    8: "yakuhai_hatsu",
    9: "yakuhai_chun",
    10: "seat_wind",
    11: "round_wind",
    12: "tanyao",
    13: "iipeikou",
    14: "pinfu",
    15: "chanta",
    16: "ittsu",
    17: "sanshoku_doujun",
    18: "double_riichi",
    19: "sanshoku_doukou",
    20: "sankantsu",
    21: "toitoi",
    22: "sanankou",
    23: "shousangen",
    24: "honroutou",
    25: "chiitoitsu",
    26: "junchan",
    27: "honitsu",
    28: "ryanpeikou",
    29: "chinitsu",
    30: "ippatsu",
    31: "dora",
    32: "aka_dora",
    33: "ura_dora",
    34: "nukidora",
    35: "tenhou",
    36: "chiihou",
    37: "daisangen",
    38: "suuankou",
    39: "tsuuiisou",
    40: "ryuuiisou",
    41: "chinroutou",
    42: "kokushi_musou",
    43: "shousuushii",
    44: "suukantsu",
    45: "chuuren_poutou",
    47: "junsei_chuuren_poutou",
    48: "suuankou_tanki",
    49: "kokushi_musou_13_wait",
    50: "daisuushii",
}

YAKUMAN_NAMES = frozenset(
    {
        "tenhou",
        "chiihou",
        "kokushi_musou",
        "kokushi_musou_13_wait",
        "suuankou",
        "suuankou_tanki",
        "daisangen",
        "shousuushii",
        "daisuushii",
        "tsuuiisou",
        "ryuuiisou",
        "chinroutou",
        "chuuren_poutou",
        "junsei_chuuren_poutou",
        "suukantsu",
    }
)


def expected_to_result(index: int, expected: dict[str, Any]) -> dict[str, Any]:
    """Turn a fixture's ``expected`` into a result object shaped like ours."""
    names = [RIICHIENV_YAKU.get(i, f"unknown:riichienv_{i}") for i in expected.get("yaku", [])]
    is_yakuman = any(n in YAKUMAN_NAMES for n in names)
    han = int(expected.get("han", 0))
    return {
        "index": index,
        "is_win": bool(expected.get("is_win")),
        "han": han,
        "fu": int(expected.get("fu", 0)),
        "yaku": names,
        "yakuman": han // 13 if is_yakuman else 0,
        "payment": None,
        "error": None,
    }


# --------------------------------------------------------------------------- known differences


@dataclass(frozen=True)
class KnownDifference:
    """A documented, deliberate rule difference between meowlab and a reference."""

    name: str
    explanation: str  # what differs and the rule source (URL / document / section)
    applies: Callable[[dict, dict, dict, frozenset], bool]  # (case, ours, other, categories)
    modes: frozenset = field(default_factory=lambda: frozenset({"oracle", "fixtures"}))


# Start empty; add entries only for rule differences with a cited source, e.g.
#   KnownDifference(
#       name="double_yakuman",
#       explanation="riichienv scores suuankou tanki as double yakuman; Tenhou does not "
#                   "(https://tenhou.net/man/#RULE).",
#       applies=lambda case, ours, other, cats: "suuankou_tanki" in other["yaku"],
#       modes=frozenset({"fixtures"}),
#   ),
KNOWN_DIFFERENCES: list[KnownDifference] = []


def classify_known(
    case: dict[str, Any],
    ours: dict[str, Any],
    oracle: dict[str, Any],
    mode: str = "oracle",
    categories: frozenset = frozenset(),
) -> str | None:
    """Return the name of the known difference explaining this disagreement, else None."""
    for known in KNOWN_DIFFERENCES:
        if mode in known.modes and known.applies(case, ours, oracle, categories):
            return known.name
    return None


# --------------------------------------------------------------------------- comparison


def compare(ours: dict[str, Any] | None, other: dict[str, Any] | None, mode: str) -> list[str]:
    """Categories in which two results disagree (empty list = agreement)."""
    if ours is None or other is None:
        return ["missing"]
    if bool(ours.get("is_win")) != bool(other.get("is_win")):
        return ["is_win"]
    if not ours.get("is_win"):
        return []
    cats = []
    if ours.get("han") != other.get("han"):
        cats.append("han")
    if not (ours.get("yakuman") or other.get("yakuman")) and ours.get("fu") != other.get("fu"):
        cats.append("fu")
    if mode == "oracle" and ours.get("yakuman") != other.get("yakuman"):
        cats.append("yakuman")
    if set(ours.get("yaku") or []) != set(other.get("yaku") or []):
        cats.append("yaku")
    if mode == "oracle" and ours.get("payment") != other.get("payment"):
        cats.append("payment")
    return cats


# --------------------------------------------------------------------------- display

_SUITS = "mpsz"
_RED = {16, 52, 88}


def mpsz(ids: list[int]) -> str:
    """136-ids in mpsz notation, sorted, red fives written as 0 (e.g. "19m1203p11z")."""
    groups: dict[str, list[str]] = {s: [] for s in _SUITS}
    for t in sorted(ids):
        kind = t // 4
        suit = _SUITS[min(kind // 9, 3)]
        digit = "0" if t in _RED else str(kind % 9 + 1)
        groups[suit].append(digit)
    return "".join("".join(d) + s for s, d in groups.items() if d)


def describe_case(case: dict[str, Any]) -> str:
    """One-line compact description of a case."""
    c = case["conditions"]
    winds = "ESWN"
    flags = [
        name
        for name in (
            "tsumo",
            "riichi",
            "double_riichi",
            "ippatsu",
            "haitei",
            "houtei",
            "rinshan",
            "chankan",
            "tsumo_first_turn",
        )
        if c.get(name)
    ]
    if not c.get("tsumo"):
        flags.insert(0, "ron")
    melds = " ".join(f"{m['meld_type']}({mpsz(m['tiles'])})" for m in case["melds"])
    parts = [
        f"hand {mpsz(case['tiles_136'])}",
        f"melds [{melds}]" if melds else None,
        f"win {mpsz([case['win_tile_136']])}",
        " ".join(flags),
        f"seat {winds[c['player_wind']]} round {winds[c['round_wind']]}",
        f"honba {c.get('honba', 0)}" if c.get("honba") else None,
        f"kita {c.get('kita_count', 0)}" if c.get("kita_count") else None,
        f"dora-ind {mpsz(case.get('dora_indicators', []))}",
        f"ura-ind {mpsz(case['ura_indicators'])}" if case.get("ura_indicators") else None,
    ]
    return " | ".join(p for p in parts if p)


def describe_result(r: dict[str, Any] | None) -> str:
    if r is None:
        return "<missing>"
    if not r.get("is_win"):
        return f"no win ({r.get('error')})"
    text = f"{r.get('han')} han {r.get('fu')} fu"
    if r.get("yakuman"):
        text += f" yakuman x{r['yakuman']}"
    text += " [" + ", ".join(sorted(r.get("yaku") or [])) + "]"
    if r.get("payment") is not None:
        text += " " + json.dumps(r["payment"], separators=(",", ":"))
    return text


# --------------------------------------------------------------------------- io


def load_cases(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["cases"]


def load_results(path: str) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as f:
        lineno = 0
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            results[int(obj.get("index", lineno))] = obj
            lineno += 1
    return results


# --------------------------------------------------------------------------- main


def run(cases, ours, others, mode: str, max_show: int, other_label: str) -> int:
    by_category: Counter[str] = Counter()
    known: Counter[str] = Counter()
    unexplained: list[tuple[int, list[str]]] = []
    agreements = 0
    for i, case in enumerate(cases):
        mine, theirs = ours.get(i), others.get(i)
        cats = compare(mine, theirs, mode)
        if not cats:
            agreements += 1
            continue
        by_category.update(cats)
        reason = None
        if mine is not None and theirs is not None:
            reason = classify_known(case, mine, theirs, mode, frozenset(cats))
        if reason:
            known[reason] += 1
        else:
            unexplained.append((i, cats))

    total = len(cases)
    print(f"mode: {mode}   cases: {total}   agree: {agreements}   disagree: {total - agreements}")
    if by_category:
        print("disagreements by category (a case may count in several):")
        for cat, n in by_category.most_common():
            print(f"  {cat:10s} {n}")
    if known:
        print("known (documented) differences:")
        for name, n in known.most_common():
            print(f"  {name}: {n}")
    print(f"unexplained: {len(unexplained)}")
    for i, cats in unexplained[:max_show]:
        print(f"\n#{i} [{', '.join(cats)}]  {describe_case(cases[i])}")
        print(f"  ours:   {describe_result(ours.get(i))}")
        print(f"  {other_label + ':':7s} {describe_result(others.get(i))}")
    extra = [i for i in ours if not 0 <= i < total]
    if extra:
        print(f"\nwarning: {len(extra)} result line(s) with an index outside the cases", file=sys.stderr)
    return 0 if not unexplained else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare meowlab score output with an oracle or the fixtures' expected values."
    )
    parser.add_argument("--fixtures", action="store_true", help="compare OURS with each case's 'expected'")
    parser.add_argument("--max-show", type=int, default=20, help="unexplained disagreements to print")
    parser.add_argument("cases")
    parser.add_argument("ours")
    parser.add_argument("oracle", nargs="?")
    args = parser.parse_args(argv)

    cases = load_cases(args.cases)
    ours = load_results(args.ours)
    if args.fixtures:
        if args.oracle:
            parser.error("--fixtures takes CASES.json OURS.jsonl only")
        others = {i: expected_to_result(i, c["expected"]) for i, c in enumerate(cases) if c.get("expected")}
        return run(cases, ours, others, "fixtures", args.max_show, "fixture")
    if not args.oracle:
        parser.error("ORACLE.jsonl is required without --fixtures")
    return run(cases, ours, load_results(args.oracle), "oracle", args.max_show, "oracle")


if __name__ == "__main__":
    sys.exit(main())
