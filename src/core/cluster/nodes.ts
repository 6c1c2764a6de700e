/** Nodes and Services as the review reads them: plain NodeInfo / ServiceInfo, listed in one request each. */
import type { NodeAddress, NodeInfo, ServiceInfo } from '../types';
import type { Transport } from './transport';

export const NODES_PATH = '/api/v1/nodes';
export const SERVICES_PATH = '/api/v1/services';

/** The parts of a v1 Node we read. */
export interface V1Node {
  metadata?: { name?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string | Date };
  status?: {
    addresses?: { type?: string; address?: string }[];
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
    nodeInfo?: { kubeletVersion?: string };
  };
}

/** The parts of a v1 Service we read. */
export interface V1Service {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { clusterIP?: string; clusterIPs?: string[] };
}

/** Pure: a v1 Node → NodeInfo (undefined without a name). */
export function toNodeInfo(n: V1Node): NodeInfo | undefined {
  const name = n.metadata?.name;
  if (!name) return undefined;
  const addresses: NodeAddress[] = [];
  for (const a of n.status?.addresses ?? []) if (a.type && a.address) addresses.push({ type: a.type, address: a.address });
  const readyCond = n.status?.conditions?.find((c) => c.type === 'Ready');
  const ready = readyCond?.status === 'True' ? 'True' : readyCond?.status === 'False' ? 'False' : 'Unknown';
  const info: NodeInfo = { name, addresses, ready };
  if (n.metadata?.uid) info.uid = n.metadata.uid;
  if (n.metadata?.resourceVersion) info.resourceVersion = n.metadata.resourceVersion;
  if (n.metadata?.creationTimestamp) {
    const d = new Date(n.metadata.creationTimestamp);
    if (!Number.isNaN(d.getTime())) info.createdAt = d;
  }
  if (ready !== 'True' && (readyCond?.reason || readyCond?.message)) info.readyReason = [readyCond.reason, readyCond.message].filter(Boolean).join(': ');
  const port = n.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (typeof port === 'number' && port > 0) info.kubeletPort = port;
  if (n.status?.nodeInfo?.kubeletVersion) info.kubeletVersion = n.status.nodeInfo.kubeletVersion;
  return info;
}

/** Pure: a v1 Service → ServiceInfo (cluster IPs only; `None` of a headless Service is not an IP). */
export function toServiceInfo(s: V1Service): ServiceInfo | undefined {
  const name = s.metadata?.name;
  const namespace = s.metadata?.namespace;
  if (!name || !namespace) return undefined;
  const ips = new Set<string>();
  for (const ip of [s.spec?.clusterIP, ...(s.spec?.clusterIPs ?? [])]) if (ip && ip !== 'None') ips.add(ip);
  return { namespace, name, clusterIPs: [...ips] };
}

export async function listNodes(t: Transport): Promise<NodeInfo[]> {
  const list = await t.request<{ items?: V1Node[] }>('GET', NODES_PATH);
  return (list.items ?? []).map(toNodeInfo).filter((n): n is NodeInfo => !!n);
}

/** Every Service in every namespace (needs list on services cluster-wide). */
export async function listServices(t: Transport): Promise<ServiceInfo[]> {
  const list = await t.request<{ items?: V1Service[] }>('GET', SERVICES_PATH);
  return (list.items ?? []).map(toServiceInfo).filter((s): s is ServiceInfo => !!s);
}
