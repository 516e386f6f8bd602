import { z } from "zod";
import { azureEnvironmentSchema, type AzureEnvironmentConfig } from "./schema-azure";
import { awsEnvironmentSchema, type AwsEnvironmentConfig } from "./schema-aws";

/** One environment file: the `cloud` field picks the schema. */
export const environmentSchema = z.discriminatedUnion("cloud", [azureEnvironmentSchema, awsEnvironmentSchema]);

export type EnvironmentConfig = AzureEnvironmentConfig | AwsEnvironmentConfig;
export type { AzureEnvironmentConfig, AwsEnvironmentConfig };

/** The schemas by cloud, used to explain a field that belongs to the other cloud. */
export const schemasByCloud = { azure: azureEnvironmentSchema, aws: awsEnvironmentSchema } as const;
