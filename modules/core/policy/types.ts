import type { EnvironmentConfig } from "../config/schema";
import type { Suppression } from "./suppress";

/** One stack as written by `app.synth()`: its name and its parsed `cdk.tf.json`. */
export interface SynthesizedStack {
  readonly name: string;
  readonly json: TerraformJson;
}

/** The parts of a synthesized Terraform JSON document the rules read. */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { readonly value?: unknown }>;
  readonly terraform?: { readonly backend?: Record<string, Record<string, unknown>> };
  readonly [key: string]: unknown;
}

/** A resource or data source of one stack, with its attributes in Terraform (snake_case) names. */
export interface TfResource {
  readonly stack: string;
  readonly mode: "resource" | "data";
  readonly type: string;
  readonly name: string;
  /** `<type>.<name>`, or `data.<type>.<name>`: the Terraform address inside its stack. */
  readonly address: string;
  /** The construct path (from `//.metadata.path`), which names the code that built it. */
  readonly constructPath: string | undefined;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly suppressions: readonly Suppression[];
}

/** A stack with its resources indexed by type. */
export interface StackView {
  readonly name: string;
  readonly json: TerraformJson;
  readonly resources: readonly TfResource[];
  /** Managed resources of one type (never data sources). */
  ofType(type: string): readonly TfResource[];
  /** A managed resource (or, with mode "data", a data source) by type and name. */
  find(type: string, name: string, mode?: "resource" | "data"): TfResource | undefined;
}

/**
 * The unit a rule sees: every stack of one environment, so cross-stack rules (regions
 * symmetric, web origins probed) can compare them. Stacks that belong to no configured
 * environment form a group of their own without config.
 */
export interface EnvironmentView {
  readonly environment: string | undefined;
  readonly config: EnvironmentConfig | undefined;
  readonly stacks: readonly StackView[];
  /** Managed resources of one type across every stack of the environment. */
  ofType(type: string): readonly TfResource[];
  stack(name: string): StackView | undefined;
}

export type Severity = "critical" | "high" | "medium" | "low";
export type RuleCloud = "azure" | "aws" | "any";

/** Where a finding points: a resource, or a stack-level block such as the backend. */
export type FindingTarget =
  TfResource | { readonly stack: string; readonly address: string; readonly constructPath?: string };

/** What a rule calls to report; the engine adds rule, suppression and location details. */
export interface Reporter {
  /** The resource breaks the rule. */
  violation(target: FindingTarget, problem: string, fix: string): void;
  /**
   * The rule could not decide: a value it needs is an unresolved token, a reference it
   * cannot follow, or a missing block. Fails like a violation unless suppressed.
   */
  cannotEvaluate(target: FindingTarget, problem: string, fix: string): void;
}

export interface Rule {
  /** Stable ID such as AZ-NET-001 (the form suppressRule accepts). Never reuse or renumber. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly cloud: RuleCloud;
  /** Checkov (CKV_...) and Trivy (AVD-...) IDs of equivalent checks; empty where none exists. */
  readonly mappings: readonly string[];
  /** What the rule checks, in one or two sentences (rendered into docs/policy.md). */
  readonly checks: string;
  check(env: EnvironmentView, report: Reporter): void;
}

/**
 * violation / cannot-evaluate: from a rule. invalid-suppression: a suppression naming no rule
 * or giving no reason (fails). unused-suppression: a suppression whose rule reports nothing on
 * the resource any more (listed so it can be removed; does not fail).
 */
export type FindingKind = "violation" | "cannot-evaluate" | "invalid-suppression" | "unused-suppression";

export interface Finding {
  readonly ruleId: string;
  readonly kind: FindingKind;
  readonly severity: Severity;
  readonly environment: string | undefined;
  readonly stack: string;
  readonly address: string;
  readonly constructPath: string | undefined;
  readonly problem: string;
  readonly fix: string;
  /** The written reason when the resource suppresses this rule: listed, does not fail. */
  readonly suppressedBecause?: string;
}
