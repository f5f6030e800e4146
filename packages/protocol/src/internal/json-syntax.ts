/**
 * Locates the first JSON syntax error in a text. V8's `JSON.parse` messages give an offset
 * only for some errors, and for others quote the text itself, which may hold a secret
 * (a Telegram token); this scanner gives every error an offset and a reason that quotes
 * at most one character.
 */

/** A syntax error: character offset and a short reason. */
export interface JsonSyntaxError {
  readonly offset: number;
  readonly reason: string;
}

class Scanner {
  position = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw Object.assign(new Error(reason), { offset: this.position });
  }

  skipSpace(): void {
    while (/[ \t\n\r]/.test(this.text[this.position] ?? '')) this.position++;
  }

  describeHere(): string {
    const char = this.text[this.position];
    return char === undefined ? 'end of input' : char === '\n' ? 'a line break' : `'${char}'`;
  }

  /**
   * One JSON value, containers included, without recursion: the open containers are a stack of
   * their own, so no nesting depth can exhaust the call stack.
   */
  value(): void {
    const open: ('object' | 'array')[] = [];
    for (;;) {
      this.skipSpace();
      const char = this.text[this.position];
      if (char === '{' || char === '[') {
        this.position++;
        this.skipSpace();
        const close = char === '{' ? '}' : ']';
        if (this.text[this.position] === close) this.position++;
        else {
          open.push(char === '{' ? 'object' : 'array');
          if (char === '{') this.key();
          continue;
        }
      } else this.scalar();
      // A value ended: close what it ends, or go on to the next member.
      for (;;) {
        const container = open[open.length - 1];
        if (container === undefined) return;
        this.skipSpace();
        const next = this.text[this.position];
        const close = container === 'object' ? '}' : ']';
        if (next === close) {
          this.position++;
          open.pop();
          continue;
        }
        if (next !== ',') this.fail(`unexpected ${this.describeHere()}; expected ',' or '${close}'`);
        this.position++;
        if (container === 'object') this.key();
        break;
      }
    }
  }

  /** A member's key and its colon. */
  key(): void {
    this.skipSpace();
    if (this.text[this.position] !== '"') this.fail(`unexpected ${this.describeHere()}; expected a double-quoted key`);
    this.string();
    this.skipSpace();
    if (this.text[this.position] !== ':') this.fail(`unexpected ${this.describeHere()}; expected ':'`);
    this.position++;
  }

  scalar(): void {
    const char = this.text[this.position];
    if (char === '"') return this.string();
    if (char !== undefined && /[-0-9]/.test(char)) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return;
      }
    }
    this.fail(`unexpected ${this.describeHere()}; expected a value`);
  }

  string(): void {
    this.position++;
    for (;;) {
      const char = this.text[this.position];
      if (char === undefined) this.fail('unterminated string');
      if (char === '"') {
        this.position++;
        return;
      }
      if (char === '\n') this.fail('line break inside a string');
      this.position += char === '\\' ? 2 : 1;
    }
  }

  number(): void {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.position));
    if (match === null) this.fail(`unexpected ${this.describeHere()}; expected a number`);
    this.position += match[0].length;
  }
}

/** The first syntax error in `text`, or `undefined` when it is well-formed JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.skipSpace();
    if (scanner.position < text.length)
      scanner.fail(`unexpected ${scanner.describeHere()} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    const { offset } = error as { offset: number };
    return { offset, reason: (error as Error).message };
  }
}
