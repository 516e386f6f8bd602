import { readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { environmentSchema, schemasByCloud, type EnvironmentConfig } from "./schema";
import { closest, ConfigValidationError, describeValue, formatPath, type ConfigProblem } from "./problems";
import { placementProblems, semanticProblems } from "./validate";

export const CONFIG_EXTENSIONS = [".yaml", ".yml", ".json"];

export interface LoadedEnvironment {
  readonly file: string;
  readonly config: EnvironmentConfig;
}

/** Files in a config directory that describe environments (the JSON schema is not one). */
export function environmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => CONFIG_EXTENSIONS.includes(extname(name)) && name !== "schema.json")
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Loads and validates every environment in `dir`. Throws a ConfigValidationError listing
 * every problem of every file; returns nothing partial.
 */
export function loadEnvironments(dir: string, cwd = process.cwd()): LoadedEnvironment[] {
  const files = environmentFiles(dir);
  const problems: ConfigProblem[] = [];
  const loaded: LoadedEnvironment[] = [];
  if (files.length === 0) {
    problems.push({
      file: relative(cwd, dir) || dir,
      path: "",
      value: "(no environment files)",
      expected: "at least one config/<environment>.yaml",
      fix: "copy an existing environment file and edit it",
    });
  }
  for (const file of files) {
    const display = relative(cwd, file) || file;
    const result = parseEnvironment(display, readFileSync(file, "utf8"));
    problems.push(...result.problems);
    if (result.config) loaded.push({ file: display, config: result.config });
  }
  problems.push(...crossEnvironmentProblems(loaded));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return loaded;
}

/** Parses and validates one environment file's text; `file` is only used in messages. */
export function parseEnvironment(
  file: string,
  text: string,
): { config?: EnvironmentConfig; problems: ConfigProblem[] } {
  const parsed = parseDocument(file, text);
  if ("problems" in parsed) return { problems: parsed.problems };
  const data = parsed.data;
  const result = environmentSchema.safeParse(data);
  if (!result.success) {
    const schemaProblems = result.error.issues.flatMap((issue) => issueProblems(file, data, issue));
    const reported = new Set(schemaProblems.map((p) => p.path));
    return { problems: [...schemaProblems, ...placementProblems(file, data).filter((p) => !reported.has(p.path))] };
  }
  const config = result.data;
  const problems = semanticProblems(file, config);
  const expectedName = basename(file, extname(file));
  if (config.environment !== expectedName) {
    problems.unshift({
      file,
      path: "environment",
      value: JSON.stringify(config.environment),
      expected: `"${expectedName}", the file's name (stack names and state keys come from it)`,
      fix: `rename the file to config/${config.environment}${extname(file)} or set environment: ${expectedName}`,
    });
  }
  return problems.length > 0 ? { problems } : { config, problems };
}

function parseDocument(file: string, text: string): { data: unknown } | { problems: ConfigProblem[] } {
  if (extname(file) === ".json") {
    try {
      return { data: JSON.parse(text) };
    } catch (error) {
      return {
        problems: [{ file, path: "", value: "(not valid JSON)", expected: `valid JSON: ${(error as Error).message}` }],
      };
    }
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((error) => ({
        file,
        path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : "",
        value: "(not valid YAML)",
        expected: `valid YAML: ${error.message.split("\n")[0]}`,
      })),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // An alias without its anchor (or too many aliases) only fails when the document is built.
    return {
      problems: [{ file, path: "", value: "(not valid YAML)", expected: `valid YAML: ${(error as Error).message}` }],
    };
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return {
      problems: [
        {
          file,
          path: "",
          // An empty document parses to null: say "(empty)", not "null".
          value: data === null || data === undefined ? "(empty)" : JSON.stringify(data),
          expected: "a mapping of fields (cloud, environment, regions, ...)",
        },
      ],
    };
  }
  return { data };
}

function issueProblems(file: string, data: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = formatPath(issue.path);
  const value = describeValue(data, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKeyProblem(file, data, [...issue.path, key]));
    case "invalid_type":
      return [
        {
          file,
          path,
          value,
          expected:
            value === "(missing)"
              ? `a${/^[aeiou]/.test(issue.expected) ? "n" : ""} ${issue.expected} (required)`
              : `a${/^[aeiou]/.test(issue.expected) ? "n" : ""} ${issue.expected}`,
        },
      ];
    case "invalid_value":
      return [{ file, path, value, expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "invalid_union": {
      if ("note" in issue && issue.note === "No matching discriminator") {
        const { options = [], discriminator } = issue as unknown as { options?: unknown[]; discriminator: string };
        // Zod reports the discriminator's own path; older versions reported its parent's.
        const at = issue.path[issue.path.length - 1] === discriminator ? issue.path : [...issue.path, discriminator];
        return [
          {
            file,
            path: formatPath(at),
            value: describeValue(data, at),
            // A kind that may be omitted (marketplace image, AMI lookup) is an `undefined` option: not a value to write.
            expected: `one of ${options
              .filter((o) => o !== undefined)
              .map((o) => JSON.stringify(o))
              .join(", ")}`,
          },
        ];
      }
      const alternatives = issue.errors.flat().map((e) => e.message.replace(/^Invalid input: expected /, ""));
      return [{ file, path, value, expected: `one of ${alternatives.join(", ")}` }];
    }
    case "invalid_key":
      // A key the record's key schema (one pattern) refuses, such as a tag name: the key is the value given.
      return [
        {
          file,
          path,
          value: JSON.stringify(issue.path[issue.path.length - 1]),
          expected: issue.issues[0].message.replace(/^expected /, ""),
        },
      ];
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const relation =
        issue.code === "too_small"
          ? issue.inclusive
            ? "at least"
            : "more than"
          : issue.inclusive
            ? "at most"
            : "less than";
      const what = issue.origin === "array" ? "entries" : issue.origin === "string" ? "characters" : "";
      const custom = issue.message.startsWith("expected") ? issue.message : undefined;
      return [{ file, path, value, expected: custom ?? `${relation} ${String(bound)}${what ? ` ${what}` : ""}` }];
    }
    default:
      return [
        {
          file,
          path,
          value,
          expected: issue.message.replace(/^Invalid (input|string): /, "").replace(/^expected /, ""),
        },
      ];
  }
}

function unknownKeyProblem(file: string, data: unknown, path: PropertyKey[]): ConfigProblem {
  const key = String(path[path.length - 1]);
  const known = knownKeysAt(environmentSchema, path.slice(0, -1), data);
  const cloud = (data as { cloud?: unknown }).cloud;
  const otherCloud = cloud === "azure" ? "aws" : cloud === "aws" ? "azure" : undefined;
  if (
    otherCloud &&
    knownKeysAt(schemasByCloud[otherCloud], path.slice(0, -1), { ...(data as object), cloud: otherCloud }).includes(key)
  ) {
    return {
      file,
      path: formatPath(path),
      value: describeValue(data, path),
      expected: `no such field in ${cloudLabel(cloud)} environment: ${key} is only valid when cloud is ${otherCloud}`,
      fix:
        known.length > 0
          ? `remove it; the fields here in ${cloudLabel(cloud)} environment: ${known.join(", ")}`
          : "remove it",
    };
  }
  const suggestion = closest(key, known);
  return {
    file,
    path: formatPath(path),
    value: describeValue(data, path),
    expected: `a known field${known.length > 0 ? `: one of ${known.join(", ")}` : ""}`,
    fix: suggestion ? `did you mean ${suggestion}?` : "remove the unknown field",
  };
}

/** The field names the schema accepts at a path, following the data through unions and arrays. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let current: z.ZodType | undefined = schema;
  let value: unknown = data;
  for (let i = 0; i <= path.length && current;) {
    if (current instanceof z.ZodOptional) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDiscriminatedUnion) {
      const discriminator: string = current.def.discriminator;
      const tag = (value as Record<string, unknown> | undefined)?.[discriminator];
      // The values an option's discriminator accepts; an optional one (`kind` omitted) accepts undefined too.
      current = (current.options as z.ZodType[]).find(
        (option) =>
          option instanceof z.ZodObject &&
          ((option.shape[discriminator] as z.ZodType)._zod.values as ReadonlySet<unknown>).has(tag),
      );
    } else if (i === path.length) {
      break;
    } else if (current instanceof z.ZodObject) {
      current = current.shape[String(path[i])] as z.ZodType | undefined;
      value = (value as Record<PropertyKey, unknown> | undefined)?.[path[i]];
      i++;
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
      value = (value as unknown[] | undefined)?.[path[i] as number];
      i++;
    } else {
      return [];
    }
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape).filter((k) => k !== "$schema") : [];
}

function crossEnvironmentProblems(loaded: readonly LoadedEnvironment[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const { file, config } of loaded) {
    const other = seen.get(config.environment);
    if (other) {
      problems.push({
        file,
        path: "environment",
        value: JSON.stringify(config.environment),
        expected: `a name no other file uses (${other} has it): stacks and state keys would collide`,
        fix: "keep one file per environment (config/<env>.yaml or .json, not both)",
      });
    }
    seen.set(config.environment, file);
  }
  problems.push(...sharedStateResourceProblems(loaded));
  return problems;
}

/**
 * Every environment's state-bootstrap stack creates its remote-state resources. Two environments
 * naming the same resource group, storage account, bucket or key alias would collide on the
 * second bootstrap apply (Azure: "a resource with the ID ... already exists"), so each needs its own.
 */
function sharedStateResourceProblems(loaded: readonly LoadedEnvironment[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const owners = new Map<string, LoadedEnvironment>();
  for (const entry of loaded) {
    const { config } = entry;
    const created: [string, string][] =
      config.cloud === "azure"
        ? [
            ["remoteState.resourceGroupName", config.remoteState.resourceGroupName.toLowerCase()],
            ["remoteState.storageAccountName", config.remoteState.storageAccountName],
          ]
        : [
            ["remoteState.bucket", config.remoteState.bucket],
            ["remoteState.kmsKeyAlias", `${config.remoteState.region}/${config.remoteState.kmsKeyAlias}`],
          ];
    for (const [path, name] of created) {
      const key = `${config.cloud}:${path}:${name}`;
      const owner = owners.get(key);
      if (owner) {
        problems.push({
          file: entry.file,
          path,
          value: JSON.stringify(name),
          expected: `a name no other environment's state bootstrap creates (${owner.file}, environment ${owner.config.environment}, has it): both bootstrap stacks would create it and the second apply fails`,
          fix: `give ${config.environment} its own, for example by adding the environment name`,
        });
      } else {
        owners.set(key, entry);
      }
    }
  }
  return problems;
}

function cloudLabel(cloud: unknown): string {
  return cloud === "azure" ? "an Azure" : "an AWS";
}
