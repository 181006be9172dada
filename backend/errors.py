"""The problem catalogue: every failure the API reports, with its status and stable code.

One module, one class per code (tests/test_errors_catalogue.py walks it): services and the
worker raise these; `backend.ops.problems.problem_handlers` maps them (and Litestar's own
exceptions) to RFC 9457 `application/problem+json` responses. No Litestar import here, so the
media worker can use the catalogue without the web framework.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://dosmotr.kz/problems/"


class Problem(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InvalidRequest(Problem):
    status, code, title = 400, "invalid_request", "The request is not valid"


class Unauthenticated(Problem):
    status, code, title = 401, "unauthenticated", "Authentication required"


class InvalidCredentials(Problem):
    status, code, title = 401, "invalid_credentials", "Login or password is wrong"


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Your role may not do this"


class NotFound(Problem):
    status, code, title = 404, "not_found", "No such object"


class Conflict(Problem):
    status, code, title = 409, "conflict", "The request conflicts with the current state"


class AlreadyExists(Conflict):
    code, title = "already_exists", "An object with this identity already exists"


class InvalidState(Conflict):
    code, title = "invalid_state", "The object is not in a state that allows this"


class ReleaseRefused(Conflict):
    code, title = "release_refused", "The release gate refuses this release"


class AlreadyDecided(Conflict):
    code, title = "already_decided", "The declaration is already released or refused"


class OverrideNotAllowed(Problem):
    status, code, title = 422, "override_not_allowed", "These conditions cannot be overridden"


class BodyTooLarge(Problem):
    status, code, title = 413, "body_too_large", "The request body is too large"


class UnsupportedMedia(Problem):
    status, code, title = 415, "unsupported_media_type", "This content type is not accepted"


class UnprocessableImage(Problem):
    status, code, title = 422, "invalid_image", "The image cannot be decoded"


class NoInspectorOnShift(Problem):
    status, code, title = 409, "no_inspector_on_shift", "No other inspector is on shift"


class PasswordChangeRequired(Problem):
    status, code, title = 403, "password_change_required", "Change the one-time password first"


class TooManyAttempts(Problem):
    # Carries `retry_after` (seconds), also sent as the Retry-After header.
    status, code, title = 429, "too_many_attempts", "Too many failed logins; try again later"


class PasswordTooShort(Problem):
    status, code, title = 422, "password_too_short", "The new password is too short"


class WrongCurrentPassword(Problem):
    status, code, title = 422, "wrong_current_password", "The current password is wrong"


class InvalidUser(Problem):
    # A role and post that do not fit together, an unknown post, or an admin locking themself out.
    status, code, title = 422, "invalid_user", "The user's role, post or state is not valid"


class InvalidPost(Problem):
    status, code, title = 422, "invalid_post", "The post is not valid"


class InvalidGeofence(Problem):
    status, code, title = 422, "invalid_geofence", "The geofence is not a valid GeoJSON Polygon"


class InvalidPolicy(Problem):
    status, code, title = 422, "invalid_policy", "The policy does not match the policy schema"


class InvalidShift(Problem):
    status, code, title = 422, "invalid_shift", "Only inspectors of this post can be on its shift"


class InvalidWagonNumber(Problem):
    # Carries `numbers`: the 8-digit wagon numbers whose check digit is wrong.
    status, code, title = 422, "invalid_wagon_number", "A wagon number fails its check digit"


class ValidationInProgress(Conflict):
    status, code, title = 409, "validation_in_progress", "The recording is being validated"


class NothingToConfirm(Conflict):
    # the latest report version's check does not ask for a person's confirmation
    status, code, title = 409, "nothing_to_confirm", "This check does not need a confirmation"


class AlreadyAttested(Conflict):
    status, code, title = 409, "already_attested", "This check of this report is already answered"


class AttesterIsInspector(Forbidden):
    status, code, title = 403, "attester_is_inspector", "The inspector may not attest their own evidence"


class ReasonRequired(Problem):
    status, code, title = 422, "reason_required", "A rejection needs a written reason"


class DatabaseUnavailable(Problem):
    # Carries `retry_after`; the API recovers by itself once PostgreSQL answers again.
    status, code, title = 503, "database_unavailable", "The database is unavailable"


DB_RETRY_AFTER_S = 5


# -- Evidence intake (tus uploads, manifests, signatures) ------------------------------------


class TusVersionUnsupported(Problem):
    status, code, title = 412, "tus_version_unsupported", "Tus-Resumable must be 1.0.0"


class TusBadHeader(Problem):
    status, code, title = 400, "tus_bad_header", "A tus header is malformed"


class UploadTooLarge(Problem):
    status, code, title = 413, "upload_too_large", "The recording exceeds the policy's maximum size"


class EmptyUpload(Problem):
    status, code, title = 400, "empty_upload", "A recording cannot be empty"


class UploadNotFound(Problem):
    status, code, title = 404, "upload_not_found", "No such upload"


class UploadExpired(Problem):
    status, code, title = 410, "upload_expired", "The upload expired before it was completed"


class OffsetConflict(Conflict):
    code, title = "offset_mismatch", "Upload-Offset differs from the server's offset"


class UploadLengthExceeded(Problem):
    status, code, title = 413, "upload_length_exceeded", "More bytes than the declared Upload-Length"


class UploadLengthConflict(Conflict):
    code, title = "upload_length_conflict", "Upload-Length is already set to another value"


class ChecksumMismatch(Problem):
    status, code, title = 460, "checksum_mismatch", "The PATCH body does not match Upload-Checksum"


class TerminationRefused(Problem):
    status, code, title = 405, "termination_refused", "Evidence uploads cannot be deleted"


class UploadIncomplete(Conflict):
    code, title = "upload_incomplete", "The upload has not received all its bytes"


class UploadMismatch(Conflict):
    code, title = "upload_mismatch", "The upload belongs to another inspection, phase or client id"


class ClientIdConflict(Conflict):
    code, title = "client_id_conflict", "This client_id was registered with a different body"


class RecordingRefused(Problem):
    """Integrity failure at intake. Subclasses name the check that failed."""

    status, code, title = 422, "recording_refused", "The recording failed an integrity check"


class HashMismatch(RecordingRefused):
    code, title = "hash_mismatch", "The stored bytes do not hash to the manifest's sha256"


class SizeMismatch(RecordingRefused):
    code, title = "size_mismatch", "The stored size differs from the manifest's size"


class ChunkSizesMismatch(RecordingRefused):
    code, title = "chunk_sizes_mismatch", "The chunk sizes do not add up to the file size"


class ChainMismatch(RecordingRefused):
    code, title = "chain_mismatch", "The chunk chain recomputed from the bytes differs"


class AnnouncedChainMismatch(RecordingRefused):
    code, title = "announced_chain_mismatch", "The recording differs from its announced chain"


class SignatureInvalid(RecordingRefused):
    code, title = "signature_invalid", "The signature does not verify under the device key"


class DeviceNotApproved(RecordingRefused):
    code, title = "device_not_approved", "The device is unknown, pending or revoked"


class AnnouncementConflict(Conflict):
    code, title = "announcement_conflict", "This client_id was announced with another chain"


# -- IDK scans and their links to declarations ----------------------------------------------


class ImageIdConflict(Conflict):
    code, title = "image_id_conflict", "This image id was already registered with another image"


class VerdictFinal(Conflict):
    code, title = "verdict_final", "The scan already has a verdict; a verdict is final"


class InvalidContainerNumber(InvalidRequest):
    code, title = "invalid_container_number", "A container number is not 4 letters + 7 digits"


class RiskAreaOutside(Problem):
    status, code, title = 422, "risk_area_outside_image", "A risk area lies outside the image"


class AlreadyLinked(Conflict):
    code, title = "already_linked", "The scan is already linked to this declaration"


class UnitNotDeclared(InvalidRequest):
    code, title = "unit_not_declared", "The declaration does not declare this wagon or container"


class LinkNotFound(NotFound):
    code, title = "link_not_found", "The scan is not linked to this declaration"


class RawExportRequired(Problem):
    status, code, title = (422, "raw_export_required",
                           "This scanner's settings accept only its raw (16-bit) export")


class InvalidCalibration(Problem):
    status, code, title = 422, "invalid_calibration", "The scanner calibration is not valid"


# -- Web push ------------------------------------------------------------------------------


class PushEndpointRefused(Problem):
    status, code, title = 422, "push_endpoint_not_allowed", "This push service is not allowed"


class WebhookHostRefused(Problem):
    status, code, title = 422, "webhook_host_not_allowed", "This webhook host is not allowed"


class InvalidSubscriptionKeys(InvalidRequest):
    code, title = "invalid_push_keys", "The subscription's keys are not a P-256 key and auth secret"


class TooManySubscriptions(Conflict):
    code, title = "too_many_subscriptions", "Too many push subscriptions for this user"


# -- Review sampling -----------------------------------------------------------------------


class DayNotOver(Conflict):
    code, title = "day_not_over", "A day is sampled once it is over"


# -- Portal reads (RFID, number cameras) ---------------------------------------------------


class InvalidPortalRead(Problem):
    status, code, title = 422, "invalid_portal_read", "The portal read is not valid"
