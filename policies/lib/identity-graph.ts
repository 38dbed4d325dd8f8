// Who can act as whom: the closure of a set of starting identities under "may act as" edges. Pure: the
// rules build the seeds (identities reachable from a cluster) and the edges (impersonation and Workload
// Identity grants) from a stack, and ask this which identities those lead to, and through which grants.

/** `from` may act as `to`, because of `via` (a sentence naming the grant). */
export interface ActsAsEdge {
  readonly from: string;
  readonly to: string;
  readonly via: string;
}

/**
 * Every identity reachable from `seeds` (identity -> why it is a starting point) along `edges`, each with the
 * chain that reaches it: the seed's reason first, then one `via` per hop. Breadth-first, so each chain is a
 * shortest one; cycles (A may impersonate B, B may impersonate A) end because each identity is visited once.
 */
export function actsAsClosure(seeds: ReadonlyMap<string, string>, edges: readonly ActsAsEdge[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const next = new Map<string, ActsAsEdge[]>();
  for (const e of edges) {
    const list = next.get(e.from);
    if (list) list.push(e);
    else next.set(e.from, [e]);
  }
  const queue: string[] = [];
  for (const [id, why] of seeds) {
    if (out.has(id)) continue;
    out.set(id, [why]);
    queue.push(id);
  }
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const chain = out.get(id)!;
    for (const e of next.get(id) ?? []) {
      if (out.has(e.to)) continue;
      out.set(e.to, [...chain, e.via]);
      queue.push(e.to);
    }
  }
  return out;
}
