/**
 * The worker's send slots (SWITCHBOARD_WORKER_CONCURRENCY of them) and who gets the next free one.
 * Pure bookkeeping, no I/O and no clock, so the rules can be tested on their own:
 *
 * - an endpoint never holds more than its `max_in_flight`, nor more than the company share;
 * - a company holds at most the company share (`share` x total, at least 1) while another company
 *   has work waiting; alone it may grow past it, but never into the last `reserve` free slots,
 *   so a company whose work arrives later always finds a slot at once, even when the first one's
 *   endpoint hangs on every slot it holds (slots are not taken back mid-request);
 * - free slots are handed out round-robin across companies with waiting work, then round-robin
 *   across that company's endpoints with waiting work.
 */

export interface SlotPolicy {
  /** All slots of the process. */
  total: number;
  /** Share of the slots one company (and any one endpoint) may hold while others wait, 0..1. */
  share?: number;
  /** Share of the slots a lone company above its share leaves free for others, 0..1. */
  reserve?: number;
}

/** Defaults, documented in docs/scaling.md. */
export const COMPANY_SHARE = 0.5;
export const RESERVE_SHARE = 0.125;

interface EndpointSlots {
  id: string;
  company: CompanySlots;
  maxInFlight: number;
  active: number;
  waiting: number;
}

interface CompanySlots {
  id: string;
  active: number;
  /** Endpoints with waiting work: the order of the round-robin. */
  ring: EndpointSlots[];
  cursor: number;
}

export interface SlotAllocator {
  /** How many deliveries an endpoint has waiting for a slot (0 when it may not send now). */
  setWaiting(endpointId: string, companyId: string, maxInFlight: number, waiting: number): void;
  /** Takes a slot for the next endpoint in turn, or null when no waiting endpoint may have one. */
  grant(): string | null;
  /** Gives back a slot that endpoint held. */
  release(endpointId: string): void;
  /** Most slots this endpoint may ever hold at once: min(max_in_flight, company share). */
  endpointCap(maxInFlight: number): number;
  /** Slots held, in total, by one company, or by one endpoint. */
  held(): { total: number; company(id: string): number; endpoint(id: string): number };
}

export function createSlotAllocator(policy: SlotPolicy): SlotAllocator {
  const total = policy.total;
  const shareCap = Math.max(1, Math.floor(total * (policy.share ?? COMPANY_SHARE)));
  const reserve = Math.min(total - shareCap, Math.ceil(total * (policy.reserve ?? RESERVE_SHARE)));
  const endpoints = new Map<string, EndpointSlots>();
  const companies = new Map<string, CompanySlots>();
  // Companies with waiting work, in round-robin order.
  const ring: CompanySlots[] = [];
  let cursor = 0;
  let active = 0;

  const endpointCap = (maxInFlight: number) => Math.min(maxInFlight, shareCap);
  const wants = (e: EndpointSlots) => e.waiting > 0 && e.active < endpointCap(e.maxInFlight);

  function companyOf(id: string): CompanySlots {
    let c = companies.get(id);
    if (!c) {
      c = { id, active: 0, ring: [], cursor: 0 };
      companies.set(id, c);
    }
    return c;
  }

  /** Forgets endpoints and companies holding nothing and waiting for nothing. */
  function tidy(e: EndpointSlots): void {
    const c = e.company;
    if (e.waiting === 0) {
      const i = c.ring.indexOf(e);
      if (i >= 0) {
        c.ring.splice(i, 1);
        if (c.cursor > i) c.cursor--;
      }
    }
    if (e.waiting === 0 && e.active === 0) endpoints.delete(e.id);
    if (c.ring.length === 0) {
      const i = ring.indexOf(c);
      if (i >= 0) {
        ring.splice(i, 1);
        if (cursor > i) cursor--;
      }
      if (c.active === 0) companies.delete(c.id);
    }
  }

  function othersWaiting(c: CompanySlots): boolean {
    for (const o of ring) if (o !== c && o.ring.some(wants)) return true;
    return false;
  }

  function companyMayTake(c: CompanySlots): boolean {
    if (c.active < shareCap) return true;
    if (othersWaiting(c)) return false;
    return total - active > reserve;
  }

  return {
    setWaiting(endpointId, companyId, maxInFlight, waiting) {
      let e = endpoints.get(endpointId);
      if (!e) {
        if (waiting === 0) return;
        e = { id: endpointId, company: companyOf(companyId), maxInFlight, active: 0, waiting: 0 };
        endpoints.set(endpointId, e);
      }
      e.maxInFlight = maxInFlight;
      e.waiting = waiting;
      if (waiting > 0) {
        const c = e.company;
        if (!c.ring.includes(e)) c.ring.push(e);
        if (!ring.includes(c)) ring.push(c);
      } else tidy(e);
    },

    grant() {
      if (active >= total) return null;
      for (let i = 0; i < ring.length; i++) {
        const ci = (cursor + i) % ring.length;
        const c = ring[ci];
        if (!companyMayTake(c)) continue;
        for (let j = 0; j < c.ring.length; j++) {
          const ei = (c.cursor + j) % c.ring.length;
          const e = c.ring[ei];
          if (!wants(e)) continue;
          e.active++;
          e.waiting--;
          c.active++;
          active++;
          // The next turn starts after the ones served now.
          c.cursor = (ei + 1) % c.ring.length;
          cursor = (ci + 1) % ring.length;
          if (e.waiting === 0) tidy(e);
          return e.id;
        }
      }
      return null;
    },

    release(endpointId) {
      const e = endpoints.get(endpointId);
      if (!e || e.active === 0) return;
      e.active--;
      e.company.active--;
      active--;
      tidy(e);
    },

    endpointCap,

    held() {
      return {
        total: active,
        company: (id) => companies.get(id)?.active ?? 0,
        endpoint: (id) => endpoints.get(id)?.active ?? 0,
      };
    },
  };
}
