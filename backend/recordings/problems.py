"""Problems only evidence intake raises (each with its stable code)."""

from __future__ import annotations

from backend.errors import Conflict, Problem


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


class WrongContentType(Problem):
    status, code, title = 415, "unsupported_media_type", (
        "PATCH bodies are application/offset+octet-stream"
    )


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
