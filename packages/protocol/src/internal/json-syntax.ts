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

  value(): void {
    this.skipSpace();
    const char = this.text[this.position];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
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

  object(): void {
    this.position++;
    this.skipSpace();
    if (this.text[this.position] === '}') {
      this.position++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.position] !== '"')
        this.fail(`unexpected ${this.describeHere()}; expected a double-quoted key`);
      this.string();
      this.skipSpace();
      if (this.text[this.position] !== ':') this.fail(`unexpected ${this.describeHere()}; expected ':'`);
      this.position++;
      this.value();
      this.skipSpace();
      const next = this.text[this.position];
      this.position++;
      if (next === '}') return;
      if (next !== ',') {
        this.position--;
        this.fail(`unexpected ${this.describeHere()}; expected ',' or '}'`);
      }
    }
  }

  array(): void {
    this.position++;
    this.skipSpace();
    if (this.text[this.position] === ']') {
      this.position++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const next = this.text[this.position];
      this.position++;
      if (next === ']') return;
      if (next !== ',') {
        this.position--;
        this.fail(`unexpected ${this.describeHere()}; expected ',' or ']'`);
      }
    }
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
