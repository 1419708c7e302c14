/**
 * The typed, validated configuration produced by `loadConfig` (§1). Every field has its
 * Prometheus default filled in and inheritance from `global` applied, so consumers never look
 * at `global` to resolve a job's effective value. Durations are milliseconds; sizes are bytes.
 * Secrets are held as {@link Secret} so they cannot be printed by accident.
 */
import type { Node } from 'yaml';
import type { Secret } from './secret.js';
import type { YamlReader } from './yaml-reader.js';

export type { Secret } from './secret.js';

export type ValidationScheme = 'utf8' | 'legacy';
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

export const SCRAPE_PROTOCOLS = [
  'PrometheusProto',
  'PrometheusText0.0.4',
  'PrometheusText1.0.0',
  'OpenMetricsText0.0.1',
  'OpenMetricsText1.0.0',
] as const;
export type ScrapeProtocol = (typeof SCRAPE_PROTOCOLS)[number];

export interface GlobalConfig {
  readonly scrapeInterval: number;
  readonly scrapeTimeout: number;
  readonly evaluationInterval: number;
  /** After `$VAR` expansion; sorted by name. */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** undefined when not set (jobs then use the default or proto-first list, §1.4). */
  readonly scrapeProtocols: readonly ScrapeProtocol[] | undefined;
  readonly bodySizeLimit: number;
  readonly sampleLimit: number;
  readonly targetLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly keepDroppedTargets: number;
  readonly metricNameValidationScheme: ValidationScheme;
  readonly metricNameEscapingScheme: EscapingScheme;
  readonly scrapeNativeHistograms: boolean;
  readonly convertClassicHistogramsToNhcb: boolean;
  readonly alwaysScrapeClassicHistograms: boolean;
  readonly extraScrapeMetrics: boolean;
  /** Where failed scrapes are logged as JSON lines, resolved against the config's folder; '' = none. */
  readonly scrapeFailureLogFile: string;
}

export interface BasicAuth {
  readonly username: string;
  readonly usernameFile: string | undefined;
  readonly password: Secret | undefined;
  readonly passwordFile: string | undefined;
}

export interface Authorization {
  /** Default `Bearer`. */
  readonly type: string;
  readonly credentials: Secret | undefined;
  readonly credentialsFile: string | undefined;
}

export interface OAuth2 {
  readonly clientId: string;
  readonly clientSecret: Secret | undefined;
  readonly clientSecretFile: string | undefined;
  readonly tokenUrl: string;
  readonly scopes: readonly string[];
  readonly endpointParams: Readonly<Record<string, string>>;
  readonly tlsConfig: TlsConfig;
  readonly proxyUrl: string | undefined;
  // Fields below were added after the first contract; optional so that hand-built values stay
  // valid. `loadConfig` always sets them.
  /** `client_credentials` (default) or `urn:ietf:params:oauth:grant-type:jwt-bearer`. */
  readonly grantType?: string;
  /** jwt-bearer grant only: the key signing the assertion, inline or as a file. */
  readonly clientCertificateKey?: Secret | undefined;
  readonly clientCertificateKeyFile?: string | undefined;
  readonly clientCertificateKeyId?: string | undefined;
  /** jwt-bearer grant only: RS256 (default), RS384 or RS512. */
  readonly signatureAlgorithm?: string | undefined;
  readonly iss?: string | undefined;
  readonly audience?: string | undefined;
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly noProxy?: string | undefined;
  readonly proxyFromEnvironment?: boolean;
  readonly proxyConnectHeader?: Readonly<Record<string, readonly Secret[]>>;
}

export type TlsVersion = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

export interface TlsConfig {
  readonly ca: string | undefined;
  readonly caFile: string | undefined;
  readonly cert: string | undefined;
  readonly certFile: string | undefined;
  readonly key: Secret | undefined;
  readonly keyFile: string | undefined;
  readonly serverName: string | undefined;
  readonly insecureSkipVerify: boolean;
  readonly minVersion: TlsVersion | undefined;
  readonly maxVersion: TlsVersion | undefined;
}

export interface HttpHeaderConfig {
  readonly values: readonly string[];
  readonly secrets: readonly Secret[];
  readonly files: readonly string[];
}

/** common:config HTTPClientConfig (§1.5). */
export interface HttpClientConfig {
  readonly basicAuth: BasicAuth | undefined;
  /** `bearer_token`/`bearer_token_file` are folded into this as type Bearer. */
  readonly authorization: Authorization | undefined;
  readonly oauth2: OAuth2 | undefined;
  readonly tlsConfig: TlsConfig;
  readonly followRedirects: boolean;
  readonly enableHttp2: boolean;
  readonly proxyUrl: string | undefined;
  readonly noProxy: string | undefined;
  readonly proxyFromEnvironment: boolean;
  readonly proxyConnectHeader: Readonly<Record<string, readonly Secret[]>>;
  readonly httpHeaders: Readonly<Record<string, HttpHeaderConfig>>;
}

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/** One validated relabel rule (§1.6) with defaults applied. */
export interface RelabelConfig {
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  /** The regex source as written (unanchored); `(.*)` when not given, `` when given as null. */
  readonly regex: string;
  /** True when `regex` was written in the config (affects the replace fast path, §3). */
  readonly regexSet: boolean;
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
  readonly action: RelabelAction;
}

export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface FileSdConfig {
  readonly files: readonly string[];
  readonly refreshInterval: number;
}

/**
 * Service-discovery configs other than static/file as plain data (mappings as objects, scalars
 * resolved with the loader's YAML rules), for callers that only look at them (warnings about
 * mechanisms lambdascrape lacks); the key is the YAML field name (`ec2_sd_configs`, …).
 */
export type OtherSdConfigs = Readonly<Record<string, readonly unknown[]>>;

/**
 * One `*_sd_configs` entry the loader does not read itself, kept as written: its YAML node and
 * the reader of the file it is in. The discovery mechanism for that key reads it with the same
 * reader, so its errors carry `file:line:col` and the loader's wording.
 */
export interface SdConfigNode {
  readonly reader: YamlReader;
  readonly node: Node;
}

/** The entries of every `*_sd_configs` list other than static/file, by YAML field name. */
export type SdConfigNodes = Readonly<Record<string, readonly SdConfigNode[]>>;

export interface ScrapeConfig {
  readonly jobName: string;
  readonly scrapeInterval: number;
  readonly scrapeTimeout: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly trackTimestampsStaleness: boolean;
  readonly enableCompression: boolean;
  readonly bodySizeLimit: number;
  readonly sampleLimit: number;
  readonly targetLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly keepDroppedTargets: number;
  readonly scrapeProtocols: readonly ScrapeProtocol[];
  readonly fallbackScrapeProtocol: ScrapeProtocol | undefined;
  readonly scrapeNativeHistograms: boolean;
  readonly alwaysScrapeClassicHistograms: boolean;
  readonly convertClassicHistogramsToNhcb: boolean;
  readonly nativeHistogramBucketLimit: number;
  readonly nativeHistogramMinBucketFactor: number;
  readonly metricNameValidationScheme: ValidationScheme;
  readonly metricNameEscapingScheme: EscapingScheme;
  readonly extraScrapeMetrics: boolean;
  /** The job's own `scrape_failure_log_file`, else the global one (resolved path; '' = none). */
  readonly scrapeFailureLogFile: string;
  readonly relabelConfigs: readonly RelabelConfig[];
  readonly metricRelabelConfigs: readonly RelabelConfig[];
  readonly httpClient: HttpClientConfig;
  readonly staticConfigs: readonly StaticConfig[];
  readonly fileSdConfigs: readonly FileSdConfig[];
  readonly otherSdConfigs: OtherSdConfigs;
  /** The same entries as {@link otherSdConfigs}, as written; discovery parses these. */
  readonly sdConfigNodes: SdConfigNodes;
}

export interface QueueConfig {
  readonly capacity: number;
  readonly maxShards: number;
  readonly minShards: number;
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadline: number;
  readonly minBackoff: number;
  readonly maxBackoff: number;
  readonly retryOnHttp429: boolean;
  readonly sampleAgeLimit: number;
}

export interface MetadataConfig {
  readonly send: boolean;
  readonly sendInterval: number;
  readonly maxSamplesPerSend: number;
}

export interface SigV4Config {
  readonly region: string | undefined;
  readonly accessKey: string | undefined;
  readonly secretKey: Secret | undefined;
  readonly profile: string | undefined;
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
  /** Signing service name; undefined means the client's default (`aps`). Optional (added later). */
  readonly service?: string | undefined;
  readonly useFipsStsEndpoint: boolean;
}

export interface RemoteWriteConfig {
  readonly url: string;
  /** Explicit `name`, or a stable hash-derived name when absent. */
  readonly name: string;
  /**
   * How messages for people name it: the explicit `name`, else the URL without userinfo, query
   * or fragment (the hash-derived `name` means nothing to whoever wrote the config).
   */
  readonly displayName: string;
  readonly remoteTimeout: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly writeRelabelConfigs: readonly RelabelConfig[];
  readonly sendExemplars: boolean;
  readonly sendNativeHistograms: boolean;
  readonly roundRobinDns: boolean;
  readonly protobufMessage: 'prometheus.WriteRequest' | 'io.prometheus.write.v2.Request';
  readonly queueConfig: QueueConfig;
  readonly metadataConfig: MetadataConfig;
  readonly sigv4: SigV4Config | undefined;
  readonly httpClient: HttpClientConfig;
}

/**
 * The discovery of one `alerting.alertmanagers` entry: validated like a job's (the discovery
 * mechanisms check `sdConfigNodes`), never run. `jobName` names the entry in messages
 * (`alertmanagers[0]`).
 */
export interface AlertmanagerDiscovery {
  readonly jobName: string;
  readonly staticConfigs: readonly StaticConfig[];
  readonly fileSdConfigs: readonly FileSdConfig[];
  readonly sdConfigNodes: SdConfigNodes;
}

export interface Config {
  /** Path the config was loaded from ('' for a string source); relative `*_file` paths resolve against its folder. */
  readonly sourcePath: string;
  /**
   * The YAML text the config was loaded from, as written (for `/api/v1/status/config`, which
   * redacts it). A {@link Secret}, since it holds every secret of the file: printing or
   * serialising the config never shows it. Always set by `loadConfig`; optional so that
   * hand-built values stay valid.
   */
  readonly sourceText?: Secret;
  readonly global: GlobalConfig;
  /** Jobs of `scrape_configs`, then those of the `scrape_config_files` matches in glob order. */
  readonly scrapeConfigs: readonly ScrapeConfig[];
  readonly remoteWrite: readonly RemoteWriteConfig[];
  /**
   * `scrape_config_files` patterns, resolved against the config folder (for reload watching).
   * Always set by `loadConfig`; optional so that hand-built values stay valid.
   */
  readonly scrapeConfigFiles?: readonly string[];
  /**
   * What is valid but not acted on (a section lambdascrape ignores, a job skipped), each as
   * `file:line:col: message` when it concerns a node. Always set by `loadConfig`; the checks of
   * `loadCheckedConfig` add theirs. Optional so that hand-built values stay valid.
   */
  readonly warnings?: readonly string[];
  /** Discovery of `alerting.alertmanagers`, for validation only. Always set by `loadConfig`. */
  readonly alertmanagers?: readonly AlertmanagerDiscovery[];
}
