import {
  frontDoorOriginAccess,
  webBehindPrivateLink,
  type AzureEnvironmentConfig,
  type FrontDoorConfig,
} from "../../../../modules/core/config/schema-azure";
import {
  isAwsCaptured,
  isAzureCaptured,
  type AwsImageConfig,
  type AzureImageConfig,
} from "../../../../modules/core/config/schema-images";
import { shippedEnvironment } from "../../../helpers/synthesized";
import { MANAGED_IMAGE, TRAFFIC_MANAGER } from "../../../helpers/config-fixtures";

/**
 * What the configuration's settings mean for the stacks: how Front Door reaches the web tiers,
 * and which images are captured ones that `<env>-images` publishes (README, docs/migration.md).
 */

/** prod.yaml's Front Door (Premium), with the SKU and origin access given. */
function frontDoor(sku: FrontDoorConfig["sku"], originAccess?: FrontDoorConfig["originAccess"]): FrontDoorConfig {
  const glb = shippedEnvironment<AzureEnvironmentConfig>("prod").globalLoadBalancer as FrontDoorConfig;
  const { originAccess: _omitted, ...rest } = glb;
  return { ...rest, sku, ...(originAccess ? { originAccess } : {}) };
}

const trafficManager = TRAFFIC_MANAGER;

describe("Front Door origin access", () => {
  test("without originAccess, Premium reaches the web tiers through Private Link and Standard over public addresses", () => {
    expect(frontDoorOriginAccess(frontDoor("Premium_AzureFrontDoor"))).toBe("privateLink");
    expect(frontDoorOriginAccess(frontDoor("Standard_AzureFrontDoor"))).toBe("public");
  });

  test("an explicit originAccess is what is used, even where it is not the SKU's default", () => {
    // Validation refuses Premium with a public origin today (a public web address next to Private
    // Link); this helper only reports the setting, so the refusal stays validation's decision.
    expect(frontDoorOriginAccess(frontDoor("Premium_AzureFrontDoor", "public"))).toBe("public");
    expect(frontDoorOriginAccess(frontDoor("Premium_AzureFrontDoor", "privateLink"))).toBe("privateLink");
    expect(frontDoorOriginAccess(frontDoor("Standard_AzureFrontDoor", "public"))).toBe("public");
  });

  test("the web tiers sit behind Private Link only with a Front Door that reaches them through it", () => {
    expect(webBehindPrivateLink({ globalLoadBalancer: frontDoor("Premium_AzureFrontDoor") })).toBe(true);
    expect(webBehindPrivateLink({ globalLoadBalancer: frontDoor("Premium_AzureFrontDoor", "privateLink") })).toBe(true);
    expect(webBehindPrivateLink({ globalLoadBalancer: frontDoor("Premium_AzureFrontDoor", "public") })).toBe(false);
    expect(webBehindPrivateLink({ globalLoadBalancer: frontDoor("Standard_AzureFrontDoor") })).toBe(false);
    // Traffic Manager is DNS: clients reach each region's public web address directly.
    expect(webBehindPrivateLink({ globalLoadBalancer: trafficManager })).toBe(false);
  });

  test("the shipped environments: prod (Premium) behind Private Link, staging (Standard) public", () => {
    expect(webBehindPrivateLink(shippedEnvironment<AzureEnvironmentConfig>("prod"))).toBe(true);
    expect(webBehindPrivateLink(shippedEnvironment<AzureEnvironmentConfig>("staging"))).toBe(false);
  });
});

describe("captured images (lift and shift)", () => {
  const marketplace = { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" };
  const managedImage = MANAGED_IMAGE;
  const galleryImageVersion = {
    kind: "galleryImageVersion",
    id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-migrate/providers/Microsoft.Compute/galleries/gal/images/web/versions/1.2.3",
    hyperVGeneration: "V2",
    securityType: "TrustedLaunch",
  } as const;

  test.each<[string, boolean, AzureImageConfig]>([
    ["a marketplace image with kind omitted", false, marketplace],
    ["a marketplace image with kind stated", false, { kind: "marketplace", ...marketplace }],
    ["a managed image captured from the existing VM", true, managedImage],
    ["an existing Compute Gallery image version", true, galleryImageVersion],
  ])("Azure: %s is captured: %s", (_what, captured, image) => {
    expect(isAzureCaptured(image)).toBe(captured);
  });

  const lookup = { owner: "amazon", namePattern: "al2023-ami-2023.*-kernel-6.1-x86_64" };
  const ami = {
    kind: "ami",
    amiId: "ami-0123456789abcdef0",
    account: "111122223333",
    region: "eu-west-1",
    architecture: "x86_64",
    bootMode: "uefi",
  } as const;

  test.each<[string, boolean, AwsImageConfig]>([
    ["an AMI lookup with kind omitted", false, lookup],
    ["an AMI lookup with kind stated", false, { kind: "lookup", ...lookup }],
    ["an AMI captured from the existing server", true, ami],
  ])("AWS: %s is captured: %s", (_what, captured, image) => {
    expect(isAwsCaptured(image)).toBe(captured);
  });
});
