// Server-sent events read with fetch(). EventSource cannot send the Authorization header, and
// GET /api/board/stream authenticates by that header only (no query token, no cookie), so the
// page reads the text/event-stream itself and reconnects as EventSource would.

import { authHeaders, send } from './api.js';

const MAX_DELAY_MS = 30000;

/** Splits a text/event-stream into events; `feed(text)` returns the events completed by it. */
export function eventParser() {
  let buffer = '';
  let event = { event: 'message', data: [], id: null, retry: null };
  return function feed(text) {
    buffer += text;
    const out = [];
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (event.data.length || event.event !== 'message') {
          out.push({ event: event.event, data: event.data.join('\n'), id: event.id, retry: event.retry });
        }
        event = { event: 'message', data: [], id: event.id, retry: null };
        continue;
      }
      if (line.startsWith(':')) continue; // keep-alive comment
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event.event = value;
      else if (field === 'data') event.data.push(value);
      else if (field === 'id') event.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
    }
    return out;
  };
}

/**
 * Keeps an authorised event stream open: `onEvent({event, data, id})` per event,
 * `onState('open' | 'reconnecting' | 'closed')`. The server ends each stream after its max_s;
 * the next one starts after `retry` ms, failures back off up to 30 s. Returns `close()`.
 */
export function openStream(path, { onEvent, onState = () => {} }) {
  const controller = new AbortController();
  let closed = false;
  let retryMs = 3000;
  let failures = 0;

  async function once() {
    const resp = await send(path, { headers: { ...(await authHeaders()), Accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
    if (resp.status === 401 || resp.status === 403) {
      closed = true;
      onState('closed');
      return;
    }
    if (!resp.ok || !resp.body) throw new Error(`stream ${resp.status}`);
    failures = 0;
    onState('open');
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    const feed = eventParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const ev of feed(value)) {
        if (ev.retry) retryMs = ev.retry;
        onEvent(ev);
      }
    }
  }

  (async () => {
    while (!closed) {
      try {
        await once();
      } catch (err) {
        if (closed || (err && err.name === 'AbortError')) return;
        failures += 1;
      }
      if (closed) return;
      onState('reconnecting');
      const delay = failures ? Math.min(MAX_DELAY_MS, retryMs * 2 ** (failures - 1)) : retryMs;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  })();

  return function close() {
    closed = true;
    controller.abort();
  };
}
