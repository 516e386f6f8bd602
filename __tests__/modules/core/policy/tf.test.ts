import { groupByEnvironment } from "../../../../modules/core/policy/engine";
import {
  asBoolean,
  asNumber,
  AZURE_VM_TYPES,
  blocks,
  expressionsIn,
  isExpression,
  isInternetSource,
  MANAGEMENT_PORTS,
  parsePortRange,
  rangeIncludes,
  read,
  referencedResource,
  referencedResources,
  referencesIn,
  refersTo,
  resolveReference,
  type Reference,
} from "../../../../modules/core/policy/tf";
import type { EnvironmentView, SynthesizedStack } from "../../../../modules/core/policy/types";
import { azureConfig, output, remote, stack } from "./fixtures";

/**
 * tf.ts: reading synthesized Terraform JSON. A value is "known" (a literal), "unresolved" (it
 * contains a `${...}` expression) or "absent" (not set: the provider default applies), and a
 * reference is followed across stacks through cdktf's remote-state outputs
 * (`data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>`).
 */

/** The one environment ("prod", with config) the stacks form. */
function env(...stacks: SynthesizedStack[]): EnvironmentView {
  const [view] = groupByEnvironment(stacks, [azureConfig]);
  return view!;
}

describe("isExpression", () => {
  test.each<[unknown, boolean]>([
    ["${var.x}", true],
    ["prefix-${azurerm_subnet.web.id}-suffix", true],
    ["${", true],
    ["plain", false],
    ["$var", false],
    ["{var.x}", false],
    ["$ {var.x}", false],
    ["", false],
    [undefined, false],
    [42, false],
    // An array holding the token is not itself an expression string.
    [["${"], false],
  ])("%p is an expression: %p", (value, expected) => {
    expect(isExpression(value)).toBe(expected);
  });
});

describe("blocks", () => {
  test("an absent or null block is no block", () => {
    expect(blocks(undefined)).toEqual([]);
    expect(blocks(null)).toEqual([]);
  });

  test("a single block (rendered as an object) is a list of one", () => {
    const block = { days: 7 };
    expect(blocks(block)).toEqual([{ days: 7 }]);
    expect(blocks(block)[0]).toBe(block);
  });

  test("repeated blocks (rendered as an array) keep their order", () => {
    expect(blocks([{ n: 1 }, { n: 2 }, { n: 3 }])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  test("values that are not blocks are dropped: nulls, nested arrays, strings, numbers, booleans", () => {
    expect(blocks([null, [{ n: 1 }], "text", 3, true, { n: 2 }, undefined])).toEqual([{ n: 2 }]);
    expect(blocks("text")).toEqual([]);
    expect(blocks(0)).toEqual([]);
    expect(blocks(false)).toEqual([]);
  });
});

describe("read", () => {
  test("a top-level literal is known, whatever its type (false, 0 and empty text included)", () => {
    expect(read({ a: "Deny" }, "a")).toEqual({ state: "known", value: "Deny" });
    expect(read({ a: false }, "a")).toEqual({ state: "known", value: false });
    expect(read({ a: 0 }, "a")).toEqual({ state: "known", value: 0 });
    expect(read({ a: "" }, "a")).toEqual({ state: "known", value: "" });
    expect(read({ a: ["x", "y"] }, "a")).toEqual({ state: "known", value: ["x", "y"] });
    expect(read({ a: { b: 1 } }, "a")).toEqual({ state: "known", value: { b: 1 } });
  });

  test("an argument that is not set, or set to null, is absent", () => {
    expect(read({}, "a")).toEqual({ state: "absent" });
    expect(read({ a: null }, "a")).toEqual({ state: "absent" });
    expect(read({ a: undefined }, "a")).toEqual({ state: "absent" });
  });

  test("a token is unresolved and carries the expression text", () => {
    expect(read({ a: "${var.tls}" }, "a")).toEqual({ state: "unresolved", text: "${var.tls}" });
    expect(read({ a: "TLS${var.v}" }, "a")).toEqual({ state: "unresolved", text: "TLS${var.v}" });
  });

  test("a list with any token in it is unresolved, rendered as JSON", () => {
    expect(read({ a: ["10.0.0.0/8", "${var.extra}"] }, "a")).toEqual({
      state: "unresolved",
      text: '["10.0.0.0/8","${var.extra}"]',
    });
    expect(read({ a: ["${var.only}"] }, "a")).toEqual({ state: "unresolved", text: '["${var.only}"]' });
  });

  test("a dotted path reads through a single nested block, rendered as an object or a one-element list", () => {
    expect(read({ blob_properties: { versioning_enabled: true } }, "blob_properties.versioning_enabled")).toEqual({
      state: "known",
      value: true,
    });
    expect(read({ blob_properties: [{ versioning_enabled: true }] }, "blob_properties.versioning_enabled")).toEqual({
      state: "known",
      value: true,
    });
    expect(read({ a: [{ b: { c: [{ d: "deep" }] } }] }, "a.b.c.d")).toEqual({ state: "known", value: "deep" });
  });

  test("a missing, null or empty block, or a missing argument inside a block, is absent", () => {
    expect(read({}, "network_rules.default_action")).toEqual({ state: "absent" });
    expect(read({ network_rules: null }, "network_rules.default_action")).toEqual({ state: "absent" });
    expect(read({ network_rules: [] }, "network_rules.default_action")).toEqual({ state: "absent" });
    expect(read({ network_rules: {} }, "network_rules.default_action")).toEqual({ state: "absent" });
    expect(read({ network_rules: { default_action: null } }, "network_rules.default_action")).toEqual({
      state: "absent",
    });
    // A literal where a block is expected holds no block.
    expect(read({ network_rules: "Deny" }, "network_rules.default_action")).toEqual({ state: "absent" });
  });

  test("a repeated block on the path cannot be read as one value: unresolved, naming the block and how many", () => {
    expect(read({ rule: [{ port: 1 }, { port: 2 }] }, "rule.port")).toEqual({
      state: "unresolved",
      text: "2 rule blocks",
    });
    expect(read({ rule: [{ port: 1 }, { port: 2 }, { port: 3 }] }, "rule.port")).toEqual({
      state: "unresolved",
      text: "3 rule blocks",
    });
    expect(read({ site: { rule: [{ port: 1 }, { port: 2 }] } }, "site.rule.port")).toEqual({
      state: "unresolved",
      text: "2 rule blocks",
    });
  });

  test("a whole block given as a token is unresolved with that token", () => {
    expect(read({ network_rules: "${var.rules}" }, "network_rules.default_action")).toEqual({
      state: "unresolved",
      text: "${var.rules}",
    });
    expect(read({ a: { b: "${local.b}" } }, "a.b.c")).toEqual({ state: "unresolved", text: "${local.b}" });
  });

  test("a token inside a nested block is unresolved", () => {
    expect(read({ a: [{ b: "${var.b}" }] }, "a.b")).toEqual({ state: "unresolved", text: "${var.b}" });
  });
});

describe("asBoolean", () => {
  test.each<[unknown, boolean | undefined]>([
    [true, true],
    [false, false],
    ["true", true],
    ["false", false],
    ["True", undefined],
    ["FALSE", undefined],
    ["yes", undefined],
    ["", undefined],
    [1, undefined],
    [0, undefined],
    [null, undefined],
    [undefined, undefined],
  ])("%p reads as %p", (value, expected) => {
    expect(asBoolean(value)).toBe(expected);
  });
});

describe("asNumber", () => {
  test.each<[unknown, number | undefined]>([
    [5, 5],
    [0, 0],
    [-1, -1],
    [2.5, 2.5],
    ["5", 5],
    ["12", 12],
    ["65535", 65535],
    ["-3", -3],
    ["2.5", 2.5],
    ["2.55", 2.55],
    ["-0.75", -0.75],
    ["1.", undefined],
    [".5", undefined],
    ["5a", undefined],
    ["a5", undefined],
    [" 5", undefined],
    ["5 ", undefined],
    ["1.2.3", undefined],
    ["-", undefined],
    ["", undefined],
    ["+5", undefined],
    ["1e3", undefined],
    ["${var.n}", undefined],
    [true, undefined],
    [null, undefined],
    [undefined, undefined],
  ])("%p reads as %p", (value, expected) => {
    expect(asNumber(value)).toBe(expected);
  });
});

describe("referencesIn", () => {
  test("a single managed-resource reference: mode, type, name and the attribute path after the name", () => {
    expect(referencesIn("${azurerm_subnet.web.id}")).toEqual([
      { mode: "resource", type: "azurerm_subnet", name: "web", attribute: "id" },
    ]);
  });

  test("a data-source reference", () => {
    expect(referencesIn("${data.aws_ami.sql.id}")).toEqual([
      { mode: "data", type: "aws_ami", name: "sql", attribute: "id" },
    ]);
  });

  test("attribute paths keep nested names and list indexes; a reference to the whole resource has none", () => {
    expect(referencesIn("${azurerm_linux_virtual_machine.web.identity[0].principal_id}")).toEqual([
      { mode: "resource", type: "azurerm_linux_virtual_machine", name: "web", attribute: "identity[0].principal_id" },
    ]);
    expect(referencesIn("${azurerm_subnet.web}")).toEqual([
      { mode: "resource", type: "azurerm_subnet", name: "web", attribute: "" },
    ]);
    expect(referencesIn("${aws_instance.web[12].id}")).toEqual([
      { mode: "resource", type: "aws_instance", name: "web", attribute: "[12].id" },
    ]);
    expect(
      referencesIn("${data.terraform_remote_state.cross-stack-reference-input-prod-net.outputs.sub-net_1}"),
    ).toEqual([
      {
        mode: "data",
        type: "terraform_remote_state",
        name: "cross-stack-reference-input-prod-net",
        attribute: "outputs.sub-net_1",
      },
    ]);
  });

  test("types with digits and names with digits, upper case, hyphens and underscores", () => {
    expect(referencesIn("${aws_s3_bucket.Logs_1A2B-c.arn}")).toEqual([
      { mode: "resource", type: "aws_s3_bucket", name: "Logs_1A2B-c", attribute: "arn" },
    ]);
  });

  test("references inside function calls and templates, in order", () => {
    expect(
      referencesIn("${lower(azurerm_storage_account.logs.name)}-${data.azurerm_client_config.me.tenant_id}"),
    ).toEqual([
      { mode: "resource", type: "azurerm_storage_account", name: "logs", attribute: "name" },
      { mode: "data", type: "azurerm_client_config", name: "me", attribute: "tenant_id" },
    ]);
  });

  test("variables, locals and terraform.workspace are not resources", () => {
    expect(referencesIn("${var.admin}")).toEqual([]);
    expect(referencesIn("${local.tags}")).toEqual([]);
    expect(referencesIn("${terraform.workspace}")).toEqual([]);
  });

  test("text outside ${...} is not read, even when it looks like a reference", () => {
    expect(referencesIn("azurerm_subnet.web.id")).toEqual([]);
    expect(referencesIn("see azurerm_subnet.web.id and ${aws_vpc.main.id}")).toEqual([
      { mode: "resource", type: "aws_vpc", name: "main", attribute: "id" },
    ]);
  });

  test("arrays and objects are searched deeply; other values hold no reference", () => {
    expect(
      referencesIn({
        list: ["${aws_subnet.a.id}", { nested: ["${aws_subnet.b.id}"] }],
        number: 3,
        flag: true,
        nothing: null,
        text: "literal",
      }),
    ).toEqual([
      { mode: "resource", type: "aws_subnet", name: "a", attribute: "id" },
      { mode: "resource", type: "aws_subnet", name: "b", attribute: "id" },
    ]);
    expect(referencesIn(null)).toEqual([]);
    expect(referencesIn(undefined)).toEqual([]);
    expect(referencesIn(7)).toEqual([]);
  });

  test("the same expression parsed twice gives the same references", () => {
    const value = "${azurerm_key_vault.vault.id}";
    const first = referencesIn(value);
    expect(referencesIn(value)).toEqual(first);
    expect(referencesIn([value, value])).toEqual([...first, ...first]);
  });
});

describe("expressionsIn", () => {
  test("every ${...} segment, in order", () => {
    expect(expressionsIn("a ${x} b ${y.z} c")).toEqual(["${x}", "${y.z}"]);
    expect(expressionsIn("${x}${y}")).toEqual(["${x}", "${y}"]);
  });

  test("nested braces (object literals, nested templates) stay in one segment", () => {
    expect(expressionsIn("${merge({ a = 1 }, var.b)} tail")).toEqual(["${merge({ a = 1 }, var.b)}"]);
    expect(expressionsIn('${"${x}-${y}"}')).toEqual(['${"${x}-${y}"}']);
  });

  test("braces around the segment are not part of it", () => {
    expect(expressionsIn("{${x}}")).toEqual(["${x}"]);
    expect(expressionsIn('{"id":"${aws_vpc.main.id}"}')).toEqual(["${aws_vpc.main.id}"]);
  });

  test("no expression, and an unterminated one running to the end", () => {
    expect(expressionsIn("plain text")).toEqual([]);
    expect(expressionsIn("")).toEqual([]);
    expect(expressionsIn("x ${abc")).toEqual(["${abc"]);
  });
});

describe("resolveReference across stacks", () => {
  const networking = stack(
    "prod-networking",
    { azurerm_subnet: { web: { name: "snet-net-web" } } },
    {
      output: {
        subnet: { value: "${azurerm_subnet.web.id}" },
        two: { value: "${azurerm_subnet.web.id}-${azurerm_subnet.web.name}" },
        literal: { value: "snet-literal" },
        "sub-net_1": { value: "${azurerm_subnet.web.name}" },
        // An output whose name is the text "undefined": a missing output name must not find it.
        undefined: { value: "${azurerm_subnet.web.id}" },
      },
    },
  );
  // The region has a subnet of the same type and name: the resolved one must be networking's.
  const region = stack("prod-region-1", { azurerm_subnet: { web: { name: "snet-region-web" } } });
  const view = env(networking, region);
  const netSubnet = view.stack("prod-networking")!.find("azurerm_subnet", "web")!;
  const regionSubnet = view.stack("prod-region-1")!.find("azurerm_subnet", "web")!;
  const remoteRef = (name: string, attribute: string, mode: Reference["mode"] = "data"): Reference => ({
    mode,
    type: "terraform_remote_state",
    name,
    attribute,
  });

  test("a same-stack reference resolves to the resource of that stack, with its attribute", () => {
    const resolved = resolveReference(view, "prod-region-1", {
      mode: "resource",
      type: "azurerm_subnet",
      name: "web",
      attribute: "id",
    });
    expect(resolved?.resource).toBe(regionSubnet);
    expect(resolved?.attribute).toBe("id");
  });

  test("a remote-state reference resolves to the source stack's resource, with the output's attribute", () => {
    const resolved = resolveReference(
      view,
      "prod-region-1",
      remoteRef("cross-stack-reference-input-prod-networking", "outputs.subnet"),
    );
    expect(resolved?.resource).toBe(netSubnet);
    expect(resolved?.attribute).toBe("id");
    const named = resolveReference(
      view,
      "prod-region-1",
      remoteRef("cross-stack-reference-input-prod-networking", "outputs.sub-net_1"),
    );
    expect(named?.resource).toBe(netSubnet);
    expect(named?.attribute).toBe("name");
  });

  test("an output holding no reference, or more than one, leads nowhere", () => {
    for (const out of ["outputs.literal", "outputs.two", "outputs.missing"]) {
      expect(
        resolveReference(view, "prod-region-1", remoteRef("cross-stack-reference-input-prod-networking", out)),
      ).toBeUndefined();
    }
  });

  test("a remote state of a stack that is not in the environment, or a stack without outputs, leads nowhere", () => {
    expect(
      resolveReference(view, "prod-region-1", remoteRef("cross-stack-reference-input-prod-gone", "outputs.subnet")),
    ).toBeUndefined();
    expect(
      resolveReference(view, "prod-networking", remoteRef("cross-stack-reference-input-prod-region-1", "outputs.x")),
    ).toBeUndefined();
  });

  test("a remote-state attribute that does not start with outputs.<name> leads nowhere", () => {
    for (const attribute of ["outputs", "x.outputs.subnet", "output.subnet", ""]) {
      expect(
        resolveReference(view, "prod-region-1", remoteRef("cross-stack-reference-input-prod-networking", attribute)),
      ).toBeUndefined();
    }
  });

  test("only a data source of type terraform_remote_state with cdktf's name prefix is followed to another stack", () => {
    const local = env(
      networking,
      stack(
        "prod-region-1",
        {},
        {
          data: {
            terraform_remote_state: { other: { backend: "local" } },
            aws_ami: { "cross-stack-reference-input-prod-networking": { owners: ["self"] } },
          },
        },
      ),
    );
    const here = local.stack("prod-region-1")!;
    // Another remote state: the data source itself.
    expect(resolveReference(local, "prod-region-1", remoteRef("other", "outputs.subnet"))?.resource).toBe(
      here.find("terraform_remote_state", "other", "data"),
    );
    // The prefix on a data source of another type: that data source, not the networking stack.
    expect(
      resolveReference(local, "prod-region-1", {
        mode: "data",
        type: "aws_ami",
        name: "cross-stack-reference-input-prod-networking",
        attribute: "outputs.subnet",
      })?.resource,
    ).toBe(here.find("aws_ami", "cross-stack-reference-input-prod-networking", "data"));
    // A managed resource of that type and name is looked up as such (there is none).
    expect(
      resolveReference(
        local,
        "prod-region-1",
        remoteRef("cross-stack-reference-input-prod-networking", "outputs.subnet", "resource"),
      ),
    ).toBeUndefined();
  });

  test("a reference to a resource that does not exist, or from a stack that does not exist, leads nowhere", () => {
    const ref: Reference = { mode: "resource", type: "azurerm_subnet", name: "gone", attribute: "id" };
    expect(resolveReference(view, "prod-region-1", ref)).toBeUndefined();
    expect(
      resolveReference(view, "prod-nowhere", {
        mode: "resource",
        type: "azurerm_subnet",
        name: "web",
        attribute: "id",
      }),
    ).toBeUndefined();
  });

  /** Stacks hop-0 … hop-(n-1), each output "o" forwarding the next stack's, the last one the subnet. */
  function chain(hops: number): EnvironmentView {
    const stacks = Array.from({ length: hops }, (_, i) =>
      i === hops - 1
        ? stack(`prod-hop-${i}`, { azurerm_subnet: { end: { name: "end" } } }, output("o", "${azurerm_subnet.end.id}"))
        : stack(`prod-hop-${i}`, {}, output("o", remote(`prod-hop-${i + 1}`, "o"))),
    );
    return env(...stacks, stack("prod-start"));
  }
  const startRef = remoteRef("cross-stack-reference-input-prod-hop-0", "outputs.o");

  test("a chain of eight remote-state hops is followed; nine are too deep", () => {
    const eight = chain(8);
    expect(resolveReference(eight, "prod-start", startRef)?.resource).toBe(
      eight.stack("prod-hop-7")!.find("azurerm_subnet", "end"),
    );
    expect(resolveReference(chain(9), "prod-start", startRef)).toBeUndefined();
  });

  test("a cycle of remote-state outputs ends, leading nowhere", () => {
    const cycle = env(
      stack("prod-a", {}, output("o", remote("prod-b", "o"))),
      stack("prod-b", {}, output("o", remote("prod-a", "o"))),
    );
    expect(
      resolveReference(cycle, "prod-a", remoteRef("cross-stack-reference-input-prod-b", "outputs.o")),
    ).toBeUndefined();
  });
});

describe("referencedResource, referencedResources, refersTo", () => {
  const networking = stack(
    "prod-networking",
    { azurerm_subnet: { web: { name: "web" }, data: { name: "data" } } },
    output("web", "${azurerm_subnet.web.id}"),
  );
  const region = stack("prod-region-1", {
    azurerm_network_interface: { nic: { name: "nic" } },
    azurerm_subnet: { web: { name: "region-web" } },
  });
  const view = env(networking, region);
  const netWeb = view.stack("prod-networking")!.find("azurerm_subnet", "web")!;
  const netData = view.stack("prod-networking")!.find("azurerm_subnet", "data")!;
  const nic = view.stack("prod-region-1")!.find("azurerm_network_interface", "nic")!;

  test("referencedResource: a value that is exactly one reference, followed across stacks", () => {
    expect(referencedResource(view, "prod-region-1", "${azurerm_network_interface.nic.id}")).toBe(nic);
    expect(referencedResource(view, "prod-region-1", remote("prod-networking", "web"))).toBe(netWeb);
  });

  test("referencedResource: literals, composite strings, several references, lists and unresolvable ones give nothing", () => {
    for (const value of [
      "nic",
      "x${azurerm_network_interface.nic.id}",
      "${azurerm_network_interface.nic.id}x",
      "${azurerm_network_interface.nic.id}${azurerm_network_interface.nic.id}",
      "${coalesce(azurerm_network_interface.nic.id, azurerm_subnet.web.id)}",
      "${var.nic}",
      "${azurerm_network_interface.gone.id}",
      ["${azurerm_network_interface.nic.id}"],
      undefined,
      3,
    ]) {
      expect(referencedResource(view, "prod-region-1", value)).toBeUndefined();
    }
  });

  test("referencedResources: every reference that resolves, with its attribute; the rest are skipped", () => {
    const found = referencedResources(view, "prod-networking", [
      "${azurerm_subnet.web.id}",
      "${azurerm_subnet.gone.id}",
      { x: "${azurerm_subnet.data.name}" },
    ]);
    expect(found).toHaveLength(2);
    expect(found[0]!.resource).toBe(netWeb);
    expect(found[0]!.attribute).toBe("id");
    expect(found[1]!.resource).toBe(netData);
    expect(found[1]!.attribute).toBe("name");
    expect(referencedResources(view, "prod-networking", "literal")).toEqual([]);
  });

  test("refersTo: any of the value's references names the target, in this or another stack", () => {
    expect(refersTo(view, "prod-region-1", remote("prod-networking", "web"), netWeb)).toBe(true);
    expect(refersTo(view, "prod-networking", ["${azurerm_subnet.data.id}", "${azurerm_subnet.web.id}"], netWeb)).toBe(
      true,
    );
    expect(refersTo(view, "prod-region-1", "${azurerm_subnet.web.id}", netWeb)).toBe(false);
    expect(refersTo(view, "prod-networking", "${azurerm_subnet.data.id}", netWeb)).toBe(false);
    expect(refersTo(view, "prod-networking", "literal", netWeb)).toBe(false);
  });
});

describe("isInternetSource", () => {
  test.each([
    "*",
    "Internet",
    "internet",
    "INTERNET",
    "Any",
    "any",
    "0.0.0.0",
    "0.0.0.0/0",
    "::/0",
    "::",
    " 0.0.0.0/0 ",
  ])("%p means anyone on the internet", (source) => {
    expect(isInternetSource(source)).toBe(true);
  });

  test.each<unknown>(["10.0.0.0/8", "VirtualNetwork", "AzureFrontDoor.Backend", "0.0.0.0/1", "", ["*"], undefined, 0])(
    "%p does not",
    (source) => {
      expect(isInternetSource(source)).toBe(false);
    },
  );
});

describe("parsePortRange and rangeIncludes", () => {
  test.each<[unknown, { from: number; to: number } | undefined]>([
    [22, { from: 22, to: 22 }],
    ["22", { from: 22, to: 22 }],
    [" 3389 ", { from: 3389, to: 3389 }],
    ["20-25", { from: 20, to: 25 }],
    ["1024-65535", { from: 1024, to: 65535 }],
    ["*", { from: 0, to: 65535 }],
    [" * ", { from: 0, to: 65535 }],
    ["22-", undefined],
    ["-22", undefined],
    ["x22", undefined],
    ["22x", undefined],
    ["22,23", undefined],
    ["20 - 25", undefined],
    ["", undefined],
    ["${var.port}", undefined],
    [["22"], undefined],
    [undefined, undefined],
  ])("%p parses as %p", (value, expected) => {
    expect(parsePortRange(value)).toEqual(expected);
  });

  test("a range includes both its ends and nothing outside them", () => {
    const range = { from: 20, to: 25 };
    expect([19, 20, 22, 25, 26].map((port) => rangeIncludes(range, port))).toEqual([false, true, true, true, false]);
    expect(rangeIncludes({ from: 22, to: 22 }, 22)).toBe(true);
  });
});

describe("constants the rules share", () => {
  test("management ports are SSH, RDP and WinRM over HTTP and HTTPS", () => {
    expect([...MANAGEMENT_PORTS]).toEqual([22, 3389, 5985, 5986]);
  });

  test("Azure VM types are the Linux, Windows and classic virtual machine", () => {
    expect([...AZURE_VM_TYPES].sort()).toEqual([
      "azurerm_linux_virtual_machine",
      "azurerm_virtual_machine",
      "azurerm_windows_virtual_machine",
    ]);
  });
});
