/**
 * Go compares strings byte by byte over their UTF-8 encoding; that order equals Unicode
 * code-point order. JS `<` compares UTF-16 code units, which disagrees for characters above
 * U+FFFF against U+E000–U+FFFF. Wherever a byte-exact result depends on Go's order (the label
 * hash §9, query keys §2.5, external labels §9, label order on the remote-write wire §11.1),
 * sort with {@link compareUtf8}.
 */

/** Negative, zero or positive as `a` sorts before, equal to, or after `b` in UTF-8 byte order. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Only a surrogate against U+E000–U+FFFF orders differently: move surrogates above.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}
