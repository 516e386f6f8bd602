import { githubApis } from "../../../scripts/plan-summary/cli";

/**
 * The publish step's GitHub calls go through the real Octokit client; only the HTTP transport is
 * answered here, so the requests asserted on are the ones Octokit builds from our arguments.
 */
interface Sent {
  method: string;
  url: string;
  body?: unknown;
  authorization: string | null;
}

function transport(answers: { status?: number; body: unknown; link?: string }[]) {
  const sent: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    sent.push({
      method: init?.method ?? "GET",
      url: String(input),
      ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}),
      authorization: headers.get("authorization"),
    });
    const answer = answers.shift() ?? { body: {} };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { "content-type": "application/json", ...(answer.link ? { link: answer.link } : {}) },
    });
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

const ENV = { GITHUB_TOKEN: "ghs_example", GITHUB_REPOSITORY: "acme/shop" };
const API = "https://api.github.com";

describe("plan-summary publish: the GitHub requests", () => {
  test("lists a pull request's comments page by page, 100 at a time, with the workflow's token", async () => {
    const next = `<${API}/repositories/1/issues/12/comments?per_page=100&page=2>; rel="next"`;
    const { sent, fetch } = transport([{ body: [{ id: 1 }], link: next }, { body: [{ id: 2 }] }]);
    const comments = await githubApis(ENV, fetch).comments.listComments(12);
    expect(comments).toEqual([{ id: 1 }, { id: 2 }]);
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      `GET ${API}/repos/acme/shop/issues/12/comments?per_page=100`,
      `GET ${API}/repositories/1/issues/12/comments?per_page=100&page=2`,
    ]);
    expect(sent[0].authorization).toBe("token ghs_example");
  });

  test("creates a comment on the pull request and updates one by its id", async () => {
    const { sent, fetch } = transport([{ status: 201, body: { id: 5 } }, { body: { id: 99 } }]);
    const { comments } = githubApis(ENV, fetch);
    await comments.createComment(12, "new body");
    await comments.updateComment(99, "newer body");
    expect(sent.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: "POST", url: `${API}/repos/acme/shop/issues/12/comments`, body: { body: "new body" } },
      { method: "PATCH", url: `${API}/repos/acme/shop/issues/comments/99`, body: { body: "newer body" } },
    ]);
  });

  test("lists open issues, creates one (returning its number) and updates one", async () => {
    const { sent, fetch } = transport([{ body: [{ number: 3 }] }, { status: 201, body: { number: 8 } }, { body: {} }]);
    const { issues } = githubApis(ENV, fetch);
    expect(await issues.listOpenIssues()).toEqual([{ number: 3 }]);
    expect(await issues.createIssue("Drift detected in prod", "body")).toBe(8);
    await issues.updateIssue(8, "body 2");
    expect(sent.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: "GET", url: `${API}/repos/acme/shop/issues?state=open&per_page=100`, body: undefined },
      { method: "POST", url: `${API}/repos/acme/shop/issues`, body: { title: "Drift detected in prod", body: "body" } },
      { method: "PATCH", url: `${API}/repos/acme/shop/issues/8`, body: { body: "body 2" } },
    ]);
  });

  test("closes an issue as completed after commenting why, in that order", async () => {
    const { sent, fetch } = transport([{ status: 201, body: {} }, { body: {} }]);
    await githubApis(ENV, fetch).issues.closeIssue(8, "no drift any more");
    expect(sent.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: "POST", url: `${API}/repos/acme/shop/issues/8/comments`, body: { body: "no drift any more" } },
      { method: "PATCH", url: `${API}/repos/acme/shop/issues/8`, body: { state: "closed", state_reason: "completed" } },
    ]);
  });

  test("talks to GitHub Enterprise Server's API where the runner says it is", async () => {
    const { sent, fetch } = transport([{ status: 201, body: {} }]);
    await githubApis({ ...ENV, GITHUB_API_URL: "https://ghe.example.com/api/v3" }, fetch).comments.createComment(
      1,
      "x",
    );
    expect(sent.map((s) => s.url)).toEqual(["https://ghe.example.com/api/v3/repos/acme/shop/issues/1/comments"]);
  });

  test("a refused request rejects with GitHub's status (the entry point reports it and exits 1)", async () => {
    const { fetch } = transport([{ status: 403, body: { message: "Resource not accessible by integration" } }]);
    await expect(githubApis(ENV, fetch).comments.createComment(12, "x")).rejects.toMatchObject({ status: 403 });
  });

  test("says which variable is missing or malformed before any request", () => {
    const { sent, fetch } = transport([]);
    expect(() => githubApis({ GITHUB_REPOSITORY: "acme/shop" }, fetch)).toThrow(
      "GITHUB_TOKEN is not set; the publish step needs it (env: GITHUB_TOKEN: ${{ github.token }})",
    );
    for (const value of [undefined, "acme", "acme/", "/shop", "acme/shop/extra"]) {
      expect(() => githubApis({ GITHUB_TOKEN: "t", GITHUB_REPOSITORY: value }, fetch)).toThrow(
        `GITHUB_REPOSITORY is ${JSON.stringify(value ?? "")}, expected owner/repo (GitHub Actions sets it)`,
      );
    }
    expect(sent).toEqual([]);
  });
});
