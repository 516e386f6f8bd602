import { PublishCommand } from "@aws-sdk/client-sns";
import type { NoticeLevel, Notifier } from "../../core/failover/types";
import type { AwsClients } from "./clients";

/** SNS subjects are at most 100 ASCII characters. */
export const MAX_SUBJECT_LENGTH = 100;

/** Publishes to the acting region's own alert topic (never another region's). */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly clients: AwsClients,
    private readonly region: string,
    private readonly topicArn: string,
    private readonly environment: string,
  ) {}

  async notify(level: NoticeLevel, subject: string, detail: string): Promise<void> {
    const full = `[${level}] ${this.environment}: ${subject}`.replace(/[^\x20-\x7E]/g, "?");
    await this.clients.sns(this.region).send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: full.length > MAX_SUBJECT_LENGTH ? `${full.slice(0, MAX_SUBJECT_LENGTH - 3)}...` : full,
        Message: `${subject}\n\n${detail}`,
        MessageAttributes: { level: { DataType: "String", StringValue: level } },
      }),
    );
  }
}
