// The evidence player: the recording streamed (the rendition for players, else the original)
// with HTTP Range through the service worker, a timeline of check results and tap markers that
// seeks, the GPS track over the post's geofence, the declaration's IDK image with its risk
// areas beside it, the validation report, the contact sheet and the recording's audit trail.

import { api, imageUrl } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { exists, videoSource } from '../media.js';
import { h, mount } from '../ui.js';
import { backLink, problemCard } from './common.js';
import { reportCard } from './report.js';
import { timeline } from './timeline.js';
import { trackMap } from './track.js';
import { auditTrail } from './trail.js';
import { xrayViewer } from './xray.js';

export const NAME = 'recording';

function manifestSeconds(m) {
  const from = Date.parse(m.recorded_from);
  const to = Date.parse(m.recorded_to);
  return Number.isFinite(from) && Number.isFinite(to) && to > from ? (to - from) / 1000 : 0;
}

export async function render(root, { id }, ctx) {
  const role = ctx.session.user.role;
  let rec;
  try {
    rec = await api(`/api/recordings/${encodeURIComponent(id)}`);
  } catch (err) {
    root.append(problemCard(err));
    return null;
  }
  const m = rec.manifest || {};
  const [inspection, posts] = await Promise.all([
    api(`/api/inspections/${encodeURIComponent(rec.inspection_id)}`).catch(() => null),
    api('/api/posts').catch(() => []),
  ]);
  const post = inspection ? posts.find((p) => p.code === inspection.post_code) : null;

  const video = h('video', { id: 'player', class: 'player', controls: true, preload: 'metadata', playsinline: true });
  const source = h('p', { class: 'muted small', id: 'video-source' });
  const checks = rec.validation ? rec.validation.checks : [];
  const seek = (s) => {
    video.currentTime = Math.max(0, s);
    video.focus();
  };
  const line = timeline({ duration: manifestSeconds(m), checks, markers: m.markers || [], onSeek: seek });
  const map = trackMap({ track: m.track || [], geofence: post ? post.geofence : null });
  video.addEventListener('loadedmetadata', () => line.setDuration(video.duration));
  video.addEventListener('timeupdate', () => { line.setTime(video.currentTime); map.setTime(video.currentTime); });
  video.addEventListener('seeked', () => { video.dataset.seeked = String(video.currentTime); });

  const d = inspection ? inspection.declaration : null;
  root.append(
    h('div', { class: 'title-row' },
      backLink(inspection ? `#/inspections/${encodeURIComponent(rec.inspection_id)}` : '#/search'),
      h('h1', {}, t('player.title', { phase: t(`phase.${rec.phase}`), number: d ? d.number : '' })),
      h('span', { class: 'badge' }, t('watch.version', { n: rec.version })),
      h('span', { class: 'muted' }, formatDateTime(m.recorded_from))),
    h('div', { class: 'player-grid' },
      h('div', { class: 'player-main' },
        h('section', { class: 'card video-card' }, video, source, line.element),
        reportCard(rec, seek, { canRevalidate: role === 'post_head' || role === 'admin' }),
        contactSheet(rec)),
      h('div', { class: 'player-side' },
        map.element,
        scansCard(inspection))),
  );
  if (role === 'auditor' || role === 'admin') root.append(auditTrail('recording', rec.id));

  // the rendition for players if the pipeline made one, else the original (WebM or MP4)
  const base = `/api/recordings/${encodeURIComponent(rec.id)}`;
  const rendition = await exists(`${base}/stream/video.mp4`);
  const path = rendition ? `${base}/stream/video.mp4` : `${base}/video`;
  try {
    const got = await videoSource(path);
    video.src = got.src;
    video.dataset.path = path;
    source.textContent = t(rendition ? 'player.rendition' : 'player.original') + (got.streamed ? '' : ` · ${t('player.whole_file')}`);
  } catch (err) {
    source.replaceWith(problemCard(err));
  }
  return () => {
    video.removeAttribute('src');
    video.load();
  };
}

function contactSheet(rec) {
  const img = h('img', { class: 'contact-sheet', id: 'contact-sheet', alt: t('player.contact_sheet') });
  const box = h('section', { class: 'card', id: 'contact-card' }, h('h2', {}, t('player.contact_sheet')), img);
  imageUrl(`/api/recordings/${encodeURIComponent(rec.id)}/stream/contact.jpg`)
    .then((url) => { img.src = url; })
    .catch(() => mount(box, h('h2', {}, t('player.contact_sheet')), h('p', { class: 'muted' }, t('player.no_contact_sheet'))));
  return box;
}

function scansCard(inspection) {
  const box = h('section', { class: 'card', id: 'player-scans' }, h('h2', {}, t('idk.title')));
  if (!inspection || !inspection.scans.length) {
    box.append(h('p', { class: 'muted' }, t('idk.none')));
    return box;
  }
  for (const scan of inspection.scans) {
    const areas = inspection.risk_areas.filter((a) => a.scan_id === scan.id);
    const viewer = xrayViewer({ scan, areas, editable: false, idPrefix: `scan-${scan.id.slice(0, 8)}` });
    box.append(h('div', { class: 'player-scan', dataset: { scanId: scan.id } },
      h('div', { class: 'row spread' }, h('strong', {}, scan.image_id),
        scan.verdict ? h('span', { class: `chip verdict-idk-${scan.verdict}` }, t(`idk.verdict.${scan.verdict}`)) : h('span', { class: 'chip' }, t('idk.verdict.none'))),
      viewer.element,
      h('a', { class: 'btn', href: `#/idk/${encodeURIComponent(scan.id)}` }, t('player.open_scan'))));
  }
  return box;
}
