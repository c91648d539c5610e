/**
 * Condition types and CamelCase reasons of every Ferry resource, in one place (kstatus: Ready,
 * Reconciling, Stalled). They are API: docs/api.md lists them and clients may match on them.
 */
export const CONDITION_TYPES = {
  Ready: 'The object reached what its spec asks for (an install runs its version; a request succeeded).',
  Reconciling: 'The operator is working towards the spec and expects to get there without help.',
  Stalled: 'The operator cannot go on until someone changes something; the message says what.',
  Valid: 'AppTemplate only: the template passed validation.',
} as const;

export const REASONS = {
  Installing: 'A revision that installs the app is being applied.',
  Upgrading: 'A revision that moves to another version is being applied.',
  RollingBack: 'A revision that restores an earlier one is being applied.',
  ApplyingConfigChange: 'A revision with new parameters or overrides (same version) is being applied.',
  ApplyingParameterChange:
    'A revision that re-renders the same spec because a parameter Secret it reads changed content is being applied.',
  InstallSucceeded: 'The install revision rolled out completely.',
  UpgradeSucceeded: 'The upgrade revision rolled out completely.',
  RollbackSucceeded: 'The rollback revision rolled out completely.',
  ConfigChangeSucceeded: 'The configuration change rolled out completely.',
  ParameterChangeSucceeded: 'The components using a changed parameter Secret rolled out completely.',
  InstallFailed: 'The install revision failed; see the message.',
  UpgradeFailed: 'The upgrade revision failed (and may have been rolled back automatically).',
  RollbackFailed: 'The rollback revision failed.',
  ConfigChangeFailed: 'The configuration change failed.',
  ParameterChangeFailed: 'The parameter Secret change failed to roll out.',
  ProgressDeadlineExceeded: 'A component did not roll out within upgradePolicy.progressDeadlineSeconds.',
  HookFailed:
    "A hook Job of the revision failed (a pod exited non-zero more often than its backoffLimit allows, or its Job was deleted before it ended); the revision's status.hooks has its exit code and log tail. The change fails; autoRollback applies.",
  HookDeadlineExceeded:
    'A hook Job did not finish within its activeDeadlineSeconds. The change fails; autoRollback applies.',
  InvalidSpec:
    'The spec cannot be applied (a field names what is wrong), or the API server refused a rendered object.',
  TemplateNotFound: 'No AppTemplate of spec.app and spec.version exists; import it.',
  TemplateInvalid: 'The AppTemplate exists but did not pass validation (its Valid condition says why).',
  ParameterSecretNotFound: 'A parameter Secret or key is missing; the change waits for it.',
  ImagePullSecretNotFound:
    'A Secret named in spec.imagePullSecrets is missing; the change waits for it (pods could not pull without it).',
  WaitingForRolloutSlot:
    'The operator already runs as many rollouts as it may at once (--max-rollouts); the change starts when one ends. A freed slot goes to the waiting namespace that holds the fewest, oldest install first.',
  InstallNotFound: 'The request names an AppInstall that does not exist or is not installed yet.',
  RevisionNotFound: 'The rollback target revision does not exist or cannot be restored.',
  NoUpgradeAvailable:
    'No template version satisfies the request (spec.toVersion, downgrade and prerelease rules).',
  Planned: 'The request is planned and starts as soon as nothing else runs on the install.',
  WaitingForApproval: 'The upgrade is planned and waits for spec.approved: true.',
  WaitingForOtherOperation: 'Another revision is in progress on the install; the request waits its turn.',
  Succeeded: 'Event: a revision succeeded.',
  Failed: 'Event: a revision failed.',
  RolledBack: 'The upgrade failed and the previous revision was restored automatically.',
  TemplateValid: 'The AppTemplate passed validation.',
  InvalidObject: "The object does not match this operator version's schema; fix or re-create it.",
  ReconcileError: 'An unexpected error (API server unreachable, conflict); retried with backoff.',
  DriftCorrected: 'Event: a workload or route deleted or changed outside Ferry was re-applied.',
  RouteAPIUnavailable:
    'A route of the applied revision is not rendered because the cluster does not serve its API (Ingress: networking.k8s.io/v1; HTTPRoute: gateway.networking.k8s.io/v1, from the Gateway API CRDs). Ready is False and Stalled True until the API appears (checked every 30 seconds) or the route kind changes; the workloads run meanwhile.',
  VolumeChangeRefused:
    'The change would shrink a volume or change the storage class of an existing one (a PVC can only grow and keeps its class); the message names the override. Nothing is applied.',
  MarketSynced: 'AppMarket: every version of the apps it syncs is an AppTemplate of this cluster.',
  VersionsNotSynced:
    'AppMarket: the sync ran, but some versions were refused (signature, publisher) or conflict with an AppTemplate of the same name and other content; status.apps says which. The rest is synced.',
  MarketUnreachable:
    'AppMarket: the registry could not be reached or answered with an error; what was synced stays, the sync is retried with backoff.',
  MarketCredentialsRejected:
    "AppMarket: the registry refused the credentials (401/403); what was synced stays. Fix spec.secretRef's Secret or the registry's permissions.",
  MarketSecretInvalid:
    'AppMarket: the credentials or CA Secret is missing, not labelled ferry.dev/market-credentials=true, or not of a supported type; retried with backoff.',
  MarketInvalid:
    'AppMarket: the market holds something that is not a valid Ferry market (e.g. its index); retried.',
  UpgradeProposed:
    'Event: upgradePolicy.track found a newer version in range and created an AppUpgrade for it (waiting for approval unless autoApprove).',
  TemplatesCreated: 'Event: the sync created AppTemplates for new versions of the market.',
} as const;

type Names<T> = { readonly [K in keyof T]: K };
const names = <T extends object>(o: T) => Object.fromEntries(Object.keys(o).map((k) => [k, k])) as Names<T>;

export const ConditionType = names(CONDITION_TYPES);
export const Reason = names(REASONS);
export type ReasonName = keyof typeof REASONS;
