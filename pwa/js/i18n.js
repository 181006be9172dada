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

function locale() {
  return lang === 'kk' ? 'kk-KZ' : lang;
}

/**
 * A message with a count in the language's plural form. The key itself is the general
 * ("other") form; `key.one`, `key.few`, `key.many` are the forms Intl.PluralRules names, where
 * the language has them. The count is {n} in the text: plural('gate.more', 3) → "и ещё 3 проблемы".
 */
export function plural(key, n, params = {}) {
  const form = new Intl.PluralRules(locale()).select(Number(n));
  return t(has(`${key}.${form}`) ? `${key}.${form}` : key, { ...params, n: formatNumber(Number(n), 1) });
}

function named(kind, value) {
  // parameters whose values are codes themselves are shown by their own catalogue entry
  const known = (key) => has(key);
  if ((kind === 'check' || kind === 'checks') && known(`check.${value}`)) return t(`check.${value}`);
  if (kind === 'phase' && known(`phase.${value}`)) return t(`phase.${value}`);
  if (kind === 'verdict' && known(`verdict.${value}`)) return t(`verdict.${value}`);
  if (kind === 'model' && known(`model.${value}`)) return t(`model.${value}`);
  // why a model is absent (model_unavailable): a code; the server's English text stays in the detail
  if (kind === 'reason' && known(`model_reason.${value}`)) return t(`model_reason.${value}`);
  if (kind === 'status' && known(`inspection_status.${value}`)) return t(`inspection_status.${value}`);
  if (kind === 'unmet' && known(`gate.${value}`)) return t(`gate.${value}`);
  return value;
}

function localValue(name, value) {
  if (typeof value === 'number') return formatNumber(value, 1);
  if (typeof value !== 'string') return String(value);
  if (name === 'checks' || name === 'unmet') return value.split(',').filter(Boolean).map((v) => named(name, v)).join(', ');
  return named(name, value);
}

/** A finding's params ready for its message: numbers formatted, codes named in this language. */
export function localParams(params = {}) {
  const out = {};
  for (const [name, value] of Object.entries(params || {})) out[name] = localValue(name, value);
  return out;
}

/**
 * The text of a coded finding under `key` (in its plural form when params.count is a number),
 * or null when the catalogue has no entry for it: the caller then decides whether the server's
 * free text may be shown (serverText).
 */
export function codeText(key, params = {}) {
  if (!key || !has(key)) return null;
  const local = localParams(params);
  return typeof (params || {}).count === 'number' ? plural(key, params.count, local) : t(key, local);
}

/** Server free text is Russian (alerts) or English (details): shown only in that language. */
export function serverText(text, textLang) {
  return text && lang === textLang ? text : null;
}
