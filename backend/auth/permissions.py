"""Who may do what, in one table, and the one rule for whose post a caller sees.

Every controller and handler is guarded by `may(action)`; services ask `can(actor, action)`
when one route serves several roles differently. Post scoping (ODK's `canOrReject` shape):
post-bound roles see only their own post; auditors, admins and the integration account see
across posts (auditors only read: no write action lists them). Pure Python: the worker and
services import it without Litestar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from backend.errors import Forbidden

if TYPE_CHECKING:
    from backend.auth.actor import Actor

ROLES = ("inspector", "idk_operator", "post_head", "auditor", "integration", "admin")
# Roles not tied to one post: they see across posts (auditor reads only).
CROSS_POST_ROLES = frozenset({"auditor", "integration", "admin"})

# Every role except the machine account, which only creates and reads declarations.
_HUMANS = ("inspector", "idk_operator", "post_head", "auditor", "admin")
# Those who watch a post's work: its head, and the cross-post readers.
_WATCHERS = ("post_head", "auditor", "admin")

ACTIONS: dict[str, frozenset[str]] = {
    name: frozenset(allowed)
    for name, allowed in {
        # accounts
        "user.read": ("admin", "auditor"),
        "user.admin": ("admin",),  # create, edit, reset a password, unlock, revoke sessions
        # posts, their policy and shift
        "post.read": _HUMANS,
        "post.admin": ("admin",),  # create, edit, put a policy
        "shift.read": _WATCHERS,
        "shift.set": ("post_head", "admin"),
        # tablets
        "device.register": ("inspector",),
        "device.read": ("inspector", "post_head", "auditor", "admin"),
        "device.approve": ("post_head", "admin"),  # approve or revoke
        # declarations and the decision on them
        "declaration.create": ("integration", "admin"),
        "declaration.read": ROLES,
        "declaration.release": ("post_head",),
        "declaration.refuse": ("post_head",),
        "declaration.order_inspection": ("post_head",),
        "declaration.search": _WATCHERS,
        "declaration.export": (*_WATCHERS, "integration"),  # the declaration system too
        "evidence.package": _WATCHERS,
        "board.watch": _WATCHERS,
        # inspections and their evidence
        "inspection.read": ("inspector", "post_head", "auditor", "admin"),
        "inspection.conduct": ("inspector",),  # start, count, finish one's own
        "inspection.reassign": ("post_head",),
        "recording.upload": ("inspector", "post_head"),  # register, announce, tus
        "recording.read": ("inspector", "post_head", "auditor", "admin"),
        "recording.revalidate": ("post_head", "admin"),
        "check.attest": ("post_head",),
        "check.frames": _WATCHERS,
        # IDK scans
        "idk.read": ("idk_operator", "post_head", "inspector", "auditor", "admin"),
        "idk.upload": ("idk_operator", "admin"),  # one scan or a composition
        "idk.verdict": ("idk_operator",),
        "idk.link": ("idk_operator",),  # link or unlink a scan and a declaration
        "idk.scanner.read": ("admin", "post_head", "auditor"),  # a scanner's calibration
        "idk.scanner.set": ("admin",),
        "idk.portal_read.send": ("idk_operator", "admin"),  # the scanner's RFID / camera reads
        # pre-arrival consists from the railway
        "rail.consist.submit": ("integration", "admin"),
        "rail.consist.read": ("idk_operator", "post_head", "auditor", "integration", "admin"),
        "idk.export": ("idk_operator", "post_head", "auditor", "admin"),  # Table 1
        # the declaration system: the outbox's change feed
        "changes.read": ("integration", "auditor", "admin"),
        "integration.webhook.manage": ("admin",),  # webhooks to the declaration system
        "integration.webhook.read": ("auditor", "admin"),
        # oversight
        "audit.read": ("auditor", "admin"),
        "review.sample": ("auditor", "admin"),
        "review.record": ("auditor",),
        # one's own inbox and push subscriptions
        "alerts.own": _HUMANS,
        "push.own": _HUMANS,
    }.items()
}

for _name, _allowed in ACTIONS.items():
    if not _allowed or not _allowed <= set(ROLES):
        raise ValueError(f"action {_name}: unknown roles {sorted(_allowed - set(ROLES))}")


def allowed(action: str) -> frozenset[str]:
    """The roles that may do `action`; an action missing from the table is a bug, not a 403."""
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def can(actor: Actor, action: str) -> bool:
    return actor.role in allowed(action)


def sees_post(role: str, own_post: str | None, post_code: str) -> bool:
    """The post-scope rule: a post-bound role sees its own post only, cross-post roles all."""
    return role in CROSS_POST_ROLES or (own_post is not None and own_post == post_code)


def post_scope(actor: Actor) -> str | None:
    """The post a listing is limited to: the caller's own, or None (every post) for cross-post roles."""
    return None if actor.role in CROSS_POST_ROLES else actor.post_code


Guard = Callable[[Any, Any], None]  # (ASGIConnection, BaseRouteHandler) -> None


def may(action: str) -> Guard:
    """The Litestar guard for `action`: 403 `forbidden` unless the caller's role is listed."""
    roles = allowed(action)

    def guard(connection: Any, _: Any) -> None:
        actor: Actor = connection.user
        if actor.role not in roles:
            raise Forbidden(f"role {actor.role} may not call this endpoint")

    guard.__name__ = "may_" + action.replace(".", "_")
    guard.__qualname__ = guard.__name__
    guard.action = action  # type: ignore[attr-defined]
    return guard
