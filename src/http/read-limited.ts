/**
 * At most `limit` bytes of a response body as UTF-8 text. Reading stops there; leaving the
 * loop early destroys the stream (and its connection), which is fine on the error paths that
 * use it (an error body, a token endpoint's answer).
 */
export async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    n += chunk.length;
    if (n >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
