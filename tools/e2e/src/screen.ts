/**
 * The demo's output. On a terminal the live view is a block redrawn in place under the log of
 * events; without one (CI, a pipe, a file) every view is printed as plain lines, since cursor
 * movement codes would only garble a log.
 */

/** The part of a stream the screen needs; `isTTY` and `columns` exist on terminals only. */
export interface ScreenStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Event lines that scroll, plus a view block that is replaced; see the file comment. */
export class Screen {
  private block: readonly string[] = [];

  constructor(private readonly out: ScreenStream) {}

  /** Whether the view is redrawn in place. */
  get isTerminal(): boolean {
    return this.out.isTTY === true;
  }

  /** Prints a line that stays (an event, a result). */
  line(text: string): void {
    if (!this.isTerminal) {
      this.out.write(`${text}\n`);
      return;
    }
    this.erase();
    this.out.write(`${text}\n`);
    this.draw();
  }

  /** Replaces the view block (on a terminal), or prints it (elsewhere). */
  view(lines: readonly string[]): void {
    if (!this.isTerminal) {
      for (const text of lines) this.out.write(`${text}\n`);
      return;
    }
    this.erase();
    this.block = lines;
    this.draw();
  }

  /** Removes the view block from a terminal, e.g. before the final verdict. */
  clearView(): void {
    if (!this.isTerminal) return;
    this.erase();
    this.block = [];
  }

  private erase(): void {
    if (this.block.length > 0) this.out.write(`\x1b[${this.block.length}A\x1b[J`);
  }

  private draw(): void {
    // A wrapped line would take two rows and break the cursor arithmetic of erase().
    const width = Math.max(20, (this.out.columns ?? 120) - 1);
    for (const text of this.block) this.out.write(`${text.length > width ? text.slice(0, width - 1) + '…' : text}\n`);
  }
}
