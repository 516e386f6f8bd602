import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Construct } from "constructs";
import { RUNBOOK_FILES, renderRunbook, type RunbookKind } from "./runbooks";

export interface DrDocumentsProps {
  readonly provider: AwsProvider;
  readonly names: Readonly<Record<RunbookKind, string>>;
  readonly topologyParameterName: string;
  /** JSON the runbooks act on (rendered with Fn.jsonencode). */
  readonly topology: string;
  readonly automationRoleArn: string;
}

/**
 * The one-time replication set-up document loaded from runbooks/aws/ and the topology parameter
 * it reads, in the first region (the failover path does not use them).
 */
export class DrDocuments extends Construct {
  readonly documents: ReadonlyMap<RunbookKind, SsmDocument>;
  readonly topologyParameter: SsmParameter;

  constructor(scope: Construct, id: string, props: DrDocumentsProps) {
    super(scope, id);
    const { provider } = props;
    this.topologyParameter = new SsmParameter(this, "topology", {
      provider,
      name: props.topologyParameterName,
      description: "Topology of the replication set-up: instances, hosts, secrets (no secret values)",
      type: "String",
      // Grows with the number of regions; Intelligent-Tiering moves to Advanced past 4 KB.
      tier: "Intelligent-Tiering",
      value: props.topology,
    });
    const values = {
      TOPOLOGY_PARAMETER: props.topologyParameterName,
      AUTOMATION_ROLE_ARN: props.automationRoleArn,
    };
    this.documents = new Map(
      (Object.keys(RUNBOOK_FILES) as RunbookKind[]).map((kind) => [
        kind,
        new SsmDocument(this, kind, {
          provider,
          name: props.names[kind],
          documentType: "Automation",
          documentFormat: "YAML",
          content: renderRunbook(kind, values),
        }),
      ]),
    );
  }
}
