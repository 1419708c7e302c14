/**
 * The discovered label set of one target, before relabeling (§2.1).
 */
import { formatDuration } from '../config/duration.js';
import type { ScrapeConfig } from '../config/types.js';
import { compareLabelNames, type Label, type Labels } from '../model/labels.js';
import { PARAM_LABEL_PREFIX } from './url.js';

/** Label names Prometheus gives meaning to on targets (§2). */
export const TargetLabel = {
  address: '__address__',
  scheme: '__scheme__',
  metricsPath: '__metrics_path__',
  scrapeInterval: '__scrape_interval__',
  scrapeTimeout: '__scrape_timeout__',
  scrapeNativeHistograms: '__scrape_native_histograms__',
  alwaysScrapeClassicHistograms: '__always_scrape_classic_histograms__',
  convertClassicHistogramsToNhcb: '__convert_classic_histograms_to_nhcb__',
  job: 'job',
  instance: 'instance',
} as const;

export const META_LABEL_PREFIX = '__meta_';

/** The `__*histograms*__` flags, which must parse as Go booleans after relabeling (§2.2). */
export const HISTOGRAM_FLAG_LABELS = [
  TargetLabel.convertClassicHistogramsToNhcb,
  TargetLabel.alwaysScrapeClassicHistograms,
  TargetLabel.scrapeNativeHistograms,
] as const;

/**
 * Builds the discovered label set of `target` in group `groupLabels` for `job` (§2.1):
 * 1. the target's own labels;
 * 2. each group label whose name the target record does not have (a target key with an empty
 *    value still blocks the group label, and then the label is simply absent);
 * 3. job defaults — `job`, `__scrape_interval__`, `__scrape_timeout__`, `__metrics_path__`,
 *    `__scheme__` and the three histogram flags — only where the label is absent or empty,
 *    so SD can override any of them;
 * 4. `__param_<k>` = first value of `params[k]`, only where absent.
 * Empty values mean absent throughout; the result is sorted and has no empty values.
 */
export function discoveredLabels(
  job: ScrapeConfig,
  target: Readonly<Record<string, string>>,
  groupLabels: Readonly<Record<string, string>>,
): Labels {
  const set = new Map<string, string>();
  const put = (name: string, value: string): void => {
    if (value === '') set.delete(name);
    else set.set(name, value);
  };
  for (const name of Object.keys(target)) put(name, target[name] ?? '');
  for (const name of Object.keys(groupLabels)) {
    if (!Object.hasOwn(target, name)) put(name, groupLabels[name] ?? '');
  }

  const defaults: ReadonlyArray<readonly [string, string]> = [
    [TargetLabel.job, job.jobName],
    [TargetLabel.scrapeInterval, formatDuration(job.scrapeInterval)],
    [TargetLabel.scrapeTimeout, formatDuration(job.scrapeTimeout)],
    [TargetLabel.metricsPath, job.metricsPath],
    [TargetLabel.scheme, job.scheme],
    [TargetLabel.convertClassicHistogramsToNhcb, String(job.convertClassicHistogramsToNhcb)],
    [TargetLabel.alwaysScrapeClassicHistograms, String(job.alwaysScrapeClassicHistograms)],
    [TargetLabel.scrapeNativeHistograms, String(job.scrapeNativeHistograms)],
  ];
  for (const [name, value] of defaults) {
    if ((set.get(name) ?? '') === '') put(name, value);
  }
  for (const key of Object.keys(job.params)) {
    const first = job.params[key]?.[0];
    const name = PARAM_LABEL_PREFIX + key;
    if (first !== undefined && (set.get(name) ?? '') === '') put(name, first);
  }

  const out: Label[] = [];
  for (const [name, value] of set) out.push({ name, value });
  return out.sort(compareLabelNames);
}
