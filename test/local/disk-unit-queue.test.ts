/**
 * The data directory's queue (`--storage.path`): units written before they count as accepted,
 * sent in order per stream, marked done on disk, found again after a restart (or a crash), and
 * the damage and bounds a restart must survive: a torn last record, a corrupted record, the size
 * limit, the retention time, a second process on the same directory.
 */
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32, crc32Portable } from '../../src/local/crc32.js';
import { DataDirectory, queueDirName } from '../../src/local/data-dir.js';
import {
  DiskUnitQueue,
  type DiskUnitQueueOptions,
  type RequestOutcome,
  type RequestSender,
  type UnitInfo,
} from '../../src/local/disk-unit-queue.js';
import { LocalErrorCode } from '../../src/local/errors.js';
import { type Logger, silentLogger } from '../../src/log/logger.js';
import type { PreparedRequest } from '../../src/remotewrite/writer.js';
import type { Clock } from '../../src/schedule/clock.js';

const dirs: string[] = [];
const queues: DiskUnitQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ls-queue-'));
  dirs.push(d);
  return d;
}

function manualClock(start = 1_700_000_000_000): Clock & { t: number } {
  const c = {
    t: start,
    now: () => c.t,
    setTimer: () => undefined,
    clearTimer: () => {},
  };
  return c;
}

function open(dir: string, options: Partial<DiskUnitQueueOptions> = {}): DiskUnitQueue {
  const q = DiskUnitQueue.open(dir, { name: 'rw', maxBytes: 0, maxAgeMs: 3_600_000, ...options });
  queues.push(q);
  return q;
}

/** A unit of one request whose body is `text` and which carries `samples` samples. */
function unit(text: string, samples = 2): PreparedRequest[] {
  return [{ body: Buffer.from(text), samples, exemplars: 0, metadata: 0 }];
}

function info(stream: string, slotMs = 0): UnitInfo {
  return { stream, job: 'j', url: `http://${stream}/metrics`, slotMs };
}

/**
 * Records what it is asked to send. `mode`: deliver at once, hold each send until released
 * (aborting resolves it retryable), or answer retryable at once (past the retry deadline).
 */
class FakeSender implements RequestSender {
  readonly abort = new AbortController();
  readonly signal = this.abort.signal;
  readonly sent: string[] = [];
  readonly held: { body: string; resolve: (o: RequestOutcome) => void }[] = [];
  constructor(public mode: 'deliver' | 'hold' | 'expire' | 'reject' = 'deliver') {}

  send(request: PreparedRequest, options: { signal: AbortSignal }): Promise<RequestOutcome> {
    const body = Buffer.from(request.body).toString();
    this.sent.push(body);
    if (this.mode === 'deliver') return Promise.resolve({ kind: 'delivered' });
    if (this.mode === 'expire') return Promise.resolve({ kind: 'retryable' });
    if (this.mode === 'reject') {
      return Promise.resolve({ kind: 'rejected', error: new Error('400 out of order') });
    }
    return new Promise((resolve) => {
      this.held.push({ body, resolve });
      options.signal.addEventListener('abort', () => resolve({ kind: 'retryable' }));
    });
  }

  release(): void {
    for (const h of this.held.splice(0)) h.resolve({ kind: 'delivered' });
  }
}

/** A logger that keeps the messages of its warnings. */
function warningsTo(warnings: string[]): Logger {
  return {
    ...silentLogger,
    warn: (msg: string) => {
      warnings.push(msg);
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('crc32', () => {
  it.each([
    { name: 'empty', data: '' },
    { name: 'check value', data: '123456789' },
    { name: 'text', data: 'The quick brown fox jumps over the lazy dog' },
  ])('$name: the portable version agrees with the known value and zlib', ({ data }) => {
    const bytes = Buffer.from(data);
    const known: Record<string, number> = { '': 0, '123456789': 0xcbf43926 };
    if (data in known) expect(crc32Portable(bytes)).toBe(known[data]);
    expect(crc32(bytes)).toBe(crc32Portable(bytes));
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (native !== undefined) expect(crc32Portable(bytes)).toBe(native(bytes));
  });

  it('continues from a previous value', () => {
    const a = Buffer.from('hello, ');
    const b = Buffer.from('world');
    expect(crc32Portable(b, crc32Portable(a))).toBe(crc32Portable(Buffer.concat([a, b])));
  });
});

describe('DiskUnitQueue', () => {
  it('sends the units of a stream one after the other and different streams side by side', async () => {
    const q = open(tempDir());
    const s = new FakeSender('hold');
    q.attach(s);
    expect(q.push(unit('a1'), info('a'))).toBe('kept');
    expect(q.push(unit('a2'), info('a'))).toBe('kept');
    expect(q.push(unit('b1'), info('b'))).toBe('kept');
    await settle();
    expect(s.sent).toEqual(['a1', 'b1']);
    expect(q.stats()).toMatchObject({ pendingUnits: 3, pendingSamples: 6 });
    s.release();
    await settle();
    expect(s.sent).toEqual(['a1', 'b1', 'a2']);
    s.release();
    await q.drained();
    expect(q.stats()).toMatchObject({ pendingUnits: 0, pendingSamples: 0 });
  });

  it('keeps what was not delivered across a restart and sends it first, in order', async () => {
    const dir = tempDir();
    const first = open(dir);
    for (const [body, stream] of [
      ['a1', 'a'],
      ['b1', 'b'],
      ['a2', 'a'],
      ['a3', 'a'],
    ] as const) {
      first.push(unit(body), info(stream));
    }
    first.close();

    const second = open(dir);
    expect(second.stats()).toMatchObject({ unitsReplayed: 4, samplesReplayed: 8, pendingUnits: 4 });
    second.push(unit('a4'), info('a')); // new, after the replayed ones of its stream
    const s = new FakeSender('hold');
    second.attach(s);
    const order: string[] = [];
    for (let i = 0; i < 5 && second.stats().pendingUnits > 0; i++) {
      await settle();
      order.push(...s.held.map((h) => h.body));
      s.release();
    }
    await second.drained();
    expect(order.filter((b) => b.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(order).toContain('b1');
    second.close();
    expect(open(dir).stats()).toMatchObject({ unitsReplayed: 0, pendingUnits: 0 });
  });

  it('records a delivery before the next unit of the stream goes out (a crash repeats at most that one)', async () => {
    const dir = tempDir();
    const q = open(dir);
    const s = new FakeSender('hold');
    q.attach(s);
    q.push(unit('a1'), info('a'));
    q.push(unit('a2'), info('a'));
    await settle();
    s.release(); // a1 delivered
    await settle();
    expect(s.sent).toEqual(['a1', 'a2']); // a2 in flight when the process dies
    // Killed: nothing closed. Another process reads the directory.
    const after = DiskUnitQueue.open(dir, { name: 'rw', maxBytes: 0, maxAgeMs: 3_600_000 });
    queues.push(after);
    expect(after.stats()).toMatchObject({ unitsReplayed: 1 });
    const s2 = new FakeSender();
    after.attach(s2);
    await after.drained();
    expect(s2.sent).toEqual(['a2']);
    s.abort.abort();
  });

  it('skips a torn last record with a warning, counts it, and cuts it off', async () => {
    const dir = tempDir();
    const q = open(dir);
    q.push(unit('a1'), info('a'));
    q.push(unit('a2'), info('a'));
    q.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment!);
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 3)); // the write of a2 cut short
    const warnings: string[] = [];
    const logger = warningsTo(warnings);

    const reopened = open(dir, { logger });
    expect(reopened.stats()).toMatchObject({
      unitsReplayed: 1,
      recordsSkipped: { torn: 1, corrupt: 0 },
    });
    expect(warnings).toContain('data directory: damaged record skipped');
    const s = new FakeSender();
    reopened.attach(s);
    await reopened.drained();
    expect(s.sent).toEqual(['a1']);
    reopened.close();
    expect(open(dir).stats().recordsSkipped).toEqual({ torn: 0, corrupt: 0 });
  });

  it('skips a corrupted record in the middle and reads the ones after it', async () => {
    const dir = tempDir();
    const q = open(dir);
    q.push(unit('a1-body'), info('a'));
    q.push(unit('a2-body'), info('a'));
    q.push(unit('a3-body'), info('a'));
    q.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment!);
    const bytes = readFileSync(path);
    const at = bytes.indexOf('a2-body');
    bytes[at] = 'x'.charCodeAt(0); // one flipped byte: the CRC no longer matches

    writeFileSync(path, bytes);
    const reopened = open(dir);
    expect(reopened.stats()).toMatchObject({
      unitsReplayed: 2,
      recordsSkipped: { torn: 0, corrupt: 1 },
    });
    const s = new FakeSender();
    reopened.attach(s);
    await reopened.drained();
    expect(s.sent).toEqual(['a1-body', 'a3-body']);
  });

  it('never crashes on garbage: an empty segment, a foreign file, random bytes', () => {
    const dir = tempDir();
    open(dir).close();
    writeFileSync(join(dir, '00000007'), Buffer.alloc(0));
    writeFileSync(join(dir, '00000008'), Buffer.from('not a segment at all'));
    appendFileSync(
      join(dir, '00000009'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)),
    );
    writeFileSync(join(dir, 'README'), 'ignored');
    const q = open(dir);
    expect(q.stats().pendingUnits).toBe(0);
    expect(q.stats().recordsSkipped.torn + q.stats().recordsSkipped.corrupt).toBe(2);
  });

  it('refuses a unit that would take the files past the size limit, and counts it', () => {
    const q = open(tempDir(), { maxBytes: 400 });
    const body = 'x'.repeat(100);
    const results = Array.from({ length: 5 }, (_, i) => q.push(unit(body, 10), info(`s${i}`)));
    expect(results.filter((r) => r === 'kept').length).toBeGreaterThan(0);
    expect(results.at(-1)).toBe('full');
    const stats = q.stats();
    expect(stats.bytes).toBeLessThanOrEqual(400);
    expect(stats.samplesDropped.full).toBe(10 * results.filter((r) => r === 'full').length);
  });

  it('frees disk as the head advances: delivered segments are deleted', async () => {
    const dir = tempDir();
    const q = open(dir, { segmentBytes: 256 });
    q.attach(new FakeSender());
    for (let i = 0; i < 50; i++) {
      q.push(unit(`unit-${i}-${'y'.repeat(60)}`), info('a'));
      await q.drained();
    }
    const files = readdirSync(dir);
    expect(files.length).toBeLessThanOrEqual(2);
    const onDisk = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(q.stats().bytes).toBe(onDisk);
    expect(onDisk).toBeLessThanOrEqual(2 * 256 + 200);
  });

  it('keeps segments while an older unit waits, and deletes them once it is delivered', async () => {
    const dir = tempDir();
    const q = open(dir, { segmentBytes: 256 });
    const slow = new FakeSender('hold');
    q.attach(slow);
    q.push(unit(`stuck-${'z'.repeat(100)}`), info('stuck'));
    for (let i = 0; i < 6; i++) q.push(unit(`other-${i}-${'z'.repeat(100)}`), info(`o${i}`));
    await settle();
    for (const h of slow.held.filter((h) => h.body.startsWith('other'))) {
      h.resolve({ kind: 'delivered' });
    }
    await settle();
    expect(readdirSync(dir).length).toBeGreaterThan(3); // held by the first unit
    slow.release();
    await q.drained();
    expect(readdirSync(dir).length).toBe(1);
  });

  it('gives up a unit older than the retention time before sending it, and counts it', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const q = open(dir, { clock, maxAgeMs: 7_200_000 });
    q.push(unit('old', 5), info('a'));
    clock.t += 7_200_000;
    q.push(unit('new', 3), info('a'));
    const s = new FakeSender();
    q.attach(s);
    await q.drained();
    expect(s.sent).toEqual(['new']);
    expect(q.stats().samplesDropped).toEqual({ expired: 5, full: 0, failed: 0 });
  });

  it('gives up a unit whose sending reaches the retention time (retryable without abort)', async () => {
    const q = open(tempDir());
    const s = new FakeSender('expire');
    q.attach(s);
    q.push(unit('late', 4), info('a'));
    await q.drained();
    expect(q.stats().samplesDropped.expired).toBe(4);
  });

  it('does not send a rejected unit again', async () => {
    const dir = tempDir();
    const q = open(dir);
    const s = new FakeSender('reject');
    q.attach(s);
    q.push(unit('bad'), info('a'));
    await q.drained();
    q.close();
    expect(open(dir).stats().unitsReplayed).toBe(0);
  });

  it('hands a stream over to the next sender when the sending one detaches', async () => {
    const q = open(tempDir());
    const old = new FakeSender('hold');
    const detachOld = q.attach(old);
    q.push(unit('a1'), info('a'));
    q.push(unit('a2'), info('a'));
    await settle();
    const next = new FakeSender();
    q.attach(next);
    old.abort.abort();
    await detachOld();
    await q.drained();
    expect(old.sent).toEqual(['a1']);
    expect(next.sent).toEqual(['a1', 'a2']);
  });

  it('reads back units spread over many more segments than it keeps open', async () => {
    const dir = tempDir();
    const q = open(dir, { segmentBytes: 128 });
    for (let i = 0; i < 40; i++)
      q.push(unit(`s${i % 8}-${i}-${'w'.repeat(60)}`), info(`s${i % 8}`));
    q.close();
    const again = open(dir, { segmentBytes: 128 });
    expect(readdirSync(dir).length).toBeGreaterThan(30);
    const s = new FakeSender();
    again.attach(s);
    await again.drained();
    expect(s.sent).toHaveLength(40);
    expect(s.sent.filter((b) => b.startsWith('s3-')).map((b) => Number(b.split('-')[1]))).toEqual([
      3, 11, 19, 27, 35,
    ]);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('keeps the target URL on disk without its query secrets', () => {
    const dir = tempDir();
    const q = open(dir);
    q.push(unit('a1'), { ...info('a'), url: 'http://a:9100/metrics?token=s3cr3t' });
    q.close();
    const [segment] = readdirSync(dir);
    expect(readFileSync(join(dir, segment!)).includes('s3cr3t')).toBe(false);
  });

  it('waits for a sender: without one, units stay on disk', async () => {
    const q = open(tempDir());
    q.push(unit('a1'), info('a'));
    await settle();
    expect(q.stats().pendingUnits).toBe(1);
  });

  it('sends the requests of a unit not yet delivered again after an interruption, and only those', async () => {
    const q = open(tempDir());
    const first = new FakeSender('hold');
    q.attach(first);
    q.push(
      [
        { body: Buffer.from('r1'), samples: 1, exemplars: 0, metadata: 0 },
        { body: Buffer.from('r2'), samples: 1, exemplars: 0, metadata: 0 },
      ],
      info('a'),
    );
    await settle();
    first.held.find((h) => h.body === 'r1')!.resolve({ kind: 'delivered' });
    first.abort.abort();
    await settle();
    const second = new FakeSender();
    q.attach(second);
    await q.drained();
    expect(second.sent).toEqual(['r2']);
  });
});

describe('DataDirectory', () => {
  const options = { maxBytesPerQueue: 0, maxAgeMs: 3_600_000 };

  it('refuses a directory another live process uses, with a clear error', () => {
    const dir = tempDir();
    const first = DataDirectory.open(dir, { ...options, pid: 1111, isAlive: () => true });
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe('1111\n');
    expect(() => DataDirectory.open(dir, { ...options, pid: 2222, isAlive: () => true })).toThrow(
      expect.objectContaining({
        code: LocalErrorCode.dataDirLocked,
        message: expect.stringContaining('in use by process 1111'),
      }),
    );
    first.close();
    expect(readdirSync(dir)).not.toContain('lock');
    DataDirectory.open(dir, { ...options, pid: 2222, isAlive: () => true }).close();
  });

  it('takes over the lock of a process that is gone (killed), with a warning', () => {
    const dir = tempDir();
    DataDirectory.open(dir, { ...options, pid: 1111 }); // never closed: killed
    const warnings: string[] = [];
    const logger = warningsTo(warnings);
    const second = DataDirectory.open(dir, { ...options, pid: 2222, isAlive: () => false, logger });
    expect(warnings).toEqual(['data directory: lock of a process that is gone taken over']);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe('2222\n');
    second.close();
  });

  it('keeps one queue per remote_write name, shared until closed, and lists the others', () => {
    const dir = tempDir();
    const d = DataDirectory.open(dir, options);
    const q = d.queue('backend');
    expect(d.queue('backend')).toBe(q);
    d.queue('gone/../x');
    expect(d.otherQueues(['backend'])).toEqual(['gone/../x']);
    d.close();
    expect(readdirSync(join(dir, 'remote_write')).sort()).toEqual(['backend', 'gone%2F%2E%2E%2Fx']);
  });

  it.each([
    { name: 'plain', input: 'backend', dir: 'backend' },
    { name: 'dots and slashes escaped', input: '../a.b', dir: '%2E%2E%2Fa%2Eb' },
    { name: 'non-ASCII as UTF-8 bytes', input: 'é', dir: '%C3%A9' },
    {
      name: 'too long: hashed',
      input: 'x'.repeat(300),
      dir: expect.stringMatching(/^sha256-[0-9a-f]{64}$/),
    },
  ])('queue directory name: $name', ({ input, dir }) => {
    expect(queueDirName(input)).toEqual(dir);
  });
});
