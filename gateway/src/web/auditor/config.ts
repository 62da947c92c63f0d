/** What the auditors' page hands its script: filled by ../index.ts, read by client.ts. */
export interface AuditorConfig {
  /** The audit API (`audit:read`). */
  apiUrl: string;
  /** The development token endpoint (`?role=auditor`). */
  tokenUrl: string;
  /** Whether the development token endpoint is there: shows the "use the auditor role" button. */
  devTokens: boolean;
  /** The utilisation register's download, without its `.xlsx` / `.jsonl` extension. */
  registerUrl: string;
  /** The explorer, when served (not in production). */
  explorerUrl: string | null;
}
