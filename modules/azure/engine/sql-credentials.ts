import type { TokenCredential } from "@azure/core-auth";
import {
  bearerTokenAuthenticationPolicy,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  createDefaultHttpClient,
  type HttpClient,
} from "@azure/core-rest-pipeline";
import { regionOf, type AzureEngineTopology } from "./topology";

/** Key Vault's REST API version for secrets (GA). */
export const KEY_VAULT_API_VERSION = "7.5";

export interface SqlLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/**
 * The SQL admin login of each region, read from that region's own Key Vault with the engine's
 * identity (Key Vault Secrets User on that one secret) and kept in memory only. A region's
 * login is needed only to act on that region, which is then reachable: promoting the acting
 * region reads the acting region's vault; a failed region's vault is never on the path.
 * Logins read earlier are reused while the function instance lives, so a probe of a region
 * whose vault has become unreachable still logs in.
 */
export class KeyVaultSqlLogins {
  private readonly cache = new Map<string, SqlLogin>();
  private readonly pipeline;
  private readonly httpClient: HttpClient;

  constructor(
    private readonly topology: AzureEngineTopology,
    credential: TokenCredential,
    httpClient?: HttpClient,
  ) {
    this.pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 2 } });
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential, scopes: "https://vault.azure.net/.default" }),
    );
    this.httpClient = httpClient ?? createDefaultHttpClient();
  }

  async login(region: string): Promise<SqlLogin> {
    const cached = this.cache.get(region);
    if (cached) return cached;
    const r = regionOf(this.topology, region);
    const secret = this.topology.sql.adminSecret;
    const request = createPipelineRequest({
      url: `https://${r.keyVaultName}.vault.azure.net/secrets/${encodeURIComponent(secret)}?api-version=${KEY_VAULT_API_VERSION}`,
      method: "GET",
      headers: createHttpHeaders({ accept: "application/json" }),
      timeout: 10_000,
    });
    const response = await this.pipeline.sendRequest(this.httpClient, request);
    if (response.status !== 200) {
      // The body of an error names the problem (Forbidden, SecretNotFound); it never holds a value.
      throw new Error(
        `reading ${secret} from Key Vault ${r.keyVaultName} (${region}): HTTP ${response.status} ${response.bodyAsText ?? ""}`.trim(),
      );
    }
    const value = (JSON.parse(response.bodyAsText ?? "{}") as { value?: unknown }).value;
    if (typeof value !== "string" || value === "")
      throw new Error(`Key Vault ${r.keyVaultName} returned no value for ${secret}`);
    const login = {
      host: r.sqlAddress,
      port: this.topology.sql.port,
      user: this.topology.sql.adminUser,
      password: value,
    };
    this.cache.set(region, login);
    return login;
  }
}
