from __future__ import annotations

from pathlib import Path

from workers.datasets import everyday_zh, is_everyday_heldout


def _write_corpus(root: Path, lines_by_source: dict[str, list[str]]) -> None:
    for source in ("lccc", "kdconv", "crosswoz"):
        folder = root / "everyday_zh" / source
        folder.mkdir(parents=True)
        (folder / "texts.txt").write_text("\n".join(lines_by_source.get(source, [])) + "\n", encoding="utf-8")


def test_everyday_split_is_disjoint_complete_and_about_one_fifth(tmp_path: Path) -> None:
    lines = [f"今天天气不错第{i}句" for i in range(1000)]
    _write_corpus(tmp_path, {"lccc": lines[:500], "kdconv": lines[500:800], "crosswoz": lines[800:]})
    train, heldout = everyday_zh("train", tmp_path), everyday_zh("heldout", tmp_path)
    assert set(train).isdisjoint(heldout)
    assert set(train) | set(heldout) == set(lines)
    assert 150 <= len(heldout) <= 250


def test_everyday_split_does_not_depend_on_file_order(tmp_path: Path) -> None:
    lines = [f"吃了吗{i}" for i in range(200)]
    _write_corpus(tmp_path / "a", {"lccc": lines})
    _write_corpus(tmp_path / "b", {"crosswoz": list(reversed(lines))})
    assert set(everyday_zh("heldout", tmp_path / "a")) == set(everyday_zh("heldout", tmp_path / "b"))
    assert all(is_everyday_heldout(t) for t in everyday_zh("heldout", tmp_path / "a"))
