/** The cost model's arithmetic, against figures computed by hand (in the comments). */
import { describe, expect, it } from 'vitest';
import { emfMetricKeys } from '../../src/cli/simulate-meter.js';
import {
  type CostMeasurement,
  cpuScale,
  DEFAULT_COST_MODEL,
  DEFAULT_PRICES,
  detailedMonitoringModel,
  estimateMonthlyCost,
  FULL_VCPU_MEMORY_MB,
  type FunctionMeasurement,
  formatCostReport,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  parseMemory,
  parsePrices,
  platformLogsModel,
  sqsBilledRequests,
} from '../../src/serverless/cost.js';

const idle: FunctionMeasurement = {
  invocations: 0,
  billedMs: [],
  waitedMs: 0,
  sqsRequests: 0,
  emptyReceives: 0,
  readUnits: 0,
  writeUnits: 0,
  logBytes: 0,
  peakConcurrency: 0,
  initMs: 0,
};

/** 60 s measured, 1,000 scrapes, extrapolated to 10 scrapes/s = 26,280,000 a month. */
const measurement: CostMeasurement = {
  durationMs: 60_000,
  scrapes: 1_000,
  scrapesPerSecond: 10,
  customMetrics: 4,
  latenessMs: [5, 1, 3, 2, 4],
  peakRssBytes: 200 * 1_048_576,
  functions: {
    // One run: × 43,800 a month.
    discovery: { ...idle, invocations: 1, billedMs: [500], readUnits: 2, logBytes: 700 },
    dispatcher: { ...idle, invocations: 1, billedMs: [100], sqsRequests: 3, writeUnits: 1 },
    // Per scrape: × 26,280 a month.
    scraper: {
      ...idle,
      invocations: 20,
      billedMs: Array.from({ length: 20 }, () => 1_000),
      waitedMs: 15_000,
      sqsRequests: 40,
      emptyReceives: 3,
      readUnits: 1_000,
      writeUnits: 10,
      logBytes: 100_000,
      peakConcurrency: 2,
      initMs: 300,
    },
    outbox: { ...idle },
  },
};

const line = (r: ReturnType<typeof estimateMonthlyCost>, item: string) => {
  const l = r.lines.find((x) => x.item.startsWith(item));
  if (l === undefined) throw new Error(`no line ${item}`);
  return l;
};

/** 1,769 / 1,024: how much longer work measured on a full core takes at 1,024 MB. */
const AT_1024 = 1.7275390625;

describe('estimateMonthlyCost', () => {
  const r = estimateMonthlyCost(measurement);

  it('extrapolates the scraper per scrape', () => {
    expect(r.scrapesPerMonth).toBe(26_280_000);
    // 20 invocations × 26,280 = 525,600; × $0.20 / M = $0.10512
    expect(line(r, 'scraper invocations').quantity).toBeCloseTo(525_600, 6);
    expect(line(r, 'scraper invocations').usd).toBeCloseTo(0.10512, 8);
    // 20 s measured, 15 s of it waiting: 5 s of work × 1,769 / 1,024 = 8.6377 s, + 15 s
    // = 23.6377 s × 26,280 = 621,198.63 s at 1 GB; × $0.0000133334 = $8.28268985
    expect(line(r, 'scraper duration').quantity).toBeCloseTo(621_198.6328125, 6);
    expect(line(r, 'scraper duration').usd).toBeCloseTo(8.28268985, 6);
    // 2 containers × 730 h / 2 h = 730 cold starts × 0.3 s × 1,769 / 1,024 × 1 GB = 378.33 GB-s
    expect(line(r, 'scraper INIT').quantity).toBeCloseTo(219 * AT_1024, 6);
    expect(line(r, 'scraper INIT').item).toContain('730 cold starts');
  });

  it('extrapolates the minute schedules per invocation', () => {
    // 43,800 runs × 0.5 s × 1,769 / 512 × 0.5 GB = 37,833.11 GB-s; requests $0.00876
    expect(line(r, 'discovery duration').quantity).toBeCloseTo(37_833.10546875, 6);
    expect(line(r, 'discovery invocations').usd).toBeCloseTo(0.00876, 8);
    // 43,800 × 0.1 s × 1,769 / 1,024 × 1 GB = 7,566.62 GB-s
    expect(line(r, 'dispatcher duration').quantity).toBeCloseTo(7_566.62109375, 6);
  });

  it('prices SQS, DynamoDB, logs and the fixed items', () => {
    // scraper 40 × 26,280 = 1,051,200; dispatcher 3 × 43,800 = 131,400;
    // empty receives 3 × 5 pollers × (2,628,000 s / 60 s = 43,800) = 657,000 → 1,839,600
    expect(line(r, 'SQS requests (standard').quantity).toBeCloseTo(1_839_600, 4);
    expect(line(r, 'SQS requests (standard').usd).toBeCloseTo(0.73584, 8);
    // The outbox did nothing: no FIFO request.
    expect(line(r, 'SQS requests (FIFO').quantity).toBe(0);
    // reads 2 × 43,800 + 1,000 × 26,280 = 26,367,600 RRU → $3.29595
    expect(line(r, 'DynamoDB reads').usd).toBeCloseTo(3.29595, 8);
    // writes 1 × 43,800 + 10 × 26,280 = 306,600 WRU → $0.191625
    expect(line(r, 'DynamoDB writes').usd).toBeCloseTo(0.191625, 8);
    // logs, the functions' own lines only (the construct drops Lambda's START/END/REPORT by
    // default): discovery 700 × 43,800 = 30.66 MB; scraper 100,000 × 26,280 = 2,628 MB
    // → 2,658.66 MB = 2.47605 GiB
    expect(line(r, 'CloudWatch Logs').quantity).toBeCloseTo(2_658_660_000 / 1_024 ** 3, 8);
    // With platformLogs, 300 B of them per invocation: discovery (700 + 300) × 43,800 = 43.8 MB;
    // dispatcher 300 × 43,800 = 13.14 MB; scraper (100,000 + 20 × 300) × 26,280 = 2,785.68 MB
    // → 2,842.62 MB = 2.64738 GiB
    const withPlatform = estimateMonthlyCost(measurement, platformLogsModel(DEFAULT_COST_MODEL));
    expect(line(withPlatform, 'CloudWatch Logs').quantity).toBeCloseTo(
      2_842_620_000 / 1_024 ** 3,
      8,
    );
    expect(line(r, 'custom metrics').usd).toBeCloseTo(1.2, 10);
    // The default deployment: no dashboard, 3 alarm metrics × $0.10.
    expect(line(r, 'dashboard').usd).toBe(0);
    expect(line(r, 'alarms').usd).toBeCloseTo(0.3, 10);
    expect(line(r, 'EventBridge').usd).toBe(0);
    // With detailedMonitoring: the dashboard and 11 alarm metrics.
    const detailed = estimateMonthlyCost(measurement, detailedMonitoringModel(DEFAULT_COST_MODEL));
    expect(line(detailed, 'dashboard').usd).toBe(3);
    expect(line(detailed, 'alarms').usd).toBeCloseTo(1.1, 10);
  });

  it('sums to the total, reports per scrape and per function', () => {
    const total = r.lines.reduce((a, l) => a + l.usd, 0);
    expect(r.totalUsd).toBeCloseTo(total, 10);
    expect(Object.values(r.byGroup).reduce((a, b) => a + b, 0)).toBeCloseTo(total, 10);
    // 621,198.63 s billed / 26,280,000 scrapes = 23.64 ms (5 ms of work scaled, 15 waiting)
    expect(r.perScrape.billedMs).toBeCloseTo(23.6376953125, 8);
    expect(r.perScrape.readUnits).toBeCloseTo(26_367_600 / 26_280_000, 10);
    const scraper = r.functions.find((f) => f.name === 'scraper')!;
    // p50 and p99 as measured; the CPU factor reported beside them.
    expect(scraper).toMatchObject({
      billedMsP50: 1_000,
      billedMsP99: 1_000,
      waitShare: 0.75,
      cpuScale: AT_1024,
    });
    expect(r.latenessMs).toEqual({ count: 5, min: 1, p50: 3, p90: 5, p99: 5, max: 5 });
  });

  it('scales with memory and prices given', () => {
    const cheap = estimateMonthlyCost(measurement, {
      ...DEFAULT_COST_MODEL,
      memoryMb: parseMemory(['scraper=256']),
      prices: parsePrices(['lambda_gb_second=0.0000166667']),
    });
    // (5 s × 1,769 / 256 + 15 s) × 26,280 = 1,302,194.53 s × 0.25 GB = 325,548.63 GB-s;
    // × $0.0000166667 = $5.4258214 (not a quarter of the 1,024 MB figure: the work is not cheaper)
    expect(line(cheap, 'scraper duration').quantity).toBeCloseTo(325_548.6328125, 6);
    expect(line(cheap, 'scraper duration').usd).toBeCloseTo(5.4258214, 6);
    expect(line(cheap, 'scraper duration').item).toContain('256 MB');
  });

  it('an idle deployment: no scrapes at a zero rate cost only the schedules and fixed items', () => {
    const r0 = estimateMonthlyCost({
      ...measurement,
      scrapes: 0,
      scrapesPerSecond: 0,
      functions: { ...measurement.functions, scraper: { ...idle, emptyReceives: 3 } },
    });
    expect(line(r0, 'scraper duration').usd).toBe(0);
    expect(line(r0, 'scraper INIT').usd).toBe(0);
    // dispatcher 131,400 + 657,000 empty receives
    expect(line(r0, 'SQS requests (standard').quantity).toBeCloseTo(788_400, 4);
    expect(r0.notes).toEqual([]);
  });
});

describe('SQS: the outbox is a FIFO queue (decision 13), billed at its own price', () => {
  /** The measurement with the outbox at work (one invocation), and optionally another scraper. */
  const withOutbox = (
    outbox: Partial<FunctionMeasurement>,
    scraper = measurement.functions.scraper,
  ) =>
    estimateMonthlyCost({
      ...measurement,
      functions: {
        ...measurement.functions,
        scraper,
        outbox: { ...idle, invocations: 1, billedMs: [50], ...outbox },
      },
    });

  it('the outbox function’s requests and its idle polls at $0.50 a million, the rest at $0.40', () => {
    expect(DEFAULT_PRICES.sqs_fifo_million_requests).toBe(0.5);
    expect(DEFAULT_PRICES.sqs_million_requests).toBe(0.4);
    const r = withOutbox({ sqsRequests: 10, emptyReceives: 2 });
    // outbox per scrape: 10 × 26,280 = 262,800; empty receives 2 × 5 pollers × 43,800 = 438,000
    // → 700,800 FIFO requests × $0.50 / M = $0.3504
    expect(line(r, 'SQS requests (FIFO').quantity).toBeCloseTo(700_800, 4);
    expect(line(r, 'SQS requests (FIFO').usd).toBeCloseTo(0.3504, 8);
    // The standard queue's as before: scraper, dispatcher and the scraper's poller.
    expect(line(r, 'SQS requests (standard').quantity).toBeCloseTo(1_839_600, 4);
    expect(r.byGroup.sqs).toBeCloseTo(0.73584 + 0.3504, 8);
    // Per scrape, both kinds: (1,839,600 + 700,800) / 26,280,000
    expect(r.perScrape.sqsRequests).toBeCloseTo(2_540_400 / 26_280_000, 10);
  });

  it('FIFO requests a function counted apart (the scraper’s parking sends) are priced as FIFO', () => {
    const r = withOutbox(
      { sqsRequests: 10, emptyReceives: 2 },
      { ...measurement.functions.scraper, fifoSqsRequests: 4 },
    );
    // scraper: 4 of its 40 requests a scrape were parks: 4 × 26,280 = 105,120 more FIFO
    expect(line(r, 'SQS requests (FIFO').quantity).toBeCloseTo(700_800 + 105_120, 4);
    expect(line(r, 'SQS requests (standard').quantity).toBeCloseTo(1_839_600 - 105_120, 4);
    // Never more FIFO requests than requests, never fewer than none.
    const over = withOutbox({ sqsRequests: 10, fifoSqsRequests: 50 });
    expect(line(over, 'SQS requests (FIFO').quantity).toBeCloseTo(262_800, 4);
    const outboxStandard = withOutbox({ sqsRequests: 10, fifoSqsRequests: 0 });
    expect(line(outboxStandard, 'SQS requests (FIFO').quantity).toBe(0);
  });

  it('the FIFO price is its own --price key, listed in the report', () => {
    const prices = parsePrices(['sqs_fifo_million_requests=0.4']);
    expect(prices).toEqual({ ...DEFAULT_PRICES, sqs_fifo_million_requests: 0.4 });
    const r = estimateMonthlyCost(
      {
        ...measurement,
        functions: {
          ...measurement.functions,
          outbox: { ...idle, invocations: 1, billedMs: [50], sqsRequests: 10 },
        },
      },
      { ...DEFAULT_COST_MODEL, prices },
    );
    expect(line(r, 'SQS requests (FIFO').usd).toBeCloseTo(0.10512, 8);
    expect(line(r, 'SQS requests (standard').usd).toBeCloseTo(0.73584, 8);
    const text = formatCostReport(r);
    expect(text).toMatch(/^ {2}sqs_fifo_million_requests\s+0\.4\s+per million FIFO/m);
    // One column of values however long the keys.
    const valueEnds = text
      .split('\n')
      .filter((l) => /^ {2}[a-z_]+ +[\d.]+ {2}per /.test(l))
      .map((l) => l.indexOf('  per '));
    expect(valueEnds).toHaveLength(Object.keys(DEFAULT_PRICES).length);
    expect(new Set(valueEnds).size).toBe(1);
  });
});

describe("Lambda's platform lines (START, END, REPORT)", () => {
  it('none by default, as the construct deploys; 300 B an invocation with platformLogs', () => {
    expect(DEFAULT_COST_MODEL.platformLogBytesPerInvocation).toBe(0);
    expect(PLATFORM_LOG_BYTES_PER_INVOCATION).toBe(300);
    expect(platformLogsModel(DEFAULT_COST_MODEL)).toEqual({
      ...DEFAULT_COST_MODEL,
      platformLogBytesPerInvocation: 300,
    });
    const quiet = formatCostReport(estimateMonthlyCost(measurement));
    expect(quiet).toContain(
      'no Lambda START/END/REPORT lines (dropped by default; 300 B an invocation with platformLogs)',
    );
    const loud = formatCostReport(
      estimateMonthlyCost(measurement, platformLogsModel(DEFAULT_COST_MODEL)),
    );
    expect(loud).toContain('300 B of Lambda START/END/REPORT lines per invocation (platformLogs)');
  });

  it('still overridable', () => {
    // 43,800 discovery + 43,800 dispatcher + 525,600 scraper invocations × 100 B = 61.32 MB more
    const r = estimateMonthlyCost(measurement, {
      ...DEFAULT_COST_MODEL,
      platformLogBytesPerInvocation: 100,
    });
    expect(line(r, 'CloudWatch Logs').quantity).toBeCloseTo(
      (2_658_660_000 + 613_200 * 100) / 1_024 ** 3,
      8,
    );
  });
});

describe("the CPU share: Lambda's vCPU is memory / 1,769 MB of a full core", () => {
  /**
   * GB-s a month of `fn` measured once for `billedMs`, `waitedMs` of it waiting: discovery × 43,800
   * runs, the scraper × 26,280 (the measurement's scrapes per month / scrapes).
   */
  const run = (memoryMb: number, fn: 'discovery' | 'scraper', billedMs: number, waitedMs = 0) => {
    const r = estimateMonthlyCost(
      {
        ...measurement,
        functions: {
          ...measurement.functions,
          [fn]: { ...idle, invocations: 1, billedMs: [billedMs], waitedMs },
        },
      },
      { ...DEFAULT_COST_MODEL, memoryMb: { ...DEFAULT_COST_MODEL.memoryMb, [fn]: memoryMb } },
    );
    return line(r, `${fn} duration`).quantity;
  };

  it('the factor: 1,769 / MB below one vCPU, 1 from 1,769 MB up', () => {
    expect(FULL_VCPU_MEMORY_MB).toBe(1_769);
    expect(cpuScale(1_024)).toBe(AT_1024);
    expect(cpuScale(128)).toBeCloseTo(13.8203125, 10);
    expect([1_769, 3_538, 10_240].map(cpuScale)).toEqual([1, 1, 1]);
  });

  it('halving the memory below 1,769 MB leaves the GB-s of CPU-bound work unchanged', () => {
    // 43,800 runs × 0.5 CPU-s × 1,769 / 1,024 GB-s per CPU-s = 37,833.11 GB-s at any size
    const gbs = [1_024, 512, 256, 128].map((mb) => run(mb, 'discovery', 500));
    for (const q of gbs) expect(q).toBeCloseTo(43_800 * 0.5 * AT_1024, 6);
  });

  it('waiting is not CPU: its GB-s follow the memory, the work’s do not', () => {
    // The scraper, per scrape (× 26,280): 1 s measured, 600 ms of it waiting. Halving the memory
    // 1,024 → 512 MB halves only the waiting: 26,280 × (0.4 × 1.7275 + 0.6) = 33,927.89 GB-s;
    // at 512 MB 26,280 × (0.4 × 1.7275 + 0.3) = 26,043.89 GB-s.
    const at1024 = run(1_024, 'scraper', 1_000, 600);
    const at512 = run(512, 'scraper', 1_000, 600);
    expect(at1024).toBeCloseTo(26_280 * (0.4 * AT_1024 + 0.6), 6);
    expect(at512).toBeCloseTo(26_280 * (0.4 * AT_1024 + 0.3), 6);
    expect(at1024 - at512).toBeCloseTo(26_280 * 0.3, 6);
    // All waiting: nothing scaled, GB-s proportional to the memory.
    expect(run(256, 'scraper', 1_000, 1_000)).toBeCloseTo(26_280 * 0.25, 6);
    // A wait longer than the time measured is all of it, never negative work.
    expect(run(1_024, 'scraper', 1_000, 5_000)).toBeCloseTo(26_280, 6);
  });

  it('from 1,769 MB up nothing is scaled: the time as measured × the memory', () => {
    expect(run(1_769, 'discovery', 500)).toBeCloseTo(43_800 * 0.5 * (1_769 / 1_024), 6);
    expect(run(3_538, 'discovery', 500)).toBeCloseTo(43_800 * 0.5 * (3_538 / 1_024), 6);
    // Below one vCPU the work costs what it costs at 1,769 MB.
    expect(run(1_024, 'discovery', 500)).toBeCloseTo(run(1_769, 'discovery', 500), 6);
  });

  it('the report states the factor and the assumption', () => {
    const text = formatCostReport(estimateMonthlyCost(measurement));
    expect(text).toContain('CPU ×');
    expect(text).toMatch(/^scraper\s.*\s1\.73\s/m);
    expect(text).toContain(
      "scaled to the configured memory's CPU share: × 1,769 / MB below 1,769 MB",
    );
    expect(text).toContain(
      'an upper bound only if a Lambda vCPU is as fast as the core that measured it',
    );
  });
});

describe('parsing and helpers', () => {
  it.each([
    { name: 'unknown price', f: () => parsePrices(['lambda=1']), err: /unknown price "lambda"/ },
    { name: 'negative', f: () => parsePrices(['sqs_million_requests=-1']), err: /number ≥ 0/ },
    { name: 'not key=value', f: () => parsePrices(['0.4']), err: /not key=value/ },
    { name: 'unknown function', f: () => parseMemory(['web=512']), err: /unknown function/ },
    { name: 'memory too small', f: () => parseMemory(['scraper=64']), err: /128 to 10240/ },
  ])('$name', ({ f, err }) => {
    expect(f).toThrow(err);
  });

  it('keeps the other prices', () => {
    const p = parsePrices(['sqs_million_requests=0.5']);
    expect(p).toEqual({ ...DEFAULT_PRICES, sqs_million_requests: 0.5 });
  });

  it('bills SQS payloads in started 64 KiB chunks', () => {
    expect([0, 1, 65_536, 65_537, 262_144].map(sqsBilledRequests)).toEqual([1, 1, 1, 2, 4]);
  });

  it('names one metric per EMF metric and dimension values', () => {
    const emf = JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'NS',
            Dimensions: [['Deployment']],
            Metrics: [{ Name: 'A' }, { Name: 'B' }],
          },
        ],
      },
      Deployment: 'prod',
      A: 1,
      B: 2,
    });
    expect(emfMetricKeys(emf)).toEqual(['NS/A{Deployment=prod}', 'NS/B{Deployment=prod}']);
    expect(emfMetricKeys('{"msg":"scrape"}')).toEqual([]);
    expect(emfMetricKeys('not json')).toEqual([]);
  });
});
