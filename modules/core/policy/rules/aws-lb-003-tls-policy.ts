import type { Rule } from "../types";
import { expectAttribute } from "./helpers";

/** Policies that still allow TLS 1.0/1.1 (the listener default ELBSecurityPolicy-2016-08 among them). */
const OUTDATED = new Set([
  "ELBSecurityPolicy-2015-05",
  "ELBSecurityPolicy-2016-08",
  "ELBSecurityPolicy-FS-2018-06",
  "ELBSecurityPolicy-FS-1-1-2019-08",
  "ELBSecurityPolicy-TLS-1-0-2015-04",
  "ELBSecurityPolicy-TLS-1-1-2017-01",
  "ELBSecurityPolicy-TLS13-1-0-2021-06",
  "ELBSecurityPolicy-TLS13-1-1-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
]);

export const rule: Rule = {
  id: "AWS-LB-003",
  title: "HTTPS listeners use a TLS 1.2+ policy",
  severity: "medium",
  cloud: "aws",
  mappings: ["CKV_AWS_103", "AVD-AWS-0047"],
  checks: "aws_lb_listener with protocol HTTPS or TLS: ssl_policy is set and allows nothing older than TLS 1.2.",
  check(env, report) {
    for (const listener of env.ofType("aws_lb_listener")) {
      // The provider accepts any letter case and stores it upper-cased.
      const protocol = typeof listener.attrs.protocol === "string" ? listener.attrs.protocol.toUpperCase() : "";
      if (protocol !== "HTTPS" && protocol !== "TLS") continue;
      expectAttribute(report, listener, "ssl_policy", {
        ok: (v) => typeof v === "string" && !OUTDATED.has(v),
        whenAbsent: "violation",
        problem: "the listener accepts TLS versions older than 1.2",
        fix: 'set sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"',
      });
    }
  },
};
