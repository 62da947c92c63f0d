/** What the citizens' page hands its script: filled by ../index.ts, read by client.ts. */
export interface MeConfig {
  /** The citizens' access-history API (`self`). */
  apiUrl: string;
  /** The development token endpoint (`?role=citizen`, the demo husband by default). */
  tokenUrl: string;
  /** Whether the development token endpoint is there: shows the "use the demo citizen" button. */
  devTokens: boolean;
}
