import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTask,
  encodeTask,
  encodeTaskSized,
  MAX_DECODE_BYTES,
  MAX_DECODE_LABELS,
  splitScrapeTask,
  TaskCodecError,
} from '../../src/aws/task-codec.js';
import type { ScrapeTask } from '../../src/ports.js';
import { ec2Target, retireArb, type ScrapeOnly, scrapeArb } from './task-arbitraries.js';

/**
 * What SQS refuses in a body (#x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000+), checked per
 * UTF-16 unit as fauxqs does, which refuses astral characters too: the codec escapes those.
 */
const SQS_INVALID = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/;

describe('task codec round trip', () => {
  it('decode(encode(t)) equals t for random scrape and retire tasks, unicode included', () => {
    fc.assert(
      fc.property(fc.oneof(scrapeArb, retireArb), (task) => {
        const { body, bytes } = encodeTaskSized(task);
        expect(bytes).toBe(Buffer.byteLength(body, 'utf8'));
        expect(SQS_INVALID.test(body)).toBe(false);
        expect(decodeTask(body)).toEqual(task);
      }),
      { numRuns: 300 },
    );
  });

  it('carries each job’s target count (target_limit, §2.6), also through a split', () => {
    const targets = [1, 2, 3, 4, 5, 6].map(ec2Target);
    const task: ScrapeOnly = { kind: 'scrape', slotMs: 5, targets, jobTargets: { node: 1200 } };
    expect(decodeTask(encodeTask(task))).toEqual(task);
    const one = encodeTaskSized({ ...task, targets: targets.slice(0, 2) }).bytes;
    const parts = splitScrapeTask(task, one);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(decodeTask(encodeTask(part))).toEqual(part);
    expect(parts.map((p) => p.jobTargets)).toEqual(parts.map(() => ({ node: 1200 })));
    // No count for a job of the task: no counts on the wire at all.
    expect(decodeTask(encodeTask({ ...task, jobTargets: {} }))).toEqual({
      kind: 'scrape',
      slotMs: 5,
      targets,
    });
    const body = JSON.parse(encodeTask(task));
    for (const jc of [[1, 2], ['3'], [-1], 'x']) {
      expect(() => decodeTask(JSON.stringify({ ...body, jc }))).toThrow(
        expect.objectContaining({ code: 'TASK_MALFORMED' }),
      );
    }
  });

  it('shares the labels common to all targets and is compact', () => {
    const task: ScrapeTask = {
      kind: 'scrape',
      slotMs: 1_700_000_000_000,
      targets: Array.from({ length: 100 }, (_, i) => ec2Target(i)),
    };
    const body = encodeTask(task);
    const parsed = JSON.parse(body);
    expect(parsed.v).toBe(1);
    expect(parsed.cl).toContain('__metrics_path__');
    expect(decodeTask(body)).toEqual(task);
    const perTarget = Buffer.byteLength(body) / 100;
    const plainJson = Buffer.byteLength(JSON.stringify(task)) / 100;
    expect(perTarget).toBeLessThan(plainJson / 2);
    expect(perTarget).toBeLessThan(400);
  });

  it('refuses to encode a task that breaks the Labels contract', () => {
    const t = ec2Target(1);
    const bad = { ...t, labels: [...t.labels].reverse() };
    expect(() => encodeTask({ kind: 'scrape', slotMs: 0, targets: [bad] })).toThrow(
      expect.objectContaining({ code: 'TASK_INVALID' }),
    );
    expect(() => encodeTask({ kind: 'scrape', slotMs: 0, targets: [] })).toThrow(TaskCodecError);
    expect(() => encodeTask({ kind: 'retire', target: t, staleTimeMs: 1.5 })).toThrow(
      expect.objectContaining({ code: 'TASK_INVALID' }),
    );
  });
});

describe('task codec rejects malformed bodies with typed errors', () => {
  const valid = JSON.parse(
    encodeTask({ kind: 'scrape', slotMs: 5, targets: [ec2Target(1), ec2Target(2)] }),
  );
  // biome-ignore lint/suspicious/noExplicitAny: patches reach into the untyped wire object
  const variant = (patch: (o: any) => void): string => {
    const o = structuredClone(valid);
    patch(o);
    return JSON.stringify(o);
  };
  const cases: [string, string, string][] = [
    ['empty', '', 'TASK_MALFORMED'],
    ['not JSON', '{"v":1', 'TASK_MALFORMED'],
    ['null', 'null', 'TASK_MALFORMED'],
    ['array', '[1]', 'TASK_MALFORMED'],
    ['no version', variant((o) => delete o.v), 'TASK_MALFORMED'],
    [
      'future version',
      variant((o) => {
        o.v = 2;
      }),
      'TASK_UNSUPPORTED_VERSION',
    ],
    [
      'unknown kind',
      variant((o) => {
        o.k = 'x';
      }),
      'TASK_MALFORMED',
    ],
    [
      'fractional slot',
      variant((o) => {
        o.s = 1.5;
      }),
      'TASK_MALFORMED',
    ],
    [
      'negative slot',
      variant((o) => {
        o.s = -1;
      }),
      'TASK_MALFORMED',
    ],
    [
      'huge slot',
      variant((o) => {
        o.s = 1e300;
      }),
      'TASK_MALFORMED',
    ],
    [
      'no targets',
      variant((o) => {
        o.t = [];
      }),
      'TASK_MALFORMED',
    ],
    [
      'targets not array',
      variant((o) => {
        o.t = {};
      }),
      'TASK_MALFORMED',
    ],
    ['short tuple', variant((o) => o.t[0].splice(3)), 'TASK_MALFORMED'],
    [
      'job index out of range',
      variant((o) => {
        o.t[0][0] = 7;
      }),
      'TASK_MALFORMED',
    ],
    [
      'url not http',
      variant((o) => {
        o.t[0][1] = 'file:///etc/passwd';
      }),
      'TASK_MALFORMED',
    ],
    [
      'interval zero',
      variant((o) => {
        o.t[0][2] = 0;
      }),
      'TASK_MALFORMED',
    ],
    [
      'offset beyond interval',
      variant((o) => {
        o.t[0][4] = 15_000;
      }),
      'TASK_MALFORMED',
    ],
    [
      'bad id',
      variant((o) => {
        o.t[0][5] = 'XYZ';
      }),
      'TASK_MALFORMED',
    ],
    ['odd labels', variant((o) => o.t[0][6].push('x')), 'TASK_MALFORMED'],
    [
      'label not string',
      variant((o) => {
        o.t[0][6][1] = 3;
      }),
      'TASK_MALFORMED',
    ],
    [
      'empty label value',
      variant((o) => {
        o.t[0][6][1] = '';
      }),
      'TASK_MALFORMED',
    ],
    ['label also common', variant((o) => o.t[0][6].push('job', 'x')), 'TASK_MALFORMED'],
    [
      'common not array',
      variant((o) => {
        o.cl = 'job';
      }),
      'TASK_MALFORMED',
    ],
    [
      'jobs not strings',
      variant((o) => {
        o.j = [1];
      }),
      'TASK_MALFORMED',
    ],
    [
      'retire with two targets',
      variant((o) => {
        o.k = 'r';
        o.st = 1;
      }),
      'TASK_MALFORMED',
    ],
  ];
  it.each(cases)('%s', (_name, body, code) => {
    expect(() => decodeTask(body)).toThrow(TaskCodecError);
    expect(() => decodeTask(body)).toThrow(expect.objectContaining({ code }));
  });

  // Found by test/aws/task-codec.fuzz.test.ts: the error message stringified the bad value,
  // which overflows the stack for deep nesting (a RangeError, not a TaskCodecError).
  it.each(['s', 'k', 'st'])('a deeply nested %s is malformed, not a stack overflow', (field) => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const o = structuredClone(valid);
    if (field === 'st') o.k = 'r';
    o[field] = '@';
    const body = JSON.stringify(o).replace('"@"', deep);
    expect(() => decodeTask(body)).toThrow(expect.objectContaining({ code: 'TASK_MALFORMED' }));
    const tuple = structuredClone(valid);
    tuple.t[0][0] = '@';
    expect(() => decodeTask(JSON.stringify(tuple).replace('"@"', deep))).toThrow(
      expect.objectContaining({
        code: 'TASK_MALFORMED',
        message: 't[0][0]: job index an array is not in j',
      }),
    );
  });

  it(`refuses a body over ${MAX_DECODE_BYTES} UTF-8 bytes, counted as SQS counts them`, () => {
    // Fewer UTF-16 units than the limit, more bytes: the limit is in bytes.
    const body = `"${'é'.repeat(MAX_DECODE_BYTES / 2)}"`;
    expect(body.length).toBeLessThan(MAX_DECODE_BYTES);
    expect(() => decodeTask(body)).toThrow(
      `body of ${MAX_DECODE_BYTES + 2} bytes exceeds the limit of ${MAX_DECODE_BYTES}`,
    );
  });

  // Found by the fuzz suite: the common labels are copied into every target, so a 100 KB body
  // could claim billions of labels (quadratic in the body).
  it(`refuses common labels × targets over ${MAX_DECODE_LABELS}`, () => {
    const o = structuredClone(valid);
    const common = 2048;
    o.cl = Array.from({ length: common }, (_, i) => [
      `c${i.toString(36).padStart(3, '0')}`,
      'v',
    ]).flat();
    o.cd = [];
    const targets = Math.floor(MAX_DECODE_LABELS / common) + 1;
    o.t = Array.from({ length: targets }, () => o.t[0]);
    const body = JSON.stringify(o);
    expect(body.length).toBeLessThan(MAX_DECODE_BYTES);
    expect(() => decodeTask(body)).toThrow(
      `t: ${targets} targets × ${common} common labels exceed the limit of ${MAX_DECODE_LABELS} labels`,
    );
  });
});

describe('splitScrapeTask', () => {
  it('keeps every target exactly once, in order, and every part within the limit', () => {
    fc.assert(
      fc.property(scrapeArb, fc.integer({ min: 1_500, max: 6_000 }), (task, maxBytes) => {
        let parts: ScrapeOnly[];
        try {
          parts = splitScrapeTask(task, maxBytes);
        } catch (err) {
          // Only acceptable when some single target cannot fit.
          expect(err).toMatchObject({ code: 'TASK_TOO_LARGE' });
          return;
        }
        for (const p of parts) {
          expect(p.slotMs).toBe(task.slotMs);
          expect(encodeTaskSized(p).bytes).toBeLessThanOrEqual(maxBytes);
        }
        expect(parts.flatMap((p) => p.targets)).toEqual(task.targets);
      }),
      { numRuns: 300 },
    );
  });

  it('fills parts close to the limit (no needless messages)', () => {
    const task: ScrapeOnly = {
      kind: 'scrape',
      slotMs: 0,
      targets: Array.from({ length: 2_000 }, (_, i) => ec2Target(i)),
    };
    const max = 64 * 1024;
    const parts = splitScrapeTask(task, max);
    const total = parts.reduce((n, p) => n + encodeTaskSized(p).bytes, 0);
    expect(parts.length).toBeLessThanOrEqual(Math.ceil(total / max) + 1);
    expect(parts.flatMap((p) => p.targets)).toEqual(task.targets);
  });

  it('returns the task itself when it fits; TASK_TOO_LARGE when one target cannot fit', () => {
    const task: ScrapeOnly = { kind: 'scrape', slotMs: 0, targets: [ec2Target(1)] };
    expect(splitScrapeTask(task, 256 * 1024)).toEqual([task]);
    const two: ScrapeOnly = { kind: 'scrape', slotMs: 0, targets: [ec2Target(1), ec2Target(2)] };
    expect(() => splitScrapeTask(two, 100)).toThrow(
      expect.objectContaining({ code: 'TASK_TOO_LARGE' }),
    );
  });
});
