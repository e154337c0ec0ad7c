/**
 * The last lines each unfinished job logged, so a notification can quote them
 * without reading the job's output back from storage.
 */
export class OutputTail {
  private readonly lines = new Map<string, string[]>()

  constructor(private readonly size: number) {}

  push(jobId: string, line: string): void {
    if (this.size === 0) return
    let tail = this.lines.get(jobId)
    if (!tail) this.lines.set(jobId, (tail = []))
    tail.push(line)
    if (tail.length > this.size) tail.shift()
  }

  /** Returns the job's last lines and forgets them. */
  take(jobId: string): string[] {
    const tail = this.lines.get(jobId) ?? []
    this.lines.delete(jobId)
    return tail
  }

  clear(): void {
    this.lines.clear()
  }
}
