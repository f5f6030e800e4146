/** The text that replaces a secret in logs, errors and messages. */
export const REDACTED = '[REDACTED]';

/** Replaces every occurrence of a secret in a string. */
export type Redactor = (text: string) => string;

/**
 * Builds a {@link Redactor} for `secrets`: each value is masked as written and in its
 * URL-encoded form, because libraries put secrets in URLs (grammy's network errors carry
 * `…/bot<token>/sendMessage`). Empty values are ignored; longer secrets are replaced first
 * so that a secret containing another is masked whole.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of ordered) out = out.split(form).join(REDACTED);
    return out;
  };
}
