// Options of the dashboard router: where it is mounted (for links) and how far back the Workers page looks by default.
export interface DashboardOptions {
  /** Absolute path the dashboard is served under, without a trailing slash ('' at the root), e.g. '/flower'. */
  base: string;
  /** Workers seen within this many hours are listed (Flower shows the last day). */
  workerHours: number;
  /** Where the app serves public/ (the dashboard's own script and stylesheet). */
  assets: string;
}

export function dashboardOptions(options: Partial<DashboardOptions> = {}): DashboardOptions {
  const base = (options.base ?? '/flower').replace(/\/+$/, '');
  return {
    base: base && !base.startsWith('/') ? `/${base}` : base,
    workerHours: options.workerHours ?? 24,
    assets: options.assets ?? '/static',
  };
}
