/** Condition types and CamelCase reasons, in one place (kstatus: Ready, Reconciling, Stalled). */
export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  Valid: 'Valid',
} as const;

export const Reason = {
  // progress
  Installing: 'Installing',
  Upgrading: 'Upgrading',
  RollingBack: 'RollingBack',
  ApplyingConfigChange: 'ApplyingConfigChange',
  // success
  InstallSucceeded: 'InstallSucceeded',
  UpgradeSucceeded: 'UpgradeSucceeded',
  RollbackSucceeded: 'RollbackSucceeded',
  ConfigChangeSucceeded: 'ConfigChangeSucceeded',
  // failure
  InstallFailed: 'InstallFailed',
  UpgradeFailed: 'UpgradeFailed',
  RollbackFailed: 'RollbackFailed',
  ConfigChangeFailed: 'ConfigChangeFailed',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  // input problems
  InvalidSpec: 'InvalidSpec',
  TemplateNotFound: 'TemplateNotFound',
  TemplateInvalid: 'TemplateInvalid',
  ParameterSecretNotFound: 'ParameterSecretNotFound',
  InstallNotFound: 'InstallNotFound',
  RevisionNotFound: 'RevisionNotFound',
  NoUpgradeAvailable: 'NoUpgradeAvailable',
  // requests
  Planned: 'Planned',
  WaitingForApproval: 'WaitingForApproval',
  WaitingForOtherOperation: 'WaitingForOtherOperation',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  RolledBack: 'RolledBack',
  // templates
  TemplateValid: 'TemplateValid',
  // other
  DriftCorrected: 'DriftCorrected',
  Pruned: 'Pruned',
} as const;

export type ReasonName = (typeof Reason)[keyof typeof Reason];
