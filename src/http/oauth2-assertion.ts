/**
 * The signed JWT that the OAuth 2.0 JWT bearer grant (RFC 7523 §2.1) presents as its
 * `assertion`, built the way prometheus/common builds it (config/oauth_assertion.go):
 *
 * - header `{"alg": <algorithm>, "typ": "JWT"}`, plus `kid` when a key id is configured;
 * - claims `iss`, `sub`, `aud`, a random `jti`, `iat` = now and `exp` = now + 10 minutes (whole
 *   seconds), `scope` (space-separated) when scopes are configured, then the configured `claims`
 *   copied over them (a configured claim replaces a standard one of the same name);
 * - signed with RSASSA-PKCS1-v1_5 over SHA-256/384/512 (RS256/RS384/RS512).
 *
 * Contract: {@link signJwtAssertion} is synchronous and pure but for the clock and the random
 * `jti`; it throws {@link AssertionKeyError} when the key is not an RSA private key in PEM form
 * (PKCS #1 or PKCS #8, unencrypted). The key and the returned assertion are secrets: neither is
 * ever part of an error message.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';

/** How long an assertion is valid: prometheus/common's default (it sets no `Expires`). */
export const ASSERTION_LIFETIME_MS = 10 * 60 * 1000;

export const SIGNATURE_HASHES = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
} as const;
export type SignatureAlgorithm = keyof typeof SIGNATURE_HASHES;

/** The key cannot sign: not PEM, encrypted, or not RSA. The message never holds key material. */
export class AssertionKeyError extends Error {
  override readonly name = 'AssertionKeyError';
}

export interface AssertionInput {
  /** PEM text of the signing key (secret). */
  readonly privateKeyPem: string;
  readonly algorithm: SignatureAlgorithm;
  /** Sent as the header's `kid` when not empty. */
  readonly keyId?: string | undefined;
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  /** Space-separated scopes; no `scope` claim when empty. */
  readonly scope: string;
  /** Extra claims, copied over the standard ones. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Unix time in ms. */
  readonly nowMs: number;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The compact serialisation `header.claims.signature` (see the file comment). */
export function signJwtAssertion(input: AssertionInput): string {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: input.privateKeyPem, format: 'pem' });
  } catch (err) {
    // Node's decoder errors name the failing routine, never the input.
    throw new AssertionKeyError(
      `cannot parse the private key (PEM, PKCS #1 or PKCS #8, unencrypted): ${(err as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AssertionKeyError(
      `the private key is ${key.asymmetricKeyType ?? 'not asymmetric'}, ${input.algorithm} needs an RSA key`,
    );
  }
  const header: Record<string, string> = { alg: input.algorithm, typ: 'JWT' };
  if (input.keyId) header.kid = input.keyId;
  const iat = Math.floor(input.nowMs / 1000);
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.subject,
    jti: randomUUID(),
    aud: input.audience,
    iat,
    exp: iat + ASSERTION_LIFETIME_MS / 1000,
  };
  if (input.scope !== '') claims.scope = input.scope;
  // Defined, not assigned: a claim named `__proto__` stays a claim.
  for (const [name, value] of Object.entries(input.claims)) {
    Object.defineProperty(claims, name, { value, enumerable: true, writable: true });
  }
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign(SIGNATURE_HASHES[input.algorithm], Buffer.from(signingInput), key);
  return `${signingInput}.${base64url(signature)}`;
}
