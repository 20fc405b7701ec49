"""Tests for workers/quality.py: the one report of the filters' quality, on small data sets written here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workers.policy import Outcome, PolicyDecision
from workers.quality import fine_figures, outcome_figures, report

ROOT = Path(__file__).resolve().parent.parent.parent
COLD = [
    ("race", 1, "黑鬼都是垃圾，滚出中国"), ("race", 1, "黑人都是垃圾废物"), ("race", 0, "黑人朋友很友善，谢谢分享"),
    ("race", 0, "各个种族都应该平等"), ("gender", 1, "女拳都是蠢货，恶心"), ("gender", 1, "女人都是蠢货"),
    ("gender", 0, "男女平等是好事，希望越来越好"), ("gender", 0, "女生也可以学理工科"),
    ("region", 1, "河南人都是骗子小偷"), ("region", 1, "东北人都是骗子"), ("region", 0, "今天去了河南博物院，很好看"),
    ("region", 0, "东北的冬天很冷，但是很美"),
]
EVERYDAY = ["今天天气不错", "晚饭吃什么", "这部电影很好看", "我想去北京旅游", "谢谢你的推荐", "周末一起爬山吧"]


def write_data(root: Path) -> None:
    """Write a tiny shared/data folder in the layout of the real one."""
    (root / "cold").mkdir(parents=True)
    lines = [",split,topic,label,TEXT"] + [f"{i},train,{t},{y},{x}" for i, (t, y, x) in enumerate(COLD * 3)]
    for split in ("train", "dev"):
        (root / "cold" / f"{split}.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    for source in ("lccc", "kdconv", "crosswoz"):
        (root / "everyday_zh" / source).mkdir(parents=True)
        texts = [f"{text}{source}{i}" for i, text in enumerate(EVERYDAY * 3)]
        (root / "everyday_zh" / source / "texts.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    (root / "davidson").mkdir()
    tweets = ["you stupid bitch", "shut up idiot", "lovely day at the park", "see you at lunch"] * 5
    rows = ["count,hate_speech,offensive_language,neither,class,tweet"]
    rows += [f"3,0,3,0,{1 if i % 4 < 2 else 2},{t}" for i, t in enumerate(tweets)]
    (root / "davidson" / "labeled_data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "sms_spam").mkdir()
    sms = ["spam\tWIN a free prize, call 09061701461 now", "ham\tok see you at lunch", "ham\ton my way home"] * 10
    (root / "sms_spam" / "SMSSpamCollection").write_text("\n".join(sms) + "\n", encoding="utf-8")


def decision(outcome: Outcome, abuse: float) -> PolicyDecision:
    return PolicyDecision(outcome, {"abuse": abuse}, ())


def test_outcome_figures_count_held_and_rejected_as_caught() -> None:
    figures = outcome_figures([1, 1, 1, 0, 0], [decision(Outcome.REJECT, 0.9), decision(Outcome.HOLD, 0.6),
                                                decision(Outcome.APPROVE, 0.2), decision(Outcome.REJECT, 0.8),
                                                decision(Outcome.APPROVE, 0.1)], "abuse")
    assert figures["caught"] == 2 / 3
    assert figures["reject_precision"] == 0.5
    assert figures["fine_rejected"] == 0.5 and figures["fine_held"] == 0.0
    assert fine_figures([decision(Outcome.HOLD, 0.5), decision(Outcome.APPROVE, 0.1)])["held_or_rejected"] == 0.5


def test_report_covers_both_languages_and_cross_topic_validation(tmp_path: Path) -> None:
    write_data(tmp_path)
    result = report(tmp_path, with_cross_topic=True)
    assert set(result["zh"]) == {"everyday_heldout", "cold_dev", "cross_topic"}
    assert set(result["zh"]["cross_topic"]) == {"gender", "race", "region", "all"}
    assert result["zh"]["cross_topic"]["all"]["rows"] == len(COLD) * 3
    assert set(result["en"]) == {"davidson_heldout", "sms_heldout"}
    assert result["zh"]["everyday_heldout"]["rows"] > 0
    for figures in (result["zh"]["cold_dev"], result["en"]["sms_heldout"], result["zh"]["cross_topic"]["all"]):
        assert 0.0 <= figures["caught"] <= 1.0 and 0.0 <= figures["fine_held"] <= 1.0
    assert result["cpu_ms_per_comment"] > 0


def test_command_prints_the_report_and_json(tmp_path: Path) -> None:
    write_data(tmp_path)
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.quality", "--data", str(tmp_path),
                           "--no-cross-topic"], capture_output=True, cwd=ROOT, timeout=300, check=True)
    out = done.stdout.decode("utf-8")
    assert "== Chinese" in out and "== English" in out and "everyday text, held out" in out
    assert "CPU per comment" in out
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.quality", "--data", str(tmp_path),
                           "--no-cross-topic", "--json"], capture_output=True, cwd=ROOT, timeout=300, check=True)
    assert "cross_topic" not in json.loads(done.stdout)["zh"]
