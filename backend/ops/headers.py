"""Security headers on every response: the PWA, the API, media and problems alike."""

from __future__ import annotations

# The PWA runs no inline script or style (tests/browser/test_csp.py checks it in Chromium);
# recordings and X-ray scans are shown from blob: URLs made by the app itself.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# Camera, microphone and location for the app's own origin only (the recorder needs them);
# nothing else the browser could hand to an embedded or injected party.
PERMISSIONS_POLICY = ", ".join((
    "camera=(self)",
    "microphone=(self)",
    "geolocation=(self)",
    "payment=()",
    "usb=()",
    "serial=()",
    "bluetooth=()",
    "midi=()",
))

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("permissions-policy", PERMISSIONS_POLICY),
    ("cross-origin-opener-policy", "same-origin"),
)
