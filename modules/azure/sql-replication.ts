import { VirtualMachineRunCommand } from "@cdktf/provider-azurerm/lib/virtual-machine-run-command";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { terraformLiteral } from "../core/terraform-literal";

export interface ReplicaSqlVm {
  /** Stable region key (short code). */
  readonly code: string;
  readonly location: string;
  readonly vmId: string;
  readonly computerName: string;
  /** Host name of the SQL VM in the private zone. */
  readonly hostName: string;
  readonly keyVaultName: string;
  /** Resources of this stack that must exist before the scripts run (vault roles of the VM's identity). */
  readonly ready: readonly ITerraformDependable[];
  /**
   * ID of the VM's SQL IaaS registration (another stack's resource): the scripts need the disks
   * it lays out. Referencing its ID orders them after it without exporting the whole resource,
   * which `dependsOn` across stacks would do, secrets included.
   */
  readonly sqlRegistrationId: string;
}

export interface SqlReplicationProps {
  /** Every region's SQL VM; the first is the initial primary, which creates the group. */
  readonly replicas: readonly ReplicaSqlVm[];
  readonly availabilityGroupName: string;
  readonly databases: readonly string[];
  readonly endpointPort: number;
  readonly sqlAdminUser: string;
  /** Text of the four scripts run on the SQL VMs, in this order. */
  readonly scripts: {
    readonly endpoint: string;
    readonly trust: string;
    readonly create: string;
    readonly join: string;
  };
}

/**
 * Replication as code: a read-scale availability group (CLUSTER_TYPE = NONE: no domain, no
 * cluster) in asynchronous commit between the SQL VMs of every region, with certificate-
 * authenticated mirroring endpoints. Built by idempotent scripts run through VM Run Command in
 * four ordered phases: every VM creates its endpoint and publishes its certificate, every VM
 * trusts its peers' certificates, the initial primary creates the group, the others join.
 * The scripts only ever create what is missing, so after a failover a re-run changes nothing.
 */
export class SqlReplication extends Construct {
  readonly commands: VirtualMachineRunCommand[] = [];

  constructor(scope: Construct, id: string, props: SqlReplicationProps) {
    super(scope, id);
    const run = (
      commandId: string,
      replica: ReplicaSqlVm,
      script: string,
      parameters: Record<string, string>,
      dependsOn: readonly ITerraformDependable[],
    ) => {
      const command = new VirtualMachineRunCommand(this, commandId, {
        name: commandId,
        location: replica.location,
        virtualMachineId: replica.vmId,
        source: { script: terraformLiteral(script) },
        parameter: Object.entries({ KeyVaultName: replica.keyVaultName, ...parameters }).map(([name, value]) => ({
          name,
          value,
        })),
        dependsOn: [...dependsOn],
        tags: { "sql-iaas-registration": replica.sqlRegistrationId },
      });
      this.commands.push(command);
      return command;
    };

    const [primary, ...secondaries] = props.replicas;
    const endpoints = props.replicas.map((replica) =>
      run(
        `sql-endpoint-${replica.code}`,
        replica,
        props.scripts.endpoint,
        {
          RegionCode: replica.code,
          EndpointPort: String(props.endpointPort),
          SqlAdminUser: props.sqlAdminUser,
        },
        replica.ready,
      ),
    );
    const trusts = props.replicas.map((replica) =>
      run(
        `sql-trust-${replica.code}`,
        replica,
        props.scripts.trust,
        {
          PeerVaults: props.replicas
            .filter((peer) => peer !== replica)
            .map((peer) => `${peer.code}=${peer.keyVaultName}`)
            .join(","),
          SqlAdminUser: props.sqlAdminUser,
        },
        endpoints,
      ),
    );
    const create = run(
      `sql-ag-create-${primary.code}`,
      primary,
      props.scripts.create,
      {
        AvailabilityGroupName: props.availabilityGroupName,
        Databases: props.databases.join(","),
        Replicas: props.replicas.map((r) => `${r.computerName}=TCP://${r.hostName}:${props.endpointPort}`).join(","),
        SqlAdminUser: props.sqlAdminUser,
      },
      trusts,
    );
    for (const replica of secondaries) {
      run(
        `sql-ag-join-${replica.code}`,
        replica,
        props.scripts.join,
        {
          AvailabilityGroupName: props.availabilityGroupName,
          SqlAdminUser: props.sqlAdminUser,
        },
        [create],
      );
    }
  }
}
