/**
 * The service-discovery keys of a scrape config: those Prometheus registers are fields, any other
 * `*_sd_configs` key is an unknown field with Prometheus's wording (src/config/sd-names.ts).
 */
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_SD_NAMES } from '../../src/config/sd-names.js';
import { load, loadErrors, yaml } from './helpers.js';

describe('service-discovery keys', () => {
  const rejected = [
    {
      name: 'a misspelled mechanism',
      text: yaml`
        scrape_configs:
          - job_name: a
            consult_sd_configs:
              - server: localhost:8500
      `,
      errors: [
        'prometheus.yml:3:5: field consult_sd_configs not found in type config.ScrapeConfig',
      ],
    },
    {
      name: 'a mechanism Prometheus has never had',
      text: yaml`
        scrape_configs:
          - job_name: a
            static_configs: [{targets: ['a:1']}]
            swarm_sd_configs: []
      `,
      errors: ['prometheus.yml:4:5: field swarm_sd_configs not found in type config.ScrapeConfig'],
    },
    {
      name: 'the singular form',
      text: yaml`
        scrape_configs:
          - job_name: a
            static_config: [{targets: ['a:1']}]
      `,
      errors: ['prometheus.yml:3:5: field static_config not found in type config.ScrapeConfig'],
    },
  ];
  it.each(rejected)('$name', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });

  it.each([...PROMETHEUS_SD_NAMES])('%s_sd_configs is a field of a scrape config', (name) => {
    // An empty list: the key is known, and no entry needs the mechanism's own checks.
    const config = load(`scrape_configs:\n  - job_name: a\n    ${name}_sd_configs: []\n`);
    expect(config.scrapeConfigs.map((j) => j.jobName)).toEqual(['a']);
  });
});
