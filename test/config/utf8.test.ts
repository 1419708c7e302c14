/**
 * Text that is not UTF-8 is refused where go-yaml refuses it (src/config/yaml-source.ts), so
 * label names and values written in a config are always valid UTF-8 (§1.6).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/load.js';
import { load, loadErrors } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lambdascrape-utf8-'));

/** `check config`'s errors for a file holding exactly these bytes. */
async function fileErrors(name: string, bytes: Buffer): Promise<string[]> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return (await checkConfig(path, { env: {} })).map((e) => e.replace(`${dir}/`, ''));
}

const job = (labels: string) =>
  `scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [x:1]\n        labels: ${labels}\n`;

describe('bytes that are not UTF-8', () => {
  const cases = [
    {
      name: 'a Latin-1 byte in a label value',
      bytes: [0x65, 0xe9, 0x74, 0xe9],
      col: 23,
      message: 'invalid trailing UTF-8 octet',
    },
    {
      name: 'a lone continuation byte',
      bytes: [0x61, 0x80],
      col: 23,
      message: 'invalid leading UTF-8 octet',
    },
    {
      name: 'an overlong slash',
      bytes: [0xc0, 0xaf],
      col: 22,
      message: 'invalid length of a UTF-8 sequence',
    },
    {
      name: 'an encoded surrogate',
      bytes: [0xed, 0xa0, 0x80],
      col: 22,
      message: 'invalid Unicode character',
    },
  ];
  it.each(cases)('$name', async ({ bytes, col, message }) => {
    const text = Buffer.concat([
      Buffer.from(job('{v: "').replace(/\n$/, '')),
      Buffer.from(bytes),
      Buffer.from('"}\n'),
    ]);
    const name = `bytes-${col}-${bytes.join('-')}.yml`;
    expect(await fileErrors(name, text)).toEqual([`${name}:5:${col}: ${message}`]);
  });

  it('a sequence cut short by the end of the file', async () => {
    const text = Buffer.concat([Buffer.from('# é \n# '), Buffer.from([0xe2, 0x82])]);
    expect(await fileErrors('cut.yml', text)).toEqual([
      'cut.yml:2:3: incomplete UTF-8 octet sequence',
    ]);
  });

  it('valid multi-byte text and escapes outside the BMP load', async () => {
    const text = Buffer.from(job('{v: "été 😀", w: "\\U0001F600", "clé": "\\u00e9"}'));
    expect(await fileErrors('ok.yml', text)).toEqual([]);
    expect(load(job('{v: "\\U0001F600"}')).scrapeConfigs[0]!.staticConfigs[0]!.labels).toEqual({
      v: '😀',
    });
  });
});

describe('escapes and strings that are no Unicode text', () => {
  const cases = [
    {
      name: 'a surrogate escape in a label value',
      text: job('{v: "a\\ud800"}'),
      errors: ['prometheus.yml:5:23: found invalid Unicode character escape code'],
    },
    {
      name: 'a surrogate pair written as two escapes (go-yaml refuses each half)',
      text: job('{v: "\\uD83D\\uDE00"}'),
      errors: [
        'prometheus.yml:5:22: found invalid Unicode character escape code',
        'prometheus.yml:5:28: found invalid Unicode character escape code',
      ],
    },
    {
      name: 'a surrogate escape in an external label name',
      text: 'global:\n  external_labels: {"\\uDC00x": a}\n',
      errors: ['prometheus.yml:2:22: found invalid Unicode character escape code'],
    },
    {
      name: 'a surrogate escape in a relabel replacement',
      text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - {target_label: t, replacement: "\\udfff"}\n',
      errors: ['prometheus.yml:4:41: found invalid Unicode character escape code'],
    },
    {
      name: 'a lone surrogate in a string handed to the loader',
      text: job('{v: a\ud800}'),
      errors: ['prometheus.yml:5:22: invalid Unicode character'],
    },
  ];
  it.each(cases)('$name', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });

  it('an escaped backslash before u is no escape', () => {
    const labels = load(job('{v: "\\\\ud800"}')).scrapeConfigs[0]!.staticConfigs[0]!.labels;
    expect(labels).toEqual({ v: '\\ud800' });
  });
});
