import {
  marker,
  syncDriftIssue,
  upsertComment,
  type CommentApi,
  type IssueApi,
} from "../../../scripts/plan-summary/publish";

const bot = { login: "github-actions[bot]" };
const someone = { login: "mallory" };

function fakeComments(existing: { id: number; body: string; user?: { login: string } }[]) {
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
      { id: 7, body: `${marker("plan")}\nold plan`, user: bot },
    ]);
    expect(await upsertComment(api, 42, "plan", "new plan")).toBe("updated");
    expect(calls).toEqual([`update 7: ${marker("plan")}\nnew plan`]);
  });

  test("ignores a comment that merely quotes the marker further down", async () => {
    const { api, calls } = fakeComments([{ id: 3, body: `> quoting\n${marker("plan")}`, user: bot }]);
    await upsertComment(api, 1, "plan", "x");
    expect(calls[0]).toMatch(/^create/);
  });

  test("never edits a comment with the marker that someone else wrote", async () => {
    const { api, calls } = fakeComments([{ id: 4, body: `${marker("plan")}\nplanted`, user: someone }]);
    expect(await upsertComment(api, 1, "plan", "x")).toBe("created");
    expect(calls).toEqual([`create #1: ${marker("plan")}\nx`]);
  });

  test("recognizes the app identity when the workflow posts as an app", async () => {
    const app = { login: "shop-deployer[bot]" };
    const { api, calls } = fakeComments([
      { id: 5, body: `${marker("plan")}\nold`, user: bot },
      { id: 6, body: `${marker("plan")}\nold`, user: app },
    ]);
    expect(await upsertComment(api, 1, "plan", "x", app.login)).toBe("updated");
    expect(calls).toEqual([`update 6: ${marker("plan")}\nx`]);
  });
});

function fakeIssues(open: { number: number; body: string; pull_request?: unknown; user?: { login: string } }[]) {
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
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold`, user: bot }]);
    expect(await syncDriftIssue(api, "staging", "drifted", "summary")).toEqual({ action: "updated", issue: 5 });
    expect(calls).toEqual(["update #5"]);
  });

  test("closes the issue once no drift is found", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold`, user: bot }]);
    expect(await syncDriftIssue(api, "staging", "clean", "summary")).toEqual({ action: "closed", issue: 5 });
    expect(calls[0]).toMatch(/^close #5: .*no differences in staging/);
  });

  test("keeps the issue open when some stack could not be planned (no proof the drift is gone)", async () => {
    const { api, calls } = fakeIssues([{ number: 5, body: `${marker("drift:staging")}\nold`, user: bot }]);
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

  test("never closes or edits a look-alike issue that someone else opened", async () => {
    const { api, calls } = fakeIssues([{ number: 6, body: `${marker("drift:staging")}\nplanted`, user: someone }]);
    expect(await syncDriftIssue(api, "staging", "clean", "summary")).toEqual({ action: "none" });
    expect(await syncDriftIssue(api, "staging", "drifted", "summary")).toEqual({ action: "created", issue: 99 });
    expect(calls).toEqual(["create Drift detected in staging"]);
  });

  test("never mistakes a pull request for the drift issue", async () => {
    const { api, calls } = fakeIssues([{ number: 8, body: `${marker("drift:staging")}`, pull_request: {}, user: bot }]);
    await syncDriftIssue(api, "staging", "drifted", "summary");
    expect(calls).toEqual(["create Drift detected in staging"]);
  });
});

describe("comments and issues without a body", () => {
  test("creates the plan comment when the bot's earlier comment has no body", async () => {
    const calls: string[] = [];
    const api: CommentApi = {
      listComments: async () => [
        { id: 1, body: null, user: bot },
        { id: 2, user: bot },
      ],
      createComment: async (issue, body) => void calls.push(`create #${issue}: ${body}`),
      updateComment: async (id, body) => void calls.push(`update ${id}: ${body}`),
    };
    expect(await upsertComment(api, 9, "plan", "x")).toBe("created");
    expect(calls).toEqual([`create #9: ${marker("plan")}\nx`]);
  });

  test("opens the drift issue when an open issue of the bot has no body", async () => {
    const calls: string[] = [];
    const api: IssueApi = {
      listOpenIssues: async () => [
        { number: 3, body: null, user: bot },
        { number: 4, user: bot },
      ],
      createIssue: async (title, body) => {
        calls.push(`create ${title}: ${body}`);
        return 10;
      },
      updateIssue: async (n, body) => void calls.push(`update #${n}: ${body}`),
      closeIssue: async (n, comment) => void calls.push(`close #${n}: ${comment}`),
    };
    expect(await syncDriftIssue(api, "prod", "drifted", "## Drift in prod")).toEqual({ action: "created", issue: 10 });
    expect(calls).toEqual([`create Drift detected in prod: ${marker("drift:prod")}\n## Drift in prod`]);
  });
});

describe("the drift issue's text", () => {
  function recordingIssues(open: { number: number; body: string; user?: { login: string } }[]) {
    const calls: string[] = [];
    const api: IssueApi = {
      listOpenIssues: async () => open,
      createIssue: async (title, body) => {
        calls.push(`create ${title}: ${body}`);
        return 21;
      },
      updateIssue: async (n, body) => void calls.push(`update #${n}: ${body}`),
      closeIssue: async (n, comment) => void calls.push(`close #${n}: ${comment}`),
    };
    return { api, calls };
  }

  test("starts with the environment's marker, so the next run finds it again", async () => {
    const { api, calls } = recordingIssues([]);
    await syncDriftIssue(api, "staging", "drifted", "## Drift in staging");
    expect(calls).toEqual([
      "create Drift detected in staging: <!-- plan-summary:drift:staging -->\n## Drift in staging",
    ]);
  });

  test("replaces the body of the open issue with the marker and the new summary", async () => {
    const { api, calls } = recordingIssues([{ number: 5, body: `${marker("drift:staging")}\nold`, user: bot }]);
    await syncDriftIssue(api, "staging", "drifted", "new");
    expect(calls).toEqual([`update #5: ${marker("drift:staging")}\nnew`]);
  });

  test("closes the issue with a note saying the drift is gone", async () => {
    const { api, calls } = recordingIssues([{ number: 5, body: `${marker("drift:staging")}\nold`, user: bot }]);
    await syncDriftIssue(api, "staging", "clean", "new");
    expect(calls).toEqual(["close #5: The scheduled drift check found no differences in staging any more; closing."]);
  });
});
