/*
 * A tiny document model for notifications. Formatting builds lines of spans; rendering to
 * Telegram HTML escapes every text span, so no interpolated value (a node label, an error
 * detail from a remote command) can inject markup or break Telegram's parser (which rejects
 * the whole message on one stray `<`).
 */

/** A piece of a line: plain text, bold text, or monospace (slots, durations, pubkeys). */
export type Span = string | { readonly bold: string } | { readonly code: string };

/** A rendered-independent message: a title line and body lines. */
export interface MessageDoc {
  readonly icon: string;
  readonly title: readonly Span[];
  readonly lines: readonly (readonly Span[])[];
}

// Telegram refuses messages over 4096 characters; values are capped well below it so a long
// stderr in a detail cannot cost the whole notification.
const MAX_VALUE_CHARS = 300;

/** Caps a value's length, marking the cut. */
export function cap(text: string, max = MAX_VALUE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escapes the three characters Telegram's HTML parse mode requires escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function spanHtml(span: Span): string {
  if (typeof span === 'string') return escapeHtml(span);
  if ('bold' in span) return `<b>${escapeHtml(span.bold)}</b>`;
  return `<code>${escapeHtml(span.code)}</code>`;
}

function spanText(span: Span): string {
  if (typeof span === 'string') return span;
  return 'bold' in span ? span.bold : span.code;
}

/** Telegram HTML (`parse_mode: 'HTML'`), every text escaped. */
export function renderHtml(doc: MessageDoc): string {
  const title = `${doc.icon} <b>${doc.title.map(spanHtml).join('')}</b>`;
  return [title, ...doc.lines.map((line) => line.map(spanHtml).join(''))].join('\n');
}

/** One plain line for logs: title and body joined with `; `. */
export function renderPlain(doc: MessageDoc): string {
  const title = doc.title.map(spanText).join('');
  const body = doc.lines.map((line) => line.map(spanText).join('').trim()).filter((l) => l !== '');
  return [title, ...body].join('; ');
}
