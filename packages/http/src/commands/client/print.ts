/** Fixed-width columns, each as wide as its widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (cell ?? '').padEnd(widths[column]))
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}

/** `[#########...........]  45%  step`, redrawn in place on a terminal. */
export function progressBar(percent: number, label = '', width = 30): string {
  const clamped = Math.max(0, Math.min(100, percent))
  const filled = Math.round((clamped / 100) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${clamped.toFixed(0).padStart(3)}%  ${label}`.trimEnd()
}

/** Writes a line that replaces the previous one on a terminal; plain lines elsewhere (pipes, CI logs). */
export function statusLine(text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${text}`)
  else console.log(text)
}

export const shortTime = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-')
