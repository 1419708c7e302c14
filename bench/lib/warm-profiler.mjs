/**
 * Preload (`node --import ./bench/lib/warm-profiler.mjs …`) that CPU-profiles only part of a
 * process's life, so a profile can leave out start-up and the cold first scrapes: the first
 * SIGUSR2 starts the V8 sampling profiler, the second stops it and writes the profile to
 * `$WARM_PROF_OUT` (a `.cpuprofile` file, the format `--cpu-prof` writes), then writes
 * `$WARM_PROF_OUT.done`. With `$WARM_PROF_HEAP` set, the sampling heap profiler runs over the
 * same window, counting garbage too, into `$WARM_PROF_OUT.heapprofile`. Used by
 * `bench/profile-run.mjs`.
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.WARM_PROF_OUT;
if (out) {
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((ok, fail) =>
      session.post(method, params, (err, res) => (err ? fail(err) : ok(res))),
    );
  let state = 'idle';
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'starting';
      post('Profiler.enable')
        .then(() =>
          post('Profiler.setSamplingInterval', {
            interval: Number(process.env.WARM_PROF_INTERVAL_US ?? 1000),
          }),
        )
        .then(() => post('Profiler.start'))
        .then(() =>
          process.env.WARM_PROF_HEAP
            ? post('HeapProfiler.startSampling', {
                samplingInterval: 8192,
                // Everything allocated in the window, not only what survives it: the garbage.
                includeObjectsCollectedByMajorGC: true,
                includeObjectsCollectedByMinorGC: true,
              })
            : undefined,
        )
        .then(() => {
          state = 'running';
        });
    } else if (state === 'running') {
      state = 'stopping';
      post('Profiler.stop')
        .then(async ({ profile }) => {
          writeFileSync(out, JSON.stringify(profile));
          if (process.env.WARM_PROF_HEAP) {
            const { profile: heap } = await post('HeapProfiler.stopSampling');
            writeFileSync(`${out}.heapprofile`, JSON.stringify(heap));
          }
        })
        .then(() => {
          writeFileSync(`${out}.done`, '');
          state = 'done';
        });
    }
  });
}
