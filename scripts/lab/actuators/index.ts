import type {
  Actuators,
  DatabaseNameActuator,
  FenceActuator,
  FenceState,
  TrafficActuator,
} from "../../../modules/core/failover/types";
import type { Lab } from "../lab";
import { readNameRecord, writeNameRecord } from "../name-record";
import { tcpReachable } from "../net";
import { sleep } from "../postgres";
import { LabDatabase } from "./database";
import { FileJournal, FileLock, realClock, RecordingNotifier } from "./files";

/**
 * The lab's actuators: the failover engine acts on the lab's real servers through these, the
 * same interfaces the Azure and AWS actuators implement with their SDKs.
 */

/** Each region's own record of the database name (its private DNS record in the clouds). */
export class LabDatabaseName implements DatabaseNameActuator {
  constructor(private readonly lab: Lab) {}

  async resolve(clientRegion: string): Promise<string | undefined> {
    try {
      return readNameRecord(this.lab.region(clientRegion).nameRecordFile).region;
    } catch {
      return undefined;
    }
  }

  async pointAt(clientRegion: string, target: string): Promise<void> {
    writeNameRecord(this.lab.region(clientRegion).nameRecordFile, {
      region: target,
      host: "127.0.0.1",
      port: this.lab.region(target).gate.port,
      ttlSeconds: this.lab.settings.nameTtlSeconds,
    });
  }
}

/** The global load balancer through HAProxy's runtime API. */
export class LabTraffic implements TrafficActuator {
  constructor(private readonly lab: Lab) {}

  async drain(region: string): Promise<void> {
    await this.lab.loadBalancer.setAdminState(region, "maint");
  }

  async restore(region: string): Promise<void> {
    await this.lab.loadBalancer.setAdminState(region, "ready");
  }

  async isServing(region: string): Promise<boolean> {
    return (await this.lab.loadBalancer.serverStates())[region] === "UP";
  }
}

/**
 * The fence, as the clouds do it: isolate (the gate the web tiers connect through closes, and
 * every connection already open through it is reset, as a network rule that also drops
 * established flows) and stop (the server is killed and verified down: its port refuses
 * connections). It also persists read-only in the server's configuration, so a server that
 * starts again by itself comes back refusing writes.
 */
export class LabFence implements FenceActuator {
  constructor(
    private readonly lab: Lab,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async fence(region: string): Promise<void> {
    const r = this.lab.region(region);
    this.lab.fenced.add(region);
    r.gate.setTarget(undefined);
    if (r.db.running) await r.db.kill();
    r.db.persistSetting("default_transaction_read_only", "on");
    const deadline = Date.now() + 5000;
    while (!(await this.state(region)).stopped) {
      if (Date.now() > deadline) throw new Error(`${region}: the database server still answers after the fence's stop`);
      await sleep(100);
    }
    this.log(`lab: ${region} fenced (gate closed, open connections reset, server stopped, read-only on restart)`);
  }

  async state(region: string): Promise<FenceState> {
    const r = this.lab.region(region);
    return {
      isolated: this.lab.fenced.has(region) && r.gate.target === undefined,
      stopped: !r.db.running && !(await tcpReachable(r.db.port, 300)),
    };
  }

  async unfence(region: string): Promise<void> {
    const r = this.lab.region(region);
    if (r.db.running && region !== this.lab.primary) {
      const status = await this.lab.nodeStatus(region);
      if (status.writable) throw new Error(`${region} still accepts writes: demote it before unfencing`);
    }
    this.lab.fenced.delete(region);
    r.gate.setTarget(r.db.port);
  }
}

export interface LabActuators extends Actuators {
  readonly database: LabDatabase;
  readonly notifier: RecordingNotifier;
  readonly journal: FileJournal;
  readonly lock: FileLock;
}

/** Every actuator on one lab; the lock, journal and notices live in `stateDir`. */
export function labActuators(lab: Lab, stateDir: string, log: (line: string) => void = () => undefined): LabActuators {
  return {
    database: new LabDatabase(lab, log),
    databaseName: new LabDatabaseName(lab),
    traffic: new LabTraffic(lab),
    fence: new LabFence(lab, log),
    lock: new FileLock(stateDir),
    journal: new FileJournal(stateDir),
    notifier: new RecordingNotifier(stateDir, realClock, log),
    clock: realClock,
  };
}
