// Web push: a push (payload JSON {title, body, link, alert_id}) becomes a notification; a click
// focuses an open window of the app and shows the linked screen, or opens the app there.
// Alert links are app paths ("/declarations/ID"); the app routes by hash ("#/declarations/ID").

const ICON = '/icons/icon-192.png';

export function appUrl(link) {
  const path = typeof link === 'string' && link.startsWith('/') && !link.startsWith('//') ? link : '/';
  return new URL(`/#${path}`, self.location.origin).href;
}

function payloadOf(event) {
  if (!event.data) return {};
  try {
    return event.data.json() || {};
  } catch {
    return { body: event.data.text() };
  }
}

export function showPush(event) {
  const data = payloadOf(event);
  const tag = data.alert_id || data.id || undefined;
  return self.registration.showNotification(data.title || 'Dosmotr', {
    body: data.body || '',
    icon: ICON,
    badge: ICON,
    tag,
    renotify: Boolean(tag),
    data: { link: data.link || '/', alert_id: data.alert_id || null },
  });
}

/** What a click on a notification does; also callable from tests as self.dosmotr.open(). */
export async function openLink(link) {
  const url = appUrl(link);
  const hash = new URL(url).hash;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const own = windows.filter((w) => new URL(w.url).origin === self.location.origin);
  if (own.length) {
    const target = own.find((w) => w.focused) || own[0];
    target.postMessage({ type: 'open', hash });
    try {
      await target.focus();
    } catch {
      // focus() needs the click's user activation; the screen has changed all the same
    }
    return { opened: 'focused', hash };
  }
  await self.clients.openWindow(url);
  return { opened: 'window', hash };
}

export function clickNotification(notification) {
  notification.close();
  return openLink(notification.data && notification.data.link);
}
