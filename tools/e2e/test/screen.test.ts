import { Screen, type ScreenStream } from '../src/screen';

function stream(isTTY: boolean, columns = 80): ScreenStream & { text: string } {
  return {
    isTTY,
    columns,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('the demo screen', () => {
  it('prints every view as plain lines, without control codes, when there is no terminal', () => {
    const out = stream(false);
    const screen = new Screen(out);
    screen.view(['slot 1']);
    screen.line('event');
    screen.view(['slot 2']);
    screen.clearView();
    expect(out.text).toBe('slot 1\nevent\nslot 2\n');
  });

  it('redraws the view in place on a terminal, keeping event lines above it', () => {
    const out = stream(true);
    const screen = new Screen(out);
    screen.view(['a', 'b']);
    screen.line('event');
    screen.view(['c']);
    screen.clearView();
    expect(out.text).toBe(
      'a\nb\n' + '\x1b[2A\x1b[J' + 'event\n' + 'a\nb\n' + '\x1b[2A\x1b[J' + 'c\n' + '\x1b[1A\x1b[J',
    );
  });

  it('cuts view lines to the terminal width so a wrapped line cannot break the redraw', () => {
    const out = stream(true, 30);
    new Screen(out).view(['x'.repeat(100)]);
    expect(out.text).toBe(`${'x'.repeat(28)}…\n`);
  });
});
