/**
 * A tiny terminal emulator for display tests: it understands what the live displays write
 * (text, "\n", "\r", cursor up CSI n A, erase below CSI J, SGR colours) and keeps the screen as
 * lines, so tests assert on what a person would see.
 */
export class VtScreen {
  lines: string[] = [""];
  #row = 0;
  #col = 0;

  /** Feeds `text` as the terminal would receive it. */
  write(text: string): void {
    // deno-lint-ignore no-control-regex
    const tokens = text.match(/\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ?? [];
    for (const token of tokens) this.#apply(token);
  }

  /** The screen without trailing empty lines. */
  text(): string[] {
    const lines = [...this.lines];
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    return lines;
  }

  #apply(token: string): void {
    if (token === "\n") {
      this.#row++;
      this.#col = 0;
      while (this.lines.length <= this.#row) this.lines.push("");
    } else if (token === "\r") this.#col = 0;
    else if (token.startsWith("\x1b[")) this.#csi(token);
    else {
      const line = this.lines[this.#row]!.padEnd(this.#col, " ");
      this.lines[this.#row] = line.slice(0, this.#col) + token +
        line.slice(this.#col + token.length);
      this.#col += token.length;
    }
  }

  #csi(token: string): void {
    const final = token.at(-1);
    const n = Number(token.slice(2, -1) || "1");
    if (final === "A") this.#row = Math.max(0, this.#row - n);
    else if (final === "J") {
      this.lines[this.#row] = this.lines[this.#row]!.slice(0, this.#col);
      this.lines.length = this.#row + 1;
    } else if (final === "K") this.lines[this.#row] = "";
    else if (final !== "m") {
      throw new Error(`VtScreen: unexpected sequence ${JSON.stringify(token)}`);
    }
  }
}
