// The fallback page for a navigation the service worker could not answer: its text comes
// from the cached catalogues like every other screen's. A file, not an inline script: the
// Content-Security-Policy allows scripts from the app's own origin only.
import { initI18n } from '/js/i18n.js';

initI18n().catch(() => {});
