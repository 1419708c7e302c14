import { describe, expect, it } from 'vitest';
import { parseSize } from '../../src/config/size.js';
import { loadErrors, onlyJob } from './helpers.js';

const KiB = 1024;

describe('parseSize (§1.1, alecthomas/units Base2Bytes)', () => {
  it.each([
    ['0', 0],
    ['1B', 1],
    ['1KB', KiB],
    ['1KiB', KiB],
    ['10MB', 10 * KiB ** 2],
    ['10MiB', 10 * KiB ** 2],
    ['1GB', KiB ** 3],
    ['2GiB', 2 * KiB ** 3],
    ['1TB', KiB ** 4],
    ['1TiB', KiB ** 4],
    ['1PB', KiB ** 5],
    ['1PiB', KiB ** 5],
    ['1EB', KiB ** 6],
    ['1EiB', KiB ** 6],
    ['1.5KB', 1536],
    ['1GiB512MiB', KiB ** 3 + 512 * KiB ** 2],
    ['1KiB512B', KiB + 512],
    ['+2KB', 2 * KiB],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['', 'units: invalid '],
    ['1024', 'units: unknown unit  in 1024'],
    ['00', 'units: unknown unit  in 00'],
    ['kB', 'units: invalid kB'],
    ['1kB', 'units: unknown unit kB in 1kB'],
    ['1mb', 'units: unknown unit mb in 1mb'],
    ['1 MB', 'units: unknown unit  MB in 1 MB'],
    ['1KiB1KB', 'units: unknown unit KiB in 1KiB1KB'],
    ['.KB', 'units: invalid .KB'],
    ['-1KB', 'units: negative size -1KB'],
    ['99999999999EB', 'units: overflow parsing unit'],
  ])('rejects %j (%s)', (text, message) => {
    expect(() => parseSize(text)).toThrow(message);
  });

  it('reads body_size_limit in bytes', () => {
    expect(
      onlyJob('scrape_configs:\n  - {job_name: x, body_size_limit: 15MB}\n').bodySizeLimit,
    ).toBe(15 * KiB ** 2);
  });
});

describe('sizes in a config need a unit, as in Prometheus', () => {
  it.each([
    {
      name: 'global body_size_limit',
      text: 'global:\n  body_size_limit: 1048576\n',
      error: 'prometheus.yml:2:20: units: unknown unit  in 1048576',
    },
    {
      name: 'a job body_size_limit',
      text: 'scrape_configs:\n  - job_name: x\n    body_size_limit: 512\n',
      error: 'prometheus.yml:3:22: units: unknown unit  in 512',
    },
    {
      name: 'storage.tsdb.retention.size',
      text: 'storage:\n  tsdb:\n    retention: {size: 10}\n',
      error: 'prometheus.yml:3:23: units: unknown unit  in 10',
    },
  ])('$name', ({ text, error }) => {
    expect(loadErrors(text)).toEqual([error]);
  });

  it('0 alone needs none', () => {
    expect(onlyJob('scrape_configs:\n  - {job_name: x, body_size_limit: 0}\n').bodySizeLimit).toBe(
      0,
    );
  });
});
