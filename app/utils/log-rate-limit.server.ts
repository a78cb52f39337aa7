/**
 * Caps how many log lines of one kind a process writes per time window, so
 * a flood of requests cannot flood the logs. Lines over the cap are counted,
 * and the next line written reports that count.
 */
export class LogRateLimiter {
  private windowStartedAt = Number.NEGATIVE_INFINITY;
  private writtenInWindow = 0;
  private suppressed = 0;

  /**
   * @param maxPerWindow lines written per window, at most
   * @param windowMs window length in milliseconds
   * @param now clock in milliseconds, replaceable in tests
   */
  constructor(
    private readonly maxPerWindow: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records one line. Returns null when the line must be dropped, otherwise
   * the number of lines dropped since the last one written.
   */
  take(): number | null {
    const now = this.now();
    if (now - this.windowStartedAt >= this.windowMs) {
      this.windowStartedAt = now;
      this.writtenInWindow = 0;
    }
    if (this.writtenInWindow >= this.maxPerWindow) {
      this.suppressed += 1;
      return null;
    }
    this.writtenInWindow += 1;
    const dropped = this.suppressed;
    this.suppressed = 0;
    return dropped;
  }
}
