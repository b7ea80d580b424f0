#!/usr/bin/env python3
"""Score sanma (3-player riichi) winning hands with the Python ``mahjong`` package.

This is an *oracle* for meowlab's scorer: it reads a cases file in the schema of
``/work/shared/fixtures/riichienv/agari_3p.json`` and writes one JSON line per case,
in case order, in exactly the format of ``meowlab score``::

    {"index":i,"is_win":bool,"han":h,"fu":f,"yaku":[...],"yakuman":n,
     "payment":{"total":t,"from_discarder":x}
              | {"total":t,"from_dealer":x,"from_non_dealer":y} | null,
     "error":null|"reason"}

Usage::

    python mahjong_oracle.py CASES.json [-o OUT.jsonl] [--bench]

Without ``-o`` the lines go to stdout.  With ``--bench`` only the
``HandCalculator.estimate_hand_value`` calls are timed (all cases, repeated until at
least 2 s have been spent inside them) and a JSON line
``{"hands": n, "seconds": s, "us_per_hand": x}`` is printed to stderr; the scored
lines are then written only when ``-o`` is given.

Rules (Tenhou sanma), passed as ``OptionalRules``:
  * three-player (1m indicator -> 9m dora, tsumo-son: the missing 4th payer's share is
    simply not paid, ron honba = 200 per counter, tsumo honba = 100 from each payer),
  * aka dora on (red 5p / 5s are ids 52 / 88), kuitan on, no kiriage mangan,
  * no double yakuman (kokushi 13-wait, suuankou tanki, junsei chuuren, daisuushii all
    count as one yakuman; distinct yakuman still stack),
  * kazoe yakuman at 13+ han, open pinfu-shaped ron = 30 fu, no tsumo fu for pinfu.

Input -> python mapping:
  * ``tiles`` = concealed tiles + win tile + every meld's tiles (4 per kan), as the
    package expects all tiles of the hand (14 + number of kans);
  * melds: ``pon`` -> ``Meld.PON`` (open), ``daiminkan`` -> ``Meld.KAN`` (open),
    ``kakan`` -> ``Meld.SHOUMINKAN`` (open), ``ankan`` -> ``Meld.KAN`` (closed);
  * ``player_wind`` / ``round_wind`` 0,1,2 -> EAST, SOUTH, WEST;
  * ``tsumo_first_turn`` with tsumo -> ``is_tenhou`` (dealer) / ``is_chiihou`` (others);
  * ``honba`` -> ``tsumi_number``; ``kita_count`` -> ``num_nuki_dora``.

Output conventions (shared with meowlab):
  * yaku names are meowlab's canonical snake_case names, mapped from python yaku
    *class names*; a python yaku without a canonical name is emitted as
    ``"unknown:<ClassName>"`` so a comparison flags it;
  * yakuman hands: ``han = 13 * count``, ``fu = 0``, ``yakuman = count``;
    kazoe yakuman: real han and fu, ``yakuman = 0``;
  * nukidora: python folds kita into its "Dora" count (each kita is worth
    1 + the number of indicators pointing at North).  We split it as Tenhou and
    riichienv display it: ``nukidora`` = ``kita_count`` han, and the extra han for kita
    being dora stay under ``dora``.  Ura dora on kita stay under ``ura_dora``.
    Only presence in the yaku list is visible in the output; han are totals anyway.
  * a python error (``no_yaku``, ``hand_not_winning``, rule-conflict errors such as
    ``ippatsu_without_riichi_not_allowed``) gives a non-win line with that error;
    an exception gives ``"error": "python exception: <Type>: <message>"``.

Only the standard library and ``mahjong`` (tested with 2.1.0) are used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from mahjong.constants import EAST, SOUTH, WEST
from mahjong.hand_calculating.hand import HandCalculator
from mahjong.hand_calculating.hand_config import HandConfig, HandConstants, OptionalRules
from mahjong.meld import Meld

WINDS = (EAST, SOUTH, WEST)

MELD_TYPES = {
    # meld_type: (python meld type, forced opened flag)
    "pon": (Meld.PON, True),
    "daiminkan": (Meld.KAN, True),
    "kakan": (Meld.SHOUMINKAN, True),
    "ankan": (Meld.KAN, False),
}

# python yaku class name -> meowlab canonical name
YAKU_NAMES = {
    "Tsumo": "menzen_tsumo",
    "Riichi": "riichi",
    "DaburuRiichi": "double_riichi",
    "Ippatsu": "ippatsu",
    "Chankan": "chankan",
    "Rinshan": "rinshan_kaihou",
    "Haitei": "haitei_raoyue",
    "Houtei": "houtei_raoyui",
    "Pinfu": "pinfu",
    "Tanyao": "tanyao",
    "Iipeiko": "iipeikou",
    "Ryanpeikou": "ryanpeikou",
    "Haku": "yakuhai_haku",
    "Hatsu": "yakuhai_hatsu",
    "Chun": "yakuhai_chun",
    "SeatWindEast": "seat_wind",
    "SeatWindSouth": "seat_wind",
    "SeatWindWest": "seat_wind",
    "SeatWindNorth": "seat_wind",
    "RoundWindEast": "round_wind",
    "RoundWindSouth": "round_wind",
    "RoundWindWest": "round_wind",
    "RoundWindNorth": "round_wind",
    "Chiitoitsu": "chiitoitsu",
    "Chantai": "chanta",
    "Junchan": "junchan",
    "Ittsu": "ittsu",
    "Sanshoku": "sanshoku_doujun",
    "SanshokuDoukou": "sanshoku_doukou",
    "Sanankou": "sanankou",
    "SanKantsu": "sankantsu",
    "Toitoi": "toitoi",
    "Honroto": "honroutou",
    "Shosangen": "shousangen",
    "Honitsu": "honitsu",
    "Chinitsu": "chinitsu",
    "Dora": "dora",
    "AkaDora": "aka_dora",
    "UraDora": "ura_dora",
    # yakuman
    "Tenhou": "tenhou",
    "Chiihou": "chiihou",
    "KokushiMusou": "kokushi_musou",
    "DaburuKokushiMusou": "kokushi_musou_13_wait",
    "Suuankou": "suuankou",
    "SuuankouTanki": "suuankou_tanki",
    "Daisangen": "daisangen",
    "Shousuushii": "shousuushii",
    "DaiSuushii": "daisuushii",
    "Tsuuiisou": "tsuuiisou",
    "Ryuuiisou": "ryuuiisou",
    "Chinroutou": "chinroutou",
    "ChuurenPoutou": "chuuren_poutou",
    "DaburuChuurenPoutou": "junsei_chuuren_poutou",
    "Suukantsu": "suukantsu",
}


def make_config(case: dict[str, Any]) -> HandConfig:
    """Build a fresh HandConfig for one case (python mutates it while scoring)."""
    c = case["conditions"]
    is_tsumo = bool(c["tsumo"])
    is_dealer = c["player_wind"] == 0
    first_turn = bool(c.get("tsumo_first_turn")) and is_tsumo
    options = OptionalRules(
        is_three_player=True,
        has_aka_dora=True,
        has_open_tanyao=True,
        has_double_yakuman=False,
        kiriage=False,
        fu_for_open_pinfu=True,
        fu_for_pinfu_tsumo=False,
        kazoe_limit=HandConstants.KAZOE_LIMITED,
    )
    return HandConfig(
        is_tsumo=is_tsumo,
        is_riichi=bool(c["riichi"]),
        is_daburu_riichi=bool(c["double_riichi"]),
        is_ippatsu=bool(c["ippatsu"]),
        is_haitei=bool(c["haitei"]),
        is_houtei=bool(c["houtei"]),
        is_rinshan=bool(c["rinshan"]),
        is_chankan=bool(c["chankan"]),
        is_tenhou=first_turn and is_dealer,
        is_chiihou=first_turn and not is_dealer,
        player_wind=WINDS[c["player_wind"]],
        round_wind=WINDS[c["round_wind"]],
        tsumi_number=int(c.get("honba", 0)),
        num_nuki_dora=int(c.get("kita_count", 0)),
        options=options,
    )


def make_melds(case: dict[str, Any]) -> list[Meld]:
    """Convert the case's melds to python Meld objects."""
    melds = []
    for m in case["melds"]:
        kind = m["meld_type"]
        if kind not in MELD_TYPES:
            raise ValueError(f"unsupported meld_type {kind!r}")
        py_type, opened = MELD_TYPES[kind]
        melds.append(Meld(meld_type=py_type, tiles=list(m["tiles"]), opened=opened, from_who=m.get("from_who")))
    return melds


def make_call(case: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for one ``estimate_hand_value`` call."""
    melds = make_melds(case)
    tiles = list(case["tiles_136"]) + [case["win_tile_136"]]
    for m in case["melds"]:
        tiles.extend(m["tiles"])
    return {
        "tiles": tiles,
        "win_tile": case["win_tile_136"],
        "melds": melds,
        "dora_indicators": list(case.get("dora_indicators", [])),
        "ura_dora_indicators": list(case.get("ura_indicators", [])),
        "config": make_config(case),
    }


def non_win(index: int, error: str) -> dict[str, Any]:
    return {
        "index": index,
        "is_win": False,
        "han": 0,
        "fu": 0,
        "yaku": [],
        "yakuman": 0,
        "payment": None,
        "error": error,
    }


def payment_of(cost: dict[str, int], case: dict[str, Any]) -> dict[str, int]:
    """Translate python's ScoresResult into meowlab's payment object (no deposits)."""
    c = case["conditions"]
    main = cost["main"] + cost["main_bonus"]
    if not c["tsumo"]:
        return {"total": main, "from_discarder": main}
    additional = cost["additional"] + cost["additional_bonus"]
    if c["player_wind"] == 0:
        return {"total": 2 * additional, "from_dealer": 0, "from_non_dealer": additional}
    return {"total": main + additional, "from_dealer": main, "from_non_dealer": additional}


def yaku_names(response: Any, case: dict[str, Any]) -> list[str]:
    """Canonical yaku names of a python response, nukidora split out of dora."""
    kita = int(case["conditions"].get("kita_count", 0))
    names: list[str] = []
    for yaku in response.yaku or []:
        cls = type(yaku).__name__
        name = YAKU_NAMES.get(cls, f"unknown:{cls}")
        if name == "dora" and kita > 0:
            # python's Dora han = hand dora + kita * (1 + north-dora count)
            if yaku.han_closed - kita <= 0:
                continue
        if name not in names:
            names.append(name)
    if kita > 0 and not any(y.is_yakuman for y in response.yaku or []):
        names.append("nukidora")
    return names


def to_result(index: int, case: dict[str, Any], response: Any) -> dict[str, Any]:
    """Convert a python HandResponse into one meowlab output object."""
    if response.error:
        return non_win(index, str(response.error))
    yakuman_yaku = [y for y in response.yaku or [] if y.is_yakuman]
    if yakuman_yaku:
        count = response.han // 13
        han, fu = 13 * count, 0
    else:
        count, han, fu = 0, response.han, response.fu
    return {
        "index": index,
        "is_win": True,
        "han": han,
        "fu": fu,
        "yaku": yaku_names(response, case),
        "yakuman": count,
        "payment": payment_of(response.cost, case),
        "error": None,
    }


def score_case(index: int, case: dict[str, Any]) -> dict[str, Any]:
    """Score one case; exceptions become an error line."""
    try:
        response = HandCalculator.estimate_hand_value(**make_call(case))
        return to_result(index, case, response)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never fatal
        return non_win(index, f"python exception: {type(exc).__name__}: {exc}")


def bench(cases: list[dict[str, Any]], min_seconds: float = 2.0) -> dict[str, Any]:
    """Time only the estimate_hand_value calls, repeating all cases until min_seconds."""
    hands = 0
    seconds = 0.0
    while seconds < min_seconds:
        calls = []
        for case in cases:
            try:
                calls.append(make_call(case))
            except Exception:  # noqa: BLE001 - unbuildable case, not timed
                pass
        if not calls:
            break
        calculate = HandCalculator.estimate_hand_value
        start = time.perf_counter()
        for kwargs in calls:
            try:
                calculate(**kwargs)
            except Exception:  # noqa: BLE001
                pass
        seconds += time.perf_counter() - start
        hands += len(calls)
    return {
        "hands": hands,
        "seconds": round(seconds, 6),
        "us_per_hand": round(seconds * 1e6 / hands, 3) if hands else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", help="cases JSON ({'cases': [...]})")
    parser.add_argument("-o", "--output", help="output JSONL (default: stdout; nothing in --bench mode)")
    parser.add_argument("--bench", action="store_true", help="time estimate_hand_value, report on stderr")
    args = parser.parse_args(argv)

    with open(args.cases, encoding="utf-8") as f:
        cases = json.load(f)["cases"]

    if args.bench:
        print(json.dumps(bench(cases)), file=sys.stderr)
        if not args.output:
            return 0

    lines = [json.dumps(score_case(i, case), separators=(",", ":")) for i, case in enumerate(cases)]
    text = "\n".join(lines) + ("\n" if lines else "")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
