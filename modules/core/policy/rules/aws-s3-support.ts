import { refersTo } from "../tf";
import type { EnvironmentView, TfResource } from "../types";

/**
 * The bucket-level configuration resources (aws 4+ split them out of aws_s3_bucket) that
 * configure `bucket`: referenced by expression, or naming the same literal bucket.
 */
export function configurationsOf(env: EnvironmentView, type: string, bucket: TfResource): TfResource[] {
  return env
    .ofType(type)
    .filter(
      (c) =>
        refersTo(env, c.stack, c.attrs.bucket, bucket) ||
        (typeof c.attrs.bucket === "string" && c.attrs.bucket === bucket.attrs.bucket),
    );
}
