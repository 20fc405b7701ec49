"""Build the default word list from the lexicons and measure it on COLD and on everyday Chinese.

    python -m workers.filters.curate_wordlist build     # derive data/wordlist.tsv from training data only
    python -m workers.filters.curate_wordlist measure   # false positives on COLD dev and everyday held-out

The shipped list is the hand-curated `data/wordlist_manual.tsv` plus the lexicon entries (houbb tags 1-4,
fwwdn ads/porn/weapons, LDNOOBW zh) that survive these rules, checked on ordinary text: COLD's train split
safe comments and the training part of the everyday Chinese corpus (`workers.datasets.everyday_zh`):
- no Latin-only entries (those come by hand), none longer than twelve characters;
- no political terms (houbb tag 0, fwwdn 政治类), whatever else they are tagged with; no names the
  segmenter knows as a place or an organisation (日本, 人民日报: houbb tags them porn) or that end like
  a newspaper's;
- an entry that matches ordinary text as a whole word (word boundaries from the segmenter at both ends)
  is dropped; one that matches ordinary text only inside other words (日落黄 in 日落黄昏) is kept and
  marked to match only as a whole word (match column `word`); one-character entries always are;
- an entry of one or two characters is kept only when it matches an offensive train comment as a word,
  and then flags; three characters flag; four or more hold (出售炸药, 足球投注: phrases with one meaning).
  Only hand-curated entries reject. Held-out data (COLD dev, the everyday held-out part) is never read by
  `build`, so `measure` stays a fair estimate.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import re
import sys
from collections import Counter
from pathlib import Path

from workers.datasets import everyday_zh
from workers.filters.normalise import normalise
from workers.filters.segment import word_tags
from workers.filters.wordlist import DEFAULT_LIST, WordEntry, WordListFilter, WordMatcher, load_entries

MANUAL_LIST = Path(__file__).parent / "data" / "wordlist_manual.tsv"
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MAX_LEXICON_TERM = 12  # longer lexicon phrases are whole spam messages that never recur verbatim

_HOUBB_CATEGORY = {"3": "gambling", "1": "illegal_goods", "2": "sexual", "4": "ads_fraud"}
_FWWDN_FILES = {"广告.txt": "ads_fraud", "色情类.txt": "sexual", "涉枪涉爆违法信息关键词.txt": "illegal_goods"}
# A newspaper or a name of a place or an organisation is not an obscenity, whatever a lexicon tags it as.
_NAME_TAGS = ("ns", "nt")
_NEWSPAPER = re.compile(r"(?:日报|时报|晚报|早报|周刊|周报)$")
# Porn-list entries that sell sex rather than describe it count as advertising (sex_trade).
_SEX_TRADE_MARKS = re.compile(r"约炮|约啪|援交|上门|包夜|楼凤|外围|一夜情|招嫖|陪睡|陪聊|裸聊|全套服务|莞式|大保健|"
                              r"兼职|服务|小姐|按摩|同城|交友")
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


def is_name(term: str) -> bool:
    """Tell whether a term is one word the segmenter knows as a place or organisation, or a newspaper."""
    if _NEWSPAPER.search(term):
        return True
    tags = word_tags(term)
    return len(tags) == 1 and tags[0] in _NAME_TAGS


def ordinary_texts(data: Path) -> list[str]:
    """Return the ordinary text that `build` checks entries on: COLD train safe comments, everyday train."""
    train = read_cold(data / "cold/train.csv")
    return [t for label, t in train if label == 0] + list(everyday_zh("train", data))


def build(data: Path, out: Path) -> None:
    """Derive the shipped list from the manual list and the lexicons, checked on training data only."""
    train = read_cold(data / "cold/train.csv")
    offensive = [t for label, t in train if label == 1]
    ordinary = ordinary_texts(data)
    manual = load_entries(MANUAL_LIST)
    manual_keys = {normalise(e.term).compact for e in manual}
    candidates: dict[str, tuple[WordEntry, str]] = {}
    names = 0
    for term, category, source in lexicon_candidates(data):
        key = normalise(term).compact
        if not key or len(key) > MAX_LEXICON_TERM or key.isascii() or key in manual_keys or key in candidates:
            continue
        if is_name(key):
            names += 1
            continue
        if category == "sexual" and _SEX_TRADE_MARKS.search(key):
            category = "sex_trade"
        action, severity = ("hold", 2) if len(key) >= 4 else ("flag", 1)
        candidates[key] = (WordEntry(key, category, severity, action), source)
    anywhere = WordMatcher(e for e, _s in candidates.values())
    as_words = WordMatcher(dataclasses.replace(e, whole_word=True) for e, _s in candidates.values())
    ordinary_anywhere, ordinary_words = hit_counts(anywhere, ordinary), hit_counts(as_words, ordinary)
    offensive_words = hit_counts(as_words, offensive)
    kept: list[tuple[WordEntry, str]] = []
    as_word_only = short_unseen = 0
    for entry, source in candidates.values():
        if ordinary_words[entry.term]:
            continue
        if len(entry.term) <= 2 and not offensive_words[entry.term]:
            short_unseen += 1
            continue
        if ordinary_anywhere[entry.term] and len(entry.term) > 1:
            entry = dataclasses.replace(entry, whole_word=True)
            as_word_only += 1
        kept.append((entry, source))
    dropped = len(candidates) - len(kept) - short_unseen
    print(f"ordinary texts: {len(ordinary)} (COLD train safe comments and everyday train)")
    print(f"lexicon candidates {len(candidates)} (after {names} names of places, organisations and newspapers "
          f"were left out); dropped for matching ordinary text as a word {dropped}; dropped for one or two "
          f"characters never in an offensive comment {short_unseen}; kept {len(kept)}, of which "
          f"{as_word_only} match only as whole words")
    manual_hits = hit_counts(WordMatcher(manual), ordinary)
    for entry in manual:
        if manual_hits[entry.term] and entry.action != "allow":
            print(f"manual entry {entry.term} ({entry.action}) matches {manual_hits[entry.term]} ordinary "
                  "train texts")
    lines = [
        "# The default word list. Generated by `python -m workers.filters.curate_wordlist build`: edit",
        "# wordlist_manual.tsv or the rules in curate_wordlist.py, not this file. Sources and licences: NOTICE.",
        "term\tcategory\tseverity\taction\tmatch\tsource",
    ]
    lines += [_row(e, "manual") for e in manual]
    lines += [_row(e, s) for e, s in sorted(kept, key=lambda pair: (pair[0].category, pair[0].term))]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(manual) + len(kept)} entries to {out}")


def _row(entry: WordEntry, source: str) -> str:
    match = "word" if entry.whole_word else ""
    return f"{entry.term}\t{entry.category}\t{entry.severity}\t{entry.action}\t{match}\t{source}"


def measure(data: Path, show: int) -> float:
    """Print false positives of the shipped list on COLD dev and on everyday held-out; return the larger."""
    from workers.filters.base import CommentInput, FilterContext

    flt = WordListFilter.from_options({})
    dev = read_cold(data / "cold/dev.csv")
    everyday = everyday_zh("heldout", data)
    print(f"{len(load_entries())} entries in the list")
    rates = []
    for name, rows in (("COLD dev", dev), ("everyday held-out", [(0, t) for t in everyday])):
        per_entry: Counter[str] = Counter()
        by_action: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
        totals: Counter[int] = Counter(label for label, _t in rows)
        for label, text in rows:
            ctx = FilterContext(CommentInput(text=text))
            verdict = flt.check(ctx)
            by_action[label][verdict.action.value] += 1
            if label == 0:
                per_entry.update({f"{m.entry.term} ({m.entry.category}, {m.entry.action})"
                                  for m in flt.find(ctx)})
        safe, offensive = totals[0], totals[1]
        print(f"{name}: {safe} ordinary texts" + (f", {offensive} offensive comments" if offensive else ""))
        print("  entries matching ordinary texts (texts, share):")
        for term, count in per_entry.most_common(show):
            print(f"    {count:4d}  {count / safe:6.2%}  {term}")
        matched_safe = safe - by_action[0]["allow"]
        rates.append(matched_safe / safe)
        print(f"  false positives on {'safe comments' if offensive else 'everyday texts'}: "
              f"{matched_safe}/{safe} = {matched_safe / safe:.2%} ({_shares(by_action[0], safe)})")
        if offensive:
            caught = offensive - by_action[1]["allow"]
            print(f"  offensive comments matched: {caught}/{offensive} = {caught / offensive:.2%} "
                  f"({_shares(by_action[1], offensive)})")
    return max(rates)


def _shares(actions: Counter[str], total: int) -> str:
    return ", ".join(f"{a} {actions[a] / total:.2%}" for a in ("reject", "hold", "flag"))


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
