/**
 * "Join from your phone": the join link as a QR code, made in the page (uqr, no request) and
 * drawn as SVG rectangles (no inline style: the page's CSP). The link comes in the dashboard
 * address's fragment (`#join=…`, printed by `npm start` / `npm run demo`), which browsers never
 * send to a server.
 */
import { encode } from 'uqr';
import { h } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The join link in `hash` (`#join=<encoded link>`), if any and if it is an http(s) link. */
export function joinLinkOf(hash: string): string | undefined {
  const raw = new URLSearchParams(hash.replace(/^#/, '')).get('join');
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export function qrSvg(text: string): SVGSVGElement {
  const qr = encode(text, { ecc: 'M', border: 2 });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${qr.size} ${qr.size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `QR code of the join link ${text}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(qr.size));
  bg.setAttribute('height', String(qr.size));
  bg.setAttribute('fill', '#fff');
  svg.append(bg);
  const path = document.createElementNS(SVG, 'path');
  let d = '';
  qr.data.forEach((row, y) => row.forEach((on, x) => (d += on ? `M${x} ${y}h1v1h-1z` : '')));
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(path);
  return svg;
}

export function joinCard(link: string): HTMLElement {
  const u = new URL(link);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  return h(
    'section',
    { class: 'card join-qr', id: 'join-qr' },
    h('h2', {}, 'Join from your phone'),
    h('div', { class: 'qr' }, qrSvg(link)),
    h('p', { class: 'muted link' }, link),
    loopback
      ? h(
          'p',
          { class: 'warning' },
          'This link names this computer only (127.0.0.1): for phones, start with --host 0.0.0.0 so the link carries its network address.',
        )
      : h(
          'p',
          { class: 'muted' },
          'Scan it, choose a role, and your phone trains with the room — its data stays on the phone.',
        ),
  );
}
