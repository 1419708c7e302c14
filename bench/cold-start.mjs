#!/usr/bin/env node
/**
 * Cold start of each Lambda function's bundle, the local stand-in for Lambda's INIT (billed) and
 * first invocation. Needs a synthesized cdk.out:
 *
 *   CDK_DISABLE_VERSION_CHECK=1 npx cdk synth -q -c config=examples/aws/amp-sigv4-ec2.yml
 *   node bench/cold-start.mjs [--runs 15] [--node /path/to/node] [--cdk-out cdk.out]
 *                             [--only scraper[,outbox]] [--node-options '...'] [--json]
 *
 * For every function of the template and every run, spawns a fresh `node` (default: this one;
 * Lambda runs Node 24, pass `--node` to measure another) in the function's asset folder with the
 * environment the construct sets (read from the template: NODE_OPTIONS, LAMBDASCRAPE_CONFIG,
 * tables, queues, ...; unresolved references become placeholder names, queue URLs point at a
 * closed local port) plus what Lambda itself sets (region, static credentials,
 * AWS_LAMBDA_FUNCTION_NAME/MEMORY_SIZE, AWS_LAMBDA_RUNTIME_API on a closed port), and
 * DYNAMODB_ENDPOINT/SQS_ENDPOINT on a closed local port with AWS_MAX_ATTEMPTS=1, so nothing
 * reaches AWS. The config is a copy of the package's (with the files bundled beside it) whose
 * remote_write URLs point at the closed port too: a container's first invocation flushes the
 * self-metrics through remote write (with SigV4 for AMP: signing is loaded and runs, and the
 * send is refused at once instead of waiting on the network). `--node-options` replaces the template's NODE_OPTIONS (e.g. '' to see what
 * `--enable-source-maps` costs). The child runs a tiny ES module wrapper that
 *
 *   1. imports index.mjs (what Lambda's runtime does during INIT)        → `import`
 *   2. calls the handler once (the runtime is built lazily, on this call) → `1st invoke`
 *   3. calls it again (warm)                                              → `2nd invoke`
 *
 * timed with process.hrtime inside the child (and process.cpuUsage: CPU time of all the
 * process's threads, steadier than wall time on a busy machine); `ready` is performance.now() after the import, i.e.
 * from the process's start (Node's own bootstrap included) to "handler ready". Outside, `wall` is
 * the time from spawn to the child's "ready" line. The events: `{}` (a schedule) for discovery
 * and dispatcher, which call DynamoDB at once (refused here: their first invocation includes the
 * SDK's first request), `{ Records: [] }` for the queue consumers (config, clients and writers
 * built, nothing sent). Prints the median (and min) over the runs per function, in ms.
 *
 * This machine's CPU is not Lambda's: a function gets a share of a vCPU proportional to its
 * memory (a full one at 1,769 MB), so absolute times on Lambda are higher at 512-1,024 MB; the
 * ratios between builds are what this bench is for.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';

const { values } = parseArgs({
  options: {
    'cdk-out': { type: 'string', default: 'cdk.out' },
    runs: { type: 'string', default: '15' },
    node: { type: 'string', default: process.execPath },
    only: { type: 'string' },
    'node-options': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const out = resolve(values['cdk-out']);
const runs = Number(values.runs);

/** A local port nothing listens on (bound, then released). */
async function closedPort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}
const deadPort = await closedPort();
const runtimeApiPort = await closedPort();
const dead = `http://127.0.0.1:${deadPort}`;

const functions = [];
for (const t of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(out, t), 'utf8'));
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = r.Metadata?.['aws:asset:path'];
    if (assetPath === undefined) continue;
    const role = (/(\w+?)Function[0-9A-F]{8}$/.exec(logicalId)?.[1] ?? logicalId)
      .replace(/^Scraper(?=\w)/, '')
      .toLowerCase();
    const vars = r.Properties?.Environment?.Variables ?? {};
    const env = {};
    for (const [k, v] of Object.entries(vars)) {
      if (typeof v === 'string') env[k] = v;
      else if (k.endsWith('_URL')) env[k] = `${dead}/000000000000/${k.toLowerCase()}`;
      else env[k] = `bench-${k.toLowerCase().replaceAll('_', '-')}`;
    }
    const dir = join(out, assetPath);
    const configDir = mkdtempSync(join(tmpdir(), `lambdascrape-cold-start-${role}-`));
    cpSync(dir, configDir, {
      recursive: true,
      filter: (src) => !/(?:^|\/)(?:index\.mjs|chunks)(?:\.map)?$/.test(src.slice(dir.length)),
    });
    const configName = (env.LAMBDASCRAPE_CONFIG ?? './prometheus.yml').replace(/^\.\//, '');
    const doc = parseDocument(readFileSync(join(configDir, configName), 'utf8'));
    for (const rw of doc.get('remote_write')?.items ?? []) {
      rw.set('url', `${dead}/api/v1/write`);
    }
    writeFileSync(join(configDir, configName), doc.toString());
    env.LAMBDASCRAPE_CONFIG = join(configDir, configName);
    functions.push({ role, dir, configDir, memory: r.Properties?.MemorySize ?? 128, env });
  }
}
const only = values.only?.split(',');
const selected = functions.filter((f) => only === undefined || only.includes(f.role));
if (selected.length === 0) throw new Error(`no function in ${out} (synthesize first)`);

const WRAPPER = `
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const ms = (a, b) => Number(b - a) / 1e6;
const cpu = (a, b) => (b.user + b.system - a.user - a.system) / 1e3;
const m = await import(process.env.BENCH_ENTRY);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage();
const ready = performance.now();
process.stdout.write('BENCH_READY\\n');
const event = JSON.parse(process.env.BENCH_EVENT);
const context = { getRemainingTimeInMillis: () => 60_000, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'bench' };
const invoke = async () => {
  try { return 'ok ' + JSON.stringify(await m.handler(event, context)); }
  catch (e) { return 'error ' + e.name + ': ' + String(e.message).slice(0, 120); }
};
const first = await invoke();
const t2 = process.hrtime.bigint();
const c2 = process.cpuUsage();
await invoke();
const t3 = process.hrtime.bigint();
process.stdout.write('BENCH_RESULT ' + JSON.stringify({ ready, import: ms(t0, t1), importCpu: cpu(c0, c1), first: ms(t1, t2), firstCpu: cpu(c1, c2), second: ms(t2, t3), outcome: first }) + '\\n');
process.exit(0);
`;

function once(f) {
  const env = {
    PATH: process.env.PATH ?? '',
    ...f.env,
    ...(values['node-options'] === undefined ? {} : { NODE_OPTIONS: values['node-options'] }),
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${f.role}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memory),
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${runtimeApiPort}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: f.dir,
    TZ: ':UTC',
    DYNAMODB_ENDPOINT: dead,
    SQS_ENDPOINT: dead,
    BENCH_ENTRY: new URL(`file://${join(f.dir, 'index.mjs')}`).href,
    BENCH_EVENT: JSON.stringify(f.role === 'scraper' || f.role === 'outbox' ? { Records: [] } : {}),
  };
  return new Promise((ok, fail) => {
    const start = process.hrtime.bigint();
    let wall;
    let buffered = '';
    let result;
    const child = spawn(values.node, ['--input-type=module', '-e', WRAPPER], {
      cwd: f.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      buffered += d;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'BENCH_READY') wall = Number(process.hrtime.bigint() - start) / 1e6;
        else if (line.startsWith('BENCH_RESULT ')) result = JSON.parse(line.slice(13));
        nl = buffered.indexOf('\n');
      }
    });
    child.on('close', (code) => {
      if (result === undefined || wall === undefined) {
        fail(new Error(`${f.role}: exit ${code}\n${stderr.slice(0, 2000)}`));
      } else ok({ ...result, wall });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const samples = new Map(selected.map((f) => [f.role, []]));
// Interleaved (one run of each function, then the next round) so drift hits all alike; one
// unrecorded warm-up round first (page cache).
for (let i = -1; i < runs; i++) {
  for (const f of selected) {
    const r = await once(f);
    if (i >= 0) samples.get(f.role).push(r);
  }
}

for (const f of functions) rmSync(f.configDir, { recursive: true, force: true });

const version = await new Promise((ok) => {
  const c = spawn(values.node, ['--version']);
  let v = '';
  c.stdout.on('data', (d) => {
    v += d;
  });
  c.on('close', () => ok(v.trim()));
});
const stats = selected.map((f) => {
  const rs = samples.get(f.role);
  const col = (k) => ({
    median: median(rs.map((r) => r[k])),
    min: Math.min(...rs.map((r) => r[k])),
  });
  return {
    role: f.role,
    import: col('import'),
    importCpu: col('importCpu'),
    ready: col('ready'),
    wall: col('wall'),
    first: col('first'),
    firstCpu: col('firstCpu'),
    second: col('second'),
    outcome: rs[0].outcome,
  };
});
if (values.json) {
  console.log(JSON.stringify({ node: version, runs, stats }, null, 2));
} else {
  const nodeOptions = values['node-options'] ?? selected[0].env.NODE_OPTIONS ?? '';
  console.log(
    `node ${version}, NODE_OPTIONS=${JSON.stringify(nodeOptions)}, median (min) of ${runs} runs, ms\n`,
  );
  console.log(
    '| function | import | import CPU | ready (in) | ready (wall) | 1st invoke | 1st invoke CPU | 2nd invoke |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const cell = (c) => `${c.median.toFixed(0)} (${c.min.toFixed(0)})`;
  for (const s of stats) {
    console.log(
      `| ${s.role} | ${cell(s.import)} | ${cell(s.importCpu)} | ${cell(s.ready)} | ${cell(s.wall)} | ${cell(s.first)} | ${cell(s.firstCpu)} | ${cell(s.second)} |`,
    );
  }
  console.log('\nfirst invocation outcome:');
  for (const s of stats) console.log(`  ${s.role}: ${s.outcome}`);
}
