/** Types of scripts/lib/process.cjs (shared by the scripts and test/support). */
export function freePort(): Promise<number>;
export function groupAlive(pid: number): boolean;
export function pidAlive(pid: number): boolean;
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void;
export function killGroup(pid: number | undefined, graceMs?: number): Promise<void>;
export function killGroupsSync(pids: number[]): void;
