/** RemoteWriteConfig values for tests, with the Prometheus defaults of §11.3. */

import { DEFAULT_TLS_CONFIG } from '../../src/config/http-client.js';
import type {
  HttpClientConfig,
  QueueConfig,
  RemoteWriteConfig,
  Secret,
} from '../../src/config/types.js';

export const secret = (value: string): Secret => ({ reveal: () => value });

export const defaultHttpClient: HttpClientConfig = {
  basicAuth: undefined,
  authorization: undefined,
  oauth2: undefined,
  tlsConfig: DEFAULT_TLS_CONFIG,
  followRedirects: true,
  enableHttp2: false,
  proxyUrl: undefined,
  noProxy: undefined,
  proxyFromEnvironment: false,
  proxyConnectHeader: {},
  httpHeaders: {},
};

export const defaultQueue: QueueConfig = {
  capacity: 10000,
  maxShards: 50,
  minShards: 1,
  maxSamplesPerSend: 2000,
  batchSendDeadline: 5000,
  minBackoff: 30,
  maxBackoff: 5000,
  retryOnHttp429: false,
  sampleAgeLimit: 0,
};

export function remoteWriteConfig(
  url: string,
  overrides: Partial<Omit<RemoteWriteConfig, 'queueConfig' | 'httpClient'>> & {
    queueConfig?: Partial<QueueConfig>;
    httpClient?: Partial<HttpClientConfig>;
  } = {},
): RemoteWriteConfig {
  const { queueConfig, httpClient, ...rest } = overrides;
  return {
    url,
    name: 'test',
    displayName: 'test',
    remoteTimeout: 30_000,
    headers: {},
    writeRelabelConfigs: [],
    sendExemplars: false,
    sendNativeHistograms: false,
    roundRobinDns: false,
    protobufMessage: 'prometheus.WriteRequest',
    metadataConfig: { send: true, sendInterval: 60_000, maxSamplesPerSend: 2000 },
    sigv4: undefined,
    ...rest,
    queueConfig: { ...defaultQueue, ...queueConfig },
    httpClient: { ...defaultHttpClient, ...httpClient },
  };
}
