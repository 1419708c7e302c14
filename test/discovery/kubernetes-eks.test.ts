/**
 * Amazon EKS authentication without running `aws eks get-token`: the token's presigned STS URL
 * is checked against an independent SigV4 computation (node:crypto), the kubeconfig plugin
 * forms are recognised, and a kubeconfig with the plugin authenticates list requests to the
 * local API server stand-in.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EKS_TOKEN_PREFIX,
  eksTokenSource,
  KubernetesDiscoverer,
  KubernetesSdErrorCode,
  kubernetesMechanism,
  makeEksToken,
  parseKubeconfig,
} from '../../src/discovery/kubernetes/index.js';
import { FakeKubeApi } from './kubernetes-fixture.js';
import * as obj from './kubernetes-objects.js';
import { parseEntry } from './sd-config.js';

const CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+value=',
};
const NOW = Date.UTC(2026, 11, 6, 21, 30, 0);

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const payload = token.slice(EKS_TOKEN_PREFIX.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** SigV4 of a presigned GET, computed from the URL the way STS checks it. */
function expectedSignature(url: URL, clusterName: string, region: string): string {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  const params = [...url.searchParams].filter(([k]) => k !== 'X-Amz-Signature');
  const query = params
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    'GET',
    '/',
    query,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'), // the empty body
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = `${date.slice(0, 8)}/${region}/sts/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const hmac = (key: Buffer | string, data: string) =>
    createHmac('sha256', key).update(data).digest();
  let key = hmac(`AWS4${CREDS.secretAccessKey}`, date.slice(0, 8));
  key = hmac(key, region);
  key = hmac(key, 'sts');
  key = hmac(key, 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('EKS tokens', () => {
  it('presign GetCallerIdentity for 60 s with the cluster name signed', async () => {
    const token = await makeEksToken('prod-cluster', 'eu-west-1', CREDS, NOW);
    const url = decode(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261206/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261206T213000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Security-Token': CREDS.sessionToken,
    });
    expect(q['X-Amz-Signature']).toBe(expectedSignature(url, 'prod-cluster', 'eu-west-1'));
  });

  it('uses the global endpoint without a region, and the China partition for cn-*', async () => {
    const global = decode(await makeEksToken('c', undefined, CREDS, NOW));
    expect(global.host).toBe('sts.amazonaws.com');
    expect(global.searchParams.get('X-Amz-Credential')).toBe(
      'AKIDEXAMPLE/20261206/us-east-1/sts/aws4_request',
    );
    expect(global.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(global, 'c', 'us-east-1'),
    );
    expect(decode(await makeEksToken('c', 'cn-north-1', CREDS, NOW)).host).toBe(
      'sts.cn-north-1.amazonaws.com.cn',
    );
  });

  it('reuses a token for 10 minutes, then signs a new one', async () => {
    let now = NOW;
    let calls = 0;
    const source = eksTokenSource({
      credentials: async () => {
        calls++;
        return CREDS;
      },
      region: 'us-west-2',
      now: () => now,
    });
    const exec = { clusterName: 'c', region: undefined };
    const first = await source(exec);
    expect(decode(first).host).toBe('sts.us-west-2.amazonaws.com');
    now += 9 * 60_000;
    expect(await source(exec)).toBe(first);
    now += 2 * 60_000;
    expect(await source(exec)).not.toBe(first);
    expect(calls).toBe(2);
  });

  it('fails without credentials, naming no secret', async () => {
    const source = eksTokenSource({
      credentials: async () => {
        throw Object.assign(new Error(`expired ${CREDS.secretAccessKey}`), {
          name: 'CredentialsProviderError',
        });
      },
    });
    const err = await source({ clusterName: 'c', region: 'eu-west-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: KubernetesSdErrorCode.eksToken });
    expect((err as Error).message).toBe(
      'no AWS credentials for the EKS token of cluster "c": CredentialsProviderError',
    );
  });
});

describe('kubeconfig credential plugins', () => {
  const kubeconfig = (exec: string) =>
    `current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com", certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64')}}}]
users: [{name: u, user: {exec: ${exec}}}]
`;
  it.each([
    [
      '{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]}',
      { clusterName: 'prod', region: 'eu-west-1' },
    ],
    [
      '{command: /usr/local/bin/aws, args: [eks, get-token, --cluster-name=prod], env: [{name: AWS_REGION, value: us-east-2}]}',
      { clusterName: 'prod', region: 'us-east-2' },
    ],
    [
      '{command: aws-iam-authenticator, args: [token, -i, prod]}',
      { clusterName: 'prod', region: undefined },
    ],
  ])('recognises %s', (exec, expected) => {
    const kc = parseKubeconfig('/k/config', kubeconfig(exec));
    expect(kc.eks).toEqual(expected);
    expect(kc.server).toBe('https://abc.gr7.eu-west-1.eks.amazonaws.com');
    expect(kc.httpClient.tlsConfig.ca).toBe('-----BEGIN CERTIFICATE-----\n');
  });

  it.each([
    ['{command: aws, args: [eks, get-token]}', 'needs --cluster-name'],
    [
      '{command: aws, args: [eks, get-token, --cluster-name, p, --role-arn, arn:aws:iam::1:role/r]}',
      '--role-arn',
    ],
    [
      '{command: kubelogin, args: [get-token]}',
      'the credential plugin "kubelogin" is not supported',
    ],
  ])('refuses %s', (exec, message) => {
    expect(() => parseKubeconfig('/k/config', kubeconfig(exec))).toThrow(message);
  });
});

describe('kubeconfig TLS and credentials', () => {
  const base = `current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "k8s.example:6443/prefix/", certificate-authority: certs/ca.crt, tls-server-name: api.internal, insecure-skip-tls-verify: false, proxy-url: "http://proxy:3128"}}]
`;
  it('reads client certificates and resolves paths against the kubeconfig folder', () => {
    const kc = parseKubeconfig(
      '/etc/kube/config',
      `${base}users: [{name: u, user: {client-certificate: c.crt, client-key-data: ${Buffer.from('KEY').toString('base64')}}}]\n`,
    );
    expect(kc.server).toBe('https://k8s.example:6443/prefix');
    expect(kc.eks).toBeUndefined();
    expect(kc.httpClient).toMatchObject({
      proxyUrl: 'http://proxy:3128',
      authorization: undefined,
      basicAuth: undefined,
      tlsConfig: {
        caFile: '/etc/kube/certs/ca.crt',
        certFile: '/etc/kube/c.crt',
        serverName: 'api.internal',
        insecureSkipVerify: false,
      },
    });
    expect(kc.httpClient.tlsConfig.key?.reveal()).toBe('KEY');
  });

  it('prefers a token (or token file) to basic auth', () => {
    const token = parseKubeconfig(
      '/k/config',
      `${base}users: [{name: u, user: {tokenFile: t, username: a, password: b}}]\n`,
    );
    expect(token.httpClient.authorization).toMatchObject({
      type: 'Bearer',
      credentialsFile: '/k/t',
    });
    expect(token.httpClient.basicAuth).toBeUndefined();
    const basic = parseKubeconfig(
      '/k/config',
      `${base}users: [{name: u, user: {username: a, password: b}}]\n`,
    );
    expect(basic.httpClient.basicAuth).toMatchObject({ username: 'a' });
    expect(basic.httpClient.basicAuth?.password?.reveal()).toBe('b');
  });

  it.each([
    ['not: [valid', 'invalid YAML'],
    ['- a list', 'not a mapping'],
    ['contexts: []', 'no current-context'],
    [
      `${base}users: [{name: u, user: {auth-provider: {name: gcp}}}]`,
      'user.auth-provider is not supported',
    ],
    [
      `${base.replace('k8s.example:6443', 'ftp://x')}users: [{name: u, user: {}}]`,
      'not an http or https URL',
    ],
  ])('refuses %j', (text, message) => {
    expect(() => parseKubeconfig('/k/config', text)).toThrow(message);
  });
});

describe('kubernetes_sd_configs with an EKS kubeconfig', () => {
  const api = new FakeKubeApi();
  let server = '';
  beforeAll(async () => {
    server = await api.start();
  });
  afterAll(() => api.stop());

  it('sends the EKS token as the bearer token of every list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-eks-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      `apiVersion: v1
current-context: eks
contexts: [{name: eks, context: {cluster: prod, user: lambda}}]
clusters: [{name: prod, cluster: {server: "${server}"}}]
users:
- name: lambda
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod]
`,
    );
    api.objects.set('nodes', [obj.node('n1', '10.0.0.1')]);
    const d = new KubernetesDiscoverer(
      parseEntry(kubernetesMechanism, { role: 'node', kubeconfig_file: path }),
      { eksToken: eksTokenSource({ credentials: async () => CREDS, now: () => NOW }) },
    );
    try {
      const { groups } = await d.refresh();
      expect(groups.map((g) => g.source)).toEqual(['node/n1']);
    } finally {
      await d.close();
    }
    const auth = api.seen[0]!.headers.authorization!;
    expect(auth.startsWith(`Bearer ${EKS_TOKEN_PREFIX}`)).toBe(true);
    const url = decode(auth.slice('Bearer '.length));
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'prod', 'eu-west-1'),
    );

    const without = new KubernetesDiscoverer(
      parseEntry(kubernetesMechanism, { role: 'node', kubeconfig_file: path }),
    );
    await expect(without.refresh()).rejects.toThrow('no AWS credentials to make an EKS token with');
  });
});
