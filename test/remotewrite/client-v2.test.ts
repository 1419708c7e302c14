/**
 * The client's side of 2.0 (§11.4): the headers of each message, and the written-count
 * response headers read as the spec and Prometheus read them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteWriteClient, writtenCounts } from '../../src/remotewrite/client.js';
import { sendWriteRequest } from '../../src/remotewrite/send.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { PROTOBUF_MESSAGE_V1, PROTOBUF_MESSAGE_V2 } from '../../src/remotewrite/transcode.js';
import { remoteWriteConfig } from './config.js';
import { reply, startReceiver, type TestReceiver } from './wire.js';

let rx: TestReceiver;
beforeEach(async () => {
  rx = await startReceiver();
});
afterEach(async () => {
  await rx.close();
});

const BODY = snappyCompress(new Uint8Array(0));

describe('remote write client, 2.0', () => {
  it('sends each message with its own Content-Type and version; configured headers cannot replace them', async () => {
    const c = createRemoteWriteClient(
      remoteWriteConfig(rx.url, {
        protobufMessage: PROTOBUF_MESSAGE_V2,
        headers: { 'X-Scope-OrgID': 'tenant-1' },
      }),
    );
    try {
      await sendWriteRequest(c, BODY, { protobufMessage: PROTOBUF_MESSAGE_V2 });
      await sendWriteRequest(c, BODY, { protobufMessage: PROTOBUF_MESSAGE_V1 });
      await sendWriteRequest(c, BODY); // 1.0 unless told
    } finally {
      await c.close();
    }
    const pick = (i: number) => {
      const h = rx.requests[i]!.headers;
      return [
        h['content-type'],
        h['content-encoding'],
        h['x-prometheus-remote-write-version'],
        h['x-scope-orgid'],
      ];
    };
    expect(pick(0)).toEqual([
      'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'snappy',
      '2.0.0',
      'tenant-1',
    ]);
    expect(pick(1)).toEqual(['application/x-protobuf', 'snappy', '0.1.0', 'tenant-1']);
    expect(pick(2)).toEqual(pick(1));
    expect(rx.requests[0]!.headers['user-agent']).toMatch(/^lambdascrape\//);
  });

  it('a 2xx carries the written counts when the receiver sends any of them', async () => {
    const c = createRemoteWriteClient(remoteWriteConfig(rx.url));
    rx.respond(
      reply(204, '', {
        'X-Prometheus-Remote-Write-Samples-Written': '12',
        'X-Prometheus-Remote-Write-Histograms-Written': '0',
        'X-Prometheus-Remote-Write-Exemplars-Written': '3',
      }),
      reply(200, '', { 'X-Prometheus-Remote-Write-Samples-Written': '5' }),
      reply(204),
    );
    try {
      const out = [];
      for (let i = 0; i < 3; i++) out.push(await c.post(BODY, 0, 5_000));
      expect(out).toEqual([
        { ok: true, status: 204, written: { samples: 12, histograms: 0, exemplars: 3 } },
        { ok: true, status: 200, written: { samples: 5, histograms: 0, exemplars: 0 } },
        { ok: true, status: 204 },
      ]);
    } finally {
      await c.close();
    }
  });

  it.each([
    { name: 'none', headers: {}, want: undefined },
    { name: 'empty means absent', headers: { s: '' }, want: undefined },
    { name: 'one present: the others are 0', headers: { e: '4' }, want: [0, 0, 4] },
    { name: 'not a number counts 0', headers: { s: 'many', h: '1' }, want: [0, 1, 0] },
    { name: 'negative counts 0', headers: { s: '-3' }, want: [0, 0, 0] },
    { name: 'signs and spaces', headers: { s: ' +7 ' }, want: [7, 0, 0] },
    { name: 'repeated: the first', headers: { s: ['2', '9'] }, want: [2, 0, 0] },
  ])('written counts: $name', ({ headers, want }) => {
    const h = headers as Record<string, string | string[] | undefined>;
    const counts = writtenCounts({
      'x-prometheus-remote-write-samples-written': h.s,
      'x-prometheus-remote-write-histograms-written': h.h,
      'x-prometheus-remote-write-exemplars-written': h.e,
    });
    expect(counts && [counts.samples, counts.histograms, counts.exemplars]).toEqual(want);
  });
});
