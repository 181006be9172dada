"""Where the worker stores the frames a person needs for an advisory check (both sides read
this layout; the objects are immutable, one set per report version)."""


def frame_key(recording_id: str, version: int, check: str, index: int) -> str:
    return f"confirm/{recording_id}/v{version}/{check}/{index}.jpg"


def index_key(recording_id: str, version: int, check: str) -> str:
    return f"confirm/{recording_id}/v{version}/{check}/index.json"
