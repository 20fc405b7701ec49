"""Every error the service reports, each carrying its HTTP status and a stable code.

    ModeratoError                     500 internal_error
    ├── BadRequest                    400 bad_request
    │   ├── InvalidJSON               400 invalid_json
    │   ├── InvalidEncoding           400 invalid_encoding
    │   ├── MissingField              400 missing_field
    │   ├── FieldTooLong              400 field_too_long
    │   ├── InvalidField              400 invalid_field
    │   ├── ParentInOtherThread       400 parent_in_other_thread
    │   └── LinkInvalid               400 link_invalid
    ├── Unauthorized                  401 unauthorized
    │   ├── SignInFailed              401 sign_in_failed
    │   └── SessionInvalid            401 session_invalid
    ├── Forbidden                     403 forbidden
    │   ├── CaptchaInvalid            403 captcha_invalid
    │   ├── IdentityInvalid           403 identity_invalid
    │   ├── OriginNotAllowed          403 origin_not_allowed
    │   ├── CsrfFailed                403 csrf_failed
    │   ├── ThreadClosed              403 thread_closed
    │   ├── AccountsDisabled          403 accounts_disabled
    │   ├── AccountRequired           403 account_required
    │   └── EmailUnverified           403 email_unverified
    ├── NotFound                      404 not_found
    │   ├── ThreadNotFound            404 thread_not_found
    │   └── CommentNotFound           404 comment_not_found
    ├── RequestTimeout                408 request_timeout
    ├── Conflict                      409 conflict
    │   ├── AlreadyReported           409 already_reported
    │   ├── StaleDecision             409 stale_decision
    │   ├── IdempotencyKeyInUse       409 idempotency_key_in_use
    │   ├── NotPinnable               409 not_pinnable
    │   └── EmailTaken                409 email_taken
    ├── PayloadTooLarge               413 payload_too_large
    ├── UnsupportedMediaType          415 unsupported_media_type
    ├── IdempotencyKeyReused          422 idempotency_key_reused
    ├── RateLimited                   429 rate_limited
    │   └── LoginLocked               429 login_locked
    └── ServiceUnavailable            503 service_unavailable
        └── MailUnavailable           503 mail_unavailable
"""
from __future__ import annotations

from typing import Any


class ModeratoError(Exception):
    """Base of the service's errors; `status` and `code` become the JSON error response."""

    status = 500
    code = "internal_error"
    default_message = "Internal error."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    @property
    def headers(self) -> dict[str, str]:
        """Return the HTTP headers the error response carries besides its JSON body."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body of this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body.update(self.details)
        return {"error": body}


class BadRequest(ModeratoError):
    status, code, default_message = 400, "bad_request", "The request is not valid."


class InvalidJSON(BadRequest):
    code, default_message = "invalid_json", "The request body is not valid JSON."


class InvalidEncoding(BadRequest):
    code, default_message = "invalid_encoding", "The request body is not valid UTF-8."


class MissingField(BadRequest):
    code = "missing_field"


class FieldTooLong(BadRequest):
    code = "field_too_long"


class InvalidField(BadRequest):
    code = "invalid_field"


class ParentInOtherThread(BadRequest):
    code, default_message = "parent_in_other_thread", "The comment replied to belongs to another thread."


class Unauthorized(ModeratoError):
    status, code, default_message = 401, "unauthorized", "Authentication is required."


class Forbidden(ModeratoError):
    status, code, default_message = 403, "forbidden", "Not allowed."


class CaptchaInvalid(Forbidden):
    code, default_message = "captcha_invalid", "The captcha answer is wrong, expired or already used."


class NotFound(ModeratoError):
    status, code, default_message = 404, "not_found", "Not found."


class ThreadNotFound(NotFound):
    code, default_message = "thread_not_found", "No such thread."


class CommentNotFound(NotFound):
    code, default_message = "comment_not_found", "No such comment."


class Conflict(ModeratoError):
    status, code, default_message = 409, "conflict", "The request conflicts with the current state."


class RequestTimeout(ModeratoError):
    status, code, default_message = 408, "request_timeout", "The request body did not arrive in time."


class PayloadTooLarge(ModeratoError):
    status, code, default_message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(ModeratoError):
    status, code, default_message = 415, "unsupported_media_type", "Send JSON or a form."


class ServiceUnavailable(ModeratoError):
    status, code, default_message = 503, "service_unavailable", "A backing service is unavailable."


class IdentityInvalid(Forbidden):
    code, default_message = "identity_invalid", "The signed-in reader's token is forged, malformed or expired."


class OriginNotAllowed(Forbidden):
    code, default_message = "origin_not_allowed", "This site does not allow requests from the page's origin."


class AlreadyReported(Conflict):
    code, default_message = "already_reported", "You have already reported this comment."


class StaleDecision(Conflict):
    """A moderator decided on a status they no longer see: someone else decided the comment meanwhile."""

    code = "stale_decision"

    def __init__(self, expected: str, current: str) -> None:
        super().__init__(f"The comment is now {current}, not {expected}: another moderator decided it meanwhile. "
                         "Your decision was not applied; reload to see the comment as it is.",
                         expected_status=expected, current_status=current)


class IdempotencyKeyInUse(Conflict):
    code, default_message = "idempotency_key_in_use", "A request with this Idempotency-Key is still being handled."


class IdempotencyKeyReused(ModeratoError):
    status, code, default_message = 422, "idempotency_key_reused", "This Idempotency-Key was used for another request."


class RateLimited(ModeratoError):
    """Too many requests; `retry_after` (seconds, when known) becomes the Retry-After header and a body field."""

    status, code, default_message = 429, "rate_limited", "Too many requests; try again later."

    def __init__(self, message: str | None = None, retry_after: int | None = None, **details: Any) -> None:
        if retry_after is not None:
            details["retry_after"] = retry_after
        super().__init__(message, **details)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        """Return the Retry-After header, when the wait is known."""
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


class CsrfFailed(Forbidden):
    code, default_message = "csrf_failed", "The form is stale or comes from another site; reload the page."


class LoginLocked(RateLimited):
    code, default_message = "login_locked", "Too many failed logins; try again later."


class ThreadClosed(Forbidden):
    code, default_message = "thread_closed", "This thread is closed to new comments."


class NotPinnable(Conflict):
    code, default_message = "not_pinnable", "Only a published comment that answers no other comment can be pinned."


# --- Reader accounts (service/readers/) ---


class LinkInvalid(BadRequest):
    code, default_message = "link_invalid", "The link is forged, expired or already used."


class SignInFailed(Unauthorized):
    code, default_message = "sign_in_failed", "The email or the password is wrong."


class SessionInvalid(Unauthorized):
    code, default_message = "session_invalid", "The reader's session has ended; sign in again."


class AccountsDisabled(Forbidden):
    code, default_message = "accounts_disabled", "This site has no reader accounts."


class AccountRequired(Forbidden):
    code, default_message = "account_required", "Sign in to comment on this site."


class EmailUnverified(Forbidden):
    code, default_message = "email_unverified", "Verify your email address first: open the link we mailed you."


class EmailTaken(Conflict):
    code, default_message = "email_taken", "An account with this email address exists; sign in instead."


class MailUnavailable(ServiceUnavailable):
    code, default_message = "mail_unavailable", "This service cannot send mail; accounts are unavailable."
