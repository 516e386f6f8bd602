/**
 * Keeps one comment per pull request (and one open issue per environment for drift) up to date
 * instead of adding a new one on every push. The earlier comment or issue is the one whose body
 * starts with the hidden marker AND that the workflow's own bot wrote: anyone can write the
 * marker, so a marker alone would let them plant or hijack the summary. The GitHub API is
 * injected.
 */

/** The author of what the workflows post with their GITHUB_TOKEN. */
export const DEFAULT_BOT_LOGIN = "github-actions[bot]";

/** Who wrote a comment or issue, as the REST API returns it. */
export interface Author {
  readonly user?: { readonly login?: string } | null;
}

export interface CommentApi {
  listComments(
    issueNumber: number,
  ): Promise<readonly ({ readonly id: number; readonly body?: string | null } & Author)[]>;
  createComment(issueNumber: number, body: string): Promise<void>;
  updateComment(commentId: number, body: string): Promise<void>;
}

export interface IssueApi {
  listOpenIssues(): Promise<
    readonly ({ readonly number: number; readonly body?: string | null; readonly pull_request?: unknown } & Author)[]
  >;
  createIssue(title: string, body: string): Promise<number>;
  updateIssue(issueNumber: number, body: string): Promise<void>;
  closeIssue(issueNumber: number, comment: string): Promise<void>;
}

export function marker(key: string): string {
  return `<!-- plan-summary:${key} -->`;
}

export async function upsertComment(
  api: CommentApi,
  issueNumber: number,
  key: string,
  body: string,
  bot: string = DEFAULT_BOT_LOGIN,
): Promise<"created" | "updated"> {
  const tag = marker(key);
  const text = `${tag}\n${body}`;
  const existing = (await api.listComments(issueNumber)).find((c) => c.user?.login === bot && c.body?.startsWith(tag));
  if (existing) {
    await api.updateComment(existing.id, text);
    return "updated";
  }
  await api.createComment(issueNumber, text);
  return "created";
}

export type DriftIssueResult =
  { readonly action: "created" | "updated" | "closed"; readonly issue: number } | { readonly action: "none" };

/**
 * What a drift run found in one environment: `unknown` when some stack could not be planned,
 * so the absence of differences proves nothing.
 */
export type DriftState = "drifted" | "clean" | "unknown";

/**
 * Opens or updates the drift issue of an environment while drift is found, and closes it with
 * a note once a complete run finds none. An incomplete run only updates an open issue.
 */
export async function syncDriftIssue(
  api: IssueApi,
  environment: string,
  state: DriftState,
  body: string,
  bot: string = DEFAULT_BOT_LOGIN,
): Promise<DriftIssueResult> {
  const tag = marker(`drift:${environment}`);
  const open = (await api.listOpenIssues()).find(
    (i) => !i.pull_request && i.user?.login === bot && i.body?.startsWith(tag),
  );
  const text = `${tag}\n${body}`;
  if (state === "clean") {
    if (!open) return { action: "none" };
    await api.closeIssue(
      open.number,
      `The scheduled drift check found no differences in ${environment} any more; closing.`,
    );
    return { action: "closed", issue: open.number };
  }
  if (open) {
    await api.updateIssue(open.number, text);
    return { action: "updated", issue: open.number };
  }
  if (state === "unknown") return { action: "none" };
  const issue = await api.createIssue(`Drift detected in ${environment}`, text);
  return { action: "created", issue };
}
