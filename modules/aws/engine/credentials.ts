import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { AwsClients } from "./clients";
import { type AwsEngineTopology, regionDetails } from "./topology";

export interface SqlLogin {
  readonly userName: string;
  readonly password: string;
}

/**
 * The SQL admin login of a region, read from that region's Secrets Manager secret through the
 * Parameter Store reference path (`/aws/reference/secretsmanager/<name>`), which the installed
 * SSM client can read. Kept in memory for the life of the function instance: a warm instance
 * goes on probing a region whose Secrets Manager is failing. Never logged.
 */
export class SecretReferenceLogins {
  private readonly cache = new Map<string, SqlLogin>();

  constructor(
    private readonly clients: AwsClients,
    private readonly topology: AwsEngineTopology,
  ) {}

  async login(region: string): Promise<SqlLogin> {
    const cached = this.cache.get(region);
    if (cached) return cached;
    const name = regionDetails(this.topology, region).sqlAdminSecretName;
    const out = await this.clients
      .ssm(region)
      .send(new GetParameterCommand({ Name: `/aws/reference/secretsmanager/${name}`, WithDecryption: true }));
    let parsed: { username?: unknown; password?: unknown } = {};
    try {
      parsed = JSON.parse(out.Parameter?.Value ?? "{}") as typeof parsed;
    } catch {
      // Reported below without echoing the value.
    }
    if (typeof parsed.username !== "string" || typeof parsed.password !== "string")
      throw new Error(`secret ${name} in ${region} is not {"username", "password"} JSON`);
    const login = { userName: parsed.username, password: parsed.password };
    this.cache.set(region, login);
    return login;
  }
}
