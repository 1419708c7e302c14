/**
 * A local stand-in for AWS Secrets Manager's GetSecretValue, for tests with the real
 * `SecretsManagerClient`: it speaks the AWS JSON 1.1 protocol (as docs/testing.md does for EC2's
 * Query API): `X-Amz-Target: secretsmanager.GetSecretValue`, body `{"SecretId": …}`, answer
 * `{"ARN","Name","SecretString"}` (or `SecretBinary` base64) or a 400
 * `{"__type": "ResourceNotFoundException" | "AccessDeniedException", "message": …}`.
 * Every request is recorded (operation, content type, secret id, whether it was SigV4-signed).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SECRETS_REGION = 'us-east-1';
const ACCOUNT = '111122223333';

/** The ARN the stand-in gives the secret `name` (with the random-looking 6-character suffix). */
export const arnOf = (name: string): string =>
  `arn:aws:secretsmanager:${SECRETS_REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

export interface RecordedSecretRequest {
  readonly target: string;
  readonly contentType: string;
  readonly secretId: unknown;
  readonly signed: boolean;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Requests in arrival order. */
  readonly recorded: RecordedSecretRequest[];
  /** Ids answered with AccessDeniedException instead. */
  readonly denied: Set<string>;
  /** Most requests answered at once since the last {@link reset}. */
  readonly maxInFlight: number;
  /** Stores a secret under its name and its ARN; returns the ARN. */
  putSecret(name: string, value: { string?: string; binary?: Uint8Array }): string;
  /** Forgets secrets, denials, recorded requests and `maxInFlight`. */
  reset(): void;
  close(): Promise<void>;
}

interface StoredSecret {
  readonly name: string;
  readonly string?: string;
  readonly binary?: Uint8Array;
}

/**
 * Starts the stand-in on a free loopback port. Each answer waits `answerDelayMs` (default 50)
 * so concurrent requests overlap.
 */
export async function startSecretsManager(
  options: { answerDelayMs?: number } = {},
): Promise<SecretsManagerStandIn> {
  const delayMs = options.answerDelayMs ?? 50;
  const store = new Map<string, StoredSecret>();
  const denied = new Set<string>();
  const recorded: RecordedSecretRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const answer = (status: number, body: unknown) => {
        setTimeout(() => {
          inFlight--;
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(body));
        }, delayMs);
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      let input: { SecretId?: unknown } = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown };
      } catch {
        // recorded as undefined below
      }
      recorded.push({
        target,
        contentType: String(req.headers['content-type'] ?? ''),
        secretId: input.SecretId,
        signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
      });
      if (target !== 'secretsmanager.GetSecretValue') {
        answer(400, { __type: 'UnknownOperationException', message: target });
        return;
      }
      const id = String(input.SecretId);
      if (denied.has(id)) {
        answer(400, {
          __type: 'AccessDeniedException',
          message: `User is not authorized to perform secretsmanager:GetSecretValue on ${id}`,
        });
        return;
      }
      const secret = store.get(id);
      if (secret === undefined) {
        answer(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      answer(200, {
        ARN: arnOf(secret.name),
        Name: secret.name,
        VersionId: randomUUID(),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
        ...(secret.string !== undefined ? { SecretString: secret.string } : {}),
        ...(secret.binary !== undefined
          ? { SecretBinary: Buffer.from(secret.binary).toString('base64') }
          : {}),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    recorded,
    denied,
    get maxInFlight() {
      return maxInFlight;
    },
    putSecret(name, value) {
      const secret: StoredSecret = { name, ...value };
      store.set(name, secret);
      store.set(arnOf(name), secret);
      return arnOf(name);
    },
    reset() {
      store.clear();
      denied.clear();
      recorded.length = 0;
      maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
