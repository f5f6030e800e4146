/**
 * Reading an answer's body with a cap: a peer that sends more than the cap (broken, or hostile
 * on the path) is cut off there, instead of the whole body being held in memory until the
 * call's deadline.
 */

/** What is read of an answer: fetch's `Response`, or the subset the agent's own fetch gives. */
type Answer = Pick<Response, 'headers' | 'body'>;

/**
 * The body as text (UTF-8, as `Response.text()` decodes it), or undefined when it is larger
 * than `limit` bytes: then the read stops at the first byte past `limit` and the connection is
 * dropped. A `content-length` above the limit is refused before any of the body is read.
 */
export async function readCappedText(answer: Answer, limit: number): Promise<string | undefined> {
  const body = answer.body;
  // fetch gives no stream for an answer without a body (a 204, or to a HEAD request).
  if (body === null) return '';
  if (Number(answer.headers.get('content-length') ?? 0) > limit) {
    await body.cancel().catch(() => undefined);
    return undefined;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
