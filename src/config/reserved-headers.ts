/**
 * Request headers a config may not set where Prometheus reserves them (remote_write `headers`,
 * tracing `headers`; config.go `reservedHeaders`), lower-cased: the client sets them itself.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);
