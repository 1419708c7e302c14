/**
 * `/static/page.js`, the one script of the runner's pages (served from the runner itself, so the
 * pages work offline; the Content-Security-Policy allows no other). On a page with a filter bar
 * (`#filters`) it:
 * - filters the rows (`tr[data-text]`) as one types or ticks, with the server's rule
 *   (`rowMatches` in targets-page.ts: every search word occurs in `data-text`, and `data-state`
 *   is one of the ticked states, none ticked = all), hides job sections with no row left, and
 *   keeps the query in the address so a reload or a shared link shows the same rows;
 * - when "Auto-refresh" is ticked (remembered in localStorage), fetches the page every 5 s and
 *   swaps `#content` and the header's `#as-of` for the new ones, then filters again: no reload,
 *   no flicker, the search box keeps its focus. A failed fetch says so beside the toggle and is
 *   tried again at the next tick.
 * It builds no HTML from data: the new content is the server's escaped markup, parsed inert.
 */
export const PAGE_SCRIPT = `'use strict';
(() => {
  const form = document.getElementById('filters');
  if (form === null) return;
  const search = form.elements.namedItem('search');
  const boxes = [...form.querySelectorAll('fieldset input[type=checkbox]')];
  const auto = document.getElementById('auto-refresh');
  const status = document.getElementById('refresh-status');
  const KEY = 'lambdascrape.autoRefresh';
  const INTERVAL_MS = 5000;
  for (const b of form.querySelectorAll('button.apply')) b.hidden = true;
  auto.parentElement.hidden = false;

  function apply(updateAddress) {
    const words = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
    const states = boxes.filter((b) => b.checked).map((b) => b.value);
    const filtering = words.length > 0 || states.length > 0;
    let shown = 0;
    for (const section of document.querySelectorAll('#content section[data-job]')) {
      let visible = 0;
      for (const row of section.querySelectorAll('tr[data-text]')) {
        const ok =
          (states.length === 0 || states.includes(row.dataset.state)) &&
          words.every((w) => row.dataset.text.includes(w));
        row.hidden = !ok;
        if (ok) visible++;
      }
      section.hidden = filtering && visible === 0;
      shown += visible;
    }
    const none = document.getElementById('no-match');
    if (none !== null) none.hidden = !(filtering && shown === 0);
    if (updateAddress) {
      const query = new URLSearchParams();
      if (search.value !== '') query.set('search', search.value);
      for (const b of boxes) if (b.checked) query.append(b.name, b.value);
      const q = query.toString();
      history.replaceState(null, '', location.pathname + (q === '' ? '' : '?' + q) + location.hash);
    }
  }

  let timer;
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const res = await fetch(location.pathname + location.search, {
        headers: { accept: 'text/html' },
        cache: 'no-store',
      });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById('content');
      const current = document.getElementById('content');
      if (fresh !== null && current !== null) {
        current.replaceWith(document.adoptNode(fresh));
        apply(false);
      }
      const asOf = doc.getElementById('as-of');
      const header = document.getElementById('as-of');
      if (asOf !== null && header !== null) header.textContent = asOf.textContent;
      status.textContent = '';
    } catch (err) {
      status.textContent = 'refresh failed: ' + (err && err.message ? err.message : err);
    } finally {
      busy = false;
    }
  }

  function setAuto(on) {
    clearInterval(timer);
    timer = on ? setInterval(refresh, INTERVAL_MS) : undefined;
    try {
      localStorage.setItem(KEY, on ? '1' : '0');
    } catch {}
  }

  form.addEventListener('input', () => apply(true));
  form.addEventListener('change', (e) => {
    if (e.target !== auto) apply(true);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply(true);
  });
  auto.addEventListener('change', () => setAuto(auto.checked));
  try {
    auto.checked = localStorage.getItem(KEY) === '1';
  } catch {}
  setAuto(auto.checked);
  apply(false);
})();
`;
