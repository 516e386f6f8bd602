/**
 * How often each region's engine runs the readiness check (replication lag included): once per
 * RPO window, so lag beyond the objective is reported before it can cost more than the
 * objective; never more often than every 5 minutes, at least hourly. The schedule itself is
 * part of the engine host (failover-host.ts).
 */
export function readinessIntervalMinutes(rpoMinutes: number): number {
  return Math.min(60, Math.max(5, Math.floor(rpoMinutes)));
}
