/**
 * A local OAuth 2.0 authorization server and resource server in one `node:http` (or
 * `node:https`) server, for the oauth2 tests:
 *
 * - `POST /token` speaks RFC 6749 §4.4 (client_credentials; the client authenticates with HTTP
 *   Basic or with `client_id`/`client_secret` in the form, RFC 6749 §2.3.1) and RFC 7523 §2.1
 *   (jwt-bearer; the assertion's RS256/384/512 signature is verified with node:crypto against
 *   the configured public key, and `aud`, `exp`, `iat` are checked). It answers
 *   `{"access_token": "tok-<n>", "token_type": "bearer", "expires_in": …}` or an RFC 6749 §5.2
 *   error.
 * - Every other path is a protected resource: it needs `Authorization: Bearer <a token issued
 *   and not revoked>`, else 401. `/metrics` answers an exposition, `/sd` an HTTP SD answer
 *   pointing at `/metrics`, and a POST (remote write) 204.
 */

import { verify } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

const HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

export interface TokenRequest {
  readonly form: Record<string, string>;
  readonly authorization: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** jwt-bearer: the assertion's header and claims, after its signature was verified. */
  readonly jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> };
}

export interface ResourceRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface OAuth2ServerOptions {
  readonly clientId: string;
  /** client_credentials: the secret the client must present. */
  readonly clientSecret?: string;
  /** jwt-bearer: PEM of the public key that checks assertions. */
  readonly publicKeyPem?: string;
  /** HTTPS instead of HTTP (certificates, and `requestCert` for client certificates). */
  readonly tls?: ServerOptions;
}

export class OAuth2Server {
  readonly tokenRequests: TokenRequest[] = [];
  readonly resourceRequests: ResourceRequest[] = [];
  readonly issued: string[] = [];
  readonly revoked = new Set<string>();
  /** `expires_in` of the next tokens; undefined leaves it out. */
  expiresIn: number | undefined = 3600;
  /** How /token behaves: answer, fail with 503, or never answer. */
  mode: 'ok' | 'unavailable' | 'hang' = 'ok';
  /** When false, a client authenticating with HTTP Basic is refused (401 invalid_client). */
  acceptBasic = true;
  /** When set, /token refuses everyone with this error_description (to check scrubbing). */
  refuseWith: string | undefined;
  /** The secret now expected (rotations change it). */
  clientSecret: string | undefined;
  base = '';

  private constructor(
    private readonly server: Server,
    private readonly options: OAuth2ServerOptions,
  ) {
    this.clientSecret = options.clientSecret;
  }

  static async start(options: OAuth2ServerOptions): Promise<OAuth2Server> {
    let self: OAuth2Server | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    };
    const server =
      options.tls === undefined ? createServer(handler) : createHttpsServer(options.tls, handler);
    self = new OAuth2Server(server, options);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const scheme = options.tls === undefined ? 'http' : 'https';
    self.base = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return self;
  }

  get tokenUrl(): string {
    return `${this.base}/token`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Makes every token issued so far invalid at the resource. */
  revokeAll(): void {
    for (const t of this.issued) this.revoked.add(t);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/token') {
      this.token(req, res, body);
      return;
    }
    const authorization = req.headers.authorization;
    this.resourceRequests.push({ method: req.method ?? '', path, authorization });
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (token === undefined || !this.issued.includes(token) || this.revoked.has(token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('unauthorized\n');
      return;
    }
    if (req.method === 'POST') {
      res.writeHead(204).end();
    } else if (path === '/sd') {
      const target = this.base.replace(/^https?:\/\//, '');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify([{ targets: [target], labels: { via: 'oauth2' } }]));
    } else {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('oauth2_ok 1\n');
    }
  }

  private token(req: IncomingMessage, res: ServerResponse, body: string): void {
    const form = Object.fromEntries(new URLSearchParams(body));
    const record: { -readonly [K in keyof TokenRequest]: TokenRequest[K] } = {
      form,
      authorization: req.headers.authorization,
      headers: req.headers,
    };
    this.tokenRequests.push(record);
    if (this.mode === 'hang') return;
    if (this.mode === 'unavailable') {
      res.writeHead(503).end('try later');
      return;
    }
    const refusal = this.refusal(req, form, record);
    if (refusal !== undefined) {
      const [status, error, description] = refusal;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error, error_description: description }));
      return;
    }
    const token = `tok-${this.issued.length + 1}`;
    this.issued.push(token);
    const answer: Record<string, unknown> = { access_token: token, token_type: 'bearer' };
    if (this.expiresIn !== undefined) answer.expires_in = this.expiresIn;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  /** Why the token request is refused (status, RFC 6749 §5.2 error, description), if it is. */
  private refusal(
    req: IncomingMessage,
    form: Record<string, string>,
    record: { jwt?: TokenRequest['jwt'] },
  ): [number, string, string?] | undefined {
    if (this.refuseWith !== undefined) return [400, 'invalid_request', this.refuseWith];
    if (req.method !== 'POST') return [405, 'invalid_request'];
    if (form.grant_type === 'client_credentials') {
      let id = form.client_id;
      let secret = form.client_secret ?? '';
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (basic !== undefined) {
        if (!this.acceptBasic) return [401, 'invalid_client', 'use the form'];
        const [user = '', pass = ''] = Buffer.from(basic, 'base64').toString('utf8').split(':');
        id = decodeURIComponent(user.replace(/\+/g, ' '));
        secret = decodeURIComponent(pass.replace(/\+/g, ' '));
      }
      if (id !== this.options.clientId || secret !== this.clientSecret) {
        return [401, 'invalid_client'];
      }
      return undefined;
    }
    if (form.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const checked = this.checkAssertion(form.assertion ?? '');
      if (typeof checked === 'string') return [400, 'invalid_grant', checked];
      record.jwt = checked;
      return undefined;
    }
    return [400, 'unsupported_grant_type'];
  }

  /** The verified header and claims, or why the assertion is refused. */
  private checkAssertion(
    assertion: string,
  ): { header: Record<string, unknown>; claims: Record<string, unknown> } | string {
    const parts = assertion.split('.');
    if (parts.length !== 3) return 'not a JWS';
    const [h = '', c = '', s = ''] = parts;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    const hash = HASHES[header.alg as string];
    if (hash === undefined || this.options.publicKeyPem === undefined) return 'bad alg';
    const ok = verify(
      hash,
      Buffer.from(`${h}.${c}`),
      this.options.publicKeyPem,
      Buffer.from(s, 'base64url'),
    );
    if (!ok) return 'bad signature';
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.iat <= now + 5)) return 'expired';
    if (claims.aud === undefined) return 'no audience';
    return { header, claims };
  }
}
