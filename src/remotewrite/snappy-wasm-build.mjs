// Assembles snappy-wasm.wat into snappy-wasm.ts (the module's bytes, base64), with WABT's
// JavaScript build fetched by npx (a generation step, not a dependency):
//   node src/remotewrite/snappy-wasm-build.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'snappy-wasm-'));
try {
  const out = join(dir, 'snappy.wasm');
  execFileSync(
    'npx',
    ['-y', '-p', 'wabt@1.0.39', 'wat2wasm', join(here, 'snappy-wasm.wat'), '-o', out],
    { stdio: 'inherit' },
  );
  const b64 = readFileSync(out).toString('base64');
  const lines = b64.match(/.{1,96}/g).map((l) => `  '${l}' +`);
  lines[lines.length - 1] = lines[lines.length - 1].replace(/ \+$/, ';');
  writeFileSync(
    join(here, 'snappy-wasm.ts'),
    `// Generated from snappy-wasm.wat by snappy-wasm-build.mjs (WABT wat2wasm 1.0.39). Do not edit.\n\n/** The WebAssembly module of snappy-wasm.wat. */\nexport const SNAPPY_WASM_BASE64 =\n${lines.join('\n')}\n`,
  );
  console.log(`snappy-wasm.ts: ${readFileSync(out).length} bytes of WebAssembly`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
