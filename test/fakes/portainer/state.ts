/**
 * The fake Portainer's data: plain JSON, so it can be kept in a file between runs as a real server
 * keeps its `/data` volume. Ids are per-collection auto-increments starting at 1 (CONTRACT.md 11).
 */
import * as fs from "node:fs";

export interface UserRecord {
  Id: number;
  Username: string;
  Role: number;
  /** sha256 of salt + password; the fake never keeps plain passwords. */
  passwordHash: string;
  salt: string;
  TokenIssueAt: number;
}

export interface ApiKeyRecord {
  id: number;
  userId: number;
  description: string;
  prefix: string;
  dateCreated: number;
  lastUsed: number;
  digest: string;
}

export interface GroupRecord {
  Id: number;
  Name: string;
  Description: string;
  TagIds: number[];
}

export interface TagRecord {
  ID: number;
  Name: string;
}

export interface DockerObjectRecord {
  ID: string;
  Name: string;
  Labels: Record<string, string>;
  /** base64, as Docker stores it. */
  Data: string;
  VersionIndex: number;
  CreatedAt: string;
}

export interface EndpointRecord {
  Id: number;
  Name: string;
  Type: number;
  URL: string;
  PublicURL: string;
  GroupId: number;
  TagIds: number[];
  Status: number;
  TLS: boolean;
  TLSSkipVerify: boolean;
  TLSSkipClientVerify: boolean;
  EdgeKey: string;
  /** The agent's version Portainer reports (`Agent.Version`); default the fake's own version. */
  agentVersion?: string;
  /** Set when the environment is a swarm manager. */
  swarmId: string | null;
  configs: DockerObjectRecord[];
  secrets: DockerObjectRecord[];
}

export interface StackRecord {
  Id: number;
  Name: string;
  Type: number;
  EndpointId: number;
  SwarmId: string;
  EntryPoint: string;
  Env: { name: string; value: string }[] | null;
  Status: number;
  ProjectPath: string;
  CreationDate: number;
  CreatedBy: string;
  UpdateDate: number;
  UpdatedBy: string;
  /** The compose file as stored on disk by Portainer. */
  fileContent: string;
  /**
   * The Docker host its containers run on (the URL of the environment that last deployed it). They stay
   * there when the environment is deleted: the compose project still exists on that host.
   */
  host?: string;
  /**
   * Containers changed out of band since the last deploy, by compose service (a redeploy or a start recreates them
   * and clears this): stopped, or failing their health check.
   */
  containers?: Record<string, ContainerChange>;
}

/** An out-of-band change to one of a stack's containers. */
export interface ContainerChange {
  state?: "running" | "exited";
  health?: "healthy" | "unhealthy" | "starting";
}

export interface FakeState {
  instanceId: string;
  users: UserRecord[];
  apiKeys: ApiKeyRecord[];
  groups: GroupRecord[];
  tags: TagRecord[];
  endpoints: EndpointRecord[];
  stacks: StackRecord[];
  nextId: Record<"users" | "apiKeys" | "groups" | "tags" | "endpoints" | "stacks" | "resourceControls", number>;
}

export function emptyState(instanceId: string): FakeState {
  return {
    instanceId,
    users: [],
    apiKeys: [],
    groups: [{ Id: 1, Name: "Unassigned", Description: "Unassigned environments", TagIds: [] }],
    tags: [],
    endpoints: [],
    stacks: [],
    nextId: { users: 1, apiKeys: 1, groups: 2, tags: 1, endpoints: 1, stacks: 1, resourceControls: 1 },
  };
}

export function nextId(state: FakeState, collection: keyof FakeState["nextId"]): number {
  return state.nextId[collection]++;
}

export function loadState(file: string): FakeState | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as FakeState;
}

export function saveState(file: string, state: FakeState): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

/**
 * Out-of-band changes to a kept data file, as a person in Portainer's UI or on the Docker host would make them, for
 * a fake that is not running (the lab's, between commands). Each names the stack by its name.
 */
export function changeStoredStack(
  file: string,
  name: string,
  change: { stop: true } | { service: string; container: ContainerChange },
): string {
  const state = loadState(file);
  if (!state) throw new Error(`${file} does not exist`);
  const matches = state.stacks.filter((s) => s.Name === name);
  if (matches.length === 0)
    throw new Error(
      `no stack named ${name} in ${file} (there are: ${state.stacks.map((s) => s.Name).join(", ") || "none"})`,
    );
  for (const s of matches) {
    if ("stop" in change) s.Status = 2;
    else
      s.containers = { ...s.containers, [change.service]: { ...s.containers?.[change.service], ...change.container } };
  }
  saveState(file, state);
  return "stop" in change
    ? `stopped stack ${name}`
    : `changed container ${change.service} of stack ${name}: ${JSON.stringify(change.container)}`;
}
