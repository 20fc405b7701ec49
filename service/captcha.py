"""Captchas: an image and, on request, audio of the same answer; only a hash of the answer is in Redis.

The answer is derived from the captcha id with the server's secret (HMAC), so the audio endpoint can
speak it later without the answer ever being stored in clear; Redis holds the hash of the answer, which
also marks the captcha as unused, and the first check deletes it, right or wrong.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

from service.exceptions import CaptchaInvalid, NotFound, ServiceUnavailable

# No look-alikes: 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B are left out so that answers can be read and heard.
ALPHABET = "ACDEFGHJKMNPRTUVWXY34679"
_KEY = "captcha:{}"
_AUDIO_KEY = "captcha:{}:audio"
# What create() hands out (token_urlsafe); anything else, such as "<id>:audio", which would name the
# audio's key, is not a captcha id.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class CaptchaChallenge:
    """A new captcha: its id and the PNG image of its answer."""

    id: str
    image_png: bytes

    @property
    def image_data_url(self) -> str:
        """Return the image as a data: URL for the JSON response."""
        return "data:image/png;base64," + base64.b64encode(self.image_png).decode("ascii")


class CaptchaProvider(Protocol):
    """What the service needs from a captcha: create one, speak one, check an answer once."""

    def create(self) -> CaptchaChallenge: ...

    def audio(self, captcha_id: str, before_generating: Callable[[], None] | None = None) -> bytes: ...

    def verify(self, captcha_id: str, answer: str) -> None: ...


class RedisImageCaptcha:
    """Captchas drawn by the `captcha` package, with answers' hashes kept in Redis under a TTL."""

    def __init__(self, redis: Redis, secret: str, ttl: int = 300, length: int = 5) -> None:
        self.redis = redis
        self._secret = secret.encode()
        self.ttl = ttl
        self.length = length
        self._image = None
        self._audio = None

    def answer_for(self, captcha_id: str) -> str:
        """Return the answer of a captcha id; only the service (and tests) can compute it."""
        digest = hmac.new(self._secret, b"captcha:" + captcha_id.encode(), hashlib.sha256).digest()
        return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[: self.length])

    def _answer_hash(self, captcha_id: str, answer: str) -> str:
        message = f"{captcha_id}:{answer.strip().upper()}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def create(self) -> CaptchaChallenge:
        """Create a captcha, remember its answer's hash for `ttl` seconds, and draw its image."""
        captcha_id = secrets.token_urlsafe(18)
        answer = self.answer_for(captcha_id)
        try:
            self.redis.set(_KEY.format(captcha_id), self._answer_hash(captcha_id, answer), ex=self.ttl)
        except RedisError as err:
            raise ServiceUnavailable("Captchas are unavailable right now.") from err
        if self._image is None:
            from captcha.image import ImageCaptcha

            self._image = ImageCaptcha(width=160, height=60)
        return CaptchaChallenge(captcha_id, self._image.generate(answer, format="png").getvalue())

    def audio(self, captcha_id: str, before_generating: Callable[[], None] | None = None) -> bytes:
        """Return a WAV of the answer, generated on the first request and cached for the captcha's life.

        `before_generating` is called only when a WAV must be made (the costly part), and may raise to refuse.
        """
        if not _ID.fullmatch(captcha_id):
            raise NotFound("No such captcha, or it has expired.")
        try:
            ttl = self.redis.ttl(_KEY.format(captcha_id))
            if ttl is None or ttl < 0:
                raise NotFound("No such captcha, or it has expired.")
            cached = self.redis.get(_AUDIO_KEY.format(captcha_id))
            if cached:
                return cached
        except RedisError as err:
            raise ServiceUnavailable("Captchas are unavailable right now.") from err
        if before_generating is not None:
            before_generating()
        if self._audio is None:
            from captcha.audio import AudioCaptcha

            self._audio = AudioCaptcha()
        wav = bytes(self._audio.generate(self.answer_for(captcha_id)))
        try:
            self.redis.set(_AUDIO_KEY.format(captcha_id), wav, ex=max(ttl, 1), nx=True)
        except RedisError:
            pass  # the audio was served; only its cache is lost
        return wav

    def verify(self, captcha_id: str, answer: str) -> None:
        """Check an answer once; the captcha is consumed whether the answer is right or wrong.

        Fails closed: when Redis cannot be asked, no answer is accepted.
        """
        if not captcha_id or not answer:
            raise CaptchaInvalid("Enter the characters shown in the captcha.")
        if not _ID.fullmatch(captcha_id):
            raise CaptchaInvalid("The captcha has expired or was already used; get a new one.")
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.getdel(_KEY.format(captcha_id))
            pipe.delete(_AUDIO_KEY.format(captcha_id))
            stored, _ = pipe.execute()
        except RedisError as err:
            raise ServiceUnavailable("Captchas cannot be checked right now; try again shortly.") from err
        if stored is None:
            raise CaptchaInvalid("The captcha has expired or was already used; get a new one.")
        if not hmac.compare_digest(stored.decode(), self._answer_hash(captcha_id, answer)):
            raise CaptchaInvalid("The captcha answer is wrong; get a new one and try again.")
