import { describe, expect, it } from 'vitest';
import { createSecret } from '../../src/config/index.js';
import { createLogger, type LogFormat, logfmtValue } from '../../src/log/logger.js';

function capture(format: LogFormat, level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ format, level, write: (l) => lines.push(l), now: () => 0 });
  return { logger, lines };
}

describe('logger', () => {
  it.each([
    { name: 'plain token', value: 'abc', want: 'abc' },
    { name: 'number', value: 12.5, want: '12.5' },
    { name: 'boolean', value: true, want: 'true' },
    { name: 'space', value: 'a b', want: '"a b"' },
    { name: 'empty', value: '', want: '""' },
    { name: 'quote and backslash', value: 'say "hi" \\o/', want: '"say \\"hi\\" \\\\o/"' },
    { name: 'newline', value: 'a\nb', want: '"a\\nb"' },
    { name: 'equals', value: 'a=b', want: '"a=b"' },
    { name: 'control char', value: 'a\u0001', want: '"a\\u0001"' },
    { name: 'object', value: { a: 1 }, want: '"{\\"a\\":1}"' },
  ])('logfmt value: $name', ({ value, want }) => {
    expect(logfmtValue(value)).toBe(want);
  });

  it('writes logfmt lines with ts, level, msg and fields', () => {
    const { logger, lines } = capture('logfmt');
    logger.child({ job: 'node' }).info('scrape failed', { url: 'http://x/metrics', n: 3 });
    expect(lines).toEqual([
      'ts=1970-01-01T00:00:00.000Z level=info msg="scrape failed" job=node url=http://x/metrics n=3\n',
    ]);
  });

  it('logfmt, which people read, gives an error without its internal code', () => {
    const { logger, lines } = capture('logfmt');
    logger.error('reload failed', {
      err: Object.assign(new Error('scrape_interval: not a valid duration'), {
        code: 'LOCAL_RELOAD_FAILED',
      }),
    });
    expect(lines[0]).toBe(
      'ts=1970-01-01T00:00:00.000Z level=error msg="reload failed" err="scrape_interval: not a valid duration"\n',
    );
  });

  it('writes JSON lines', () => {
    const { logger, lines } = capture('json');
    logger.warn('x', { err: Object.assign(new Error('bad'), { code: 'E_BAD' }), big: 10n });
    expect(JSON.parse(lines[0]!)).toEqual({
      ts: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'x',
      err: 'bad (E_BAD)',
      big: '10',
    });
  });

  it.each([
    { level: 'debug' as const, want: 4 },
    { level: 'info' as const, want: 3 },
    { level: 'warn' as const, want: 2 },
    { level: 'error' as const, want: 1 },
  ])('level $level drops lower levels', ({ level, want }) => {
    const { logger, lines } = capture('logfmt', level);
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines).toHaveLength(want);
  });

  it.each(['logfmt', 'json'] as const)('never prints secrets (%s)', (format) => {
    const { logger, lines } = capture(format);
    const secret = createSecret('hunter2');
    logger.info('m', {
      secret,
      nested: { password: 'hunter2', inner: secret },
      password: 'hunter2',
      bearer_token: 'hunter2',
      authorization: 'Bearer hunter2',
      list: [secret],
    });
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).toContain('<secret>');
  });
});

describe('logger redaction of URLs', () => {
  const url = 'http://u:p@h:1/m?token=s';

  it.each(['logfmt', 'json'] as const)('prints no userinfo and no query value (%s)', (format) => {
    const { logger, lines } = capture(format);
    logger.warn('scrape failed', { url, err: new Error(`Get "${url}": connect ECONNREFUSED`) });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain('p@');
    expect(line).not.toContain('u:p');
    expect(line).not.toMatch(/token=s\b/);
    expect(line).toContain('http://h:1/m?token=xxxxx');
  });

  it.each(['logfmt', 'json'] as const)(
    'redacts fields at any depth and in messages (%s)',
    (format) => {
      const { logger, lines } = capture(format);
      logger
        .child({ endpoint: 'https://a:b@rw.example/api/v1/write?apikey=s' })
        .info(`retrying ${url}`, {
          target: 'u:p@h:1',
          nested: { proxy_url: 'http://u:p@proxy:3128', list: [url] },
          note: `see ${url}.`,
        });
      const line = lines[0]!;
      expect(line).not.toContain('p@');
      expect(line).not.toContain('a:b');
      expect(line).not.toMatch(/(token|apikey)=s\b/);
      expect(line).toContain('rw.example/api/v1/write?apikey=xxxxx');
    },
  );

  it('leaves a field without URL as it was', () => {
    const { logger, lines } = capture('logfmt');
    logger.info('m', { target: 'abcdef0123456789', address: '10.0.0.1:9100', job: 'a?b' });
    expect(lines[0]).toBe(
      'ts=1970-01-01T00:00:00.000Z level=info msg=m target=abcdef0123456789 address=10.0.0.1:9100 job=a?b\n',
    );
  });
});
