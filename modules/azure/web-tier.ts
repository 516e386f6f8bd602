import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Lb } from "@cdktf/provider-azurerm/lib/lb";
import { LbBackendAddressPool } from "@cdktf/provider-azurerm/lib/lb-backend-address-pool";
import { LbProbe } from "@cdktf/provider-azurerm/lib/lb-probe";
import { LbRule } from "@cdktf/provider-azurerm/lib/lb-rule";
import { LinuxVirtualMachine } from "@cdktf/provider-azurerm/lib/linux-virtual-machine";
import { NetworkInterface } from "@cdktf/provider-azurerm/lib/network-interface";
import { NetworkInterfaceBackendAddressPoolAssociation } from "@cdktf/provider-azurerm/lib/network-interface-backend-address-pool-association";
import { PrivateLinkService } from "@cdktf/provider-azurerm/lib/private-link-service";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { VirtualMachineExtension } from "@cdktf/provider-azurerm/lib/virtual-machine-extension";
import { WindowsVirtualMachine } from "@cdktf/provider-azurerm/lib/windows-virtual-machine";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { Construct } from "constructs";
import type { AzureEnvironmentConfig } from "../core/config/schema";
import { vmImageArguments } from "./image-gallery";
import { ORIGIN_CHECK_UNITS, originCheckScript } from "./front-door-origin-check";
import { READINESS_NGINX_PROXY, READINESS_UNIT, readinessProbeScript } from "../core/sql/readiness-probe";
import type { RegionVault } from "./region-vault";
import { HARDENED_VM_SETTINGS } from "./vm-defaults";

type WebTierConfig = AzureEnvironmentConfig["web"];

export interface WebTierProps {
  readonly resourceGroup: ResourceGroup;
  readonly subnetId: string;
  readonly vault: RegionVault;
  readonly config: WebTierConfig;
  readonly names: {
    readonly webLoadBalancer: string;
    readonly webPublicIp: string;
    readonly webPrivateLinkService: string;
    readonly webDnsLabel: string;
    readonly webVm: (n: number) => string;
    readonly webComputerName: (n: number) => string;
  };
  /**
   * Values written into the bootstrap: region label, database host name, the application
   * login's name and the name of its password secret in the region's vault, the vault's name.
   */
  readonly bootstrap: {
    readonly region: string;
    readonly databaseHost: string;
    readonly databaseUser: string;
    readonly databasePasswordSecret: string;
    readonly keyVaultName: string;
    /** The application database the readiness check writes to. */
    readonly database: string;
    /**
     * frontDoor: reject requests without the profile's X-Azure-FDID (fetched from the vault, fail
     * closed until then). none: Traffic Manager answers DNS only, clients connect directly.
     */
    readonly originCheck: "frontDoor" | "none";
  };
  readonly probePath: string;
  /** The `<env>-images` stack's image version, when the tier boots a captured image. */
  readonly publishedImageId?: string;
  /**
   * public: the load balancer has a public IP (Front Door Standard, Traffic Manager).
   * privateLink: an internal load balancer exposed only by a Private Link Service (Front Door
   * Premium); the web tier has no public address at all.
   */
  readonly exposure: "public" | "privateLink";
  readonly tags: Record<string, string>;
}

export interface WebServer {
  readonly key: string;
  readonly vm: LinuxVirtualMachine | WindowsVirtualMachine;
}

/**
 * The region's WebServerVMs behind a zone-redundant Standard load balancer: public (its IP is
 * the region's origin) or internal behind a Private Link Service that Front Door Premium
 * connects to. The VMs have no public address; outbound traffic leaves through the subnet's
 * NAT gateway.
 */
export class WebTier extends Construct {
  /** The load balancer's public IP; absent behind Private Link. */
  readonly publicIp?: PublicIp;
  readonly loadBalancer: Lb;
  /** The service Front Door Premium's origin connects to; present only behind Private Link. */
  readonly privateLinkService?: PrivateLinkService;
  readonly servers: WebServer[] = [];

  constructor(scope: Construct, id: string, props: WebTierProps) {
    super(scope, id);
    const rg = props.resourceGroup;
    const placement = { resourceGroupName: rg.name, location: rg.location };
    const config = props.config;

    if (props.exposure === "public") {
      this.publicIp = new PublicIp(this, "public-ip", {
        ...placement,
        name: props.names.webPublicIp,
        allocationMethod: "Static",
        sku: "Standard",
        zones: ["1", "2", "3"],
        domainNameLabel: props.names.webDnsLabel,
        tags: props.tags,
      });
    }
    this.loadBalancer = new Lb(this, "load-balancer", {
      ...placement,
      name: props.names.webLoadBalancer,
      // Standard: a Private Link Service needs a Standard internal load balancer.
      sku: "Standard",
      frontendIpConfiguration: [
        this.publicIp
          ? { name: "web", publicIpAddressId: this.publicIp.id }
          : {
              name: "web",
              subnetId: props.subnetId,
              privateIpAddressAllocation: "Dynamic",
              privateIpAddressVersion: "IPv4",
              zones: ["1", "2", "3"],
            },
      ],
      tags: props.tags,
    });
    if (props.exposure === "privateLink") {
      this.privateLinkService = new PrivateLinkService(this, "private-link-service", {
        ...placement,
        name: props.names.webPrivateLinkService,
        loadBalancerFrontendIpConfigurationIds: [this.loadBalancer.frontendIpConfiguration.get(0).id],
        // Front Door's connections are SNATed to this address, in the web subnet (whose NSG
        // admits it); the connection request waits for approval (RUNBOOK), nothing auto-approves.
        natIpConfiguration: [
          { name: "primary", primary: true, subnetId: props.subnetId, privateIpAddressVersion: "IPv4" },
        ],
        tags: props.tags,
      });
    }
    const pool = new LbBackendAddressPool(this, "pool", { name: "web", loadbalancerId: this.loadBalancer.id });
    const probe = new LbProbe(this, "health-probe", {
      name: "health",
      loadbalancerId: this.loadBalancer.id,
      protocol: "Http",
      port: 80,
      requestPath: props.probePath,
      intervalInSeconds: 5,
      probeThreshold: 2,
    });
    new LbRule(this, "http-rule", {
      name: "http",
      loadbalancerId: this.loadBalancer.id,
      frontendIpConfigurationName: "web",
      protocol: "Tcp",
      frontendPort: 80,
      backendPort: 80,
      backendAddressPoolIds: [pool.id],
      probeId: probe.id,
      // Outbound goes through the NAT gateway, not the load balancer's address.
      disableOutboundSnat: true,
      tcpResetEnabled: true,
    });

    const sshKey =
      config.os === "linux" ? new PrivateKey(this, "admin-ssh-key", { algorithm: "RSA", rsaBits: 4096 }) : undefined;
    if (sshKey) props.vault.secret("web-admin-ssh-private-key", sshKey.privateKeyOpenssh);
    const windowsPassword = config.os === "windows" ? props.vault.generatedPassword("web-admin-password") : undefined;

    for (let n = 1; n <= config.countPerRegion; n++) {
      const key = `web${String(n).padStart(2, "0")}`;
      const nic = new NetworkInterface(this, `${key}-nic`, {
        ...placement,
        name: `nic-${props.names.webVm(n)}`,
        acceleratedNetworkingEnabled: true,
        ipConfiguration: [{ name: "primary", subnetId: props.subnetId, privateIpAddressAllocation: "Dynamic" }],
        tags: props.tags,
      });
      new NetworkInterfaceBackendAddressPoolAssociation(this, `${key}-pool-association`, {
        networkInterfaceId: nic.id,
        ipConfigurationName: "primary",
        backendAddressPoolId: pool.id,
      });
      const common = {
        ...placement,
        name: props.names.webVm(n),
        computerName: props.names.webComputerName(n),
        size: config.vmSize,
        // Spread round-robin over the configured zones.
        zone: config.zones[(n - 1) % config.zones.length],
        networkInterfaceIds: [nic.id],
        adminUsername: config.adminUsername,
        ...vmImageArguments(config.image, props.publishedImageId),
        ...HARDENED_VM_SETTINGS,
        tags: { ...props.tags, tier: "web" },
      };
      const vm =
        config.os === "linux"
          ? new LinuxVirtualMachine(this, `${key}-vm`, {
              ...common,
              disablePasswordAuthentication: true,
              adminSshKey: [{ username: config.adminUsername, publicKey: sshKey!.publicKeyOpenssh }],
              // Encoded here, so Terraform never sees (or interpolates) the template text.
              customData: Buffer.from(
                renderTemplate("web-linux.cloud-init.yaml", linuxBootstrap(props.bootstrap)),
              ).toString("base64"),
            })
          : new WindowsVirtualMachine(this, `${key}-vm`, {
              ...common,
              adminPassword: windowsPassword!.password.result,
              dependsOn: [windowsPassword!.secret],
            });
      if (vm instanceof WindowsVirtualMachine) {
        const script = renderTemplate("web-windows.ps1", props.bootstrap);
        new VirtualMachineExtension(this, `${key}-bootstrap`, {
          name: "web-bootstrap",
          virtualMachineId: vm.id,
          publisher: "Microsoft.Compute",
          type: "CustomScriptExtension",
          typeHandlerVersion: "1.10",
          autoUpgradeMinorVersion: true,
          settings: JSON.stringify({
            commandToExecute: `powershell -NoProfile -ExecutionPolicy Bypass -EncodedCommand ${encodePowerShell(script)}`,
          }),
          tags: props.tags,
        });
      }
      this.servers.push({ key, vm });
    }
  }
}

/**
 * Fills `${name}` placeholders of a bootstrap file; an unknown or unfilled placeholder is an error.
 * Values are plain names, except placeholders ending in `Base64`, which take base64 text (files
 * the bootstrap writes verbatim, such as the readiness service).
 */
export function renderTemplate(file: string, values: Readonly<Record<string, string>>): string {
  const text = readFileSync(join(__dirname, "bootstrap", file), "utf8");
  return text.replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`modules/azure/bootstrap/${file}: no value for placeholder ${match}`);
    if (name.endsWith("Base64")) {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
        throw new Error(`modules/azure/bootstrap/${file}: value for ${match} must be base64 text`);
      }
      return value;
    }
    if (!/^[A-Za-z0-9._-]+$/.test(value)) {
      throw new Error(
        `modules/azure/bootstrap/${file}: value ${JSON.stringify(value)} for ${match} must be a plain name (letters, digits, '.', '_', '-')`,
      );
    }
    return value;
  });
}

/** PowerShell's -EncodedCommand takes base64 of UTF-16LE. */
function encodePowerShell(script: string): string {
  return Buffer.from(script, "utf16le").toString("base64");
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/**
 * The Linux bootstrap's values: the settings, and the readiness and origin-check services as
 * files to write. Those files are the same in every region (regional values are in the settings
 * files the template writes), so the regions' bootstraps stay identical but for names.
 */
function linuxBootstrap(bootstrap: WebTierProps["bootstrap"]): Record<string, string> {
  return {
    ...bootstrap,
    readinessScriptBase64: base64(readinessProbeScript()),
    readinessUnitBase64: base64(READINESS_UNIT),
    readinessLocationBase64: base64(READINESS_NGINX_PROXY),
    originSnippetBase64: base64(
      bootstrap.originCheck === "frontDoor"
        ? "return 403; # until webapp-origin-check has this profile's ID\n"
        : "# Traffic Manager answers DNS only: clients connect directly, there is no header to check\n",
    ),
    originCheckScriptBase64: base64(originCheckScript()),
    originCheckServiceBase64: base64(ORIGIN_CHECK_UNITS.service),
    originCheckTimerBase64: base64(ORIGIN_CHECK_UNITS.timer),
    originCheckAction: bootstrap.originCheck === "frontDoor" ? "enable" : "disable",
  };
}
