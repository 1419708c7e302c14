/**
 * `lambdascrape targets` end to end with kubernetes_sd_configs: a config file, the local API
 * server stand-in, and the relabel rules of a typical "kubernetes-pods" job (keep on the
 * `prometheus.io/scrape` annotation, the path from an annotation, `__address__` rebuilt from
 * the pod IP and `__meta_kubernetes_pod_container_port_number`, pod labels mapped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTargets, targetRows } from '../support/captured-cli.js';
import { FakeKubeApi } from './kubernetes-fixture.js';
import { appPod } from './kubernetes-objects.js';

const api = new FakeKubeApi();
let server = '';
beforeAll(async () => {
  server = await api.start();
});
afterAll(() => api.stop());

describe('targets with kubernetes_sd_configs', () => {
  it('discovers pods and applies the usual relabel rules', async () => {
    api.objects.set('pods', [
      appPod('web-1', '10.1.0.1', { 'prometheus.io/scrape': 'true' }, [
        { name: 'http', containerPort: 8080 },
        { name: 'metrics', containerPort: 9102 },
      ]),
      appPod(
        'web-2',
        '10.1.0.2',
        { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/stats' },
        [{ name: 'metrics', containerPort: 9103 }],
      ),
      {
        ...appPod('cache', '10.1.0.3', {}, [{ name: 'metrics', containerPort: 9121 }]),
        metadata: { name: 'cache', namespace: 'shop', labels: { app: 'cache' } },
      },
    ]);
    const rows = await targetRows(
      `scrape_configs:
  - job_name: kubernetes-pods
    kubernetes_sd_configs:
      - role: pod
        api_server: ${server}
        namespaces: {names: [shop]}
        selectors: [{role: pod, label: app=web}]
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: "true"
      - source_labels: [__meta_kubernetes_pod_container_port_name]
        action: keep
        regex: metrics
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__meta_kubernetes_pod_ip, __meta_kubernetes_pod_container_port_number]
        regex: (.+);(\\d+)
        replacement: $1:$2
        target_label: __address__
      - action: labelmap
        regex: __meta_kubernetes_pod_label_(.+)
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
`,
    );
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => ({ url: row.url, labels: row.labels }))).toEqual([
      {
        url: 'http://10.1.0.1:9102/metrics',
        labels: {
          app: 'web',
          app_kubernetes_io_part_of: 'shop',
          instance: '10.1.0.1:9102',
          job: 'kubernetes-pods',
          namespace: 'shop',
          pod: 'web-1',
        },
      },
      {
        url: 'http://10.1.0.2:9103/stats',
        labels: {
          app: 'web',
          app_kubernetes_io_part_of: 'shop',
          instance: '10.1.0.2:9103',
          job: 'kubernetes-pods',
          namespace: 'shop',
          pod: 'web-2',
        },
      },
    ]);
    // Dropped: web-1's http port (not "metrics"); the cache pod is left out by the selector.
    const dropped = rows.filter((row) => row.state === 'dropped');
    expect(dropped.map((row) => row.discoveredLabels.__address__)).toEqual(['10.1.0.1:8080']);
    expect(dropped[0]!.discoveredLabels).toMatchObject({
      __meta_kubernetes_pod_name: 'web-1',
      __meta_kubernetes_pod_container_port_name: 'http',
      __meta_kubernetes_namespace: 'shop',
    });
    expect(api.seen.map((s) => [s.path, s.query])).toEqual([
      ['/api/v1/namespaces/shop/pods', { labelSelector: 'app=web', limit: '500' }],
    ]);
  });

  it('fails the command when the API server refuses the list', async () => {
    api.reset();
    api.replies.set('/api/v1/pods', {
      status: 403,
      body: '{"kind":"Status","code":403,"message":"pods is forbidden"}',
    });
    const r = await runTargets(
      `scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: [{role: pod, api_server: "${server}"}]\n`,
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('/api/v1/pods: unexpected status 403: pods is forbidden');
  });
});
