/**
 * A local stand-in for CloudFormation's DescribeStacks, for tests with the real
 * `CloudFormationClient`: it speaks the Query protocol (a form-encoded POST, `Action` and
 * `Version=2010-05-15`, answered in XML), as docs/testing.md does for EC2. A stack it does not
 * hold gets the 400 `ValidationError` "Stack with id NAME does not exist" that CloudFormation
 * sends. Every request is recorded (its form fields and whether it was SigV4-signed).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCfnRequest {
  readonly fields: Readonly<Record<string, string>>;
  readonly signed: boolean;
}

export interface CloudFormationStandIn {
  readonly endpoint: string;
  readonly recorded: RecordedCfnRequest[];
  /** Stack name → its outputs. */
  readonly stacks: Map<string, Record<string, string>>;
  close(): Promise<void>;
}

const xml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startCloudFormation(): Promise<CloudFormationStandIn> {
  const recorded: RecordedCfnRequest[] = [];
  const stacks = new Map<string, Record<string, string>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      recorded.push({
        fields,
        signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 '),
      });
      const send = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(body);
      };
      if (fields.Action !== 'DescribeStacks' || fields.Version !== '2010-05-15') {
        send(400, error('InvalidAction', `unknown action ${fields.Action}`));
        return;
      }
      const name = fields.StackName ?? '';
      const outputs = stacks.get(name);
      if (outputs === undefined) {
        send(400, error('ValidationError', `Stack with id ${name} does not exist`));
        return;
      }
      const members = Object.entries(outputs)
        .map(
          ([k, v]) =>
            `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`,
        )
        .join('');
      send(
        200,
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>${xml(name)}</StackName>
    <StackId>arn:aws:cloudformation:us-east-1:111122223333:stack/${xml(name)}/1</StackId>
    <StackStatus>UPDATE_COMPLETE</StackStatus>
    <CreationTime>2026-01-01T00:00:00.000Z</CreationTime>
    <Outputs>${members}</Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    recorded,
    stacks,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function error(code: string, message: string): string {
  return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error>
  <RequestId>00000000-0000-0000-0000-000000000001</RequestId>
</ErrorResponse>`;
}
