"""The OpenAPI 3.1 document of the public HTTP API, served at `GET /api/openapi.json`.

Written by hand, as YAML below, rather than generated: the views stay plain Flask, and
tests/service/test_openapi.py keeps the document true (every URL rule of the API is documented and every
documented path is a rule; every documented error uses the one JSON error schema; Schemathesis sends
generated requests and checks each answer against the document).
"""
from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml
from flask import Blueprint, Response, current_app, jsonify

from service.config import Config

openapi = Blueprint("openapi", __name__)

# Paths that are not part of the public API: test-only hooks (TESTING_HOOKS=1), never in production.
UNDOCUMENTED_PREFIXES = ("/api/testing/",)

_DOCUMENT = r"""
openapi: 3.1.0
info:
  title: Moderato
  version: "1"
  summary: Comments with a captcha, a durable moderation queue and moderators' decisions.
  description: |
    JSON in and out. Every error is `{"error": {"code": "...", "message": "..."}}` (some carry more fields,
    such as `field`, `max_length` or `retry_after`) with the status that fits. Malformed input (NUL
    characters, lone surrogates, JSON nested more than 8 deep, integers outside a signed 64-bit range)
    gets a 400, or a 404 for an id in a path; never a 500.
  license:
    name: See NOTICE
    identifier: LicenseRef-Moderato
tags:
  - name: readers
    description: What the widget calls from readers' browsers (CORS per site).
  - name: moderation
    description: Moderators and admins, with a console session, a personal API token or MODERATOR_TOKEN.
  - name: operations
    description: Health, readiness, metrics and this document.
paths:
  /api/openapi.json:
    get:
      tags: [operations]
      operationId: getOpenapi
      summary: This document.
      responses:
        "200":
          description: The OpenAPI 3.1 document.
          content:
            application/json:
              schema: {type: object, required: [openapi, paths], properties: {openapi: {type: string}}}
  /api/captcha:
    get:
      tags: [readers]
      operationId: newCaptcha
      summary: Create a captcha, or say that none is needed for this reader on this site.
      parameters:
        - $ref: "#/components/parameters/site"
        - name: signed_in
          in: query
          description: "`1` when the widget has a signed-in reader's token."
          schema: {type: string}
      responses:
        "200":
          description: A captcha (its answer is valid 5 minutes and consumed by the first check) or `required` false.
          content:
            application/json:
              schema:
                oneOf:
                  - type: object
                    required: [required]
                    additionalProperties: false
                    properties: {required: {const: false}}
                  - type: object
                    required: [required, id, image, audio]
                    additionalProperties: false
                    properties:
                      required: {const: true}
                      id: {type: string}
                      image: {type: string, pattern: "^data:image/png;base64,"}
                      audio: {type: string, pattern: "^/api/captcha/.+/audio$"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/captcha/{captcha_id}/audio:
    get:
      tags: [readers]
      operationId: captchaAudio
      summary: The captcha's answer as speech.
      parameters:
        - name: captcha_id
          in: path
          required: true
          schema: {type: string, minLength: 1}
      responses:
        "200":
          description: WAV audio, generated on first request and cached for the captcha's life.
          content:
            audio/wav:
              schema: {type: string, contentMediaType: audio/wav}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/comments:
    post:
      tags: [readers]
      operationId: postComment
      summary: Submit a comment; it is stored as pending before the answer is sent, then moderated.
      description: |
        A guest solves the site's captcha (`captcha_id`, `captcha_answer`); a signed-in reader passes
        `user_token` and posts under the verified name; a site's back end sends
        `Authorization: Bearer <site API key>` instead of a captcha, and may pass the reader's address as
        `reader_ip`. With an `Idempotency-Key`, a retry of the same submission returns the first answer.
      security:
        - {}
        - siteApiKey: []
      parameters:
        - name: Idempotency-Key
          in: header
          description: |
            One random value per submission, reused when the same submission is retried. A retry within
            24 hours gets the first 202 again (same id, status and token) with `Idempotent-Replayed: true`,
            and no second comment. The captcha fields are not compared, so a retry may carry a new captcha.
            The same key with another body gets 422 `idempotency_key_reused`; while the first request is
            still being handled, 409 `idempotency_key_in_use`. Errors are not remembered: a request that
            failed may be retried with the same key.
          schema: {type: string, minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$"}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/CommentSubmission"}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/CommentSubmission"}
      responses:
        "202":
          description: Accepted and stored as pending; `token` lets the author ask for its status.
          headers:
            Idempotent-Replayed:
              description: "`true` when this is the stored answer to an earlier request with the same key."
              schema: {type: string, enum: ["true"]}
          content:
            application/json:
              schema:
                type: object
                required: [id, status, token]
                additionalProperties: false
                properties:
                  id: {$ref: "#/components/schemas/Id"}
                  status: {const: pending}
                  token: {type: string, minLength: 1}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "422": {$ref: "#/components/responses/UnprocessableEntity"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/comments/{comment_id}:
    get:
      tags: [readers]
      operationId: getCommentStatus
      summary: A comment's status for its author and, once decided, one sentence naming the kind of problem.
      parameters:
        - $ref: "#/components/parameters/comment_id"
        - name: token
          in: query
          required: true
          description: The token the 202 answer gave the author.
          schema: {type: string}
        - name: lang
          in: query
          required: false
          description: The sentence's language (else Accept-Language, else zh-CN).
          schema: {type: string, enum: [zh-CN, zh-TW, en]}
      responses:
        "200":
          description: The status as its author sees it.
          content:
            application/json:
              schema:
                type: object
                required: [id, status]
                additionalProperties: false
                properties:
                  id: {$ref: "#/components/schemas/Id"}
                  status: {$ref: "#/components/schemas/CommentStatus"}
                  reasons:
                    type: array
                    items: {type: string}
                    description: At most one sentence in the reader's language; never a matched word or score.
                  reason_code:
                    type: [string, "null"]
                    enum: [held, banned, rules.abuse, rules.sexual, rules.ads, rules.flood, rules.length, rules, null]
                  decided_at: {type: [string, "null"], format: date-time}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/comments/{comment_id}/reports:
    post:
      tags: [readers]
      operationId: reportComment
      summary: A reader's report of a published comment; one per reader, a few per hour.
      parameters:
        - $ref: "#/components/parameters/comment_id"
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ReportSubmission"}
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/ReportSubmission"}
      responses:
        "201":
          description: The report is stored for the site's moderators.
          content:
            application/json:
              schema:
                type: object
                required: [id, comment_id, reason]
                additionalProperties: false
                properties:
                  id: {$ref: "#/components/schemas/Id"}
                  comment_id: {$ref: "#/components/schemas/Id"}
                  reason: {type: string, enum: [spam, abuse, other]}
        "400": {$ref: "#/components/responses/BadRequest"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/threads/counts:
    get:
      tags: [readers]
      operationId: getThreadCounts
      summary: Approved-comment counts of several threads (at most 100), for a listing page.
      parameters:
        - $ref: "#/components/parameters/site"
        - name: thread
          in: query
          style: form
          explode: true
          schema: {type: array, items: {type: string}}
      responses:
        "200":
          description: A count per thread key asked for (0 for an unknown thread), keys with one leading slash.
          content:
            application/json:
              schema:
                type: object
                required: [counts]
                additionalProperties: false
                properties:
                  counts: {type: object, additionalProperties: {type: integer, minimum: 0}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404": {$ref: "#/components/responses/NotFound"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/threads/{thread}/comments:
    get:
      tags: [readers]
      operationId: getThreadComments
      summary: A page of a thread's approved comments, replies nested under their parents.
      parameters:
        - name: thread
          in: path
          required: true
          description: The thread key, an article's path (its slashes may be sent as they are or as %2F).
          schema: {type: string, minLength: 1}
        - $ref: "#/components/parameters/site"
        - name: after
          in: query
          description: The `next` cursor of the previous page.
          schema: {type: integer, minimum: 0, maximum: 4611686018427387904}
        - name: limit
          in: query
          schema: {type: integer, minimum: 1, maximum: 200, default: 50}
        - name: order
          in: query
          description: >-
            hot ranks top-level comments by (1 + likes + 2 x direct replies) / (hours + 2)^1.5, and its
            `next` is an offset; pinned comments lead the first page of every order.
          schema: {type: string, enum: [oldest, newest, hot], default: oldest}
      responses:
        "200":
          description: >-
            Top-level comments in the order asked, pinned ones first, each with all its approved replies. A thread
            nobody has commented on yet (a new article) is an empty page (total 0), not a 404.
          content:
            application/json:
              schema:
                type: object
                required: [thread, title, total, comments, next]
                additionalProperties: false
                properties:
                  thread: {type: string}
                  title: {type: [string, "null"]}
                  total: {type: integer, minimum: 0}
                  comments: {type: array, items: {$ref: "#/components/schemas/PublicComment"}}
                  next: {type: [string, "null"], pattern: "^[0-9]+$"}
                  order: {type: string, enum: [oldest, newest, hot]}
                  closed: {type: boolean, description: The thread takes no new comments.}
                  domains: {type: array, items: {type: string}, description: The site's own domains (links without nofollow).}
        "400": {$ref: "#/components/responses/BadRequest"}
        "404":
          description: No such site (`?site=` names a site the service does not know).
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/moderation/queue:
    get:
      tags: [moderation]
      operationId: getModerationQueue
      summary: Comments waiting for a moderator (held, or `?status=pending`), oldest first, 50 a page.
      security: [{moderatorToken: []}, {consoleSession: []}]
      parameters:
        - name: status
          in: query
          style: form
          explode: true
          schema: {type: array, items: {type: string, enum: [held, pending]}}
        - name: after
          in: query
          schema: {type: integer, minimum: 0, maximum: 9223372036854775807}
      responses:
        "200":
          description: The page, and the `next` cursor when there may be more.
          content:
            application/json:
              schema:
                type: object
                required: [comments, next]
                additionalProperties: false
                properties:
                  comments: {type: array, items: {$ref: "#/components/schemas/QueuedComment"}}
                  next: {type: [string, "null"], pattern: "^[0-9]+$"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/moderation/comments/{comment_id}/approve:
    $ref: "#/components/pathItems/Decision"
  /api/moderation/comments/{comment_id}/reject:
    $ref: "#/components/pathItems/Decision"
  /api/moderation/comments/{comment_id}/delete:
    $ref: "#/components/pathItems/Decision"
  /api/moderation/comments/{comment_id}/hold:
    $ref: "#/components/pathItems/Decision"
  /api/comments/{comment_id}/like:
    $ref: "#/components/pathItems/Like"
  /api/comments/{comment_id}/unlike:
    $ref: "#/components/pathItems/Like"
  /api/avatars/{digits}.svg:
    get:
      tags: [readers]
      operationId: getAvatar
      summary: The identicon of a comment's avatar digits, drawn by the service.
      parameters:
        - name: digits
          in: path
          required: true
          schema: {type: string}
      responses:
        "200":
          description: An SVG picture.
          content:
            image/svg+xml:
              schema: {type: string}
        "404": {$ref: "#/components/responses/NotFound"}
  /api/readers/me:
    get:
      tags: [readers]
      operationId: getReader
      summary: Whether the site offers reader accounts, and the signed-in reader (null for nobody).
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      responses:
        "200":
          description: The site's account mode and the reader.
          content:
            application/json:
              schema:
                type: object
                required: [accounts, reader]
                additionalProperties: false
                properties:
                  accounts: {type: string, enum: [guests, accounts, both]}
                  reader: {oneOf: [{$ref: "#/components/schemas/ReaderAccount"}, {type: "null"}]}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/register:
    post:
      tags: [readers]
      operationId: registerReader
      summary: Create a reader account (Argon2id password) and mail its verification link.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [nickname, email, password]
              properties:
                site: {type: string, maxLength: 100}
                nickname: {type: string, minLength: 1, maxLength: 40}
                email: {type: string, maxLength: 254}
                password: {type: string, minLength: 8, maxLength: 200}
                lang: {type: string, enum: [zh-CN, zh-TW, en], description: The language of the account's mails.}
      responses:
        "201":
          description: The account, unverified; a verification mail is on its way.
          content:
            application/json:
              schema:
                type: object
                required: [reader, verification]
                additionalProperties: false
                properties:
                  reader: {$ref: "#/components/schemas/ReaderAccount"}
                  verification: {type: string, enum: [sent]}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/signin:
    post:
      tags: [readers]
      operationId: signInReader
      summary: Open a session for a verified account; throttled and locked out like console sign-ins.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [email, password]
              properties:
                site: {type: string, maxLength: 100}
                email: {type: string, maxLength: 254}
                password: {type: string, maxLength: 200}
      responses:
        "200":
          description: The session token (send it as X-Moderato-Session) and the reader.
          content:
            application/json:
              schema:
                type: object
                required: [session, reader]
                additionalProperties: false
                properties:
                  session: {type: string}
                  reader: {$ref: "#/components/schemas/ReaderAccount"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/signout:
    post:
      tags: [readers]
      operationId: signOutReader
      summary: End the session named by X-Moderato-Session.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      responses:
        "200":
          description: Signed out (also when the session had ended).
          content:
            application/json:
              schema:
                type: object
                required: [signed_out]
                additionalProperties: false
                properties:
                  signed_out: {type: boolean}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/verification:
    post:
      tags: [readers]
      operationId: resendVerification
      summary: Mail the verification link again, if the email has an unverified account.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [email]
              properties:
                site: {type: string, maxLength: 100}
                email: {type: string, maxLength: 254}
      responses:
        "202":
          description: The same answer whether or not the email has an account.
          content:
            application/json:
              schema:
                type: object
                required: [mail]
                additionalProperties: false
                properties:
                  mail: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/password-reset:
    post:
      tags: [readers]
      operationId: requestPasswordReset
      summary: Mail a password-reset link (valid one hour, once), if the email has an account.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [email]
              properties:
                site: {type: string, maxLength: 100}
                email: {type: string, maxLength: 254}
      responses:
        "202":
          description: The same answer whether or not the email has an account.
          content:
            application/json:
              schema:
                type: object
                required: [mail]
                additionalProperties: false
                properties:
                  mail: {type: string}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/readers/me/delete:
    post:
      tags: [readers]
      operationId: deleteReader
      summary: Delete the signed-in reader's account; its comments erased or kept anonymised.
      parameters:
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [password, comments]
              properties:
                site: {type: string, maxLength: 100}
                password: {type: string, maxLength: 200}
                comments: {type: string, enum: [erase, anonymise]}
      responses:
        "200":
          description: The account is gone; how many comments it had.
          content:
            application/json:
              schema:
                type: object
                required: [deleted, comments]
                additionalProperties: false
                properties:
                  deleted: {type: boolean}
                  comments: {type: integer, minimum: 0}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/comments/{comment_id}/delete:
    post:
      tags: [readers]
      operationId: deleteOwnComment
      summary: Erase one of the reader's own comments (by the session's account, or the comment's author token).
      parameters:
        - $ref: "#/components/parameters/comment_id"
        - $ref: "#/components/parameters/site"
        - $ref: "#/components/parameters/reader_session"
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: []
              properties:
                site: {type: string, maxLength: 100}
                token: {type: string, description: The author token the comment's 202 returned.}
      responses:
        "200":
          description: The comment is a tombstone now.
          content:
            application/json:
              schema:
                type: object
                required: [id, deleted]
                additionalProperties: false
                properties:
                  id: {$ref: "#/components/schemas/Id"}
                  deleted: {type: boolean}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "409": {$ref: "#/components/responses/Conflict"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "429": {$ref: "#/components/responses/RateLimited"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/moderation/comments/{comment_id}/pin:
    $ref: "#/components/pathItems/Pin"
  /api/moderation/comments/{comment_id}/unpin:
    $ref: "#/components/pathItems/Pin"
  /api/moderation/threads/close:
    $ref: "#/components/pathItems/ThreadClosing"
  /api/moderation/threads/open:
    $ref: "#/components/pathItems/ThreadClosing"
  /api/moderation/bulk:
    post:
      tags: [moderation]
      operationId: decideMany
      summary: One decision on many comments (at most 500), each reported on its own.
      security: [{moderatorToken: []}, {consoleSession: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [action]
              properties:
                action: {type: string, enum: [approve, reject, delete]}
                expected_status:
                  $ref: "#/components/schemas/ExpectedStatus"
                ids:
                  oneOf:
                    - {type: array, items: {$ref: "#/components/schemas/IdInput"}, maxItems: 500}
                    - {type: string, description: Comma-separated ids.}
      responses:
        "200":
          description: Each comment's new status, or `unchanged` with the error code.
          content:
            application/json:
              schema:
                type: object
                required: [results]
                additionalProperties: false
                properties:
                  results:
                    type: array
                    items:
                      type: object
                      required: [id, status, error]
                      additionalProperties: false
                      properties:
                        id: {$ref: "#/components/schemas/Id"}
                        status: {type: string}
                        error: {type: [string, "null"]}
                        message: {type: string, description: With the stale_decision error.}
                        current_status: {type: string, description: With the stale_decision error.}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/moderation/privacy/export:
    post:
      tags: [moderation]
      operationId: privacyExport
      summary: Everything one author wrote, by email, signed-in id or hashed IP (admins; audit-logged).
      description: |
        An admin of every site searches every site unless `site` names one; a site-limited admin searches
        its own sites only. The export itself is recorded in the audit log (with a keyed hash of the
        identifier, not the identifier).
      security: [{moderatorToken: []}, {consoleSession: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/PrivacyRequest"}
      responses:
        "200":
          description: The author's comments, oldest first, with every personal field the service holds.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/PrivacyExport"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /api/moderation/privacy/erase:
    post:
      tags: [moderation]
      operationId: privacyErase
      summary: Erase everything one author wrote, leaving tombstones so threads keep their shape (admins; audit-logged).
      description: |
        Each comment keeps its id, place, status and dates; its text, nickname, email, hashed IP, signed-in
        id, author token, filters' verdicts and readers' reports are removed. A published one shows in its
        thread as `erased` with empty text and author, so replies to it stay where they were.
      security: [{moderatorToken: []}, {consoleSession: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/PrivacyRequest"}
      responses:
        "200":
          description: How many comments were erased, and their ids.
          content:
            application/json:
              schema:
                type: object
                required: [erased, ids]
                additionalProperties: false
                properties:
                  erased: {type: integer, minimum: 0}
                  ids: {type: array, items: {$ref: "#/components/schemas/Id"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "404": {$ref: "#/components/responses/NotFound"}
        "413": {$ref: "#/components/responses/PayloadTooLarge"}
        "415": {$ref: "#/components/responses/UnsupportedMediaType"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
  /healthz:
    get:
      tags: [operations]
      operationId: healthz
      summary: The process is up.
      responses:
        "200":
          description: Up.
          content:
            application/json:
              schema: {type: object, required: [status], additionalProperties: false, properties: {status: {const: ok}}}
  /readyz:
    get:
      tags: [operations]
      operationId: readyz
      summary: Whether the database and Redis answer.
      responses:
        "200":
          description: Both answer.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Readiness"}
        "503":
          description: One of them does not (the body says which); not an error body, a readiness report.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Readiness"}
  /metrics:
    get:
      tags: [operations]
      operationId: metrics
      summary: Operators' figures in Prometheus's text format (admins of every site).
      security: [{moderatorToken: []}, {consoleSession: []}]
      responses:
        "200":
          description: Prometheus text exposition format 0.0.4.
          content:
            text/plain:
              schema: {type: string}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "403": {$ref: "#/components/responses/Forbidden"}
        "503": {$ref: "#/components/responses/ServiceUnavailable"}
components:
  securitySchemes:
    siteApiKey:
      type: http
      scheme: bearer
      description: A site's API key (`mdk_...`, from `python -m service create-api-key`); replaces the captcha.
    moderatorToken:
      type: http
      scheme: bearer
      description: A console account's personal API token (`mdu_...`) or the shared MODERATOR_TOKEN.
    consoleSession:
      type: apiKey
      in: cookie
      name: session
      description: >-
        The console's session cookie; POSTs also need the session's `X-CSRF-Token` and a same-origin `Origin`.
  parameters:
    site:
      name: site
      in: query
      description: The site's name (the default site when absent).
      schema: {type: string, maxLength: 100}
    comment_id:
      name: comment_id
      in: path
      required: true
      schema: {$ref: "#/components/schemas/Id"}
    reader_session:
      name: X-Moderato-Session
      in: header
      description: A reader account's session token, from the widget's storage (never a cookie).
      schema: {type: string, maxLength: 100}
  pathItems:
    Like:
      post:
        tags: [readers]
        summary: Like a published comment (one like per reader), or withdraw the like.
        parameters:
          - $ref: "#/components/parameters/comment_id"
          - $ref: "#/components/parameters/site"
        requestBody:
          required: false
          content:
            application/json:
              schema:
                type: object
                properties:
                  site: {type: string, maxLength: 100}
                  user_token: {type: string, description: A signed-in reader's token from the host site.}
                  reader_token: {type: string, description: The browser token a guest's first like returned.}
        responses:
          "200":
            description: The comment's like count and whether this reader likes it.
            content:
              application/json:
                schema:
                  type: object
                  required: [id, likes, liked]
                  additionalProperties: false
                  properties:
                    id: {$ref: "#/components/schemas/Id"}
                    likes: {type: integer, minimum: 0}
                    liked: {type: boolean}
                    reader_token: {type: string, description: A guest's new browser token, to send with later likes.}
          "400": {$ref: "#/components/responses/BadRequest"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "413": {$ref: "#/components/responses/PayloadTooLarge"}
          "415": {$ref: "#/components/responses/UnsupportedMediaType"}
          "429": {$ref: "#/components/responses/RateLimited"}
          "503": {$ref: "#/components/responses/ServiceUnavailable"}
    Pin:
      post:
        tags: [moderation]
        summary: Pin (置顶) a published top-level comment, or unpin it; audit-logged.
        security: [{moderatorToken: []}, {consoleSession: []}]
        parameters:
          - $ref: "#/components/parameters/comment_id"
        responses:
          "200":
            description: The comment and whether it is pinned now.
            content:
              application/json:
                schema:
                  type: object
                  required: [id, pinned]
                  additionalProperties: false
                  properties:
                    id: {$ref: "#/components/schemas/Id"}
                    pinned: {type: boolean}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "409": {$ref: "#/components/responses/Conflict"}
          "503": {$ref: "#/components/responses/ServiceUnavailable"}
    ThreadClosing:
      post:
        tags: [moderation]
        summary: Close a thread to new comments (its comments stay published), or open it again; audit-logged.
        security: [{moderatorToken: []}, {consoleSession: []}]
        parameters:
          - $ref: "#/components/parameters/site"
        requestBody:
          required: true
          content:
            application/json:
              schema:
                type: object
                required: [thread]
                properties:
                  thread: {type: string, minLength: 1, maxLength: 500}
                  site: {type: string, maxLength: 100}
        responses:
          "200":
            description: The thread and whether it is closed now.
            content:
              application/json:
                schema:
                  type: object
                  required: [thread, site, closed]
                  additionalProperties: false
                  properties:
                    thread: {type: string}
                    site: {type: string}
                    closed: {type: boolean}
          "400": {$ref: "#/components/responses/BadRequest"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "413": {$ref: "#/components/responses/PayloadTooLarge"}
          "415": {$ref: "#/components/responses/UnsupportedMediaType"}
          "503": {$ref: "#/components/responses/ServiceUnavailable"}
    Decision:
      post:
        tags: [moderation]
        summary: A moderator's decision on one comment (approve, reject, delete, or hold again to undo one), audit-logged.
        security: [{moderatorToken: []}, {consoleSession: []}]
        parameters:
          - $ref: "#/components/parameters/comment_id"
        requestBody:
          required: false
          content:
            application/json:
              schema:
                type: object
                properties:
                  note: {type: string, description: Kept in the audit log (first 1,000 characters).}
                  expected_status:
                    $ref: "#/components/schemas/ExpectedStatus"
        responses:
          "200":
            description: The comment's new status.
            content:
              application/json:
                schema:
                  type: object
                  required: [id, status]
                  additionalProperties: false
                  properties:
                    id: {$ref: "#/components/schemas/Id"}
                    status: {$ref: "#/components/schemas/CommentStatus"}
          "400": {$ref: "#/components/responses/BadRequest"}
          "401": {$ref: "#/components/responses/Unauthorized"}
          "403": {$ref: "#/components/responses/Forbidden"}
          "404": {$ref: "#/components/responses/NotFound"}
          "409": {$ref: "#/components/responses/Conflict"}
          "413": {$ref: "#/components/responses/PayloadTooLarge"}
          "415": {$ref: "#/components/responses/UnsupportedMediaType"}
          "503": {$ref: "#/components/responses/ServiceUnavailable"}
  schemas:
    Id: {type: integer, minimum: 1, maximum: 9223372036854775807}
    IdInput:
      description: An id as a JSON integer or a string of digits.
      oneOf:
        - {$ref: "#/components/schemas/Id"}
        - {type: string, pattern: "^[0-9]{1,19}$"}
    CommentStatus: {type: string, enum: [pending, approved, held, rejected, deleted]}
    ExpectedStatus:
      description: >-
        The status the moderator saw; if the comment's status differs, nothing changes and the answer is
        409 stale_decision with current_status.
      type: string
      enum: [pending, held, approved, rejected, ""]
    Error:
      type: object
      required: [error]
      additionalProperties: false
      properties:
        error:
          type: object
          required: [code, message]
          properties:
            code: {type: string, pattern: "^[a-z_]+$"}
            message: {type: string}
            field: {type: string}
            max_length: {type: integer}
            retry_after: {type: integer, minimum: 0}
    CommentSubmission:
      type: object
      required: [thread, text]
      properties:
        site: {type: string, maxLength: 100, description: The site's name (ignored with an API key, which names it).}
        thread: {type: string, minLength: 1, maxLength: 500, description: The article's path.}
        thread_title: {type: string, maxLength: 300}
        author: {type: string, maxLength: 40, description: The nickname; required of guests.}
        email: {type: string, maxLength: 254}
        text: {type: string, minLength: 1, maxLength: 2000}
        parent: {$ref: "#/components/schemas/IdInput"}
        captcha_id: {type: string}
        captcha_answer: {type: string}
        user_token: {type: string, description: A signed-in reader's token, signed with the site's secret.}
        reader_ip: {type: string, description: The reader's address, for API-key posts (hashed at once).}
        notify_replies: {type: boolean, description: Mail the author when a reply is approved (needs an email or an account).}
        lang: {type: string, enum: [zh-CN, zh-TW, en], description: The language of the reply notices.}
    ReaderAccount:
      type: object
      required: [nickname, email, verified, language, avatar]
      additionalProperties: false
      properties:
        nickname: {type: string}
        email: {type: string}
        verified: {type: boolean}
        language: {type: string}
        avatar: {type: string, description: The avatar digits of the account's comments on a thread page.}
    ReportSubmission:
      type: object
      required: [reason]
      properties:
        site: {type: string, maxLength: 100}
        reason: {type: string, enum: [spam, abuse, other]}
        text: {type: string, maxLength: 500}
        user_token: {type: string}
    PublicComment:
      type: object
      required: [id, parent, author, verified, text, created_at, replies]
      additionalProperties: false
      properties:
        id: {$ref: "#/components/schemas/Id"}
        parent: {oneOf: [{$ref: "#/components/schemas/Id"}, {type: "null"}]}
        author: {type: string}
        verified: {type: boolean, description: Posted by a reader the site signed in.}
        erased:
          type: boolean
          description: Present and true when its author's data was erased (empty text and author).
        text: {type: string}
        created_at: {type: string, format: date-time}
        likes: {type: integer, minimum: 0}
        avatar: {type: string, pattern: "^[0-9a-f]{16}$", description: Digits of the author's identicon.}
        pinned: {type: boolean}
        replies: {type: array, items: {$ref: "#/components/schemas/PublicComment"}}
    QueuedComment:
      type: object
      required: [id, thread, thread_title, author, text, status, ip_hash, created_at, verdicts]
      additionalProperties: false
      properties:
        id: {$ref: "#/components/schemas/Id"}
        thread: {type: string}
        thread_title: {type: [string, "null"]}
        author: {type: string}
        text: {type: string}
        status: {$ref: "#/components/schemas/CommentStatus"}
        ip_hash: {type: [string, "null"], description: The first 8 characters of the hashed address.}
        created_at: {type: string, format: date-time}
        verdicts:
          type: array
          items:
            type: object
            required: [filter, action, score, reasons, spans]
            properties:
              filter: {type: string}
              action: {type: string}
              score: {type: number}
              reasons: {type: array}
              spans: {type: array}
    PrivacyRequest:
      type: object
      description: Exactly one of `email`, `user_id` and `ip_hash`.
      properties:
        site: {type: string, maxLength: 100, description: Only this site (otherwise every site the admin holds).}
        email: {type: string, minLength: 1, maxLength: 254, description: Matched without regard to case.}
        user_id: {type: string, minLength: 1, maxLength: 100, description: A signed-in reader's id.}
        ip_hash: {type: string, pattern: "^[0-9a-f]{32}$", description: The full hashed address (as exported).}
    PrivacyExport:
      type: object
      required: [query, sites, comments]
      additionalProperties: false
      properties:
        query:
          type: object
          additionalProperties: {type: string}
        sites: {type: array, items: {type: string}}
        comments:
          type: array
          items:
            type: object
            required: [id, site, thread, thread_title, parent, author, email, text, status, created_at,
                       decided_at, user_id, ip_hash, reasons]
            additionalProperties: false
            properties:
              id: {$ref: "#/components/schemas/Id"}
              site: {type: string}
              thread: {type: string}
              thread_title: {type: [string, "null"]}
              parent: {oneOf: [{$ref: "#/components/schemas/Id"}, {type: "null"}]}
              author: {type: string}
              email: {type: [string, "null"]}
              text: {type: string}
              status: {$ref: "#/components/schemas/CommentStatus"}
              created_at: {type: string, format: date-time}
              decided_at: {type: [string, "null"], format: date-time}
              user_id: {type: [string, "null"]}
              ip_hash: {type: [string, "null"]}
              reasons: {type: array, items: {type: string}}
    Readiness:
      type: object
      required: [status, checks]
      additionalProperties: false
      properties:
        status: {type: string, enum: [ok, unavailable]}
        checks:
          type: object
          required: [database, redis]
          additionalProperties: false
          properties:
            database: {type: string, enum: [ok, unavailable]}
            redis: {type: string, enum: [ok, unavailable]}
  headers:
    RetryAfter:
      description: Seconds to wait before trying again.
      schema: {type: string, pattern: "^[0-9]+$"}
  responses:
    BadRequest:
      description: A missing, too long or invalid field, invalid JSON, or a body that is not UTF-8.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    Unauthorized:
      description: No valid API key, personal token, MODERATOR_TOKEN or console session.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    Forbidden:
      description: >-
        A wrong, expired or reused captcha; a forged reader token; an origin the site does not allow; a site or
        role the caller does not hold; a failed CSRF check.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    NotFound:
      description: No such site, thread, comment or captcha (or a wrong author token).
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    Conflict:
      description: >-
        The request conflicts with the current state (already decided, already reported, idempotency key in use).
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    PayloadTooLarge:
      description: The body is over MAX_BODY_BYTES.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    UnsupportedMediaType:
      description: A body that is neither JSON nor a urlencoded form.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    UnprocessableEntity:
      description: The Idempotency-Key was already used for another body (`idempotency_key_reused`).
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    RateLimited:
      description: Too many requests (`rate_limited`); `retry_after` in the body and Retry-After say how long to wait.
      headers:
        Retry-After: {$ref: "#/components/headers/RetryAfter"}
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    ServiceUnavailable:
      description: The database or Redis is unavailable; try again.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
"""


@cache
def _base_document() -> dict[str, Any]:
    return yaml.safe_load(_DOCUMENT)


def openapi_document(config: Config) -> dict[str, Any]:
    """Return the OpenAPI document, with the length limits this service is configured with."""
    document = copy.deepcopy(_base_document())
    fields = document["components"]["schemas"]["CommentSubmission"]["properties"]
    fields["author"]["maxLength"] = config.max_author_length
    fields["text"]["maxLength"] = config.max_comment_length
    return document


@openapi.get("/api/openapi.json")
def get_openapi() -> Response:
    """Serve the OpenAPI document of this service."""
    config: Config = current_app.extensions["moderato.config"]
    cached = current_app.extensions.get("moderato.openapi")
    if cached is None:
        cached = current_app.extensions["moderato.openapi"] = openapi_document(config)
    response = jsonify(cached)
    response.headers["Cache-Control"] = "public, max-age=600"
    return response
