/**
 * The `/targets` page: per job a section headed "job (n/m up)" with one row per target —
 * endpoint, state, labels as chips, last scrape (relative), duration, last error — and the
 * number of dropped targets. Plain server-side HTML with inline CSS and no script.
 *
 * Every label name, label value, URL and error text comes from configs, service discovery or
 * scraped targets, so all of it is untrusted: it only reaches the page through
 * {@link escapeHtml}, in text or double-quoted attribute positions. The server also sends a
 * Content-Security-Policy that forbids scripts.
 */
import type { Labels } from '../model/labels.js';
import type { JobView, TargetHealth, TargetView } from './target-view.js';

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
header{background:#24292f;color:#fff;padding:12px 24px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600}
header .sub{color:#c9d1d9;font-size:13px}
main{padding:16px 24px 40px;max-width:1600px}
nav.summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:16px}
nav.summary a{text-decoration:none;color:#1f2328;background:#fff;border:1px solid #d0d7de;border-radius:16px;padding:3px 12px;font-size:13px}
nav.summary a.bad{border-color:#cf222e;color:#cf222e}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin-bottom:20px;overflow:hidden}
section>h2{font-size:16px;margin:0;padding:10px 14px;background:#f6f8fa;border-bottom:1px solid #d0d7de;display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}
section>h2 .count{font-weight:400;color:#57606a}
section>h2 .count.bad{color:#cf222e;font-weight:600}
section>h2 .dropped{font-weight:400;color:#57606a;font-size:13px;margin-left:auto}
.problem{margin:0;padding:8px 14px;background:#fff8c5;border-bottom:1px solid #d4a72c;color:#4d2d00;font-size:13px}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{text-align:left;padding:8px 14px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#57606a;font-weight:600}
tr:last-child td{border-bottom:none}
td.endpoint a{color:#0969da;text-decoration:none;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.state{display:inline-block;min-width:76px;text-align:center;font-weight:700;font-size:12px;padding:2px 8px;border-radius:4px;color:#fff}
.state.up{background:#1a7f37}.state.down{background:#cf222e}.state.unknown{background:#8c959f}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{display:inline-block;background:#ddf4ff;color:#0a3069;border-radius:4px;padding:1px 7px;font-size:12px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere;max-width:100%}
td.when,td.dur{white-space:nowrap;color:#57606a}
td.error{color:#cf222e;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
p.empty{padding:12px 14px;margin:0;color:#57606a}
`;

export interface TargetsPageOptions {
  /** Clock time (ms) the relative times are computed against. */
  readonly nowMs: number;
  /** Shown in the header, e.g. the config file. */
  readonly subtitle?: string;
}

export function renderTargetsPage(jobs: readonly JobView[], options: TargetsPageOptions): string {
  const totalUp = jobs.reduce((n, j) => n + countUp(j.targets), 0);
  const total = jobs.reduce((n, j) => n + j.targets.length, 0);
  const sections = jobs.map((job, i) => renderJob(job, i, options.nowMs)).join('\n');
  const summary = jobs
    .map((job, i) => {
      const up = countUp(job.targets);
      const bad = up < job.targets.length ? ' class="bad"' : '';
      return `<a href="#job-${i}"${bad}>${escapeHtml(job.name)} (${up}/${job.targets.length} up)</a>`;
    })
    .join('');
  const subtitle = options.subtitle === undefined ? '' : ` · ${escapeHtml(options.subtitle)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Targets · lambdascrape</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>lambdascrape · Targets</h1><span class="sub">${totalUp}/${total} up in ${jobs.length} job${jobs.length === 1 ? '' : 's'}${subtitle} · as of ${escapeHtml(new Date(options.nowMs).toISOString())}</span></header>
<main>
${jobs.length === 0 ? '<p class="empty">No scrape configs.</p>' : `<nav class="summary">${summary}</nav>`}
${sections}
</main>
</body>
</html>
`;
}

function countUp(targets: readonly TargetView[]): number {
  let n = 0;
  for (const t of targets) if (t.health === 'up') n++;
  return n;
}

function renderJob(job: JobView, index: number, nowMs: number): string {
  const up = countUp(job.targets);
  const bad = up < job.targets.length ? ' bad' : '';
  const dropped =
    job.droppedCount > 0
      ? `<span class="dropped">${job.droppedCount} dropped target${job.droppedCount === 1 ? '' : 's'}</span>`
      : '';
  const problems = job.problems.map((p) => `<p class="problem">${escapeHtml(p)}</p>`).join('');
  const body =
    job.targets.length === 0
      ? '<p class="empty">No active targets.</p>'
      : `<table>
<colgroup><col style="width:27%"><col style="width:100px"><col><col style="width:130px"><col style="width:108px"><col style="width:22%"></colgroup>
<thead><tr><th>Endpoint</th><th>State</th><th>Labels</th><th>Last scrape</th><th>Duration</th><th>Error</th></tr></thead>
<tbody>
${job.targets.map((t) => renderTarget(t, nowMs)).join('\n')}
</tbody>
</table>`;
  return `<section id="job-${index}">
<h2>${escapeHtml(job.name)} <span class="count${bad}">(${up}/${job.targets.length} up)</span>${dropped}</h2>
${problems}${body}
</section>`;
}

function renderTarget(t: TargetView, nowMs: number): string {
  const url = escapeHtml(t.url);
  // Only http(s) URLs become links (a relabeled scheme could be anything).
  const endpoint = /^https?:\/\//i.test(t.url)
    ? `<a href="${url}" rel="noreferrer noopener">${url}</a>`
    : url;
  const title = escapeHtml(`discovered: ${formatLabelsPlain(t.discoveredLabels)}`);
  return `<tr>
<td class="endpoint">${endpoint}</td>
<td><span class="state ${t.health}">${STATE_TEXT[t.health]}</span></td>
<td><div class="chips" title="${title}">${chips(t.labels)}</div></td>
<td class="when">${escapeHtml(formatAgo(t.lastScrapeMs, nowMs))}</td>
<td class="dur">${escapeHtml(formatScrapeDuration(t.lastDurationSeconds))}</td>
<td class="error">${escapeHtml(t.lastError ?? '')}</td>
</tr>`;
}

function chips(labels: Labels): string {
  return labels
    .map((l) => `<span class="chip">${escapeHtml(`${l.name}="${l.value}"`)}</span>`)
    .join('');
}

function formatLabelsPlain(labels: Labels): string {
  return labels.map((l) => `${l.name}="${l.value}"`).join(', ');
}
