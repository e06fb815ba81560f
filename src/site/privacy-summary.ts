/**
 * What a DP run has cost a site, read from its own ledger (never from the
 * config): printed at the end of every DP run, local or federated, so the
 * people responsible see the guarantee they got.
 */
import { existsSync } from 'node:fs';
import { composeReleases, PrivacyLedger, type AccountantName, type ReleaseMechanism } from '../accounting/index.js';

export interface SitePrivacySummary {
  site: string;
  epsilon: number;
  delta: number;
  accountant: AccountantName;
  /** The DP-SGD and statistics releases, grouped by mechanism, in words. */
  mechanisms: string[];
}

/** The site's spent epsilon at delta by its ledger file; null when the file or the site's entries are missing. */
export function sitePrivacySummary(ledgerPath: string, site: string, delta: number, accountant: AccountantName): SitePrivacySummary | null {
  if (!existsSync(ledgerPath)) return null;
  const ledger = PrivacyLedger.open(ledgerPath, { mustExist: true, accountant: accountant === 'gdp' ? 'rdp' : accountant });
  try {
    const entries = ledger.entries(site);
    if (entries.length === 0) return null;
    const ms = entries.map((e) => e.mechanism);
    return { site, epsilon: composeReleases(ms, delta, accountant).epsilon, delta, accountant, mechanisms: describeMechanisms(ms) };
  } finally {
    ledger.close();
  }
}

function describeMechanisms(ms: readonly ReleaseMechanism[]): string[] {
  const groups = new Map<string, number>();
  for (const m of ms) {
    const key =
      m.type === 'subsampled-gaussian'
        ? `DP-SGD (subsampled Gaussian, ${m.sampling} sampling at rate ${g(m.sampleRate)}, noise multiplier ${g(m.noiseMultiplier)})`
        : m.type === 'gaussian'
          ? `statistics (Gaussian, noise ${g(m.noiseStd / m.sensitivity)}x the sensitivity)`
          : `${m.type} release`;
    const count = m.type === 'subsampled-gaussian' ? m.steps : 1;
    groups.set(key, (groups.get(key) ?? 0) + count);
  }
  return [...groups].map(([k, n]) => (k.startsWith('DP-SGD') ? `${k}: ${n} steps` : n > 1 ? `${k} x${n}` : k));
}

export function formatSitePrivacy(s: SitePrivacySummary): string {
  return `${s.site}: epsilon ${g(s.epsilon)} at delta ${s.delta} (${s.accountant} accountant); ${s.mechanisms.join('; ')}`;
}

function g(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
