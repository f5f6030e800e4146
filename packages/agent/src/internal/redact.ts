// A Solana keypair file is a JSON array of 64 byte values; anything that looks like one is a
// secret wherever it shows up (a command echoing its stdin, an error quoting a file).
const KEYPAIR_ARRAY = /\[\s*(?:\d{1,3}\s*,\s*){63}\d{1,3}\s*\]/g;

/** Replaces every configured secret and anything shaped like a keypair with a marker. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text.replace(KEYPAIR_ARRAY, '[redacted keypair]');
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; secrets this short are refused at
    // start-up anyway.
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return out;
}
