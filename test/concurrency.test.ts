/** The concurrency limit every bounded fan-out shares (src/concurrency.ts). */
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from '../src/concurrency.js';

/** A task that runs until released, recording when it starts. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once and starts the others in call order', async () => {
    const log: string[] = [];
    const limiter = new ConcurrencyLimiter(2);
    const gates = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const results = gates.map((g) => limiter.run(g.task));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    gates[1]!.release();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    // A task queued now waits behind d, though a slot frees before d has started.
    const late = gate(log, 'e');
    const lateResult = limiter.run(late.task);
    gates[0]!.release();
    await tick();
    expect(log.slice(4)).toEqual(['end a', 'start d']);
    gates[2]!.release();
    gates[3]!.release();
    late.release();
    expect(await Promise.all([...results, lateResult])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(log.filter((l) => l.startsWith('start')).map((l) => l.slice(6))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('frees the slot of a task that throws, and passes the error on', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const failed = limiter.run(async () => {
      throw new Error('boom');
    });
    const next = limiter.run(async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('with Infinity, starts every task at once', async () => {
    const log: string[] = [];
    const limiter = new ConcurrencyLimiter(Number.POSITIVE_INFINITY);
    const gates = Array.from({ length: 50 }, (_, i) => gate(log, String(i)));
    const results = gates.map((g) => limiter.run(g.task));
    await tick();
    expect(log).toHaveLength(50);
    for (const g of gates) g.release();
    await Promise.all(results);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (limit) => {
    expect(() => new ConcurrencyLimiter(limit)).toThrow(RangeError);
  });
});
