// The layer rule of docs/architecture.md (Folder map), checked by `npm run deps` (and `npm test`): imports point down, no cycles.
/** Folders of src/ from the bottom up; folders in one tier may use each other (without cycles), never a higher tier. */
const TIERS = [
  ['config', 'input', 'version\\.ts'],
  ['log'],
  ['redis'],
  ['queue'],
  ['gracedb', 'alerts', 'audit'],
  ['tasks', 'schedules'],
  ['forms'],
  ['actions'],
  ['control', 'health', 'task-index', 'history', 'host', 'metrics', 'sentry'],
  ['worker', 'web'],
  ['cli'],
  ['main\\.ts'],
];

const pathOf = (names) => `^src/(${names.join('|')})(/|$)`;

const layerRules = TIERS.slice(0, -1).map((tier, index) => ({
  name: `layer-${tier[0].replace(/\\\./g, '-')}`,
  comment: `${tier.join(', ').replace(/\\/g, '')} sit below ${TIERS.slice(index + 1)
    .flat()
    .join(', ')
    .replace(/\\/g, '')}: they must not import them (see docs/architecture.md, Folder map).`,
  severity: 'error',
  from: { path: pathOf(tier) },
  to: { path: pathOf(TIERS.slice(index + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'An import cycle (type-only imports count too): break it with a leaf module of shared types.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-from-test',
      comment: 'Production code never imports tests, benches or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  allowed: undefined,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
    exclude: { path: '^(dist|node_modules|var)/' },
  },
};
