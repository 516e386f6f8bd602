import type { NoticeLevel, Notifier } from "../../core/failover/types";

/** Prefix of a notice line; the per-region log alert (modules/azure/failover-alerts.ts) matches it. */
export const NOTICE_PREFIX = "DR-NOTICE ";

/**
 * Notices go to the function's log (Application Insights, in the engine's own region); a log
 * search alert in the same region pages people through that region's action group. Nothing on
 * this path needs another region, and a notice never blocks the engine: writing a log line
 * cannot fail the way an outbound call can.
 */
export class LogNotifier implements Notifier {
  constructor(
    private readonly context: { readonly environment: string; readonly region: string },
    private readonly write: (line: string) => void,
  ) {}

  async notify(level: NoticeLevel, subject: string, detail: string): Promise<void> {
    this.write(
      NOTICE_PREFIX +
        JSON.stringify({ level, subject, detail, environment: this.context.environment, region: this.context.region }),
    );
  }
}

/** Parses a notice line back (tests, drills reading the logs); undefined for other lines. */
export function parseNotice(
  line: string,
): { level: NoticeLevel; subject: string; detail: string; environment: string; region: string } | undefined {
  if (!line.startsWith(NOTICE_PREFIX)) return undefined;
  try {
    return JSON.parse(line.slice(NOTICE_PREFIX.length));
  } catch {
    return undefined;
  }
}
