import {
  marker,
  syncDriftIssue,
  upsertComment,
  type CommentApi,
  type IssueApi,
} from "../../../scripts/plan-summary/publish";

function fakeComments(existing: { id: number; body: string }[]) {
  const calls: string[] = [];
  const api: CommentApi = {
    listComments: async () => existing,
    createComment: async (issue, body) => void calls.push(`create #${issue}: ${body}`),
    updateComment: async (id, body) => void calls.push(`update ${id}: ${body}`),
  };
  return { api, calls };
}

describe("upsertComment", () => {
  test("creates the plan comment on the first push", async () => {
    const { api, calls } = fakeComments([{ id: 1, body: "LGTM" }]);
    expect(await upsertComment(api, 42, "plan", "## Terraform plan")).toBe("created");
    expect(calls).toEqual([`create #42: ${marker("plan")}\n## Terraform plan`]);
  });

  test("updates the same comment on later pushes instead of adding one", async () => {
    const { api, calls } = fakeComments([
      { id: 1, body: "LGTM" },
      { id: 7, body: `${marker("plan")}\nold plan` },
    ]);
    expect(await upsertComment(api, 42, "plan", "new plan")).toBe("updated");
    expect(calls).toEqual([`update 7: ${marker("plan")}\nnew plan`]);
  });

  test("ignores a comment that merely quotes the marker further down", async () => {
    const { api, calls } = fakeComments([{ id: 3, body: `> quoting\n${marker("plan")}` }]);
    await upsertComment(api, 1, "plan", "x");
    expect(calls[0]).toMatch(/^create/);
  });
});

function fakeIssues(open: { number: number; body: string; pull_request?: unknown }[]) {
  const calls: string[] = [];
  const api: IssueApi = {
    listOpenIssues: async () => open,
    createIssue: async (title) => {
      calls.push(`create ${title}`);
      return 99;
    },
    updateIssue: async (n) => void calls.push(`update #${n}`),
    closeIssue: async (n, comment) => void calls.push(`close #${n}: ${comment}`),
  };
  return { api, calls };
}

describe("syncDriftIssue", () => {
  test("opens an issue per environment when drift is found", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:prod")}\n...` }]);
    expect(await syncDriftIssue(api, "staging", "drifted", "summary")).toEqual({ action: "created", issue: 99 });
    expect(calls).toEqual(["create Drift detected in staging"]);
  });

  test("updates the open issue of the environment instead of opening another", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold` }]);
    expect(await syncDriftIssue(api, "staging", "drifted", "summary")).toEqual({ action: "updated", issue: 5 });
    expect(calls).toEqual(["update #5"]);
  });

  test("closes the issue once no drift is found", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold` }]);
    expect(await syncDriftIssue(api, "staging", "clean", "summary")).toEqual({ action: "closed", issue: 5 });
    expect(calls[0]).toMatch(/^close #5: .*no differences in staging/);
  });

  test("keeps the issue open when some stack could not be planned (no proof the drift is gone)", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold` }]);
    expect(await syncDriftIssue(api, "staging", "unknown", "summary")).toEqual({ action: "updated", issue: 5 });
    expect(calls).toEqual(["update #5"]);
  });

  test("opens no issue for an incomplete run without drift (the failed job is the signal)", async () => {
    const { api, calls } = fakeIssues([]);
    expect(await syncDriftIssue(api, "staging", "unknown", "summary")).toEqual({ action: "none" });
    expect(calls).toEqual([]);
  });

  test("does nothing without drift and without an open issue", async () => {
    const { api, calls } = fakeIssues([]);
    expect(await syncDriftIssue(api, "staging", "clean", "summary")).toEqual({ action: "none" });
    expect(calls).toEqual([]);
  });

  test("never mistakes a pull request for the drift issue", async () => {
    const { api, calls } = fakeIssues([{ number: 8, body: `${marker("drift:staging")}`, pull_request: {} }]);
    await syncDriftIssue(api, "staging", "drifted", "summary");
    expect(calls).toEqual(["create Drift detected in staging"]);
  });
});
