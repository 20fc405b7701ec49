"""Readers for the corpora in shared/data, and the seeded held-out splits of the English and everyday ones."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
HELDOUT_SEED = 20240603
HELDOUT_FRACTION = 0.2
EVERYDAY_SOURCES = ("lccc", "kdconv", "crosswoz")


@dataclass(frozen=True)
class Labelled:
    """Texts with binary labels (1 = bad), the name of the score they measure, and optional groups."""

    texts: tuple[str, ...]
    labels: tuple[int, ...]
    score: str  # "abuse" or "spam"
    groups: tuple[str, ...] = ()  # e.g. COLD's topic per text

    def subset(self, indices: np.ndarray | list[int]) -> Labelled:
        """Return the rows at `indices`, in that order."""
        pick = [int(i) for i in indices]
        return Labelled(
            tuple(self.texts[i] for i in pick),
            tuple(self.labels[i] for i in pick),
            self.score,
            tuple(self.groups[i] for i in pick) if self.groups else (),
        )

    def __len__(self) -> int:
        return len(self.texts)


def read_table(path: Path, text_column: str | None = None, label_column: str | None = None) -> Labelled:
    """Read a labelled CSV/TSV, recognising COLD, Davidson and the SMS collection by their columns."""
    raw = path.read_bytes().decode("utf-8-sig")
    first = raw.split("\n", 1)[0]
    if first.startswith(("ham\t", "spam\t")):
        rows = [line.split("\t", 1) for line in raw.splitlines() if "\t" in line]
        return Labelled(tuple(t for _, t in rows), tuple(int(k == "spam") for k, _ in rows), "spam")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(raw, newline=""), delimiter=delimiter)
    columns = reader.fieldnames or []
    if text_column is None:
        text_column = next((c for c in ("TEXT", "text", "tweet", "comment") if c in columns), None)
    if text_column is None or text_column not in columns:
        raise ValueError(f"{path}: no text column among {columns}; pass --text-column")
    davidson = label_column is None and "class" in columns and "label" not in columns
    label_column = label_column or ("class" if davidson else "label")
    if label_column not in columns:
        raise ValueError(f"{path}: no label column {label_column!r} among {columns}; pass --label-column")
    texts, labels, groups = [], [], []
    for row in reader:
        value = row[label_column].strip()
        if davidson:
            labels.append(int(value in ("0", "1")))  # 0 hate and 1 offensive are both abuse; 2 neither
        else:
            labels.append(int(value.lower() in ("1", "true", "yes", "spam", "offensive", "abuse")))
        texts.append(row[text_column])
        groups.append(row.get("topic", "") or "")
    score = "spam" if "spam" in label_column.lower() else "abuse"
    return Labelled(tuple(texts), tuple(labels), score, tuple(groups) if any(groups) else ())


def heldout_split(data: Labelled, seed: int = HELDOUT_SEED,
                  fraction: float = HELDOUT_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, held-out) row indices: a fixed, seeded split stratified by label."""
    labels = np.asarray(data.labels)
    rng = np.random.RandomState(seed)
    train, test = [], []
    for value in (0, 1):
        rows = rng.permutation(np.flatnonzero(labels == value))
        cut = int(round(len(rows) * fraction))
        test.append(rows[:cut])
        train.append(rows[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def cold(split: str, data_dir: Path = DATA_DIR) -> Labelled:
    """Return COLD's train or dev file (the whole dev file is the dev set)."""
    return read_table(data_dir / "cold" / f"{split}.csv")


def davidson(data_dir: Path = DATA_DIR) -> Labelled:
    """Return the Davidson tweets, hate or offensive as 1."""
    return read_table(data_dir / "davidson" / "labeled_data.csv")


def sms_spam(data_dir: Path = DATA_DIR) -> Labelled:
    """Return the SMS Spam Collection, spam as 1."""
    return read_table(data_dir / "sms_spam" / "SMSSpamCollection")


def is_everyday_heldout(text: str, seed: int = HELDOUT_SEED) -> bool:
    """Say whether an everyday text belongs to the held-out fifth: a keyed BLAKE2b of the text, mod 5 == 0."""
    # Hashing the text, not its position, keeps the split stable whatever the order of the files.
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=str(seed).encode("ascii")).digest()
    return int.from_bytes(digest, "big") % 5 == 0


def everyday_zh(part: str, data_dir: Path = DATA_DIR) -> tuple[str, ...]:
    """Return the everyday Chinese texts (LCCC, KdConv, CrossWOZ) of part "train" or "heldout"."""
    if part not in ("train", "heldout"):
        raise ValueError(f"part must be 'train' or 'heldout', not {part!r}")
    want = part == "heldout"
    texts: list[str] = []
    for source in EVERYDAY_SOURCES:
        for line in (data_dir / "everyday_zh" / source / "texts.txt").read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and is_everyday_heldout(line) == want:
                texts.append(line)
    return tuple(texts)
