/**
 * The runner's HTML pages, rendered on the server:
 * - `/targets`: per job a section headed "job (n/m up)" with one row per target — endpoint,
 *   state, labels as chips, last scrape (relative), duration, interval and timeout, last
 *   error — and a link to the job's dropped targets;
 * - `/service-discovery`: per job the discovered labels of every target, active ones with the
 *   labels relabeling gave them, dropped ones marked so (Prometheus's page of that name);
 * - `/relabel-steps`: one target's relabel_configs applied rule by rule, what each rule added,
 *   changed or removed (Prometheus 3.8's "relabeling steps").
 *
 * The first two have a filter bar: a search (every word must occur in the row's endpoint or
 * labels, case-insensitive) and a state filter (none ticked = all). The server applies the
 * query (`?search=…&health=up`) by marking rows `hidden`, so a link keeps its filter and the
 * page works without script; `/static/page.js` ({@link PAGE_SCRIPT}) filters as one types and
 * refreshes the page's content every 5 s when auto-refresh is on, without reloading the page.
 *
 * Every label name, label value, URL and error text comes from configs, service discovery or
 * scraped targets, so all of it is untrusted: it only reaches the page through
 * {@link escapeHtml}, in text or double-quoted attribute positions. The server sends a
 * Content-Security-Policy that runs no script but `/static/page.js`.
 */
import { formatDuration } from '../config/duration.js';
import type { Labels } from '../model/labels.js';
import type {
  JobView,
  RelabelStepsView,
  RelabelStepView,
  TargetHealth,
  TargetView,
} from './target-view.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML text content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** `850ms ago`, `3.2s ago`, `4m 12s ago`, `2h 5m ago`, `3d 4h ago`; `never` when undefined. */
export function formatAgo(thenMs: number | undefined, nowMs: number): string {
  if (thenMs === undefined) return 'never';
  const ms = Math.max(nowMs - thenMs, 0);
  if (ms < 1000) return `${Math.round(ms)}ms ago`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s ago`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h ago`;
}

/** `12.3ms`, `1.204s`; `–` when undefined. */
export function formatScrapeDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  const ms = seconds * 1000;
  return ms < 1000 ? `${ms.toFixed(1)}ms` : `${seconds.toFixed(3)}s`;
}

const STATE_TEXT: Readonly<Record<TargetHealth, string>> = {
  up: 'UP',
  down: 'DOWN',
  unknown: 'UNKNOWN',
};

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 24px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600}
header nav{display:flex;gap:4px}
header nav a{color:#c9d1d9;text-decoration:none;padding:2px 10px;border-radius:6px}
header nav a.current{background:#3d444d;color:#fff}
header .sub{color:#c9d1d9;font-size:13px}
main{padding:16px 24px 40px;max-width:1600px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;margin-bottom:14px}
form.filters input[type=search]{flex:1 1 320px;max-width:520px;padding:6px 10px;border:1px solid #d0d7de;border-radius:6px;font:inherit}
form.filters fieldset{border:none;margin:0;padding:0;display:flex;gap:10px;align-items:center}
form.filters legend{float:left;margin-right:4px;color:#57606a}
form.filters label{white-space:nowrap;cursor:pointer}
form.filters .auto{margin-left:auto}
form.filters button{font:inherit;padding:4px 12px}
#refresh-status{color:#cf222e;font-size:12px}
nav.summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:16px}
nav.summary a{text-decoration:none;color:#1f2328;background:#fff;border:1px solid #d0d7de;border-radius:16px;padding:3px 12px;font-size:13px}
nav.summary a.bad{border-color:#cf222e;color:#cf222e}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin-bottom:20px;overflow:hidden}
section>h2{font-size:16px;margin:0;padding:10px 14px;background:#f6f8fa;border-bottom:1px solid #d0d7de;display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
section>h2 .count{font-weight:400;color:#57606a}
section>h2 .count.bad{color:#cf222e;font-weight:600}
section>h2 .dropped{font-weight:400;font-size:13px;margin-left:auto}
section>h2 .dropped a{color:#57606a}
.problem{margin:0;padding:8px 14px;background:#fff8c5;border-bottom:1px solid #d4a72c;color:#4d2d00;font-size:13px}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{text-align:left;padding:8px 14px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:12px;color:#57606a;font-weight:600}
tr:last-child td{border-bottom:none}
td.endpoint a,td.endpoint span{color:#0969da;text-decoration:none;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.state{display:inline-block;min-width:76px;text-align:center;font-weight:700;font-size:12px;padding:2px 8px;border-radius:4px;color:#fff}
.state.up{background:#1a7f37}.state.down{background:#cf222e}.state.unknown{background:#8c959f}.state.dropped{background:#8c959f;min-width:0}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{display:inline-block;background:#ddf4ff;color:#0a3069;border-radius:4px;padding:1px 7px;font-size:12px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere;max-width:100%}
.chips.discovered .chip{background:#eaeef2;color:#1f2328}
a.relabel{font-size:12px;color:#0969da;display:inline-block;margin-top:4px}
td.when,td.dur,td.every{white-space:nowrap;color:#57606a}
td.error{color:#cf222e;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
p.empty,p.note{padding:12px 14px;margin:0;color:#57606a}
.steps{display:flex;flex-direction:column;gap:10px;max-width:1000px}
.step{background:#fff;border:1px solid #d0d7de;border-radius:8px;overflow:hidden}
.step h3{margin:0;font-size:14px;padding:8px 14px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
.step table td,.step table th{padding:4px 14px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;text-transform:none;letter-spacing:0;overflow-wrap:anywhere}
.step table th{width:30%;color:#1f2328}
.step tr.added{background:#dafbe1}.step tr.changed{background:#ddf4ff}.step tr.removed{background:#ffebe9;text-decoration:line-through}
.step td.mark{width:28px;font-weight:700}
.step .verdict{padding:8px 14px;margin:0;font-weight:600}
.step h4{margin:0;padding:6px 14px;font-size:12px;font-weight:600;color:#57606a;border-top:1px solid #d0d7de;background:#f6f8fa}
p.verdict{font-weight:600}
.step .verdict.dropped{color:#cf222e}.step.skipped{opacity:.55}
`;

/** A state filter: the query parameter and the values it may take, with their labels. */
interface StateFilter {
  readonly param: string;
  readonly legend: string;
  readonly values: readonly (readonly [value: string, label: string])[];
}

const HEALTH_FILTER: StateFilter = {
  param: 'health',
  legend: 'Health',
  values: [
    ['up', 'Up'],
    ['down', 'Down'],
    ['unknown', 'Unknown'],
  ],
};

const SD_FILTER: StateFilter = {
  param: 'state',
  legend: 'Show',
  values: [
    ['active', 'Active'],
    ['dropped', 'Dropped'],
  ],
};

/** The filter a page was asked for (`?search=…&health=…`). */
export interface PageFilter {
  /** Free text; every whitespace-separated word must occur (case-insensitive). */
  readonly search?: string;
  /** States to show; none = all. */
  readonly states?: readonly string[];
}

export interface TargetsPageOptions {
  /** Clock time (ms) the relative times are computed against. */
  readonly nowMs: number;
  /** Shown in the header, e.g. the config file. */
  readonly subtitle?: string;
  readonly filter?: PageFilter;
  /**
   * The targets page on its own, without the runner's other pages (the deployment's status
   * page, `src/serverless/status-page.ts`): no Service discovery tab, no relabeling links, and
   * the dropped counts as text. @default false (the runner's page)
   */
  readonly standalone?: boolean;
}

/**
 * The pages run no script but `/static/page.js` (no inline script, no other origin), which may
 * fetch only from the page's own origin: this holds even if escaping had a hole.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Whether a row with `text` (lower-case) and `state` passes `filter`. */
export function rowMatches(text: string, state: string, filter: PageFilter | undefined): boolean {
  const states = filter?.states ?? [];
  if (states.length > 0 && !states.includes(state)) return false;
  const words = (filter?.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => text.includes(w));
}

function filtering(filter: PageFilter | undefined): boolean {
  return (filter?.search ?? '').trim() !== '' || (filter?.states?.length ?? 0) > 0;
}

/** What the search looks in: the endpoint and every label as `name="value"`, lower-cased. */
function searchText(url: string, ...sets: Labels[]): string {
  const parts = [url];
  for (const labels of sets) for (const l of labels) parts.push(`${l.name}="${l.value}"`);
  return parts.join(' ').toLowerCase();
}

type Page = 'targets' | 'service-discovery' | 'relabel-steps';

function layout(page: Page, title: string, sub: string, body: string, standalone = false): string {
  const link = (href: Page, text: string) =>
    `<a href="/${href}"${href === page ? ' class="current"' : ''}>${text}</a>`;
  const nav = standalone
    ? link('targets', 'Targets')
    : `${link('targets', 'Targets')}${link('service-discovery', 'Service discovery')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · lambdascrape</title>
<style>${STYLE}</style>
<script src="/static/page.js" defer></script>
</head>
<body>
<header><h1>lambdascrape</h1><nav>${nav}</nav><span class="sub" id="as-of">${sub}</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

function filterBar(
  filter: PageFilter | undefined,
  states: StateFilter,
  placeholder: string,
): string {
  const ticked = new Set(filter?.states ?? []);
  const boxes = states.values
    .map(
      ([value, label]) =>
        `<label><input type="checkbox" name="${states.param}" value="${value}"${ticked.has(value) ? ' checked' : ''}> ${label}</label>`,
    )
    .join('');
  return `<form class="filters" id="filters" method="get" role="search">
<input type="search" name="search" value="${escapeHtml(filter?.search ?? '')}" placeholder="${placeholder}" aria-label="Search" autocomplete="off">
<fieldset><legend>${states.legend}</legend>${boxes}</fieldset>
<button type="submit" class="apply">Apply</button>
<label class="auto" hidden><input type="checkbox" id="auto-refresh"> Auto-refresh (5s)</label><span id="refresh-status" role="status"></span>
</form>`;
}

function asOf(nowMs: number): string {
  return `as of ${escapeHtml(new Date(nowMs).toISOString())}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `/relabel-steps` link for a target of `pool` with these discovered labels. */
export function relabelStepsHref(pool: string, discovered: Labels): string {
  const labels: Record<string, string> = {};
  for (const l of discovered) labels[l.name] = l.value;
  const query = new URLSearchParams({ scrapePool: pool, labels: JSON.stringify(labels) });
  return `/relabel-steps?${query.toString()}`;
}

export function renderTargetsPage(jobs: readonly JobView[], options: TargetsPageOptions): string {
  const totalUp = jobs.reduce((n, j) => n + countUp(j.targets), 0);
  const total = jobs.reduce((n, j) => n + j.targets.length, 0);
  const filter = options.filter;
  const standalone = options.standalone === true;
  let shown = 0;
  const sections = jobs
    .map((job, i) => {
      const { html, visible } = renderJob(job, i, options.nowMs, filter, standalone);
      shown += visible;
      return html;
    })
    .join('\n');
  const summary = jobs
    .map((job, i) => {
      const up = countUp(job.targets);
      const bad = up < job.targets.length ? ' class="bad"' : '';
      return `<a href="#job-${i}"${bad}>${escapeHtml(job.name)} (${up}/${job.targets.length} up)</a>`;
    })
    .join('');
  const subtitle = options.subtitle === undefined ? '' : ` · ${escapeHtml(options.subtitle)}`;
  const sub = `${totalUp}/${total} up in ${plural(jobs.length, 'job')}${subtitle} · ${asOf(options.nowMs)}`;
  const body = `${filterBar(filter, HEALTH_FILTER, 'Filter by endpoint or labels')}
<div id="content">
${jobs.length === 0 ? '<p class="empty">No scrape configs.</p>' : `<nav class="summary">${summary}</nav>`}
${noMatch(jobs.length > 0 && shown === 0 && filtering(filter), 'No target matches the filter.')}
${sections}
</div>`;
  return layout('targets', 'Targets', sub, body, standalone);
}

function noMatch(show: boolean, text: string): string {
  return `<p class="empty" id="no-match"${show ? '' : ' hidden'}>${text}</p>`;
}

function countUp(targets: readonly TargetView[]): number {
  let n = 0;
  for (const t of targets) if (t.health === 'up') n++;
  return n;
}

function renderJob(
  job: JobView,
  index: number,
  nowMs: number,
  filter: PageFilter | undefined,
  standalone: boolean,
): { html: string; visible: number } {
  const up = countUp(job.targets);
  const bad = up < job.targets.length ? ' bad' : '';
  const sdLink = `/service-discovery?state=dropped#job-${index}`;
  const droppedText = plural(job.droppedCount, 'dropped target');
  const dropped =
    job.droppedCount === 0
      ? ''
      : standalone
        ? `<span class="dropped">${droppedText}</span>`
        : `<span class="dropped"><a href="${sdLink}">${droppedText}</a></span>`;
  const problems = job.problems.map((p) => `<p class="problem">${escapeHtml(p)}</p>`).join('');
  let visible = 0;
  const rows = job.targets.map((t) => {
    const text = searchText(t.url, t.labels);
    const match = rowMatches(text, t.health, filter);
    if (match) visible++;
    return renderTarget(job.name, t, nowMs, text, match, standalone);
  });
  const body =
    job.targets.length === 0
      ? '<p class="empty">No active targets.</p>'
      : `<table>
<colgroup><col style="width:24%"><col style="width:100px"><col><col style="width:118px"><col style="width:92px"><col style="width:92px"><col style="width:20%"></colgroup>
<thead><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th title="Scrape interval / timeout">Interval</th><th>Error</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
  const hidden = filtering(filter) && visible === 0 ? ' hidden' : '';
  return {
    visible,
    html: `<section id="job-${index}" data-job${hidden}>
<h2>${escapeHtml(job.name)} <span class="count${bad}">(${up}/${job.targets.length} up)</span>${dropped}</h2>
${problems}${body}
</section>`,
  };
}

function endpointHtml(url: string): string {
  const escaped = escapeHtml(url);
  // Only http(s) URLs become links (a relabeled scheme could be anything).
  return /^https?:\/\//i.test(url)
    ? `<a href="${escaped}" rel="noreferrer noopener">${escaped}</a>`
    : `<span>${escaped}</span>`;
}

function renderTarget(
  pool: string,
  t: TargetView,
  nowMs: number,
  text: string,
  match: boolean,
  standalone: boolean,
): string {
  const discovered = standalone
    ? ''
    : ` title="${escapeHtml(`discovered: ${formatLabelsPlain(t.discoveredLabels)}`)}"`;
  const relabel = standalone
    ? ''
    : `<a class="relabel" href="${escapeHtml(relabelStepsHref(pool, t.discoveredLabels))}">relabeling ›</a>`;
  return `<tr data-state="${t.health}" data-text="${escapeHtml(text)}"${match ? '' : ' hidden'}>
<td class="endpoint">${endpointHtml(t.url)}</td>
<td><span class="state ${t.health}">${STATE_TEXT[t.health]}</span></td>
<td><div class="chips"${discovered}>${chips(t.labels)}</div>${relabel}</td>
<td class="when">${escapeHtml(formatAgo(t.lastScrapeMs, nowMs))}</td>
<td class="dur">${escapeHtml(formatScrapeDuration(t.lastDurationSeconds))}</td>
<td class="every" title="every ${escapeHtml(formatDuration(t.intervalMs))}, timeout ${escapeHtml(formatDuration(t.timeoutMs))}">${escapeHtml(formatDuration(t.intervalMs))} / ${escapeHtml(formatDuration(t.timeoutMs))}</td>
<td class="error">${escapeHtml(t.lastError ?? '')}</td>
</tr>`;
}

/** `/service-discovery`: discovered labels of active and dropped targets, per job. */
export function renderServiceDiscoveryPage(
  jobs: readonly JobView[],
  options: TargetsPageOptions,
): string {
  const filter = options.filter;
  let shown = 0;
  const sections = jobs.map((job, index) => {
    let visible = 0;
    const row = (
      state: 'active' | 'dropped',
      discovered: Labels,
      labels: Labels | undefined,
    ): string => {
      const text = searchText('', discovered, labels ?? []);
      const match = rowMatches(text, state, filter);
      if (match) visible++;
      const relabel = escapeHtml(relabelStepsHref(job.name, discovered));
      const after =
        labels === undefined
          ? '<span class="state dropped">DROPPED</span>'
          : `<div class="chips">${chips(labels)}</div>`;
      return `<tr data-state="${state}" data-text="${escapeHtml(text)}"${match ? '' : ' hidden'}>
<td><div class="chips discovered">${chips(discovered)}</div></td>
<td>${after}<br><a class="relabel" href="${relabel}">relabeling ›</a></td>
</tr>`;
    };
    const rows = [
      ...job.targets.map((t) => row('active', t.discoveredLabels, t.labels)),
      ...job.dropped.map((d) => row('dropped', d, undefined)),
    ];
    shown += visible;
    const notKept = job.droppedCount - job.dropped.length;
    const note =
      notKept > 0
        ? `<p class="note">${plural(notKept, 'more dropped target')} not kept (keep_dropped_targets).</p>`
        : '';
    const hidden = filtering(filter) && visible === 0 ? ' hidden' : '';
    const table =
      rows.length === 0
        ? '<p class="empty">No targets discovered.</p>'
        : `<table>
<colgroup><col style="width:55%"><col></colgroup>
<thead><tr><th>Discovered labels</th><th>Target labels</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
    return `<section id="job-${index}" data-job${hidden}>
<h2>${escapeHtml(job.name)} <span class="count">(${job.targets.length} active, ${job.droppedCount} dropped)</span></h2>
${table}${note}
</section>`;
  });
  const subtitle = options.subtitle === undefined ? '' : ` · ${escapeHtml(options.subtitle)}`;
  const sub = `${plural(jobs.length, 'job')}${subtitle} · ${asOf(options.nowMs)}`;
  const body = `${filterBar(filter, SD_FILTER, 'Filter by labels')}
<div id="content">
${jobs.length === 0 ? '<p class="empty">No scrape configs.</p>' : ''}
${noMatch(jobs.length > 0 && shown === 0 && filtering(filter), 'No target matches the filter.')}
${sections.join('\n')}
</div>`;
  return layout('service-discovery', 'Service discovery', sub, body);
}

/** Field order of a rule on the page (Prometheus's UI order), others after in name order. */
const RULE_FIELDS = [
  'action',
  'source_labels',
  'separator',
  'regex',
  'modulus',
  'replacement',
  'target_label',
];

function ruleTable(rule: Readonly<Record<string, unknown>>): string {
  const rank = (k: string) => {
    const i = RULE_FIELDS.indexOf(k);
    return i < 0 ? RULE_FIELDS.length : i;
  };
  const rows = Object.entries(rule)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(text)}</td></tr>`;
    });
  return `<table>${rows.join('')}</table>`;
}

/** The labels after a step, each marked added (+), changed (~) or removed (−) against `before`. */
function labelsDiffTable(after: Labels, before: Labels): string {
  const prev = new Map(before.map((l) => [l.name, l.value]));
  const now = new Map(after.map((l) => [l.name, l.value]));
  const names = [...new Set([...prev.keys(), ...now.keys()])].sort();
  const rows = names.map((name) => {
    const was = prev.get(name);
    const is = now.get(name);
    const [cls, mark] =
      is === undefined
        ? ['removed', '−']
        : was === undefined
          ? ['added', '+']
          : was !== is
            ? ['changed', '~']
            : ['', ''];
    const value = is ?? was ?? '';
    return `<tr${cls === '' ? '' : ` class="${cls}"`}><td class="mark">${mark}</td><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`;
  });
  return `<table>${rows.join('')}</table>`;
}

function stepHtml(step: RelabelStepView, index: number, before: Labels, reached: boolean): string {
  if (!reached) {
    return `<div class="step skipped"><h3>Rule ${index + 1} · not applied (dropped before)</h3>${ruleTable(step.rule)}</div>`;
  }
  const result = step.keep
    ? `<h4>Labels after rule ${index + 1}</h4>${labelsDiffTable(step.output, before)}`
    : '<p class="verdict dropped">Dropped by this rule.</p>';
  return `<div class="step" data-step="${index + 1}"><h3>Rule ${index + 1}</h3>${ruleTable(step.rule)}${result}</div>`;
}

/** `/relabel-steps`: the steps of one label set, with what each rule did. */
export function renderRelabelStepsPage(view: RelabelStepsView, nowMs: number): string {
  const parts = [
    `<div class="step"><h3>Discovered labels</h3>${labelsDiffTable(view.input, view.input)}</div>`,
  ];
  let before = view.input;
  let reached = true;
  view.steps.forEach((step, i) => {
    parts.push(stepHtml(step, i, before, reached));
    if (reached && !step.keep) reached = false;
    if (step.keep) before = step.output;
  });
  const last = view.steps.at(-1);
  const verdict =
    view.steps.length === 0
      ? 'The job has no relabel_configs: the discovered labels are kept as they are.'
      : last?.keep === true
        ? 'Kept: the target is scraped; its labels are those above without the ones starting with __ (and instance set from __address__ when absent).'
        : 'Dropped: the target is not scraped.';
  const body = `<p><a href="/service-discovery">‹ Service discovery</a></p>
<h2>Relabeling steps · ${escapeHtml(view.scrapePool)}</h2>
<div class="steps" id="steps">
${parts.join('\n')}
<p class="verdict" id="verdict">${escapeHtml(verdict)}</p>
</div>`;
  return layout('relabel-steps', 'Relabeling steps', asOf(nowMs), body);
}

function chips(labels: Labels): string {
  return labels
    .map((l) => `<span class="chip">${escapeHtml(`${l.name}="${l.value}"`)}</span>`)
    .join('');
}

function formatLabelsPlain(labels: Labels): string {
  return labels.map((l) => `${l.name}="${l.value}"`).join(', ');
}
