"""Build the default word list from the lexicons and measure it on COLD.

    python -m workers.filters.curate_wordlist build     # derive data/wordlist.tsv, using train.csv only
    python -m workers.filters.curate_wordlist measure   # false positives per entry and overall on dev.csv

The shipped list is the hand-curated `data/wordlist_manual.tsv` plus the lexicon entries (houbb tags 1-4,
fwwdn ads/porn/weapons, LDNOOBW zh) that survive these rules, checked on COLD's train split:
- at least two characters after normalisation, and no Latin-only entries (those come by hand);
- no political terms (houbb tag 0, fwwdn 政治类), whatever else they are tagged with;
- no match in any safe (label 0) train comment: an entry that hits ordinary talk must not act on its own;
- a two-character lexicon entry is kept only when it matches an offensive train comment, and then flags;
  three characters flag; four or more hold (出售炸药, 足球投注: phrases with one meaning). Only
  hand-curated entries reject. dev.csv is never read by `build`, so `measure` stays a fair estimate.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path

from workers.filters.normalise import normalise
from workers.filters.wordlist import DEFAULT_LIST, WordEntry, WordListFilter, WordMatcher, load_entries

MANUAL_LIST = Path(__file__).parent / "data" / "wordlist_manual.tsv"
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MAX_LEXICON_TERM = 12  # longer lexicon phrases are whole spam messages that never recur verbatim

_HOUBB_CATEGORY = {"3": "gambling", "1": "illegal_goods", "2": "sexual", "4": "ads_fraud"}
_FWWDN_FILES = {"广告.txt": "ads_fraud", "色情类.txt": "sexual", "涉枪涉爆违法信息关键词.txt": "illegal_goods"}
_ABUSE_MARKS = re.compile(r"妈|奶奶|鬼子|娘|祖宗|全家|老母|贱|杂种|王八|痴|瘪三|仆街|屎|狗|龟儿子|瓜|塞你|驶你|傻|笨|靠")


def read_cold(path: Path) -> list[tuple[int, str]]:
    """Return (label, text) rows of a COLD csv file."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(int(row["label"]), row["TEXT"]) for row in csv.DictReader(handle)]


def lexicon_candidates(data: Path) -> list[tuple[str, str, str]]:
    """Return (term, category, source) for every lexicon entry outside politics."""
    out: list[tuple[str, str, str]] = []
    # LDNOOBW first: it is the list of insults, so its reading of a term wins over houbb's porn tag.
    for line in (data / "lexicons/ldnoobw/zh.txt").read_text(encoding="utf-8").splitlines():
        term = line.strip()
        if term:
            out.append((term, "abuse" if _ABUSE_MARKS.search(term) else "sexual", "ldnoobw"))
    for line in (data / "lexicons/houbb/sensitive_word_tags.txt").read_text(encoding="utf-8").splitlines():
        term, _sp, tags = line.rpartition(" ")
        tag_set = set(tags.split(","))
        if not term or "0" in tag_set:
            continue
        category = next(_HOUBB_CATEGORY[t] for t in ("3", "1", "2", "4") if t in tag_set)
        out.append((term, category, "houbb"))
    for name, category in _FWWDN_FILES.items():
        for line in (data / "lexicons/fwwdn" / name).read_text(encoding="utf-8").splitlines():
            term = line.strip().rstrip(",").strip()
            if term:
                out.append((term, category, "fwwdn"))
    return out


def hit_counts(matcher: WordMatcher, texts: list[str]) -> Counter[str]:
    """Count, per listed term, the texts it matches."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({m.entry.term for m in matcher.find(normalise(text))})
    return counts


def build(data: Path, out: Path) -> None:
    """Derive the shipped list from the manual list and the lexicons, checked on train.csv."""
    train = read_cold(data / "cold/train.csv")
    safe = [t for label, t in train if label == 0]
    offensive = [t for label, t in train if label == 1]
    manual = load_entries(MANUAL_LIST)
    manual_keys = {normalise(e.term).compact for e in manual}
    candidates: dict[str, tuple[WordEntry, str]] = {}
    for term, category, source in lexicon_candidates(data):
        key = normalise(term).compact
        if len(key) < 2 or len(key) > MAX_LEXICON_TERM or key.isascii() or key in manual_keys:
            continue
        if key in candidates:
            continue
        action, severity = ("hold", 2) if len(key) >= 4 else ("flag", 1)
        candidates[key] = (WordEntry(key, category, severity, action), source)
    matcher = WordMatcher(e for e, _s in candidates.values())
    safe_hits, offensive_hits = hit_counts(matcher, safe), hit_counts(matcher, offensive)
    kept = [(e, s) for e, s in candidates.values()
            if safe_hits[e.term] == 0 and (len(e.term) > 2 or offensive_hits[e.term] > 0)]
    print(f"lexicon candidates {len(candidates)}, dropped for matching safe train comments "
          f"or two-character and never in an offensive one {len(candidates) - len(kept)}, kept {len(kept)}")
    manual_hits = hit_counts(WordMatcher(manual), safe)
    for entry in manual:
        if manual_hits[entry.term]:
            print(f"manual entry {entry.term} ({entry.action}) matches {manual_hits[entry.term]} safe train "
                  "comments")
    lines = [
        "# The default word list. Generated by `python -m workers.filters.curate_wordlist build`: edit",
        "# wordlist_manual.tsv or the rules in curate_wordlist.py, not this file. Sources and licences: NOTICE.",
        "term\tcategory\tseverity\taction\tsource",
    ]
    lines += [f"{e.term}\t{e.category}\t{e.severity}\t{e.action}\tmanual" for e in manual]
    lines += [f"{e.term}\t{e.category}\t{e.severity}\t{e.action}\t{s}"
              for e, s in sorted(kept, key=lambda pair: (pair[0].category, pair[0].term))]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(manual) + len(kept)} entries to {out}")


def measure(data: Path, show: int) -> float:
    """Print the false-positive rate of the shipped list on dev.csv per entry and overall; return it."""
    from workers.filters.base import CommentInput, FilterContext

    flt = WordListFilter.from_options({})
    dev = read_cold(data / "cold/dev.csv")
    per_entry: Counter[str] = Counter()
    by_action: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
    totals: Counter[int] = Counter(label for label, _t in dev)
    for label, text in dev:
        ctx = FilterContext(CommentInput(text=text))
        matches = flt.find(ctx)
        verdict = flt.check(ctx)
        by_action[label][verdict.action.value] += 1
        if label == 0:
            per_entry.update({f"{m.entry.term} ({m.entry.category}, {m.entry.action})" for m in matches})
    safe, offensive = totals[0], totals[1]
    print(f"dev: {safe} safe, {offensive} offensive comments; {len(load_entries())} entries in the list")
    print("entries matching safe comments (comments, share):")
    for term, count in per_entry.most_common(show):
        print(f"  {count:4d}  {count / safe:6.2%}  {term}")
    matched_safe = safe - by_action[0]["allow"]
    fp = matched_safe / safe
    print(f"false positives on safe comments: {matched_safe}/{safe} = {fp:.2%} "
          f"(reject {by_action[0]['reject'] / safe:.2%}, hold {by_action[0]['hold'] / safe:.2%}, "
          f"flag {by_action[0]['flag'] / safe:.2%})")
    caught = offensive - by_action[1]["allow"]
    print(f"offensive comments matched: {caught}/{offensive} = {caught / offensive:.2%} "
          f"(reject {by_action[1]['reject'] / offensive:.2%}, hold {by_action[1]['hold'] / offensive:.2%}, "
          f"flag {by_action[1]['flag'] / offensive:.2%})")
    return fp


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "measure"), nargs="?", default="measure")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--show", type=int, default=40, help="entries to list in measure")
    parser.add_argument("--max-fp", type=float, default=0.01, help="measure fails above this rate")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.data, DEFAULT_LIST)
        return 0
    return 0 if measure(args.data, args.show) <= args.max_fp else 1


if __name__ == "__main__":
    sys.exit(main())
