"""Flooding: the same text posted again and again, bursts from one author or address, and gibberish.

Near duplicates are found with a MinHash of the compact text's character trigrams (32 hashes), indexed
in Redis under 8 bands of 4 hashes (locality-sensitive hashing): texts that share most trigrams share
a band with high probability (a Jaccard similarity of 0.8 makes them candidates 98.5% of the time),
and the candidates' signatures are compared to estimate the similarity. SimHash was tried first and
dropped: on 30-character comments a one-character edit moved it as far as two unrelated comments.
Every record is a sorted-set member named by the comment id and scored by time, so a job that runs
twice for one comment records it once, and old members are trimmed so the window slides. Keys expire
after the window, so nothing is left to clean.
"""
from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from redis.exceptions import RedisError

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Span, Verdict
from workers.filters.normalise import NormalisedText

KEY_PREFIX = "moderato:flood"
_BANDS = 8
_ROWS = 4
# Record the comment (ZADD NX: a retried job keeps its first record) and read the window back, for the
# MinHash band keys first (returning their members), then the rate keys (returning their counts).
_RECORD = """
local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local bands, rate_window, member_id = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local cap = tonumber(ARGV[7])
local out = {}
for i, key in ipairs(KEYS) do
  local span, value = window, member
  if i > bands then span, value = rate_window, member_id end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  redis.call('ZADD', key, 'NX', now, value)
  redis.call('EXPIRE', key, span)
  -- Only the newest members of a band: past the reject threshold more copies change nothing, and a
  -- flood of thousands of copies must not make every check read thousands of signatures.
  if i > bands then out[i] = redis.call('ZCARD', key) else out[i] = redis.call('ZRANGE', key, -cap, -1) end
end
return out
"""
_VOWELS = frozenset("aeiouy")
_LATIN_TOKEN = re.compile(r"[a-z]{6,}")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _HistoryCall:
    """One comment's call of the _RECORD script, and what reading its reply needs."""

    keys: list[str]
    args: list[Any]
    signature: np.ndarray | None
    member_id: str
    thread: str
    rate_keys: list[str]


@dataclass(frozen=True)
class FloodSettings:
    """Windows and thresholds of the flood filter, each with a default that suits a news site."""

    window: int = 3600  # seconds in which repeated texts count
    min_chars: int = 8  # shorter texts ("顶", "+1", "沙发") repeat innocently
    similarity: float = 0.6  # estimated Jaccard similarity of trigrams for two texts to count as copies
    duplicates_hold: int = 3  # copies (this one included) that hold the comment
    duplicates_reject: int = 10  # copies that reject it
    rate_window: int = 600  # seconds for the per-author and per-address rates
    author_limit: int = 10  # comments per rate window from one author before holding
    ip_limit: int = 20  # comments per rate window from one hashed address before holding

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> FloodSettings:
        """Read the settings from `flood_<name>` options, keeping the defaults for the rest."""
        return cls(**{name: type(getattr(cls, name))(options[f"flood_{name}"]) for name in cls.__dataclass_fields__
                      if f"flood_{name}" in options})


def minhash(text: str) -> np.ndarray:
    """Return the MinHash signature (32-bit values) of a text's character trigrams."""
    # Vectorised over shingles and hash functions: a Python loop would cost a millisecond by itself.
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < 3:
        codes = np.concatenate([codes, np.zeros(3 - len(codes), dtype=np.uint64)])
    keys = (codes[:-2] << np.uint64(42)) ^ (codes[1:-1] << np.uint64(21)) ^ codes[2:]
    hashed = _splitmix64(keys[None, :] ^ _SEEDS[:, None])
    return (hashed.min(axis=1) >> np.uint64(32)).astype(np.uint32)


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Return the Jaccard similarity that two MinHash signatures estimate."""
    return float(np.count_nonzero(first == second)) / len(first)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    # A well-mixed, stable hash: Python's hash() differs between worker processes.
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_SEEDS = _splitmix64(np.arange(1, _BANDS * _ROWS + 1, dtype=np.uint64))


def gibberish_share(norm: NormalisedText) -> float:
    """Return the share of the Latin letters that sit in unpronounceable tokens ("asdkjfhqwe")."""
    letters = sum(1 for c in norm.text if "a" <= c <= "z")
    if letters == 0:
        return 0.0
    junk = 0
    for token in _LATIN_TOKEN.findall(norm.text):
        vowels = sum(1 for c in token if c in _VOWELS)
        longest_consonants = max(len(run) for run in re.split("[aeiouy]", token))
        if vowels / len(token) < 0.2 or longest_consonants >= 5:
            junk += len(token)
    return junk / letters


def repeated_share(norm: NormalisedText) -> tuple[float, str]:
    """Return the share of the words taken by the most repeated word, and that word."""
    words = _WORD.findall(norm.text)
    if len(words) < 6:
        return 0.0, ""
    word, count = Counter(words).most_common(1)[0]
    return count / len(words), word


@register
class FloodFilter:
    """Hold repeated texts, bursts per author or address, and gibberish; reject mass copies."""

    name = "flood"

    def __init__(self, settings: FloodSettings | None = None) -> None:
        self.settings = settings or FloodSettings()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> FloodFilter:
        """Build the filter from the `flood_*` options."""
        return cls(FloodSettings.from_options(options))

    def check(self, ctx: FilterContext) -> Verdict:
        """Judge the comment's text on its own, then against what was posted recently."""
        norm = ctx.normalised("text")
        findings: list[tuple[Action, dict[str, Any]]] = []
        spans: list[Span] = []
        whole = (0, len(ctx.comment.text))
        gibberish = gibberish_share(norm)
        if gibberish >= 0.6 and sum(1 for c in norm.text if "a" <= c <= "z") >= 12:
            findings.append((Action.HOLD, reason("flood.gibberish", share=round(gibberish, 4))))
            spans.append(Span(*whole, "gibberish"))
        share, word = repeated_share(norm)
        if share >= 0.5:
            findings.append((Action.HOLD, reason("flood.repeated_word", word=word, share=round(share, 4))))
            spans.append(Span(*whole, "repeated"))
        compact = norm.compact
        # A few characters over and over (顶顶顶顶, hahaha...); a long English text has only some thirty
        # distinct characters too, so the count must be small as well as the share.
        if len(compact) >= 20 and len(set(compact)) <= 10 and len(set(compact)) / len(compact) < 0.1:
            findings.append((Action.HOLD, reason("flood.few_characters", distinct=len(set(compact)), length=len(compact))))
            spans.append(Span(*whole, "repeated"))
        if ctx.redis is None:
            findings.append((Action.ALLOW, reason("flood.skipped", error="no_redis")))
        else:
            try:
                history = self._check_history(ctx, norm)
                findings += history
                if any(a.rank >= Action.HOLD.rank and r["code"] == "flood.duplicate" for a, r in history):
                    spans.append(Span(*whole, "duplicate"))
            except RedisError as err:
                # Fails open: a Redis blip must not hold every comment; the other filters still run.
                findings.append((Action.ALLOW, reason("flood.skipped", error=type(err).__name__)))
        action = max((a for a, _r in findings), key=lambda a: a.rank, default=Action.ALLOW)
        score = {Action.ALLOW: 0.0, Action.FLAG: 0.3, Action.HOLD: 0.7, Action.REJECT: 1.0}[action]
        return Verdict(self.name, action, score, tuple(r for _a, r in findings), tuple(spans))

    def prepare(self, ctxs: list[FilterContext]) -> None:
        """Make the Redis calls of several comments in one round trip, in their order, before each is checked.

        The script calls go down one pipeline, so Redis runs them one after the other as `check` would
        have, each comment seeing those before it; `check` then reads its reply from `ctx.prepared`. Why:
        a round trip per comment cost the whole pipeline 0.49-0.52 ms of CPU per comment in batches of
        120, against 0.36-0.40 ms with one per batch (`python bench/filters.py`, two runs), and Redis
        handled one call per comment. A Redis that fails the pipeline fails each comment's check as its
        own call would: open (`flood.skipped`).
        """
        calls: list[tuple[FilterContext, _HistoryCall]] = []
        for ctx in ctxs:
            if ctx.redis is None:
                continue
            try:
                calls.append((ctx, self._history_call(ctx, ctx.normalised("text"))))
            except Exception:  # noqa: BLE001 - left unprepared: its own check meets the error, for it alone
                continue
        if not calls:
            return
        redis = calls[0][0].redis
        replies: list[Any]
        try:
            script = redis.register_script(_RECORD)
            with redis.pipeline(transaction=False) as pipe:
                for _ctx, call in calls:
                    script(keys=call.keys, args=call.args, client=pipe)
                replies = pipe.execute(raise_on_error=False)
        except RedisError as err:
            replies = [err] * len(calls)
        for (ctx, call), reply in zip(calls, replies):
            ctx.prepared[self.name] = (call, reply)

    def _check_history(self, ctx: FilterContext, norm: NormalisedText) -> list[tuple[Action, dict[str, Any]]]:
        prepared = ctx.prepared.pop(self.name, None)
        if prepared is None:
            call = self._history_call(ctx, norm)
            # One script call instead of a pipeline of 40 commands: it costs a tenth of the client CPU.
            results = ctx.redis.register_script(_RECORD)(keys=call.keys, args=call.args)
        else:
            call, results = prepared
            if isinstance(results, Exception):
                raise results
        return self._findings(call, results)

    def _history_call(self, ctx: FilterContext, norm: NormalisedText) -> _HistoryCall:
        """Return the keys and arguments of the comment's script call, and what reading its reply needs."""
        s = self.settings
        comment = ctx.comment
        member_id = str(comment.comment_id) if comment.comment_id is not None else uuid.uuid4().hex
        site = str(comment.site_id) if comment.site_id is not None else "-"
        now = time.time()
        keys: list[str] = []
        signature = None
        member = ""
        if len(norm.compact) >= s.min_chars:
            signature = minhash(norm.compact)
            member = f"{member_id}|{comment.thread}|{signature.tobytes().hex()}"
            for band in range(_BANDS):
                rows = signature[band * _ROWS:(band + 1) * _ROWS].tobytes().hex()
                keys.append(f"{KEY_PREFIX}:sim:{site}:{band}:{rows}")
        band_count = len(keys)
        rate_keys = []
        for kind, value in (("author", comment.author_key), ("ip", comment.ip_hash)):
            if value:
                keys.append(f"{KEY_PREFIX}:{kind}:{site}:{value}")
                rate_keys.append(kind)
        args = [now, s.window, member, band_count, s.rate_window, member_id, 2 * s.duplicates_reject]
        return _HistoryCall(keys, args, signature, member_id, comment.thread, rate_keys)

    def _findings(self, call: _HistoryCall, results: list[Any]) -> list[tuple[Action, dict[str, Any]]]:
        s = self.settings
        signature, member_id, rate_keys = call.signature, call.member_id, call.rate_keys
        findings: list[tuple[Action, dict[str, Any]]] = []
        position = 0
        if signature is not None:
            copies: dict[str, str] = {}
            position_after_bands = position + _BANDS
            for _band in range(_BANDS):
                if len(copies) + 1 >= s.duplicates_reject:
                    break  # the strongest finding is reached; comparing more changes nothing
                for raw in results[position]:
                    other_id, thread, other = raw.decode("utf-8").split("|", 2)
                    if other_id == member_id or other_id in copies:
                        continue
                    other_signature = np.frombuffer(bytes.fromhex(other), dtype=np.uint32)
                    if similarity(signature, other_signature) >= s.similarity:
                        copies[other_id] = thread
                position += 1
            position = position_after_bands
            total = len(copies) + 1
            threads = len(set(copies.values()) | {call.thread})
            duplicate = reason("flood.duplicate", count=total, threads=threads, minutes=s.window // 60)
            if total >= s.duplicates_reject:
                findings.append((Action.REJECT, duplicate))
            elif total >= s.duplicates_hold:
                findings.append((Action.HOLD, duplicate))
            elif total > 1:
                findings.append((Action.FLAG, duplicate))
        for kind in rate_keys:
            count = results[position]
            position += 1
            limit = s.author_limit if kind == "author" else s.ip_limit
            if count > limit:
                findings.append((Action.HOLD, reason("flood.rate", count=count, who=kind,
                                                     minutes=s.rate_window // 60, max=limit)))
        return findings
