import { z } from "zod";

/**
 * Building blocks shared by the Azure and AWS environment schemas. Each field documents its
 * unit in its name and the behaviour of any default in its description: the schema is also
 * published as `config/schema.json` for editors (see scripts/gen-config-schema.ts).
 */

export const cidr = z.string().describe("IPv4 CIDR block, for example 10.20.0.0/16");

export const environmentName = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,11}$/, "expected 2-12 lowercase letters or digits, starting with a letter")
  .describe(
    "Environment name; must equal the file name (config/<environment>.yaml). Used in stack names and state keys.",
  );

export const prefix = z
  .string()
  .regex(/^[a-z][a-z0-9]{1,7}$/, "expected 2-8 lowercase letters or digits, starting with a letter")
  .describe(
    "Naming prefix for every resource (short: Azure storage and Key Vault names are limited to 24 characters).",
  );

export const tags = z
  .record(
    z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/,
        "expected a tag key of letters, digits, '_', '.', '-', starting with a letter",
      ),
    z.string().max(256),
  )
  .refine((t) => Object.keys(t).length > 0, "expected at least one tag (for example owner)")
  .describe("Tags applied to every taggable resource, in addition to environment and managed-by tags.");

export const deployOrder = z
  .int()
  .min(1)
  .max(99)
  .describe("Order in which merge-to-apply deploys environments: lower first (staging before production).");

export const drObjectives = z
  .strictObject({
    rtoMinutes: z
      .number()
      .positive()
      .max(360)
      .describe("Recovery time objective in minutes: at most 360 (the 6-hour downtime requirement)."),
    rpoMinutes: z.number().positive().max(1440).describe("Recovery point objective in minutes: the data-loss budget."),
  })
  .describe(
    "Disaster-recovery objectives. Validation fails an environment whose modeled recovery time exceeds rtoMinutes.",
  );

export const alerts = z
  .strictObject({
    emails: z
      .array(z.email("expected an e-mail address"))
      .min(1)
      .describe("Who is told when a region fails, a failover starts or a drill misses an objective."),
  })
  .describe("Alert contacts.");

export const sqlReplication = z
  .strictObject({
    availabilityGroupName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,14}$/, "expected 1-15 letters, digits, '_' or '-', starting with a letter")
      .describe("Name of the read-scale availability group (CLUSTER_TYPE = NONE)."),
    endpointPort: z
      .int()
      .min(1024)
      .max(65535)
      .describe("TCP port of the database mirroring endpoint used for replication between data subnets."),
    databases: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "expected a database name of letters, digits and '_'"))
      .min(1)
      .describe("Databases that join the availability group and are replicated to every secondary region."),
    lagAlertSeconds: z
      .int()
      .positive()
      .describe("Replication lag above which the readiness check fails and an alert fires; must fit inside the RPO."),
  })
  .describe("Asynchronous replication from the active primary to every other region.");

export const failoverPolicy = z
  .strictObject({
    mode: z
      .enum(["automatic", "manual"])
      .describe(
        "automatic: the failover engine fails over once the primary stayed down for the confirmation window. manual: it only notifies people, who start it.",
      ),
    confirmationMinutes: z
      .number()
      .min(1)
      .max(60)
      .describe("How long the primary must stay unreachable before failover starts (absorbs flapping probes)."),
    activeDatabaseRegion: z
      .string()
      .describe(
        "Region whose SQL VM is the database primary. A planned failover or failback is a pull request that changes it.",
      ),
  })
  .describe("Failover policy.");

export const dnsTtlSeconds = z
  .int()
  .min(5)
  .max(3600)
  .describe("TTL of the private database endpoint record; repointing takes effect within this time.");
