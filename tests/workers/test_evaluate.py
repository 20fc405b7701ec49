"""Tests for workers/evaluate.py and workers/evasion.py on a small labelled file written here."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workers.datasets import read_table
from workers.evasion import EVASIONS
from workers.filters.normalise import normalise

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = [
    ("race", 1, "黑鬼都是垃圾，滚出中国"), ("gender", 1, "女拳都是蠢货，恶心"), ("region", 1, "河南人都是骗子小偷"),
    ("race", 0, "谢谢分享，写得很清楚"), ("gender", 0, "男女平等是好事，希望越来越好"), ("region", 0, "今天去了河南博物院，很好看"),
]


def write_cold(path: Path) -> None:
    lines = [",split,topic,label,TEXT"] + [f"{i},dev,{t},{y},{x}" for i, (t, y, x) in enumerate(ROWS)]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))


def test_cold_format_is_recognised_with_its_bom(tmp_path: Path) -> None:
    write_cold(tmp_path / "dev.csv")
    data = read_table(tmp_path / "dev.csv")
    assert data.labels == (1, 1, 1, 0, 0, 0)
    assert data.texts[0] == "黑鬼都是垃圾，滚出中国"
    assert data.score == "abuse" and data.groups[0] == "race"


def test_evaluate_prints_binary_and_policy_figures(tmp_path: Path) -> None:
    write_cold(tmp_path / "dev.csv")
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.evaluate", str(tmp_path / "dev.csv"),
                           "--evasion"], capture_output=True, cwd=ROOT, timeout=120, check=True)
    out = done.stdout.decode("utf-8")
    for name in ("precision", "recall", "f1", "macro_f1", "accuracy", "held_share", "reject_precision",
                 "approved_bad_share", "original_recall", "pinyin", "traditional"):
        assert f"{name}" in out
    assert "macro_f1: 1.0000" in out


def test_custom_columns_and_tab_separated_files(tmp_path: Path) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("body\tbad\nshut up you stupid bitch\t1\nsee you at lunch\t0\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.evaluate", str(path), "--text-column",
                           "body", "--label-column", "bad"], capture_output=True, cwd=ROOT, timeout=120, check=True)
    assert "rows: 2" in done.stdout.decode("utf-8")


def test_evasion_rewrites_change_the_text_but_normalise_back_where_they_can() -> None:
    text = "黑鬼都是垃圾，这些人真恶心 loser"
    for name, rewrite in EVASIONS.items():
        assert rewrite(text, 1) != text, name
    assert normalise(EVASIONS["fullwidth"](text)).text == normalise(text).text
    assert EVASIONS["pinyin"](text).startswith("heigui都是垃圾")
    assert EVASIONS["leetspeak"](text).endswith("l0ser")
    assert normalise(EVASIONS["leetspeak"]("shut up you stupid bitch")).text == "shut up you stupid bitch"
