/**
 * What the explorer page hands its script (a JSON data block in the HTML): shared by the server
 * (index.ts, which fills it) and the browser (client.ts, which reads it).
 */
import type { PurposeUser } from '../../../../lib/legal-basis';
import type { Role } from '../../../../lib/roles';
import type { ExampleOperation } from './examples';

export interface ExplorerConfig {
  /** The gateway's GraphQL endpoint, relative to the page. */
  graphqlUrl: string;
  /** The development token endpoint (`?role=<key>`). */
  tokenUrl: string;
  /** Whether the token endpoint is there (development, JWT_SECRET set): shows the role picker. */
  devTokens: boolean;
  /** The auditors' page. */
  auditUrl: string;
  /** Apollo Sandbox (needs the internet: it loads from Apollo's CDN). */
  sandboxUrl: string;
  roles: Role[];
  examples: ExampleOperation[];
  /** The purpose catalogue: what each purpose releases, and who may declare it with what evidence. */
  purposes: ExplorerPurpose[];
  /** The evidence kinds and an example of each (`X-Evidence: kind=reference`). */
  evidenceKinds: Array<{ kind: string; nameZh: string; example: string }>;
}

export interface ExplorerPurpose {
  code: string;
  name: string;
  nameZh: string;
  /** Coordinates it releases. */
  fields: string[];
  /** Categories that may declare it, the evidence each needs, and whether only with an approval. */
  users: PurposeUser[];
}
