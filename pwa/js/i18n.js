// One catalogue per language (pwa/i18n/{ru,kk,en}.json); Russian by default. Views never hold
// UI text: they ask t('key'). Elements with data-i18n="key" are filled by applyStatic().

export const LANGS = ['ru', 'kk', 'en'];
const DEFAULT = 'ru';
const STORAGE_KEY = 'dosmotr.lang';

let lang = DEFAULT;
let catalogue = {};
let fallback = {};

async function fetchCatalogue(code) {
  const resp = await fetch(`/i18n/${code}.json`);
  if (!resp.ok) throw new Error(`catalogue ${code}: ${resp.status}`);
  return resp.json();
}

export async function initI18n() {
  const saved = localStorage.getItem(STORAGE_KEY);
  fallback = await fetchCatalogue(DEFAULT);
  await setLang(LANGS.includes(saved) ? saved : DEFAULT);
}

export async function setLang(code) {
  catalogue = code === DEFAULT ? fallback : await fetchCatalogue(code);
  lang = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  applyStatic(document);
}

export function currentLang() {
  return lang;
}

/** t('phase.recount'), t('take.uploading', {percent: 40}) */
export function t(key, params) {
  let text = catalogue[key] ?? fallback[key] ?? key;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

export function has(key) {
  return key in catalogue || key in fallback;
}

export function applyStatic(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  if (root === document) document.title = t('app.title');
}

/** Numbers, sizes and times in the user's language. */
export function formatNumber(n, digits = 0) {
  return new Intl.NumberFormat(lang === 'kk' ? 'kk-KZ' : lang, { maximumFractionDigits: digits }).format(n);
}

export function formatBytes(n) {
  const units = ['unit.b', 'unit.kb', 'unit.mb', 'unit.gb'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${formatNumber(n, i ? 1 : 0)} ${t(units[i])}`;
}

export function formatDateTime(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(lang === 'kk' ? 'kk-KZ' : lang, { dateStyle: 'short', timeStyle: 'short' }).format(new Date(value));
}

export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
