/**
 * Import rules for src/, functions/ and infra/, checked by `npm run deps` (part of `npm test`).
 * test/ and bench/ are not cruised: tests may reach into any layer to set up what they check.
 *
 * A violation is an error and fails the run. When a rule fires, move the code to the layer it
 * belongs to; do not add an exception here. A new folder under src/ must be given a layer in
 * LAYERS below (the rule `module-has-a-layer` fails until it is).
 *
 * Type-only imports count (`tsPreCompilationDeps`): a type from a higher layer couples the
 * code to it as much as a value does. `import()` expressions count as well.
 */

/** A folder (`src/engine/…`) or a single file (`src/engine.ts`), matched on its resolved path. */
const unit = (name) => `${name.replaceAll('.', '\\.')}(?:/|\\.ts$)`;
const anyOf = (names) => `^(?:${names.map(unit).join('|')})`;

/**
 * The layers, lowest first. A module may import from its own layer and the layers below, never
 * from a layer above, so the low layers stay usable by both drivers and by tests without
 * dragging in a driver, an AWS adapter or the command line.
 */
const LAYERS = [
  {
    name: 'L0 model, log, contract, concurrency',
    units: ['src/model', 'src/log', 'src/contract', 'src/concurrency'],
  },
  { name: 'L1 config', units: ['src/config'] },
  { name: 'L2 http, relabel, exposition', units: ['src/http', 'src/relabel', 'src/exposition'] },
  {
    name: 'L3 targets, discovery, scrape, remotewrite, schedule',
    units: ['src/targets', 'src/discovery', 'src/scrape', 'src/remotewrite', 'src/schedule'],
  },
  { name: 'L4 engine, ports', units: ['src/engine', 'src/ports'] },
  { name: 'L5 drivers', units: ['src/local', 'src/pipeline'] },
  { name: 'L6 adapters and composition', units: ['src/aws', 'src/serverless', 'src/cli'] },
  { name: 'L7 functions, infra', units: ['functions', 'infra'] },
];

const upwardRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-import-from-${layer.name.split(' ')[0]}`,
  severity: 'error',
  comment: `${layer.name} imports only from its own layer or lower ones`,
  from: { path: anyOf(layer.units) },
  to: { path: anyOf(LAYERS.slice(i + 1).flatMap((l) => l.units)) },
}));

const LAYERED = anyOf(LAYERS.flatMap((l) => l.units));

/** The folders of the Lambda flow and everything below it that the flow runs. */
const SDK_FREE = [
  'src/pipeline',
  'src/engine',
  'src/contract',
  'src/concurrency',
  'src/scrape',
  'src/targets',
  'src/relabel',
  'src/exposition',
  'src/config',
  'src/model',
  'src/log',
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Folders that import each other cannot be understood, tested or moved one at a time; ' +
        'the layering below assumes an acyclic folder graph.',
      scope: 'folder',
      from: { path: '^(?:src|functions|infra)(?:/|$)' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'A file directly in src/ (src/ports.ts) is a unit of its own in LAYERS, but the folder ' +
        'scope sees it as part of src/, which contains every folder; its cycles are checked ' +
        'module by module instead.',
      from: { path: '^src/[^/]+$' },
      to: { circular: true },
    },
    ...upwardRules,
    {
      name: 'no-driver-to-driver',
      severity: 'error',
      comment:
        'The local runner and the Lambda flow are two drivers of one engine; what one needs ' +
        'from the other belongs in the engine (L4) or below.',
      from: { path: anyOf(['src/local']) },
      to: { path: anyOf(['src/pipeline']) },
    },
    {
      name: 'no-driver-to-driver',
      severity: 'error',
      comment:
        'The local runner and the Lambda flow are two drivers of one engine; what one needs ' +
        'from the other belongs in the engine (L4) or below.',
      from: { path: anyOf(['src/pipeline']) },
      to: { path: anyOf(['src/local']) },
    },
    {
      name: 'no-cli-in-deployment',
      severity: 'error',
      comment:
        'The Lambda wiring and the CDK app ship without the command line; what they share ' +
        'with it (config loading, checks) lives in a lower layer.',
      from: { path: anyOf(['src/serverless', 'infra']) },
      to: { path: anyOf(['src/cli']) },
    },
    {
      name: 'no-aws-sdk-in-flow',
      severity: 'error',
      comment:
        'The Lambda flow and the code below it talk to AWS only through the ports, so they run ' +
        'and are tested without the SDK; the SDK is used in src/aws (the adapters) only.',
      from: { path: anyOf(SDK_FREE) },
      to: {
        path: [
          anyOf(['src/aws']),
          '(?:^|/)node_modules/@(?:aws-sdk|smithy)/',
          '^@(?:aws-sdk|smithy)/',
        ],
      },
    },
    {
      name: 'undici-through-narrow-entry',
      severity: 'error',
      comment:
        'undici is CommonJS, so importing a value from its index bundles all of it (fetch, ' +
        'WebSocket, mocks: +200 KiB per Lambda function). Values come from src/http/undici.ts, ' +
        'which loads only the files used; `import type` from undici is fine.',
      from: { pathNot: '^src/http/undici(?:-lib\\.d)?\\.ts$' },
      to: {
        path: '(?:^|/)node_modules/undici/index\\.js$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'module-has-a-layer',
      severity: 'error',
      comment:
        'A module under src/ outside every layer would escape the layering rules; add its ' +
        'folder to LAYERS.',
      from: { path: '^src/', pathNot: LAYERED },
      to: {},
    },
    {
      name: 'module-has-a-layer',
      severity: 'error',
      comment:
        'A module under src/ outside every layer would escape the layering rules; add its ' +
        'folder to LAYERS.',
      from: {},
      to: { path: '^src/', pathNot: LAYERED },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment:
        'An import that cannot be resolved is invisible to every rule above (and fails at run ' +
        'time); it usually means the tsconfig-based resolution of `.js` suffixes broke.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports and `import type` count: see the header.
    tsPreCompilationDeps: true,
    // NodeNext: `./x.js` in a .ts file resolves to `./x.ts`.
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages are leaves: their own imports are not ours to check, and following them is slow.
    doNotFollow: { path: ['node_modules'] },
    // Tests and benchmarks beside the code are exempt, as test/ and bench/ are.
    exclude: { path: ['\\.test\\.ts$', '\\.bench\\.ts$'] },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    skipAnalysisNotInRules: true,
    // Keyed on file contents, so moves and uncommitted edits are seen; halves a repeated run.
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
