// RFC 8785 JSON Canonicalization Scheme: what the device signs.
//
// Object keys sorted by UTF-16 code units (what Array.prototype.sort does to strings),
// no whitespace, strings and numbers serialised as ECMAScript's JSON.stringify does
// (RFC 8785 §3.2.2 adopts exactly that), so a finite number needs no code of its own.

export function canonicalize(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JCS: NaN and Infinity have no JSON form');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalize(v === undefined ? null : v)).join(',') + ']';
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalize(value[k])).join(',') + '}';
  }
  throw new TypeError(`JCS: cannot serialise a ${typeof value}`);
}

/** The UTF-8 bytes that are hashed and signed. */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}
