/**
 * The body of a scrape-queue message: a {@link ScrapeTask} as compact JSON (docs/design.md "The
 * flow": dispatcher → SQS → scraper; decision 6, "SQS messages carry many targets each").
 *
 * Wire format, version 1 (`v`), one JSON object:
 *
 * ```
 * scrape: {"v":1,"k":"s","s":<slotMs>,        "j":[job…],"cl":[n,v,…],"cd":[n,v,…],"t":[T…](,"jc":[n…])}
 * retire: {"v":1,"k":"r","st":<staleTimeMs>,  "j":[job…],"cl":[n,v,…],"cd":[n,v,…],"t":[T]}
 * T = [jobIndex, url, intervalMs, timeoutMs, offsetMs, id, labels, discoveredLabels(, public)]
 * ```
 *
 * - Label sets are flat `[name, value, name, value, …]` arrays.
 * - `cl` / `cd` hold the label pairs every target of the message has in `labels` /
 *   `discoveredLabels` (typically `job`, `__scheme__`, `__metrics_path__`, the interval and
 *   timeout, common `__meta_*`); each target carries only the rest. The decoder merges and sorts.
 * - `publicLabels` is omitted when it equals the labels not starting with `__` (how
 *   `targets/build.ts` derives it, §2.3); otherwise it is the ninth element.
 * - `j` lists the distinct job names; a target refers to its job by index. `jc`, when present,
 *   holds `jobTargets` (each job's active target count) in the order of `j`; it is written
 *   only when the task has a count for every job of its targets.
 * - U+FFFE / U+FFFF (which SQS refuses) and characters above U+FFFF are written as JSON escapes
 *   (`escapeJsonForSqs`), lone surrogates too (JSON.stringify). Every body this module writes is
 *   accepted by SQS and by emulators that check per UTF-16 unit (fauxqs).
 *
 * Contracts:
 * - `decodeTask(encodeTask(t))` deep-equals `t` for every task whose label sets keep the
 *   `Labels` contract (sorted by name, no duplicate names, no empty values — model/labels.ts);
 *   `encodeTask` refuses a task that breaks it (`TASK_INVALID`) rather than altering it.
 * - `decodeTask` treats its input as untrusted (docs/design.md decision 9): anything but a well-formed
 *   version-1 body is a {@link TaskCodecError} (`TASK_MALFORMED`, `TASK_UNSUPPORTED_VERSION`),
 *   never another exception, and the work it does is linear in the body's length, which is
 *   bounded by {@link MAX_DECODE_BYTES}, except for the label sets it builds: the labels common
 *   to all targets are copied into each, which is bounded by {@link MAX_DECODE_LABELS}.
 * - Sizes are UTF-8 bytes of the body, as SQS counts them ({@link encodeTaskSized}).
 */

import { type Label, type Labels, labelsEqual } from '../model/labels.js';
import { shownValue as shown } from '../model/shown-value.js';
import type { ScrapeTask } from '../ports.js';
import type { Target } from '../targets/types.js';
import { bodyBytes, escapeJsonForSqs } from './sqs-limits.js';

/** The wire version this module writes and the only one it reads. */
export const TASK_CODEC_VERSION = 1;

/** Largest body `decodeTask` looks at: SQS's own maximum message size (1 MiB). */
export const MAX_DECODE_BYTES = 1024 * 1024;

/**
 * Most label references `decodeTask` creates by merging `cl` / `cd` into every target: targets ×
 * (common labels + common discovered labels). Without it a 1 MiB body (50,000 tiny common pairs,
 * 10,000 minimal targets) would claim 500 million labels — gigabytes. Prometheus has no
 * equivalent (it never ships targets in messages). A task the dispatcher writes stays far below:
 * even a 1 MiB body of 100-byte targets sharing 50 labels each is some 500,000; this is 8× that.
 */
export const MAX_DECODE_LABELS = 4 * 1024 * 1024;

export const TASK_CODEC_ERROR_CODES = {
  /** Not JSON, or JSON of the wrong shape or with invalid values (decode). */
  malformed: 'TASK_MALFORMED',
  /** Well-formed, but a `v` this build does not read (decode). */
  unsupportedVersion: 'TASK_UNSUPPORTED_VERSION',
  /** The task given to encode breaks a contract (unsorted labels, non-integer times, …). */
  invalid: 'TASK_INVALID',
  /** A single target does not fit in the size limit, so the task cannot be split (split). */
  tooLarge: 'TASK_TOO_LARGE',
} as const;
export type TaskCodecErrorCode =
  (typeof TASK_CODEC_ERROR_CODES)[keyof typeof TASK_CODEC_ERROR_CODES];

/** The one error class of this module; `path` points into the body (e.g. `t[3][6]`). */
export class TaskCodecError extends Error {
  override readonly name = 'TaskCodecError';
  constructor(
    readonly code: TaskCodecErrorCode,
    message: string,
    readonly path = '',
    options?: { cause?: unknown },
  ) {
    super(path === '' ? message : `${path}: ${message}`, options);
  }
}

/** A body and its size in UTF-8 bytes. */
export interface EncodedTask {
  readonly body: string;
  readonly bytes: number;
}

/** Encodes a task as a message body (format above). Throws `TASK_INVALID`. */
export function encodeTask(task: ScrapeTask): string {
  const head =
    task.kind === 'scrape'
      ? { v: TASK_CODEC_VERSION, k: 's', s: checkTime(task.slotMs, 'slotMs') }
      : { v: TASK_CODEC_VERSION, k: 'r', st: checkTime(task.staleTimeMs, 'staleTimeMs') };
  const targets = task.kind === 'scrape' ? task.targets : [task.target];
  if (task.kind === 'scrape' && targets.length === 0) {
    throw new TaskCodecError('TASK_INVALID', 'a scrape task needs at least one target');
  }
  const encoded = encodeTargets(targets);
  const jc = task.kind === 'scrape' ? jobCounts(task.jobTargets, encoded.j) : undefined;
  return escapeJsonForSqs(JSON.stringify({ ...head, ...encoded, ...(jc ? { jc } : {}) }));
}

/** `jobTargets` in the order of `jobs`, or undefined unless every job has a valid count. */
function jobCounts(
  jobTargets: Readonly<Record<string, number>> | undefined,
  jobs: readonly string[],
): number[] | undefined {
  if (jobTargets === undefined) return undefined;
  const out: number[] = [];
  for (const job of jobs) {
    const n = Object.hasOwn(jobTargets, job) ? jobTargets[job] : undefined;
    if (n === undefined) return undefined;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TaskCodecError('TASK_INVALID', `jobTargets of ${job} is not a count: ${n}`);
    }
    out.push(n);
  }
  return out;
}

/** {@link encodeTask} plus the body's size as SQS counts it. */
export function encodeTaskSized(task: ScrapeTask): EncodedTask {
  const body = encodeTask(task);
  return { body, bytes: bodyBytes(body) };
}

/**
 * Splits a scrape task into tasks of the same slot whose bodies are each at most `maxBytes`,
 * keeping every target exactly once and in order. Returns `[task]` when it fits already.
 * Throws `TASK_TOO_LARGE` when one target alone does not fit.
 */
export function splitScrapeTask(
  task: Extract<ScrapeTask, { kind: 'scrape' }>,
  maxBytes: number,
): Extract<ScrapeTask, { kind: 'scrape' }>[] {
  const whole = encodeTaskSized(task);
  if (whole.bytes <= maxBytes) return [task];
  // Greedy by an estimate: the envelope with the labels common to the whole task, plus each
  // target's tuple without them. A subset shares at least those labels, so a chunk's real size
  // is at most about its estimate; every chunk is checked anyway and halved until it fits.
  const all = encodeTargets(task.targets);
  const overhead = bodyBytes(
    escapeJsonForSqs(
      JSON.stringify({ v: TASK_CODEC_VERSION, k: 's', s: task.slotMs, ...all, t: [] }),
    ),
  );
  const sizes = all.t.map((tuple) => bodyBytes(escapeJsonForSqs(JSON.stringify(tuple))) + 1);
  const out: Extract<ScrapeTask, { kind: 'scrape' }>[] = [];
  const emit = (targets: readonly Target[]): void => {
    const part = {
      kind: 'scrape' as const,
      slotMs: task.slotMs,
      targets,
      ...(task.jobTargets === undefined
        ? {}
        : { jobTargets: partCounts(task.jobTargets, targets) }),
    };
    if (encodeTaskSized(part).bytes <= maxBytes) {
      out.push(part);
    } else if (targets.length === 1) {
      throw new TaskCodecError(
        'TASK_TOO_LARGE',
        `target ${targets[0]!.id} (${targets[0]!.url}) alone needs more than ${maxBytes} bytes`,
      );
    } else {
      const mid = targets.length >> 1;
      emit(targets.slice(0, mid));
      emit(targets.slice(mid));
    }
  };
  let chunk: Target[] = [];
  let estimate = overhead;
  for (const [i, target] of task.targets.entries()) {
    const size = sizes[i]!;
    if (chunk.length > 0 && estimate + size > maxBytes) {
      emit(chunk);
      chunk = [];
      estimate = overhead;
    }
    chunk.push(target);
    estimate += size;
  }
  if (chunk.length > 0) emit(chunk);
  return out;
}

/** The counts of the jobs `targets` hold. */
function partCounts(
  counts: Readonly<Record<string, number>>,
  targets: readonly Target[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of targets) if (Object.hasOwn(counts, t.job)) out[t.job] = counts[t.job]!;
  return out;
}

/** Decodes and validates a message body. Throws {@link TaskCodecError} only. */
export function decodeTask(body: string): ScrapeTask {
  if (typeof body !== 'string') throw malformed('body is not a string');
  // UTF-8 bytes, as SQS counts them (counted without copying the body).
  const bytes = bodyBytes(body);
  if (bytes > MAX_DECODE_BYTES) {
    throw malformed(`body of ${bytes} bytes exceeds the limit of ${MAX_DECODE_BYTES}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new TaskCodecError('TASK_MALFORMED', 'body is not JSON', '', { cause: err });
  }
  if (!isRecord(raw)) throw malformed('body is not a JSON object');
  if (raw.v !== TASK_CODEC_VERSION) {
    if (typeof raw.v === 'number') {
      throw new TaskCodecError(
        'TASK_UNSUPPORTED_VERSION',
        `version ${raw.v} is not supported (this build reads ${TASK_CODEC_VERSION})`,
        'v',
      );
    }
    throw malformed('missing or non-numeric version', 'v');
  }
  const jobs = stringArray(raw.j, 'j');
  const common = flatLabels(raw.cl, 'cl');
  const commonDiscovered = flatLabels(raw.cd, 'cd');
  if (!Array.isArray(raw.t)) throw malformed('not an array', 't');
  const merged = raw.t.length * (common.length + commonDiscovered.length);
  if (merged > MAX_DECODE_LABELS) {
    throw malformed(
      `${raw.t.length} targets × ${common.length + commonDiscovered.length} common labels ` +
        `exceed the limit of ${MAX_DECODE_LABELS} labels`,
      't',
    );
  }
  const targets = raw.t.map((t, i) => decodeTarget(t, `t[${i}]`, jobs, common, commonDiscovered));
  if (raw.k === 's') {
    if (targets.length === 0) throw malformed('a scrape task needs at least one target', 't');
    const slotMs = time(raw.s, 's');
    if (raw.jc === undefined) return { kind: 'scrape', slotMs, targets };
    if (!Array.isArray(raw.jc) || raw.jc.length !== jobs.length) {
      throw malformed('not an array of one count per job', 'jc');
    }
    const jobTargets: Record<string, number> = {};
    for (const [i, job] of jobs.entries()) jobTargets[job] = count(raw.jc[i], `jc[${i}]`);
    return { kind: 'scrape', slotMs, targets, jobTargets };
  }
  if (raw.k === 'r') {
    if (targets.length !== 1) throw malformed('a retire task has exactly one target', 't');
    return { kind: 'retire', target: targets[0]!, staleTimeMs: time(raw.st, 'st') };
  }
  throw malformed(`unknown kind ${shown(raw.k)}`, 'k');
}

// ---------------------------------------------------------------------------------------------
// Encoding

type TargetTuple = (string | number | string[])[];

function encodeTargets(targets: readonly Target[]): {
  j: string[];
  cl: string[];
  cd: string[];
  t: TargetTuple[];
} {
  const jobIndex = new Map<string, number>();
  const common = commonPairs(targets.map((t) => t.labels));
  const commonDiscovered = commonPairs(targets.map((t) => t.discoveredLabels));
  const t = targets.map((target, i): TargetTuple => {
    const path = `targets[${i}]`;
    checkLabels(target.labels, `${path}.labels`);
    checkLabels(target.discoveredLabels, `${path}.discoveredLabels`);
    checkLabels(target.publicLabels, `${path}.publicLabels`);
    checkTarget(target, path);
    let j = jobIndex.get(target.job);
    if (j === undefined) {
      j = jobIndex.size;
      jobIndex.set(target.job, j);
    }
    const tuple: TargetTuple = [
      j,
      target.url,
      target.intervalMs,
      target.timeoutMs,
      target.offsetMs,
      target.id,
      flatten(target.labels, common),
      flatten(target.discoveredLabels, commonDiscovered),
    ];
    if (!labelsEqual(target.publicLabels, derivePublic(target.labels))) {
      tuple.push(flatten(target.publicLabels, undefined));
    }
    return tuple;
  });
  return {
    j: [...jobIndex.keys()],
    cl: flatten(
      [...common].map(([name, value]) => ({ name, value })),
      undefined,
    ),
    cd: flatten(
      [...commonDiscovered].map(([name, value]) => ({ name, value })),
      undefined,
    ),
    t,
  };
}

/** Pairs present, with the same value, in every one of the label sets. */
function commonPairs(sets: readonly Labels[]): Map<string, string> {
  const first = sets[0];
  const out = new Map<string, string>();
  if (first === undefined) return out;
  for (const l of first) out.set(l.name, l.value);
  for (let i = 1; i < sets.length && out.size > 0; i++) {
    const seen = new Set<string>();
    for (const l of sets[i]!) if (out.get(l.name) === l.value) seen.add(l.name);
    for (const name of [...out.keys()]) if (!seen.has(name)) out.delete(name);
  }
  return out;
}

function flatten(labels: Labels, except: ReadonlyMap<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const l of labels) {
    if (except !== undefined && except.get(l.name) === l.value) continue;
    out.push(l.name, l.value);
  }
  return out;
}

function checkTime(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TaskCodecError(
      'TASK_INVALID',
      `${what} must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}

function checkLabels(labels: Labels, path: string): void {
  const problem = labelsProblem(labels);
  if (problem !== undefined) throw new TaskCodecError('TASK_INVALID', problem, path);
}

function checkTarget(target: Target, path: string): void {
  const problem = targetProblem(target);
  if (problem !== undefined) throw new TaskCodecError('TASK_INVALID', problem, path);
}

// ---------------------------------------------------------------------------------------------
// Decoding

function decodeTarget(
  raw: unknown,
  path: string,
  jobs: readonly string[],
  common: Labels,
  commonDiscovered: Labels,
): Target {
  if (!Array.isArray(raw) || (raw.length !== 8 && raw.length !== 9)) {
    throw malformed('a target is an array of 8 or 9 elements', path);
  }
  const [j, url, intervalMs, timeoutMs, offsetMs, id, labels, discovered, pub] = raw as unknown[];
  if (typeof j !== 'number' || !Number.isInteger(j) || jobs[j] === undefined) {
    throw malformed(`job index ${shown(j)} is not in j`, `${path}[0]`);
  }
  if (typeof url !== 'string') throw malformed('url is not a string', `${path}[1]`);
  if (typeof id !== 'string') throw malformed('id is not a string', `${path}[5]`);
  const target: Target = {
    job: jobs[j]!,
    labels: merge(common, flatLabels(labels, `${path}[6]`), `${path}[6]`),
    publicLabels: [],
    discoveredLabels: merge(commonDiscovered, flatLabels(discovered, `${path}[7]`), `${path}[7]`),
    url,
    intervalMs: time(intervalMs, `${path}[2]`),
    timeoutMs: time(timeoutMs, `${path}[3]`),
    id,
    offsetMs: time(offsetMs, `${path}[4]`),
  };
  const publicLabels =
    pub === undefined
      ? derivePublic(target.labels)
      : merge([], flatLabels(pub, `${path}[8]`), `${path}[8]`);
  const out = { ...target, publicLabels };
  const problem = targetProblem(out);
  if (problem !== undefined) throw malformed(problem, path);
  return out;
}

function flatLabels(raw: unknown, path: string): Label[] {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) {
    throw malformed('labels are a flat array of name/value pairs', path);
  }
  const out: Label[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name: unknown = raw[i];
    const value: unknown = raw[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw malformed('label names and values are strings', `${path}[${i}]`);
    }
    out.push({ name, value });
  }
  return out;
}

/** Common pairs plus a target's own, sorted; a name in both (or twice) is malformed. */
function merge(common: Labels, own: Label[], path: string): Labels {
  const all = common.length === 0 ? own : [...common, ...own];
  all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const problem = labelsProblem(all);
  if (problem !== undefined) throw malformed(problem, path);
  return all;
}

function stringArray(raw: unknown, path: string): string[] {
  if (!Array.isArray(raw) || !raw.every((s) => typeof s === 'string')) {
    throw malformed('not an array of strings', path);
  }
  return raw as string[];
}

function time(raw: unknown, path: string): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw malformed(`expected a non-negative integer, got ${shown(raw)}`, path);
  }
  return raw;
}

/** A count: a non-negative safe integer, checked like a time. */
const count = time;

function malformed(message: string, path = ''): TaskCodecError {
  return new TaskCodecError('TASK_MALFORMED', message, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Shared checks (the same rules on both sides)

/**
 * Why a task could not carry `target` (the rules `encodeTask` enforces: the `Labels` contract
 * of its three label sets, an http(s) URL, a 16-hex id, positive times, an offset within the
 * interval), or undefined. The target store reads its items with it, so that a stored target
 * is one the dispatcher can plan and send.
 */
export function queueTargetProblem(target: Target): string | undefined {
  for (const [what, labels] of [
    ['labels', target.labels],
    ['discoveredLabels', target.discoveredLabels],
    ['publicLabels', target.publicLabels],
  ] as const) {
    const problem = labelsProblem(labels);
    if (problem !== undefined) return `${what}: ${problem}`;
  }
  return targetProblem(target);
}

const TARGET_ID = /^[0-9a-f]{16}$/;

function labelsProblem(labels: Labels): string | undefined {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (typeof l.name !== 'string' || typeof l.value !== 'string') {
      return 'label names and values are strings';
    }
    if (l.name === '') return 'empty label name';
    if (l.value === '') return `label ${l.name} has an empty value`;
    if (i > 0 && !(labels[i - 1]!.name < l.name)) {
      return labels[i - 1]!.name === l.name
        ? `duplicate label ${l.name}`
        : `labels not sorted by name at ${l.name}`;
    }
  }
  return undefined;
}

function targetProblem(t: Target): string | undefined {
  if (typeof t.job !== 'string' || t.job === '') return 'job is empty';
  if (typeof t.url !== 'string' || !/^https?:\/\/./.test(t.url)) {
    return `url ${shown(t.url)} is not an http(s) URL`;
  }
  if (typeof t.id !== 'string' || !TARGET_ID.test(t.id)) {
    return `id ${shown(t.id)} is not 16 lowercase hex digits`;
  }
  for (const [what, v] of [
    ['intervalMs', t.intervalMs],
    ['timeoutMs', t.timeoutMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) return `${what} must be a positive integer, got ${v}`;
  }
  if (!Number.isSafeInteger(t.offsetMs) || t.offsetMs < 0 || t.offsetMs >= t.intervalMs) {
    return `offsetMs must be an integer in [0, intervalMs), got ${t.offsetMs}`;
  }
  return undefined;
}

function derivePublic(labels: Labels): Labels {
  return labels.filter((l) => !l.name.startsWith('__'));
}
