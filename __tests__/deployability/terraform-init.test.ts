import { classifyInit } from "../helpers/terraform-init";

/** The validity spec may skip only when the registry is unreachable: the classification decides. */
describe("classifying terraform init failures", () => {
  const offline = `Initializing provider plugins...
- Finding hashicorp/azurerm versions matching "4.55.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
hashicorp/random: could not connect to registry.terraform.io: failed to
request discovery document: Get
"https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup
registry.terraform.io on 10.255.255.53:53: no such host
`;

  test("an init that cannot reach the registry is the one reason to skip", () => {
    expect(classifyInit(false, offline)).toEqual({
      kind: "registry-unreachable",
      reason: expect.stringContaining("registry.terraform.io cannot be reached"),
    });
  });

  test("an unknown provider version fails, even offline-looking text elsewhere", () => {
    const wrongVersion = `Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/azurerm: no available
releases match the given constraints 99.0.0
`;
    expect(classifyInit(false, wrongVersion)).toEqual({ kind: "error", errors: [expect.stringContaining("99.0.0")] });
  });

  test("a Terraform older than required_version fails", () => {
    const tooOld = `Error: Unsupported Terraform Core version

  on cdk.tf.json line 1:
This configuration does not support Terraform version 1.9.8.
`;
    expect(classifyInit(false, tooOld).kind).toBe("error");
  });

  test("one unreachable error next to a real one fails", () => {
    const mixed = `${offline}\nError: Invalid backend configuration\n\nThe backend block has an unsupported argument.\n`;
    expect(classifyInit(false, mixed)).toEqual({
      kind: "error",
      errors: [expect.stringContaining("no such host"), expect.stringContaining("Invalid backend")],
    });
  });

  test("a successful init is ok whatever it printed", () => {
    expect(classifyInit(true, "Terraform has been successfully initialized!")).toEqual({ kind: "ok" });
  });
});
