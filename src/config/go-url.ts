/**
 * Whether Go's `url.Parse` would refuse `text`, for URL fields lambdascrape only validates
 * (`remote_read.url`, a Kubernetes SD `api_server`): Go takes nearly any text, relative
 * references included, so only control characters, a bad `%` escape, or a text with a scheme
 * that does not parse as a URL are refused. Fields lambdascrape connects to are checked more
 * strictly where they are read.
 */
export function goRefusesUrl(text: string): boolean {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) return !URL.canParse(text);
  return /[\u0000-\u001f\u007f]|%(?![0-9a-fA-F]{2})/.test(text);
}
