import { blocks, read } from "../tf";
import type { Rule, TfResource } from "../types";
import { isTrue, shorten } from "./helpers";

export const rule: Rule = {
  id: "AWS-EC2-002",
  title: "EBS volumes are encrypted",
  severity: "high",
  cloud: "aws",
  mappings: ["CKV_AWS_3", "AVD-AWS-0131", "AVD-AWS-0026"],
  checks:
    "aws_instance root_block_device and every ebs_block_device, and every aws_ebs_volume, set encrypted to true (unless aws_ebs_encryption_by_default is enabled in the same stack).",
  check(env, report) {
    for (const stack of env.stacks) {
      const byDefault = stack
        .ofType("aws_ebs_encryption_by_default")
        .some((d) => d.attrs.enabled === undefined || isTrue(d.attrs.enabled));
      if (byDefault) continue;
      const expectEncrypted = (resource: TfResource, block: Record<string, unknown> | undefined, label: string) => {
        const value = block ? read(block, "encrypted") : ({ state: "absent" } as const);
        if (value.state === "unresolved")
          report.cannotEvaluate(
            resource,
            `${label}.encrypted is ${shorten(value.text)}`,
            "set encrypted: true as a literal",
          );
        else if (value.state === "absent" || !isTrue(value.value))
          report.violation(
            resource,
            `${label} is not encrypted`,
            `set ${label}.encrypted: true (with kmsKeyId for a customer-managed key)`,
          );
      };
      for (const instance of stack.ofType("aws_instance")) {
        expectEncrypted(instance, blocks(instance.attrs.root_block_device)[0], "root_block_device");
        blocks(instance.attrs.ebs_block_device).forEach((b, i) =>
          expectEncrypted(instance, b, `ebs_block_device[${i}]`),
        );
      }
      for (const volume of stack.ofType("aws_ebs_volume"))
        expectEncrypted(volume, volume.attrs as Record<string, unknown>, "volume");
    }
  },
};
