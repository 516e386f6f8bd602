import { synthesized } from "../../helpers/synthesized";

/**
 * AzureFrontDoor.Backend, the service tag the web NSG admits, is shared by every Front Door
 * profile of every tenant. With Front Door, the web servers accept only requests carrying this
 * profile's ID (X-Azure-FDID), published by the global-lb stack to every region's vault; until a
 * server has it, it rejects everything but /health. Traffic Manager answers DNS only: no header.
 */
const cloudInit = (output: string, stack: string) => {
  const vm = synthesized(output).stack(stack).resources("azurerm_linux_virtual_machine")[0]!;
  return Buffer.from(vm.values.custom_data as string, "base64").toString("utf8");
};
const writtenFile = (text: string, path: string) => {
  const m = new RegExp(
    `- path: ${path.replace(/[./]/g, "\\$&")}\\n(?:\\s+\\w+: .*\\n)*?\\s+content: ([A-Za-z0-9+/=]+)`,
  ).exec(text);
  if (!m) throw new Error(`no file ${path}`);
  return Buffer.from(m[1]!, "base64").toString("utf8");
};

describe("only this Front Door profile reaches the web tier", () => {
  test("publishes the profile's ID to every region's vault, readable by that region's web servers only", () => {
    const lb = synthesized("shipped").stack("prod-global-lb");
    const secrets = lb.resources("azurerm_key_vault_secret").map((r) => r.values);
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret).toMatchObject({
        name: "front-door-id",
        value: expect.stringMatching(/^\$\{azurerm_cdn_frontdoor_profile\.[^}]+\.resource_guid\}$/),
      });
    }
    const readers = lb.resources("azurerm_role_assignment").map((r) => r.values);
    expect(readers).toHaveLength(4); // two web servers in each of two regions
    for (const reader of readers) {
      expect(reader.role_definition_name).toBe("Key Vault Secrets User");
      expect(reader.scope).toMatch(
        /^\$\{azurerm_key_vault_secret\.origin-check_id-[a-z]+_[0-9A-F]+\.resource_versionless_id\}$/,
      );
      expect(reader.principal_id).toMatch(/cross-stack-reference-input-prod-region-\d.*linux_virtual_machine.*web/);
    }
  });

  test("the web servers deny every request but /health until they have the ID, then check X-Azure-FDID", () => {
    const text = cloudInit("shipped", "prod-region-1");
    expect(writtenFile(text, "/etc/nginx/snippets/webapp-origin.conf")).toMatch(/^return 403;/);
    expect(text).toMatch(/location \/ \{[^}]*include \/etc\/nginx\/snippets\/webapp-origin\.conf;/);
    expect(text).not.toMatch(/location = \/health \{[^}]*webapp-origin/);
    const script = writtenFile(text, "/usr/local/lib/webapp/origin-check.py");
    expect(script).toContain("secrets/front-door-id");
    expect(script).toContain("if ($http_x_azure_fdid != ");
    expect(text).toContain("systemctl enable --now webapp-origin-check.timer");
  });

  test("with Traffic Manager there is no header to check: no ID is published and nothing is denied", () => {
    const text = cloudInit("trafficManager", "staging-region-1");
    expect(writtenFile(text, "/etc/nginx/snippets/webapp-origin.conf")).not.toContain("return 403");
    expect(text).toContain("systemctl disable --now webapp-origin-check.timer");
    expect(synthesized("trafficManager").stack("staging-global-lb").resources("azurerm_key_vault_secret")).toEqual([]);
  });
});
