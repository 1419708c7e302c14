/**
 * Problems found while loading a config, possibly across several files. Each is shown as
 * `file:line:col: message` (or `file: message` when it concerns no node); {@link sorted} lists
 * them by file (in the order files were first mentioned), then by position.
 */
export class Diagnostics {
  private readonly entries: {
    readonly file: string;
    readonly line: number;
    readonly col: number;
    readonly text: string;
  }[] = [];
  private readonly fileOrder = new Map<string, number>();
  private readonly seen = new Set<string>();

  get length(): number {
    return this.entries.length;
  }

  /** Records a problem; `line`/`col` are 1-based, 0 when the problem concerns the whole file. */
  add(file: string, line: number, col: number, message: string): void {
    const where = line > 0 ? `${file}:${line}:${col}` : file;
    this.push(file, line, col, `${where}: ${message}`);
  }

  /** Records a problem that concerns no file in particular. */
  addGeneral(message: string): void {
    this.push('', 0, 0, message);
  }

  private push(file: string, line: number, col: number, text: string): void {
    // A node reached twice (an anchor used by an alias or a merge key) is reported once.
    if (this.seen.has(text)) return;
    this.seen.add(text);
    if (!this.fileOrder.has(file)) this.fileOrder.set(file, this.fileOrder.size);
    this.entries.push({ file, line, col, text });
  }

  sorted(): string[] {
    // Array.prototype.sort is stable, so equal positions keep the order they were found in.
    return [...this.entries]
      .sort(
        (a, b) =>
          this.fileOrder.get(a.file)! - this.fileOrder.get(b.file)! ||
          a.line - b.line ||
          a.col - b.col,
      )
      .map((e) => e.text);
  }
}
