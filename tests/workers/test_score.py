"""Tests for workers/score.py, run as the command a site operator runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def score(stdin: str, *args: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.score", *args], input=stdin.encode("utf-8"),
                          capture_output=True, cwd=ROOT, timeout=120, check=True)
    return [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]


def test_each_line_gets_one_decision_with_calibrated_scores() -> None:
    out = score("谢谢分享，写得很好\n黑鬼都是垃圾，滚出中国\nWINNER!! Claim your free cash prize, call 09061701461 now\n")
    assert len(out) == 3
    assert [o["action"] for o in out] == ["approve", "reject", "reject"]
    for o in out:
        assert set(o["scores"]) >= {"abuse", "spam"}
        assert all(0.0 <= v <= 1.0 for v in o["scores"].values())
    assert out[1]["scores"]["abuse"] > 0.9
    assert out[2]["scores"]["spam"] > 0.9
    assert out[1]["reasons"]


def test_jsonl_input_reads_text_author_and_email() -> None:
    lines = [json.dumps({"text": "谢谢分享", "author": "小王", "email": "w@example.com"}, ensure_ascii=False),
             json.dumps({"text": "shut up you stupid bitch"})]
    out = score("\n".join(lines) + "\n", "--format", "jsonl")
    assert [o["action"] for o in out] == ["approve", "reject"]


def test_site_thresholds_given_as_options_change_the_action() -> None:
    out = score("今天天气不错\n", "--option", "abuse_hold_at=0.0", "--option", "abuse_reject_at=0.999")
    assert out[0]["action"] == "hold"


def test_jsonl_lines_that_are_not_comments_get_an_error_line_each_and_the_batch_goes_on() -> None:
    lines = ['{"text": "谢谢分享"}', '{"text": "\\ud800 坏"}', "[1, 2]", '{"text": null}', "not json",
             '{"text": "好", "author": 5}', '{"author": "没有正文"}', '{"text": "shut up you stupid bitch"}']
    done = subprocess.run([sys.executable, "-W", "error", "-m", "workers.score", "--format", "jsonl"],
                          input=("\n".join(lines) + "\n").encode("utf-8"), capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines)
    assert out[0]["action"] == "approve" and out[7]["action"] == "reject"
    assert out[1] == {"line": 2, "error": "'text' holds a lone surrogate"}
    assert out[2] == {"line": 3, "error": "not a JSON object"}
    assert out[3] == {"line": 4, "error": "'text' must be a string"}  # not scored as the text "None"
    assert out[4]["line"] == 5 and out[4]["error"].startswith("not JSON")
    assert out[5] == {"line": 6, "error": "'author' must be a string"}
    assert out[6] == {"line": 7, "error": "'text' must be a string"}
    assert "6 input line(s)" in done.stderr.decode()
