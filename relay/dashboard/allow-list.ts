// Who may see the health dashboard: the `dashboardAllow` setting of relay.json, a
// list of addresses and networks, checked with node:net's BlockList.
import { BlockList, isIP } from 'node:net';

/**
 * The addresses allowed to see the dashboard: IPv4 or IPv6 addresses, or networks in
 * CIDR form ("10.20.0.0/16"). Throws a sentence naming the first entry that is neither.
 */
export function dashboardAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > max))
    ) {
      throw new Error(
        `"${entry}" in dashboardAllow is not an address or a network such as 10.20.0.0/16.`,
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, prefix, type);
  }
  return list;
}

/** Whether a client address (as the socket reports it) is on the list. */
export function isAllowed(list: BlockList, clientIp: string): boolean {
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
  const ip = clientIp.startsWith('::ffff:') ? clientIp.slice(7) : clientIp;
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}
